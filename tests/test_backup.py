"""Backup and restore, and the restore drill: a backup restored into a fresh database and an
empty storage has the same rows, the same audit trail, and files that match their SHA-256.

The commands run as an operator runs them, in their own processes, against the test database
(its data committed: `transactional_db`) and then against a fresh one: on PostgreSQL a new
database (skipped without pg_dump), on SQLite a new file.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from portal.backup import BackupError, pg_tool
from tests.workers import database_url

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _manage(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _env(url, media):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "DATABASE_URL": url, "MEDIA_ROOT": str(media), "ZEAL_ENABLED": "0"}


@pytest.fixture
def fresh_database(transactional_db, tmp_path):
    """The URL of an empty database of the test's engine."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    try:
        pg_tool("pg_dump")
    except BackupError as error:
        pytest.skip(str(error))
    name = f"assay_restore_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    settings_dict = connection.settings_dict
    yield (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
        f"{settings_dict['HOST']}:{settings_dict['PORT']}/{name}"
    )
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def certified_world(transactional_db, issued_certificate, granted):
    """Committed rows of every kind: a closed engagement with evidence, findings, decision,
    audit entries, and a signed certificate PDF."""
    return granted


def test_a_backup_restored_into_a_fresh_database_passes_the_integrity_checks(
    certified_world, fresh_database, pdf_settings, tmp_path
):
    source = _env(database_url(), pdf_settings.MEDIA_ROOT)
    before = json.loads(_manage(source, "check_integrity").stdout)
    assert before["files"]["checked"] >= 2  # evidence and the certificate's PDF at least
    assert before["audit"]["entries"] > 0

    _manage(source, "backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["files"] and manifest["database"]["sha256"]

    restored = _env(fresh_database, tmp_path / "restored-media")
    _manage(restored, "restore", str(tmp_path / "backup"))
    after = json.loads(_manage(restored, "check_integrity").stdout)
    assert after["rows"] == before["rows"]
    assert after["audit"] == before["audit"]
    assert after["files"] == before["files"] and after["files"]["mismatched"] == []


def test_restore_refuses_a_database_that_is_not_empty(certified_world, pdf_settings, tmp_path):
    source = _env(database_url(), pdf_settings.MEDIA_ROOT)
    _manage(source, "backup", str(tmp_path / "backup"))
    before = json.loads(_manage(source, "check_integrity").stdout)
    result = _manage(source, "restore", str(tmp_path / "backup"), check=False)
    assert result.returncode != 0
    assert "not empty" in result.stderr
    assert json.loads(_manage(source, "check_integrity").stdout) == before


def test_restore_refuses_a_backup_whose_file_was_altered(
    certified_world, fresh_database, pdf_settings, tmp_path
):
    source = _env(database_url(), pdf_settings.MEDIA_ROOT)
    _manage(source, "backup", str(tmp_path / "backup"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    altered = tmp_path / "backup" / "files" / next(iter(manifest["files"]))
    altered.write_bytes(altered.read_bytes() + b"x")
    restored = _env(fresh_database, tmp_path / "restored-media")
    result = _manage(restored, "restore", str(tmp_path / "backup"), check=False)
    assert result.returncode != 0 and "checksum" in result.stderr
    assert not (tmp_path / "restored-media").exists()  # nothing was written


def test_check_integrity_names_a_stored_file_changed_after_it_was_recorded(
    certified_world, pdf_settings
):
    pdf = next(Path(pdf_settings.MEDIA_ROOT).rglob("*.pdf"))
    pdf.write_bytes(pdf.read_bytes() + b"%tampered")
    result = _manage(_env(database_url(), pdf_settings.MEDIA_ROOT), "check_integrity", check=False)
    assert result.returncode != 0
    assert json.loads(result.stdout)["files"]["mismatched"]
