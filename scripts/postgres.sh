#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1:5433 for tests, under var/ and owned by the
# postgres user (PostgreSQL refuses to run as root). Usage: scripts/postgres.sh start|stop
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
DATA=/tmp/assay-pg-$(id -u)
PORT=5433
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
  start)
    if [ ! -s "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
      as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    fi
    as_pg psql -h 127.0.0.1 -p $PORT -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='assay'" | grep -q 1 \
      || as_pg psql -h 127.0.0.1 -p $PORT -U postgres -qc "CREATE ROLE assay LOGIN CREATEDB PASSWORD 'assay'"
    # The application role the web and worker would connect as in production: it owns nothing
    # and gets only the grants of `manage.py grant_app_role` (tests/test_audit_grants.py).
    as_pg psql -h 127.0.0.1 -p $PORT -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='assay_app'" | grep -q 1 \
      || as_pg psql -h 127.0.0.1 -p $PORT -U postgres -qc "CREATE ROLE assay_app LOGIN PASSWORD 'assay_app'"
    as_pg psql -h 127.0.0.1 -p $PORT -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='assay'" | grep -q 1 \
      || as_pg psql -h 127.0.0.1 -p $PORT -U postgres -qc "CREATE DATABASE assay OWNER assay"
    echo "PostgreSQL on 127.0.0.1:$PORT (DATABASE_URL=postgres://assay:assay@127.0.0.1:$PORT/assay)"
    ;;
  stop)
    as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null || true
    ;;
esac
