"""A real Redis server and real Celery worker processes, for the tests of the whole PDF path.

The worker processes share the test database (a file on SQLite, the test database on
PostgreSQL), so tests that use them commit their data: they use `transactional_db`.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from kombu import pools

from portal.celery import app

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout, what, interval=0.1):
    """Poll ``predicate`` every ``interval`` seconds until it holds (a timed wait: finer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"waited {timeout} s for {what}")


@contextmanager
def redis_server(directory):
    """A throw-away redis-server on a free loopback port; yields its URL."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed: scripts/system-deps.sh installs it"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def accepting():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    try:
        wait_for(accepting, timeout=10, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def sending_to(broker_url):
    """This process's Celery app sends real messages to `broker_url` (not eager) meanwhile."""
    saved = {
        "broker_url": app.conf.broker_url,
        "task_always_eager": app.conf.task_always_eager,
        "broker_transport_options": app.conf.broker_transport_options,
    }
    app.conf.update(broker_url=broker_url, task_always_eager=False, broker_transport_options={})
    _reset_producers()
    app.control.purge()
    try:
        yield
    finally:
        app.conf.update(**saved)
        _reset_producers()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Workers:
    """Starts `celery -A portal worker` processes against the test database and broker."""

    def __init__(self, env, log_dir):
        self.env = env
        self.log_dir = log_dir
        self.processes = []

    def start(self, *, concurrency=1, include=(), env=None, queues=()):
        name = f"test-{uuid.uuid4().hex[:8]}"
        log = self.log_dir / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker"]
        command += ["--pool=prefork", f"--concurrency={concurrency}", "-n", f"{name}@%h"]
        command += ["-Q", "default,pdf"]  # PDF renders are routed to their own queue
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        if include:
            command += ["--include", ",".join(include)]
        if queues:
            command += ["-Q", ",".join(queues)]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        wait_for(lambda: b" ready." in log.read_bytes(), timeout=60, what=f"worker {name}")
        process.log = log
        return process

    def stop(self):
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self):
        return "\n".join(p.log.read_text(errors="replace")[-4000:] for p in self.processes)


@pytest.fixture
def celery_workers(redis_url, pdf_settings, transactional_db, tmp_path):
    """Send tasks to a real Redis and start workers with `celery_workers.start()`."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ZEAL_ENABLED": "0",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PDF_FONT_DIR": str(settings.PDF_FONT_DIR),
        "DEV_CA_DIR": str(settings.DEV_CA_DIR),
        "CERTIFICATE_TRUST_ROOTS": ",".join(settings.CERTIFICATE_TRUST_ROOTS),
        "TSA_URL": settings.TSA_URL,
        "SIGNING_CRL_FILES": ",".join(settings.SIGNING_CRL_FILES),
        "PYTHONPATH": str(ROOT),
    }
    workers = Workers(env, tmp_path)
    with sending_to(redis_url):
        yield workers
        workers.stop()


def _reset_producers():
    """Drop connections made for the previous broker so the next send uses the current one."""
    pools.reset()  # kombu's registry of connection and producer pools
    app._pool = None
    app.amqp._producer_pool = None
