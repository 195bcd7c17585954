"""`make prod` as an operator runs it: the production stack (DEBUG=0, PostgreSQL, Redis,
gunicorn, Celery workers on `default` and `pdf`, beat) serves every main page to a signed-in
demo user, and a stop and a start lose nothing.

It installs packages, starts servers and collects static files (minutes), so it runs only with
ASSAY_TEST_MAKE_PROD=1: `.ci/run` runs it once, after the suite.
"""

import os
import re
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8001"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("ASSAY_TEST_MAKE_PROD") != "1",
        reason="starts the production stack: set ASSAY_TEST_MAKE_PROD=1 (.ci/run does)",
    ),
]

# Followed links that are not pages to show: they sign out, download or change something.
SKIPPED = re.compile(r"logout|/i18n/|/download|/export|\.pdf$|/delete|/static/|/media/")


def _make(target):
    result = subprocess.run(
        ["make", target], cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def _wait_ready():
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{BASE}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise AssertionError("/readyz never answered 200")


def _password(email):
    for line in (ROOT / "var/prod/demo-logins.txt").read_text().splitlines():
        fields = line.split()
        if email in fields:
            return fields[-1]
    raise AssertionError(f"{email} not in var/prod/demo-logins.txt")


def _login(email):
    session = requests.Session()
    page = session.get(f"{BASE}/accounts/login/", timeout=30)
    assert page.status_code == 200
    response = session.post(
        f"{BASE}/accounts/login/",
        data={
            "username": email,
            "password": _password(email),
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{BASE}/accounts/login/"},
        timeout=30,
    )
    assert response.status_code == 200 and "/accounts/login/" not in response.url, email
    return session


def _links(html):
    for href in re.findall(r'href="([^"#?]+)', html):
        if href.startswith("/") and not SKIPPED.search(href):
            yield urllib.parse.unquote(href)


def _crawl(session, start, limit=80):
    """Every page linked from `start` and the pages it links to (GET only), with answers."""
    seen, queue, answers = set(), list(start), {}
    while queue and len(answers) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = session.get(BASE + path, timeout=60)
        answers[path] = response.status_code
        if response.status_code == 200 and "text/html" in response.headers["Content-Type"]:
            queue.extend(link for link in _links(response.text) if link not in seen)
    return answers


@pytest.fixture(scope="module")
def production_stack():
    _make("prod")
    try:
        _wait_ready()
        yield
    finally:
        _make("prod-stop")


MAIN_PAGES = [
    "/",
    "/account/",
    "/t/demo/",
    "/t/demo/organizations/",
    "/t/demo/people/",
    "/t/demo/engagements/",
    "/t/demo/models/",
    "/t/demo/certificates/",
    "/verify/",
]


def test_every_main_page_answers_200_with_debug_off(production_stack):
    assert requests.get(f"{BASE}/healthz", timeout=10).json() == {"status": "ok"}
    for email in ("tenant-admin@demo.test", "lead-assessor@demo.test", "client-admin@demo.test"):
        answers = _crawl(_login(email), MAIN_PAGES)
        failed = {path: status for path, status in answers.items() if status != 200}
        # A client is refused the body's staff pages (403/404): every other page is a 200.
        if email.startswith("client"):
            failed = {p: s for p, s in failed.items() if s not in (403, 404)}
        assert failed == {}, (email, failed)
        assert any(path.startswith("/t/demo/engagements/") for path in answers), answers


def test_static_files_are_served_with_debug_off(production_stack):
    page = requests.get(f"{BASE}/accounts/login/", timeout=30).text
    stylesheet = re.search(r'href="(/static/portal/assay\.[0-9a-f]+\.css)"', page).group(1)
    response = requests.get(BASE + stylesheet, timeout=30)
    assert response.status_code == 200 and "text/css" in response.headers["Content-Type"]


def test_a_stop_and_a_start_lose_nothing(production_stack):
    session = _login("tenant-admin@demo.test")
    before = session.get(f"{BASE}/t/demo/certificates/", timeout=30).text
    number = re.search(r"DAB-\d{4}-\d{5}", before).group(0)
    _make("prod-stop")
    _make("prod")
    _wait_ready()
    session = _login("tenant-admin@demo.test")  # the same password: the same database
    assert number in session.get(f"{BASE}/t/demo/certificates/", timeout=30).text
    verified = requests.get(f"{BASE}/verify/{number}/", timeout=30)
    assert verified.status_code == 200 and number in verified.text
