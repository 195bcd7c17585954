"""Settings for Assay, read from environment variables in this one module.

Development defaults work out of the box (SQLite under var/, console email, an embedded Celery
broker). Production sets DEBUG=0 and must give SECRET_KEY and ALLOWED_HOSTS; `manage.py check
--deploy` is clean then.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ASSAY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", True)
# Under pytest: N+1 detection on, eager Celery, fast password hashing.
TESTING = "pytest" in sys.modules

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# How many reverse proxies in front of the portal append to X-Forwarded-For; the client address
# every limiter keys on is read through them (portal/addresses.py). 0: REMOTE_ADDR is the client.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# The public base URL printed in QR codes and emails.
# Required when DEBUG is off (portal/checks.py: assay.E001).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "auditlog",
    "portal",
    "tenants",
    "assessments",
    "certificates",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.sessions.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.TenantMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

# django-zeal fails the test suite on N+1 query patterns (tests turn it on).
ZEAL_ENABLED = env_bool("ZEAL_ENABLED", TESTING)
if ZEAL_ENABLED:
    INSTALLED_APPS.append("zeal")
    MIDDLEWARE.insert(0, "zeal.middleware.zeal_middleware")
    ZEAL_RAISE = True
    # Logging in or out reads the session row more than once, and content types are looked
    # up once per model (then cached): neither is an N+1.
    # Users are fetched by key twice in a request (the session's, and one named in the input);
    # zeal, seeing both behind the tenant middleware's frame, would take that for an N+1.
    ZEAL_ALLOWLIST = [
        {"model": "sessions.Session"},
        {"model": "contenttypes.ContentType"},
        {"model": "tenants.User"},
    ]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'assay.sqlite3'}"),
        conn_max_age=0 if TESTING else int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests use a file, not memory, so that a real Celery worker process can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    if TESTING:  # a test database need not survive a power cut
        DATABASES["default"]["OPTIONS"]["init_command"] = (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any login of a locked-out account or address before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUDITLOG_LOGENTRY_MODEL = "portal.AuditEntry"
# django-auditlog's own migrations would create its default table even though the model is
# swapped for ours; without them, nothing of it is created.
MIGRATION_MODULES = {"auditlog": None}
# Failed logins (the form, the admin, the token API) are counted per account and, separately,
# per client address; at the limit both are refused until the cool-off ends or an administrator
# deletes the attempt in the Django admin (*Access attempts*) or runs `manage.py axes_reset`.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.addresses.client_ip"
AXES_USERNAME_CALLABLE = "portal.lockout.attempted_username"
AXES_LOCKOUT_CALLABLE = "portal.lockout.locked_out_response"
# API tokens (django-rest-knox): only a hash is stored; each expires, may be rotated or revoked,
# and a new password revokes them all (tenants/tokens.py).
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(os.environ.get("API_TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# django-guardian: a model-wide permission must never open every tenant's rows.
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# Files go through Django's storage API: local disk by default, S3-compatible when a bucket is
# named (AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
# Tested against an S3-protocol server started by the suite (tests/test_s3_storage.py).
S3_SPOOL_MAX_MEMORY = 1024 * 1024  # a downloaded object beyond this spills to a temporary file


def s3_storage(environ):
    """The STORAGES entry of an S3-compatible bucket named by the AWS_* variables of `environ`."""
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,  # a stored name is never replaced: a new name instead
            "max_memory_size": S3_SPOOL_MAX_MEMORY,
            # One part at a time: s3transfer's threads buffer several parts of a large object
            # in memory (21 MB for a 12 MB download, tests/test_s3_storage.py).
            "transfer_config": TransferConfig(use_threads=False),
            # An unreachable store fails a request (and /readyz) in seconds, not minutes.
            "client_config": Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                # `path` for stores reached by address (MinIO, a local test server)
                s3={"addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE") or "auto"},
            ),
        },
    }


if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    _default_storage = s3_storage(os.environ)
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Requests: a body larger than this is refused with a 400, not read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploaded files stream to a temporary file, hashed as they arrive (assessments/uploads.py).
FILE_UPLOAD_HANDLERS = ["assessments.uploads.HashingUploadHandler"]
FILE_UPLOAD_TEMP_DIR = os.environ.get("FILE_UPLOAD_TEMP_DIR") or None

# Evidence uploads: largest file (bytes) and the content types accepted (sniffed, not named).
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 100 * 1024 * 1024))
if os.environ.get("EVIDENCE_ALLOWED_TYPES"):
    EVIDENCE_ALLOWED_TYPES = env_list("EVIDENCE_ALLOWED_TYPES")
# Kinds of evidence refused with their reason: archive (nested), html, svg, script, macro.
EVIDENCE_REFUSED_KINDS = env_list("EVIDENCE_REFUSED_KINDS", "archive,html,svg,script,macro")

# Required when DEBUG is off (assay.E004): without it the broker is a local directory and the
# cache (rate limits) one per process. Development: LocMemCache, right for one runserver.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "assay",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "assay",
        }
    }

# Every limiter (django-ratelimit's key="ip", DRF throttles, axes) keys on the same client
# address (portal/addresses.py) and counts in the default cache, which must be shared by every
# web process: Redis in production (a per-process memory cache is refused with DEBUG off).
RATELIMIT_IP_META_KEY = "portal.addresses.client_ip"
RATELIMIT_USE_CACHE = "default"

# Celery: Redis when REDIS_URL names it, otherwise kombu's filesystem transport under var/, an
# embedded broker that needs no server (one machine, development).
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    _broker_dir = VAR_DIR / "celery-broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # The exchange table: kombu's default is "control" in the current directory.
        "control_folder": str(_broker_dir / "control"),
    }
if REDIS_URL:
    # A message a killed worker had taken comes back after this long (and the sweeper below
    # re-enqueues anything still pending from the database anyway).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "600"))
    }
# Redis restarted or failed over: the web processes retry publishing for a few seconds (then the
# PDF sweeper re-sends), workers reconnect, at startup too (make bench-load's fault phase).
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 6,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 2,
}
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Results are kept only for the chord of a report rendered in parts (certificates/tasks.py): in
# Redis, which joins the chord itself, or files under var/ (Celery's chord_unlock polls them).
if REDIS_URL:
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery-results'}"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Production (make prod, docs/scaling.md): PDF renders have a queue of their own, so that slow
# renders never hold up emails and sweeps; a `pdf` worker pool is sized apart from `default`.
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-pdfs": {"task": "certificates.tasks.sweep_pending", "schedule": 60.0},
    "expire-certificates": {
        "task": "certificates.tasks.expire_certificates",
        "schedule": crontab(hour=0, minute=5),  # daily, just after midnight (TIME_ZONE)
    },
    # The certification cycle: open surveillances and recertifications, flag overdue ones.
    "run-certificate-programme": {
        "task": "certificates.tasks.run_programme",
        "schedule": crontab(hour=0, minute=20),
    },
    "withdraw-lapsed-suspensions": {
        "task": "certificates.tasks.withdraw_lapsed_suspensions",
        "schedule": crontab(hour=0, minute=10),
    },
    # Evidence requests (issue 15): daily reminders of requests due soon or overdue.
    "remind-evidence-requests": {
        "task": "assessments.tasks.remind_evidence_requests",
        "schedule": crontab(hour=7, minute=0),
    },
}
# Evidence requests (issue 15): remind the client this many days before a request is due.
EVIDENCE_REQUEST_REMIND_DAYS = int(os.environ.get("EVIDENCE_REQUEST_REMIND_DAYS", "2"))

# PDFs: fonts cut per page from a cache built once (manage.py build_pdf_fonts); certificates
# older than this still `issuing` are re-enqueued.
PDF_FONT_DIR = Path(os.environ.get("PDF_FONT_DIR", VAR_DIR / "pdf-fonts"))
PDF_SWEEP_AFTER_SECONDS = int(os.environ.get("PDF_SWEEP_AFTER_SECONDS", "120"))
# PDF work on Celery's own terms (issue 12; docs/architecture.md, "PDF work on Celery's terms"):
# render tasks go to the `pdf` queue (a worker started without -Q consumes `default` and `pdf`;
# production runs dedicated `-Q pdf` workers) and render in the worker process itself, under
# the task's soft time limit (SoftTimeLimitExceeded raised into the render), its hard limit (the
# pool kills and replaces the process) and worker_max_memory_per_child (a process grown past
# PDF_WORKER_MAX_MEMORY_MB is replaced after its task).
PDF_TASK_SOFT_TIME_LIMIT_S = int(os.environ.get("PDF_TASK_SOFT_TIME_LIMIT_S", "120"))
PDF_TASK_TIME_LIMIT_S = int(
    os.environ.get("PDF_TASK_TIME_LIMIT_S", str(PDF_TASK_SOFT_TIME_LIMIT_S + 30))
)
# A report with more in-scope items than this renders in REPORT_PARTS parts of a few domains
# each, in parallel on the `pdf` workers (a Celery chord), joined before its one signature
# (certificates/report_parts.py). REPORT_PARTS is best the number of `pdf` worker processes.
REPORT_SPLIT_ITEMS = int(os.environ.get("REPORT_SPLIT_ITEMS", "150"))
REPORT_PARTS = int(os.environ.get("REPORT_PARTS", "2"))
PDF_WORKER_MAX_MEMORY_MB = int(os.environ.get("PDF_WORKER_MAX_MEMORY_MB", "1536"))
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (  # each its own exchange and key: a message goes to one queue only
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("pdf", Exchange("pdf"), routing_key="pdf"),
)
CELERY_TASK_ROUTES = {
    "certificates.tasks.render_certificate": {"queue": "pdf"},
    "certificates.tasks.render_report": {"queue": "pdf"},
    "certificates.tasks.render_report_part": {"queue": "pdf"},
    "certificates.tasks.join_report": {"queue": "pdf"},
}
CELERY_WORKER_MAX_MEMORY_PER_CHILD = PDF_WORKER_MAX_MEMORY_MB * 1024  # in KB
# Development signing credentials (made by the demo set-up) and the CAs verification trusts.
DEV_CA_DIR = Path(os.environ.get("DEV_CA_DIR", VAR_DIR / "dev-ca"))
# Required when DEBUG is off, and never the development CA then (assay.E002, E003).
CERTIFICATE_TRUST_ROOTS = env_list("CERTIFICATE_TRUST_ROOTS") or (
    [str(DEV_CA_DIR / "dev-ca.pem")] if DEBUG else []
)
VERIFY_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The public directory (certificates/directory.py): how long a search's answer is kept (a
# status changed by a bulk update shows within it), and the most rows one CSV export holds.
DIRECTORY_CACHE_SECONDS = int(os.environ.get("DIRECTORY_CACHE_SECONDS", "60"))
DIRECTORY_EXPORT_MAX_ROWS = int(os.environ.get("DIRECTORY_EXPORT_MAX_ROWS", "10000"))
# Long-term signatures (issue 12: PAdES B-LTA). The RFC 3161 timestamp authority a body's
# signatures are timestamped by when its own `tsa_url` is empty (in development the one
# `manage.py run_dev_tsa` serves; empty: no timestamp, signatures are PAdES B-B), and the CRL
# files embedded as revocation data (empty: fetched from the certificates' distribution points).
TSA_URL = os.environ.get("TSA_URL", "http://127.0.0.1:8079/" if DEBUG else "")
SIGNING_CRL_FILES = env_list("SIGNING_CRL_FILES") or (
    [str(DEV_CA_DIR / "dev-ca.crl")] if DEBUG else []
)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Assay <noreply@assay.localhost>")

REST_FRAMEWORK = {
    # Token first: a missing or revoked token answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api.permissions.IsTenantMember"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "portal.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_VERSIONING_CLASS": None,
    "DEFAULT_THROTTLE_RATES": {
        "public": os.environ.get("PUBLIC_THROTTLE_RATE", "60/min"),
        "directory": os.environ.get("DIRECTORY_THROTTLE_RATE", "60/min"),
    },
    # Any throttle not keyed on portal.addresses.client_ip still reads no forged header.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# API_DOCS_PUBLIC=0: the schema and the docs page are for staff only (portal/api.py).
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", True)
SPECTACULAR_SETTINGS = {
    "TITLE": "Assay API",
    "DESCRIPTION": (
        "Capability maturity assessments and certificates. Tenant-scoped routes live under "
        "/api/v1/t/{tenant}/; authenticate with a session or `Authorization: Token <key>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MembershipRoleEnum": "tenants.roles.Role",
        "AssignmentRoleEnum": "assessments.models.ASSIGNMENT_ROLES",
        "EngagementStateEnum": "assessments.models.ENGAGEMENT_STATES",
        "EngagementKindEnum": "assessments.models.ENGAGEMENT_KINDS",
        "ApplicationStatusEnum": "assessments.models.APPLICATION_STATUSES",
        "ModelChangeKindEnum": "assessments.api.library.CHANGE_KINDS",
        "ModelChangeWhatEnum": "assessments.api.library.CHANGE_WHATS",
        "CaseOutcomeEnum": "certificates.models.CASE_OUTCOMES",
        "QueueKindEnum": "assessments.selectors.queue.KIND_VALUES",
    },
    # Swagger UI served from our own static files: no CDN, no network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe over plain http (portal/health.py); Prometheus scrapes /metrics.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # SECURE_COOKIES=0 only for plain http on loopback (make prod); behind TLS keep them on.
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy (django-csp): scripts and styles only from our own static files, no
# inline code (templates attach behaviour from static/portal/assay.js; tests/test_csp.py).
# Images may be data: URIs (Swagger UI's icons, QR codes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# A web session ends after this many seconds without a request (portal/sessions.py).
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", "3600"))
SESSION_IDLE_REFRESH = min(60, SESSION_IDLE_TIMEOUT // 2)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Operations (make prod, issue 14): request ids, JSON logs, metrics.
# Every request gets an id (X-Request-ID, or made), returned in the response and named in every
# log line it causes, in the Celery tasks it enqueued too (portal/requestid.py). LOG_FORMAT=json
# (the default with DEBUG off): one JSON object a line; `text` prints the message alone.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text" if DEBUG else "json")
MIDDLEWARE.insert(0, "portal.requestid.RequestIdMiddleware")
# django-prometheus times every request; /metrics (portal/metrics.py) is for these addresses, or
# for a caller sending `Authorization: Bearer <METRICS_TOKEN>`.
INSTALLED_APPS.append("django_prometheus")
MIDDLEWARE.insert(1, "django_prometheus.middleware.PrometheusBeforeMiddleware")
MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Workers log through LOGGING below, not Celery's own handlers (portal/celery.py).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "portal.requestid.RequestIdFilter"},
        # pyHanko warns at every signature that fetching is not allowed while validation data
        # are embedded: sign_pdf forbids it exactly when it is given the CRLs to embed.
        "supplied_crls": {
            "()": "portal.logfilters.DropMessages",
            "starting": "Validation/revocation info will be embedded, but fetching is not",
        },
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "text") else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint narrates every rendering step at INFO; its warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pyhanko.sign.signers.pdf_signer": {"filters": ["supplied_crls"]},
    },
}
