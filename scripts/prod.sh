#!/usr/bin/env bash
# `make prod` / `make prod-stop`: the production stack on this one machine, with DEBUG=0, every
# file under var/prod/ (stopping and starting again loses nothing):
#   PostgreSQL   a cluster of its own, run as the postgres user, 127.0.0.1:$PROD_PG_PORT (5434),
#                data var/prod/pg; owner role assay_owner (migrate), application role assay_app
#   Redis        127.0.0.1:$PROD_REDIS_PORT (6391), password, maxmemory-policy noeviction,
#                append-only file under var/prod/redis
#   web          gunicorn, $WEB_CONCURRENCY workers (default 2 x cores + 1, at most 9), static
#                files from collectstatic served by WhiteNoise, http://127.0.0.1:$PROD_PORT (8001)
#   workers      one Celery worker on the `default` queue, one on `pdf` (renders), beat once
#   signing      the demo body signs with a local CA under var/prod/ca, the only trust root
# Usage: scripts/prod.sh start|stop|status (and workers|restart-redis|restart-postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PROD=$ROOT/var/prod
RUN=$PROD/run
LOG=$PROD/log
BIN=$ROOT/.venv/bin
PG_PORT=${PROD_PG_PORT:-5434}
REDIS_PORT=${PROD_REDIS_PORT:-6391}
WEB_PORT=${PROD_PORT:-8001}
CORES=$(nproc)
DEFAULT_WORKERS=$((2 * CORES + 1))
[ "$DEFAULT_WORKERS" -gt 9 ] && DEFAULT_WORKERS=9
WEB_CONCURRENCY=${WEB_CONCURRENCY:-$DEFAULT_WORKERS}
DEFAULT_QUEUE_CONCURRENCY=${DEFAULT_QUEUE_CONCURRENCY:-2}
PDF_QUEUE_CONCURRENCY=${PDF_QUEUE_CONCURRENCY:-1}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
secret() {  # a random secret kept in var/prod/<name> (mode 0600), made once
  if [ ! -s "$PROD/$1" ]; then
    (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$PROD/$1")
  fi
  cat "$PROD/$1"
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }
pg_sql() { as_pg psql -h "$PROD/pg-socket" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }

start_postgres() {
  local pgbin
  pgbin=$(pg_bin)
  mkdir -p "$PROD/pg" "$PROD/pg-socket"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PROD/pg" "$PROD/pg-socket"; fi
  chmod 700 "$PROD/pg" "$PROD/pg-socket"
  if [ ! -s "$PROD/pg/PG_VERSION" ]; then
    as_pg "$pgbin/initdb" -D "$PROD/pg" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$PROD/pg" status >/dev/null 2>&1; then
    as_pg "$pgbin/pg_ctl" -D "$PROD/pg" -l "$PROD/pg/server.log" -w \
      -o "-p $PG_PORT -k $PROD/pg-socket -c listen_addresses=127.0.0.1 -c max_connections=100" \
      start >/dev/null
  fi
  local owner_pass app_pass
  owner_pass=$(secret db-owner.pass)
  app_pass=$(secret db-app.pass)
  for role in assay_owner assay_app; do
    [ "$(pg_sql "SELECT 1 FROM pg_roles WHERE rolname='$role'")" = 1 ] \
      || pg_sql "CREATE ROLE $role LOGIN"
  done
  pg_sql "ALTER ROLE assay_owner PASSWORD '$owner_pass'"
  pg_sql "ALTER ROLE assay_app PASSWORD '$app_pass'"
  [ "$(pg_sql "SELECT 1 FROM pg_database WHERE datname='assay'")" = 1 ] \
    || pg_sql "CREATE DATABASE assay OWNER assay_owner"
}

start_redis() {
  mkdir -p "$PROD/redis"
  alive "$RUN/redis.pid" && return
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PROD/redis" \
    --requirepass "$(secret redis.pass)" --maxmemory-policy noeviction \
    --appendonly yes --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$LOG/redis.log"
  for _ in $(seq 50); do alive "$RUN/redis.pid" && return; sleep 0.1; done
  echo "Redis did not start: see $LOG/redis.log" >&2
  exit 1
}

write_env() {  # the production settings every process below reads (portal/settings.py)
  (umask 077 && cat >"$PROD/env" <<EOF
export DEBUG=0
export ASSAY_VAR_DIR='$PROD'
export SECRET_KEY='$(secret secret)'
export ALLOWED_HOSTS=127.0.0.1,localhost
export SITE_URL=http://127.0.0.1:$WEB_PORT
export SECURE_SSL_REDIRECT=0
export SECURE_COOKIES=0
export TRUSTED_PROXY_COUNT=${TRUSTED_PROXY_COUNT:-0}
export DATABASE_URL='postgres://assay_app:$(secret db-app.pass)@127.0.0.1:$PG_PORT/assay'
export OWNER_DATABASE_URL='postgres://assay_owner:$(secret db-owner.pass)@127.0.0.1:$PG_PORT/assay'
export REDIS_URL='redis://:$(secret redis.pass)@127.0.0.1:$REDIS_PORT/0'
export STATIC_ROOT='$PROD/static'
export MEDIA_ROOT='$PROD/media'
export CERTIFICATE_TRUST_ROOTS='$PROD/ca/local-ca.pem'
export LOG_FORMAT=json
export PROMETHEUS_MULTIPROC_DIR='$RUN/prometheus'
export PDF_SWEEP_AFTER_SECONDS=${PDF_SWEEP_AFTER_SECONDS:-120}
EOF
  )
}

start() {
  mkdir -p "$PROD" "$RUN" "$LOG" "$PROD/media" "$PROD/static" "$RUN/prometheus"
  chmod 711 "$PROD"  # the postgres user reaches var/prod/pg; files here are 0600
  if ! command -v redis-server >/dev/null || ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    echo "make prod needs postgresql and redis-server (scripts/system-deps.sh installs them as root)" >&2
    exit 1
  fi
  start_postgres
  start_redis
  write_env
  # shellcheck disable=SC1091
  source "$PROD/env"
  # One-off steps, as the owner of the tables (README: With PostgreSQL and Redis).
  DATABASE_URL=$OWNER_DATABASE_URL "$BIN/python" manage.py migrate --noinput -v0
  DATABASE_URL=$OWNER_DATABASE_URL "$BIN/python" manage.py grant_app_role --role assay_app
  # collectstatic compresses every file (minutes on a busy machine): only when they changed.
  local stamp
  stamp=$(cat requirements.lock <(find static -type f -print0 | sort -z | xargs -0 sha1sum) | sha1sum)
  if [ "$(cat "$PROD/static/.stamp" 2>/dev/null)" != "$stamp" ]; then
    "$BIN/python" manage.py collectstatic --noinput -v0
    echo "$stamp" >"$PROD/static/.stamp"
  fi
  "$BIN/python" manage.py build_pdf_fonts
  "$BIN/python" manage.py load_demo --signing-dir "$PROD/ca"
  "$BIN/python" manage.py check --deploy --fail-level ERROR >/dev/null

  rm -rf "$RUN/prometheus" && mkdir -p "$RUN/prometheus"  # per-run metric files of every process
  if ! alive "$RUN/gunicorn.pid"; then
    "$BIN/gunicorn" portal.wsgi --workers "$WEB_CONCURRENCY" --bind "127.0.0.1:$WEB_PORT" \
      --daemon --pid "$RUN/gunicorn.pid" --timeout 60 --graceful-timeout 20 \
      --error-logfile "$LOG/gunicorn.log" --capture-output
  fi
  start_workers

  for _ in $(seq 120); do
    if "$BIN/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$WEB_PORT/readyz', timeout=2)" 2>/dev/null; then
      echo "Assay (DEBUG=0): http://127.0.0.1:$WEB_PORT  (logins: var/prod/demo-logins.txt, logs: var/prod/log/)"
      echo "web: gunicorn x $WEB_CONCURRENCY; workers: default x $DEFAULT_QUEUE_CONCURRENCY, pdf x $PDF_QUEUE_CONCURRENCY; beat x 1"
      echo "Stop with: make prod-stop"
      return
    fi
    sleep 0.5
  done
  echo "The portal did not become ready: see $LOG/gunicorn.log" >&2
  exit 1
}

start_workers() {  # the Celery workers and beat that are not running (after a crash too)
  # Celery logs through Django's LOGGING (JSON lines, portal/celery.py) to its standard error,
  # so it runs in the background here rather than with --detach (which closes it).
  # shellcheck disable=SC1091
  source "$PROD/env"
  for queue in default pdf; do
    local concurrency=$DEFAULT_QUEUE_CONCURRENCY
    [ $queue = pdf ] && concurrency=$PDF_QUEUE_CONCURRENCY
    alive "$RUN/worker-$queue.pid" && continue
    rm -f "$RUN/worker-$queue.pid"
    setsid nohup "$BIN/celery" -A portal worker -Q "$queue" -n "$queue@%h" \
      --concurrency "$concurrency" --loglevel INFO --pidfile "$RUN/worker-$queue.pid" \
      >>"$LOG/worker-$queue.log" 2>&1 </dev/null &
  done
  # Beat exactly once: one process, its pid file refuses a second, its schedule under var/prod.
  if ! alive "$RUN/beat.pid"; then
    rm -f "$RUN/beat.pid"
    setsid nohup "$BIN/celery" -A portal beat --loglevel INFO --pidfile "$RUN/beat.pid" \
      --schedule "$PROD/celerybeat-schedule" >>"$LOG/beat.log" 2>&1 </dev/null &
  fi
}

restart_redis() {  # TERM (the append-only file is flushed), then start again
  stop_pid "$RUN/redis.pid"
  start_redis
}

restart_postgres() {  # a fast restart: open connections are cut, as in a failover
  as_pg "$(pg_bin)/pg_ctl" -D "$PROD/pg" -m fast -w restart >/dev/null
}

stop_pid() {  # stop_pid FILE: TERM, wait up to 30 s, then KILL
  local file=$1 pid
  alive "$file" || { rm -f "$file"; return 0; }
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

stop() {
  stop_pid "$RUN/gunicorn.pid"
  stop_pid "$RUN/beat.pid"
  stop_pid "$RUN/worker-default.pid"
  stop_pid "$RUN/worker-pdf.pid"
  stop_pid "$RUN/redis.pid"  # a TERM makes Redis flush its append-only file before it exits
  if [ -s "$PROD/pg/PG_VERSION" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$PROD/pg" -m fast stop >/dev/null 2>&1 || true
  fi
  echo "Assay production stack stopped (data kept under var/prod)."
}

status() {
  for name in gunicorn worker-default worker-pdf beat redis; do
    if alive "$RUN/$name.pid"; then echo "$name: running"; else echo "$name: stopped"; fi
  done
  if as_pg "$(pg_bin)/pg_ctl" -D "$PROD/pg" status >/dev/null 2>&1; then
    echo "postgresql: running"
  else
    echo "postgresql: stopped"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  # Used by make bench-load's fault phase (benchmarks/load/faults.py):
  workers) start_workers ;;
  restart-redis) restart_redis ;;
  restart-postgres) restart_postgres ;;
  *) echo "usage: $0 start|stop|status|workers|restart-redis|restart-postgres" >&2; exit 2 ;;
esac
