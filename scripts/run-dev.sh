#!/usr/bin/env bash
# `make run`: the portal on http://127.0.0.1:8000 with a Celery worker beside it, and the
# development CA's timestamp authority and CRL on http://127.0.0.1:8079 (TSA_URL), started
# before the demo data, whose certificate is signed (and timestamped) while loading.
# Redis is the broker when REDIS_URL is set, or when redis-server is installed (started here on
# 127.0.0.1:6390 with its data under var/); otherwise the worker uses the embedded filesystem
# broker under var/celery-broker.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p var
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ -z "${REDIS_URL:-}" ] && command -v redis-server >/dev/null; then
  redis-server --port 6390 --bind 127.0.0.1 --dir "$PWD/var" --maxmemory-policy noeviction \
    --save "" --appendonly yes --daemonize no >var/redis.log 2>&1 &
  pids+=($!)
  export REDIS_URL=redis://127.0.0.1:6390/0
  echo "Broker: Redis at $REDIS_URL (log var/redis.log)"
elif [ -n "${REDIS_URL:-}" ]; then
  echo "Broker: Redis at $REDIS_URL"
else
  echo "Broker: embedded filesystem broker under var/celery-broker (no redis-server found)"
fi

$BIN/python manage.py run_dev_tsa --port 8079 >var/tsa.log 2>&1 &
pids+=($!)
for _ in $(seq 50); do  # until it answers: the demo certificate is timestamped right below
  curl -sf -o /dev/null http://127.0.0.1:8079/dev-ca.crl && break
  sleep 0.1
done
echo "TSA: development timestamp authority http://127.0.0.1:8079/ (log var/tsa.log)"
$BIN/python manage.py load_demo

# PDFs render in the worker processes themselves, under the tasks' Celery time limits
# (PDF_TASK_SOFT_TIME_LIMIT_S, PDF_TASK_TIME_LIMIT_S); a process grown past
# PDF_WORKER_MAX_MEMORY_MB is replaced after its task (docs/architecture.md).
$BIN/celery -A portal worker --beat --loglevel=INFO --concurrency=2 -Q default,pdf \
  --max-memory-per-child=$((${PDF_WORKER_MAX_MEMORY_MB:-1536} * 1024)) \
  --schedule=var/celerybeat-schedule >var/worker.log 2>&1 &
pids+=($!)
echo "Worker: started (log var/worker.log)"
echo "Portal: http://127.0.0.1:8000  (logins: var/demo-logins.txt)"
$BIN/python manage.py runserver 127.0.0.1:8000
