"""The load of `make bench-load` (benchmarks/load/run.py): a realistic mix with think time.

- assessors rate items of an engagement in assessment (API: record a finding with ratings) and
  read the engagement (API);
- clients upload small evidence files to an engagement open for evidence (API, multipart) and
  list their evidence;
- the public verifies certificates by number (web page and API), the most frequent action;
- visitors search the public directory of certified organizations, once it exists: the plan
  names its search page (`directory`, benchmarks/load/plan.py) only when that path resolves,
  and until then `DirectoryVisitor` is left out of the mix.

Each simulated person comes from an address of its own (`X-Forwarded-For`, the stack started
with TRUSTED_PROXY_COUNT=1 as behind one load balancer), so per-address limits apply per person.
"""

import json
import os
import random
import time
import uuid

from locust import HttpUser, between, events, task

PLAN = json.loads(os.environ["ASSAY_LOAD_PLAN"])
API = f"/api/v1/t/{PLAN['tenant']}"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FAILURES = os.environ.get("ASSAY_LOAD_FAILURES")  # the fault phase's record of failed requests


@events.request.add_listener
def record_failure(name, response_time, response=None, exception=None, **kwargs):
    """One JSON line per failed request, with when it started and ended (faults.py)."""
    if exception is None or not FAILURES:
        return
    ended = time.time()
    record = {
        "started": ended - response_time / 1000,
        "ended": ended,
        "name": name,
        "status": getattr(response, "status_code", 0) or 0,
        "error": str(exception)[:200],
    }
    with open(FAILURES, "a") as handle:
        handle.write(json.dumps(record) + "\n")


class Person(HttpUser):
    abstract = True
    wait_time = between(2, 5)  # a few seconds' think time

    def on_start(self):
        address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        self.client.headers["X-Forwarded-For"] = address


class Assessor(Person):
    weight = 3

    def on_start(self):
        super().on_start()
        self.client.headers["Authorization"] = f"Token {PLAN['assessor_token']}"

    @task(3)
    def rate(self):
        entry = random.choice(PLAN["items"])
        ratings = [
            {"requirement": pk, "rating": random.choice(["met", "partially_met", "not_met"])}
            for pk in entry["requirements"]
        ]
        self.client.post(
            f"{API}/findings/",
            json={
                "engagement": PLAN["rating_engagement"],
                "item": entry["item"],
                "narrative": "Observed in the load test.",
                "ratings": ratings,
            },
            name="assessor: rate an item",
        )

    @task(1)
    def read_engagement(self):
        self.client.get(
            f"{API}/engagements/{PLAN['rating_engagement']}/", name="assessor: engagement"
        )


class Client(Person):
    weight = 2

    def on_start(self):
        super().on_start()
        self.client.headers["Authorization"] = f"Token {PLAN['client_token']}"

    @task(1)
    def upload(self):
        self.client.post(
            f"{API}/evidence/",
            data={"engagement": PLAN["upload_engagement"], "description": "load test"},
            files={"file": (f"evidence-{uuid.uuid4().hex[:8]}.pdf", PDF, "application/pdf")},
            name="client: upload evidence",
        )

    @task(2)
    def list_evidence(self):
        self.client.get(
            f"{API}/evidence/?engagement={PLAN['upload_engagement']}", name="client: evidence list"
        )


class Public(Person):
    weight = 5

    @task(2)
    def verify_page(self):
        number = random.choice(PLAN["certificates"])
        self.client.get(f"/verify/{number}/", name="public: verify page")

    @task(1)
    def verify_api(self):
        number = random.choice(PLAN["certificates"])
        self.client.get(f"/api/v1/verify/{number}/", name="public: verify API")


class DirectoryVisitor(Person):
    """The public directory's search (being built apart): in the mix once the plan finds it."""

    abstract = not PLAN.get("directory")
    weight = 2

    @task
    def search(self):
        term = random.choice(PLAN.get("directory_terms") or ["a"])
        self.client.get(PLAN["directory"], params={"q": term}, name="public: directory search")
