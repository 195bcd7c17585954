"""Settings: production values pass `check --deploy`; development needs none; a production
start without what it needs is refused, each problem named."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ONLY = ("SITE_URL", "CERTIFICATE_TRUST_ROOTS", "REDIS_URL", "SECRET_KEY")


def _production_env(tmp_path, **changes):
    trust_root = tmp_path / "body-ca.pem"
    trust_root.write_text("-----BEGIN CERTIFICATE-----\n")
    static_root = tmp_path / "static"  # what collectstatic leaves (its manifest)
    static_root.mkdir(exist_ok=True)
    (static_root / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ONLY}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-1234567890",
            "ALLOWED_HOSTS": "assay.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SITE_URL": "https://assay.example.org",
            "CERTIFICATE_TRUST_ROOTS": str(trust_root),
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "STATIC_ROOT": str(static_root),
            "TSA_URL": "https://tsa.example.org/",
        }
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(env, *args):
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_deploy(env):
    return _run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = _check_deploy(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("changes", "check_id", "named"),
    [
        ({"SITE_URL": None}, "assay.E001", "SITE_URL"),
        ({"CERTIFICATE_TRUST_ROOTS": None}, "assay.E002", "CERTIFICATE_TRUST_ROOTS"),
        (
            {"CERTIFICATE_TRUST_ROOTS": "var/dev-ca/dev-ca.pem"},
            "assay.E002",
            "CERTIFICATE_TRUST_ROOTS",
        ),
        ({"CERTIFICATE_TRUST_ROOTS": "/nonexistent/ca.pem"}, "assay.E003", "/nonexistent/ca.pem"),
        ({"REDIS_URL": None}, "assay.E004", "REDIS_URL"),
        ({"SECRET_KEY": "changeme"}, "assay.E005", "SECRET_KEY"),
        ({"SECRET_KEY": "ab" * 40}, "assay.E005", "SECRET_KEY"),
        ({"STATIC_ROOT": "/nonexistent/static"}, "assay.E006", "collectstatic"),
        ({"TSA_URL": None}, "assay.E007", "TSA_URL"),
        ({"TSA_URL": ""}, "assay.E007", "PAdES B-B"),
    ],
    ids=[
        "no-site-url",
        "no-trust-roots",
        "dev-ca",
        "missing-root",
        "no-redis",
        "short",
        "repeats",
        "no-collectstatic",
        "no-tsa",
        "empty-tsa",
    ],
)
def test_check_deploy_reports_what_production_lacks(tmp_path, changes, check_id, named):
    result = _check_deploy(_production_env(tmp_path, **changes))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert check_id in output and named in output


def test_check_deploy_reports_every_problem_at_once(tmp_path):
    env = _production_env(tmp_path, SITE_URL=None, REDIS_URL=None, CERTIFICATE_TRUST_ROOTS=None)
    output = _check_deploy(env).stderr
    assert "assay.E001" in output and "assay.E002" in output and "assay.E004" in output


START_WEB = "import portal.wsgi"
# What `celery worker` does before it consumes anything.
START_WORKER = "from portal.celery import app; from celery.signals import worker_init; " + (
    "worker_init.send(sender=None)"
)


@pytest.mark.parametrize("start", [START_WEB, START_WORKER], ids=["web", "worker"])
def test_a_production_process_refuses_to_start_without_what_it_needs(tmp_path, start):
    result = _run(_production_env(tmp_path, REDIS_URL=None), "-c", start)
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr and "assay.E004" in result.stderr


def test_the_web_process_refuses_to_start_without_collectstatic_output(tmp_path):
    result = _run(_production_env(tmp_path, STATIC_ROOT=str(tmp_path / "empty")), "-c", START_WEB)
    assert result.returncode != 0
    assert "assay.E006" in result.stderr


@pytest.mark.parametrize("start", [START_WEB, START_WORKER], ids=["web", "worker"])
def test_a_production_process_starts_with_what_it_needs(tmp_path, start):
    result = _run(_production_env(tmp_path), "-c", start)
    assert result.returncode == 0, result.stderr


def test_a_worker_loads_the_views_and_freezes_them_before_forking_its_pool(tmp_path):
    """The first task after a start pays no imports, and collections skip what every process
    of the pool shares (portal/celery.py, load_before_forking)."""
    probe = "; import gc, sys; print(gc.get_freeze_count(), 'certificates.views' in sys.modules)"
    before = _run(_production_env(tmp_path), "-c", START_WORKER.split("; worker_init")[0] + probe)
    after = _run(_production_env(tmp_path), "-c", START_WORKER + probe)

    assert before.stdout.split() == ["0", "False"], before.stderr
    frozen, loaded = after.stdout.split()
    assert int(frozen) > 100_000 and loaded == "True", after.stderr


def test_api_docs_are_public_by_default(client, db):
    assert django_settings.API_DOCS_PUBLIC is True
    assert client.get("/api/v1/schema/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_private_api_docs_refuse_anonymous_callers(client, db, settings, path):
    settings.API_DOCS_PUBLIC = False
    assert client.get(path).status_code in (401, 403)


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_private_api_docs_refuse_people_who_are_not_staff(
    client_for, admin_membership, settings, path
):
    settings.API_DOCS_PUBLIC = False
    assert client_for(admin_membership).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/"])
def test_private_api_docs_are_served_to_staff(client_for, db, settings, path):
    settings.API_DOCS_PUBLIC = False
    staff = UserFactory(email="staff@example.org", is_staff=True)
    assert client_for(staff).get(path).status_code == 200


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "0", "ALLOWED_HOSTS": "x.org"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_no_model_change_lacks_a_migration():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_broker_keeps_every_folder_under_var(tmp_path):
    """Without Redis, kombu's filesystem transport holds messages and its exchange table in
    the var folder, not in whatever folder the process was started from."""
    started_in = tmp_path / "elsewhere"
    started_in.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        ASSAY_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    publish = (
        "import django; django.setup(); from portal.celery import app; "
        "app.send_task('certificates.tasks.sweep_pending', queue='pdf')"
    )
    result = subprocess.run(
        [sys.executable, "-c", publish],
        cwd=started_in,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert list(started_in.iterdir()) == []
    assert list((tmp_path / "var" / "celery-broker").glob("**/pdf.exchange"))
