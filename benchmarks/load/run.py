"""`make bench-load`: a bounded locust run against the `make prod` stack on loopback.

Restarts the stack as behind one load balancer (TRUSTED_PROXY_COUNT=1: each simulated person
sends an address of its own), prepares the data (benchmarks/load/plan.py), then runs the mix of
benchmarks/load/locustfile.py at rising numbers of concurrent users (LOAD_LEVELS, default
25,50,100,150; LOAD_SECONDS each, default 40) and prints:

    load_users_p95_under_300ms: N users   the most users whose p95 stayed under 300 ms, no errors
    load_rps_at_p95_300ms: X rps          requests per second at that level
    load_average_at_that_level: X load    the machine's 1-minute load average then
    load_errors: N count                  failed requests at that level

It stops at the first level over 300 ms. Then the fault phase (benchmarks/load/faults.py: a
worker killed, Redis and PostgreSQL restarted under load) and its checks (benchmarks/load/
check.py). The whole run stays within LOAD_BUDGET_SECONDS (default 520), then stops the stack.
Every address is on loopback.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.load.faults import FAULT_GAP_SECONDS, run_fault_phase

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "http://127.0.0.1:8001"
P95_LIMIT_MS = 300
RESERVED_S = 4 * FAULT_GAP_SECONDS + 60 + 90  # the fault phase, then up to 90 s for renders


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


def _locust_command(users, seconds, prefix):
    return [
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
    ]


def _level(users, seconds, plan, workdir):
    prefix = workdir / f"users{users}"
    subprocess.run(
        _locust_command(users, seconds, prefix),
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


def _check(plan, issued):
    env = _production_env()
    env["DATABASE_URL"] = env["OWNER_DATABASE_URL"]
    result = subprocess.run(
        [str(BIN / "python"), "-m", "benchmarks.load.check"],
        cwd=ROOT,
        env=env,
        input=json.dumps({"issued": issued, "upload_engagement": plan["upload_engagement"]}),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _load_average():
    return os.getloadavg()[0]


def main():
    started = time.monotonic()
    levels = [int(n) for n in os.environ.get("LOAD_LEVELS", "25,50,100,150").split(",")]
    seconds = int(os.environ.get("LOAD_SECONDS", "40"))
    # The whole run stays within this: the levels take what the stack's start, the plan, the
    # fault phase and the renders' wait (RESERVED_S) leave; at least one level always runs.
    budget = int(os.environ.get("LOAD_BUDGET_SECONDS", "520"))
    _prod("stop")
    # As behind one load balancer; a render still pending 30 s after a fault is sent again.
    _prod("start", {**os.environ, "TRUSTED_PROXY_COUNT": "1", "PDF_SWEEP_AFTER_SECONDS": "30"})
    try:
        plan_text = _plan()
        plan = json.loads(plan_text)
        best = None
        with tempfile.TemporaryDirectory(prefix="assay-load-") as directory:
            for users in levels:
                if best is not None and time.monotonic() - started + seconds + RESERVED_S > budget:
                    break
                result = _level(users, seconds, plan_text, Path(directory))
                result["load_average"] = _load_average()
                print(json.dumps(result), file=sys.stderr)
                if result["p95_ms"] >= P95_LIMIT_MS or result["errors"]:
                    if best is None:
                        best = {**result, "users": 0}
                    break
                best = result
            fault_users = max(25, best["users"]) if best else 25
            load_before = _load_average()
            faults = run_fault_phase(
                host=HOST,
                root=ROOT,
                plan=plan,
                users=fault_users,
                locust_command=_locust_command,
                workdir=Path(directory),
            )
            faults["load_average"] = max(load_before, _load_average())
            # Renders interrupted by the faults: the sweeper sends them again; wait for them.
            deadline = time.monotonic() + max(30, budget - (time.monotonic() - started) - 20)
            while True:
                outcome = _check(plan, faults["issued"])
                if not outcome["certificates_lost"] or time.monotonic() > deadline:
                    break
                time.sleep(5)
            print(json.dumps({**faults, **outcome}, default=str), file=sys.stderr)
    finally:
        _prod("stop")
    print(f"load_users_p95_under_300ms: {best['users']} users")
    print(f"load_rps_at_p95_300ms: {best['rps']:.1f} rps")
    print(f"load_average_at_that_level: {best['load_average']:.1f} load")
    print(f"load_errors: {best['errors']} count")
    print(f"fault_phase_users: {fault_users} users")
    print(f"fault_phase_load_average: {faults['load_average']:.1f} load")
    for name in ("worker_kill", "redis_restart", "postgres_restart"):
        for figure, unit in (
            ("errors_after_recovery", "count"),
            ("server_errors_after_recovery", "count"),
            ("errors_during", "count"),
            ("recovery_seconds", "s"),
        ):
            key = f"fault_{name}_{figure}"
            print(f"{key}: {faults[key]} {unit}")
    print(f"certificates_issued_during_faults: {len(faults['issued'])} count")
    print(f"certificates_issue_refused: {len(faults['issue_refused'])} count")
    for key in ("certificates_lost", "certificate_numbers_duplicated", "uploads_half_stored"):
        print(f"{key}: {outcome[key]} count")
    print(f"upload_files_without_row: {outcome['upload_files_without_row']} count")
    print(f"bench_load_seconds: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
