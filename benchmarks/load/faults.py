"""The fault phase of `make bench-load`: the same load mix while a Celery worker is killed, Redis
is restarted and PostgreSQL is restarted, one after the other, with certificates being issued
throughout. Figures (each expected 0 but the recovery times):

    fault_worker_kill_errors_after_recovery     failed requests started once the worker was back
    fault_redis_restart_errors_after_recovery   … once /readyz answered 200 again
    fault_postgres_restart_errors_after_recovery
    fault_<name>_recovery_seconds               from the fault to /readyz 200 (worker: running)
    certificates_lost                           issued, yet no active certificate after the wait
    certificate_numbers_duplicated              a number held by two certificates of a body
    uploads_half_stored                         an evidence row whose file is missing or altered

A request "after recovery" is one that started after the service was back and ended before the
next fault began (locust's failure records, benchmarks/load/locustfile.py, carry each request's
start and end).
"""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

FAULT_GAP_SECONDS = 30  # load before the first fault and between faults


def _ready(host):
    try:
        with urllib.request.urlopen(f"{host}/readyz", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _wait_ready(host, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _ready(host):
            return True
        time.sleep(0.2)
    return False


def _alive(pidfile):
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


class Issuer(threading.Thread):
    """Issues the planned certificates one by one through the API, spread over the phase, as an
    officer would: a request that fails (the database restarting) is tried again, since issuing
    is idempotent; `issued` lists the engagements whose issue was answered 200/201."""

    def __init__(self, host, plan, seconds):
        super().__init__(daemon=True)
        self.host, self.plan, self.seconds = host, plan, seconds
        self.issued, self.refused, self.attempts_failed = [], [], 0

    def _issue(self, engagement):
        request = urllib.request.Request(
            f"{self.host}/api/v1/t/{self.plan['tenant']}/certificates/issue/",
            data=json.dumps({"engagement": engagement}).encode(),
            headers={
                "Authorization": f"Token {self.plan['officer_token']}",
                "Content-Type": "application/json",
                "X-Forwarded-For": "10.255.0.1",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    def run(self):
        engagements = self.plan["to_certify"]
        pause = self.seconds / max(1, len(engagements))
        deadline = time.monotonic() + self.seconds
        for engagement in engagements:
            while time.monotonic() < deadline:
                try:
                    if self._issue(engagement) in (200, 201):
                        self.issued.append(engagement)
                        break
                except urllib.error.HTTPError as error:
                    if error.code < 500:  # refused (not granted, not allowed): not a fault
                        self.refused.append((engagement, error.code))
                        break
                    self.attempts_failed += 1
                except OSError:  # connection refused or reset while a service restarts
                    self.attempts_failed += 1
                time.sleep(1)
            time.sleep(pause)


def run_fault_phase(*, host, root, plan, users, locust_command, workdir):
    """Runs the phase; returns the figures (a dict) and the fault timeline."""
    run_dir = root / "var/prod/run"
    failures = workdir / "fault-failures.jsonl"
    seconds = 4 * FAULT_GAP_SECONDS + 60
    load = subprocess.Popen(
        locust_command(users, seconds, workdir / "faults"),
        cwd=root,
        env={
            **os.environ,
            "ASSAY_LOAD_PLAN": json.dumps(plan),
            "ASSAY_LOAD_FAILURES": str(failures),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = Issuer(host, plan, seconds - 20)
    issuer.start()
    prod = [str(root / "scripts/prod.sh")]
    timeline = []

    def fault(name, action, back):
        time.sleep(FAULT_GAP_SECONDS)
        started = time.time()
        action()
        back()
        timeline.append({"fault": name, "started": started, "recovered": time.time()})

    def kill_worker():
        pid = int((run_dir / "worker-pdf.pid").read_text().strip())
        # The whole process group (prod.sh starts each worker with setsid): the main process and
        # its pool's children at once, as when a machine is lost; nothing gets acknowledged.
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _alive(run_dir / "worker-pdf.pid") and time.monotonic() < deadline:
            time.sleep(0.1)

    def worker_back():
        subprocess.run([*prod, "workers"], cwd=root, check=True, stdout=subprocess.DEVNULL)
        _wait_ready(host)

    fault("worker_kill", kill_worker, worker_back)
    fault(
        "redis_restart",
        lambda: subprocess.run([*prod, "restart-redis"], cwd=root, check=True),
        lambda: _wait_ready(host),
    )
    fault(
        "postgres_restart",
        lambda: subprocess.run([*prod, "restart-postgres"], cwd=root, check=True),
        lambda: _wait_ready(host),
    )
    load.wait(timeout=seconds + 120)
    issuer.join(timeout=120)

    records = []
    if failures.exists():
        records = [json.loads(line) for line in failures.read_text().splitlines() if line]
    figures = {}
    for index, event in enumerate(timeline):
        until = timeline[index + 1]["started"] if index + 1 < len(timeline) else float("inf")
        # After: started once the service was back, over before the next fault began (one that
        # straddles the next fault's start is that fault's).
        after = [r for r in records if r["started"] >= event["recovered"] and r["ended"] < until]
        figures[f"fault_{event['fault']}_errors_after_recovery"] = len(after)
        figures[f"fault_{event['fault']}_server_errors_after_recovery"] = sum(
            1 for r in after if r["status"] >= 500
        )
        figures[f"fault_{event['fault']}_recovery_seconds"] = round(
            event["recovered"] - event["started"], 1
        )
        figures[f"fault_{event['fault']}_errors_during"] = sum(  # overlapping the outage
            1
            for r in records
            if r["started"] < event["recovered"] and r["ended"] >= event["started"]
        )
    figures["fault_phase_failures"] = records[-20:]  # for the report on standard error
    figures["issued"] = issuer.issued
    figures["issue_attempts_failed"] = issuer.attempts_failed
    figures["issue_refused"] = issuer.refused
    figures["timeline"] = timeline
    return figures
