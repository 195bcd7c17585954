"""`make bench-load`: a bounded locust run against the `make prod` stack on loopback.

Restarts the stack as behind one load balancer (TRUSTED_PROXY_COUNT=1: each simulated person
sends an address of its own), prepares the data (benchmarks/load/plan.py), then runs the mix of
benchmarks/load/locustfile.py at rising numbers of concurrent users (LOAD_LEVELS, default
25,50,100,150,200; LOAD_SECONDS each, default 40) and prints:

    load_users_p95_under_300ms: N users   the most users whose p95 stayed under 300 ms, no errors
    load_rps_at_p95_300ms: X rps          requests per second at that level
    load_errors: N count                  failed requests at that level

It stops at the first level over 300 ms, and before the whole run passes LOAD_BUDGET_SECONDS
(default 480), then stops the stack. Every address is on loopback.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "http://127.0.0.1:8001"
P95_LIMIT_MS = 300


def _prod(action, env=None):
    subprocess.run(
        [str(ROOT / "scripts" / "prod.sh"), action],
        cwd=ROOT,
        env=env or os.environ,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _production_env():
    env = dict(os.environ)
    for line in (ROOT / "var/prod/env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'")
    return env


def _plan():
    env = _production_env()
    env["DATABASE_URL"] = env["OWNER_DATABASE_URL"]
    result = subprocess.run(
        [str(BIN / "python"), "-m", "benchmarks.load.plan"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def _level(users, seconds, plan, workdir):
    prefix = workdir / f"users{users}"
    subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "benchmarks/load/locustfile.py"),
            "--headless",
            "--host",
            HOST,
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "ASSAY_LOAD_PLAN": plan},
        check=False,  # locust exits 1 when any request failed: the figures say so
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=seconds + 60,
    )
    with open(f"{prefix}_stats.csv") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    return {
        "users": users,
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "p95_ms": float(total["95%"]),
        "rps": float(total["Requests/s"]),
        "by_name": {name: float(row["95%"]) for name, row in rows.items() if name != "Aggregated"},
    }


def main():
    started = time.monotonic()
    levels = [int(n) for n in os.environ.get("LOAD_LEVELS", "25,50,100,150,200").split(",")]
    seconds = int(os.environ.get("LOAD_SECONDS", "40"))
    budget = int(os.environ.get("LOAD_BUDGET_SECONDS", "480"))
    _prod("stop")
    _prod("start", {**os.environ, "TRUSTED_PROXY_COUNT": "1"})
    try:
        plan = _plan()
        best = None
        with tempfile.TemporaryDirectory(prefix="assay-load-") as directory:
            for users in levels:
                if time.monotonic() - started + seconds + 30 > budget:
                    break
                result = _level(users, seconds, plan, Path(directory))
                print(json.dumps(result), file=sys.stderr)
                if result["p95_ms"] >= P95_LIMIT_MS or result["errors"]:
                    if best is None:
                        best = {**result, "users": 0}
                    break
                best = result
    finally:
        _prod("stop")
    print(f"load_users_p95_under_300ms: {best['users']} users")
    print(f"load_rps_at_p95_300ms: {best['rps']:.1f} rps")
    print(f"load_errors: {best['errors']} count")


if __name__ == "__main__":
    main()
