"""Backup and restore: the database and the stored files, with a manifest of SHA-256 checksums
(`manage.py backup DEST`, `manage.py restore SRC`, `manage.py check_integrity`).

A backup is a directory:

    manifest.json       format, engine, time, and the SHA-256 and size of every file below
    database.dump       PostgreSQL: `pg_dump --format=custom` (no owner, no grants)
    database.sqlite3    SQLite: a copy made with SQLite's online backup API
    files/<name>        every file of the default storage (evidence, certificates, reports)

Restore checks every checksum before it changes anything, and refuses a database that has
tables, or a storage that already holds one of the files, unless told `--force`. On PostgreSQL
run `manage.py grant_app_role` afterwards (the dump carries no grants).
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connections

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _engine(alias):
    vendor = connections[alias].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def pg_tool(name):
    """pg_dump / pg_restore: on PATH, or the newest server installation's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=_version)
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return str(candidates[-1])


def _version(path):
    try:
        return int(path.parent.parent.name)
    except ValueError:
        return 0


def _pg_env(settings_dict):
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def _pg_args(settings_dict):
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", settings_dict["HOST"]]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", settings_dict["USER"]]
    return [*args, "--dbname", settings_dict["NAME"], "--no-password"]


def _run(command, env):
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _storage_files(storage, directory=""):
    directories, files = storage.listdir(directory)
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for sub in sorted(directories):
        yield from _storage_files(storage, f"{directory}/{sub}" if directory else sub)


def _storage_listable(storage):
    try:
        storage.listdir("")
    except FileNotFoundError:
        return False
    return True


def backup(dest, *, alias="default", write=print):
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    engine = _engine(alias)
    connection = connections[alias]
    if engine == "postgresql":
        database = "database.dump"
        _run(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(dest / database),
                *_pg_args(connection.settings_dict),
            ],
            _pg_env(connection.settings_dict),
        )
    else:
        database = "database.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(dest / database)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    files = {}
    if _storage_listable(default_storage):
        for name in _storage_files(default_storage):
            path = dest / "files" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with default_storage.open(name, "rb") as source, open(path, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            files[name] = {"sha256": _sha256_file(path), "size": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "engine": engine,
        "created": dt.datetime.now(dt.UTC).isoformat(),
        "database": {
            "file": database,
            "sha256": _sha256_file(dest / database),
            "size": (dest / database).stat().st_size,
        },
        "files": files,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    write(f"Backed up the {engine} database and {len(files)} files to {dest}.")
    return manifest


def verify(src):
    """The manifest of the backup in `src`, once every checksum in it matches."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{src / MANIFEST}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: unknown backup format {manifest.get('format')!r}")
    expected = {manifest["database"]["file"]: manifest["database"]["sha256"]}
    expected.update({f"files/{name}": entry["sha256"] for name, entry in manifest["files"].items()})
    for relative, sha256 in expected.items():
        path = src / relative
        if ".." in Path(relative).parts or not path.is_file():
            raise BackupError(f"{relative} is missing from the backup")
        if _sha256_file(path) != sha256:
            raise BackupError(f"{relative} does not match its checksum in the manifest")
    return manifest


def _has_tables(alias):
    with connections[alias].cursor() as cursor:
        return bool(connections[alias].introspection.table_names(cursor))


def restore(src, *, alias="default", force=False, write=print):
    src = Path(src)
    manifest = verify(src)
    engine = _engine(alias)
    if manifest["engine"] != engine:
        raise BackupError(f"the backup is of {manifest['engine']}, the database is {engine}")
    if not force and _has_tables(alias):
        raise BackupError("the database is not empty: restore into an empty one, or --force")
    if not force:
        present = [name for name in manifest["files"] if default_storage.exists(name)]
        if present:
            raise BackupError(f"the storage already holds {present[0]}: use --force")
    connection = connections[alias]
    database = src / manifest["database"]["file"]
    if engine == "postgresql":
        command = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        command += ["--single-transaction"]
        if force:
            command += ["--clean", "--if-exists"]
        connection.close()
        _run(
            [*command, *_pg_args(connection.settings_dict), str(database)],
            _pg_env(connection.settings_dict),
        )
    else:
        connection.close()
        source = sqlite3.connect(database)
        target = sqlite3.connect(connection.settings_dict["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    for name in manifest["files"]:
        if default_storage.exists(name):
            default_storage.delete(name)
        with open(src / "files" / name, "rb") as handle:
            stored = default_storage.save(name, File(handle, name=name))
        if stored != name:
            raise BackupError(f"the storage stored {name} as {stored}")
    write(f"Restored the {engine} database and {len(manifest['files'])} files from {src}.")
    return manifest


def integrity_report(alias="default"):
    """What a restore drill compares: the rows of every table, a digest of the audit trail, and
    every stored file that records its own SHA-256 (a model with a file field and a `sha256`
    field: evidence, certificates, reports) checked against its file."""
    from django.apps import apps
    from django.db.models import FileField
    from django_scopes import scopes_disabled

    connection = connections[alias]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        rows = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (table names)
            rows[table] = cursor.fetchone()[0]
    audit = apps.get_model("portal", "AuditEntry")
    digest = hashlib.sha256()
    with scopes_disabled():
        for row in audit.objects.using(alias).order_by("pk").values_list().iterator():
            digest.update(json.dumps(row, default=str, sort_keys=True).encode())
    files = {"checked": 0, "mismatched": []}
    for model in apps.get_models():
        names = {field.name for field in model._meta.get_fields()}
        file_fields = [f.name for f in model._meta.fields if isinstance(f, FileField)]
        if "sha256" not in names or not file_fields:
            continue
        with scopes_disabled():
            for row in model.objects.using(alias).exclude(sha256="").order_by("pk").iterator():
                field = getattr(row, file_fields[0])
                if not field:
                    continue
                files["checked"] += 1
                try:
                    with field.storage.open(field.name, "rb") as handle:
                        sha256 = hashlib.sha256()
                        for chunk in iter(lambda h=handle: h.read(CHUNK), b""):
                            sha256.update(chunk)
                    ok = sha256.hexdigest() == row.sha256
                except FileNotFoundError:
                    ok = False
                if not ok:
                    files["mismatched"].append(f"{model._meta.label} {row.pk}")
    return {
        "rows": rows,
        "audit": {"entries": rows.get(audit._meta.db_table, 0), "sha256": digest.hexdigest()},
        "files": files,
    }
