"""What a production start needs, as Django system checks (assay.E001…E007).

`manage.py check --deploy` reports each problem; the production entry points (portal/wsgi.py,
portal/celery.py) run the same checks and refuse to start while any fails, since gunicorn and a
Celery worker run no checks of their own. SILENCED_SYSTEM_CHECKS silences them in both places.
"""

from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

TAG = "assay_production"
# What the web process needs besides (the workers render no page): collectstatic's output.
WEB_TAG = "assay_web"
# Django's own measure of a weak key (security.W009), made an error here.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def _weak_secret_key(key):
    return (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith("django-insecure")
    )


@checks.register(TAG, deploy=True)
def check_production_settings(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if not settings.SITE_URL:
        errors.append(
            checks.Error(
                "SITE_URL is not set: it is printed in the QR code of every signed certificate.",
                hint="Set SITE_URL to the portal's public https:// address.",
                id="assay.E001",
            )
        )
    dev_ca = Path(settings.DEV_CA_DIR).resolve()
    roots = [Path(root) for root in settings.CERTIFICATE_TRUST_ROOTS]
    if not roots or any(dev_ca in root.resolve().parents for root in roots):
        errors.append(
            checks.Error(
                "CERTIFICATE_TRUST_ROOTS is not set, or names the development CA: verification "
                "would trust certificates signed with development credentials.",
                hint="Set CERTIFICATE_TRUST_ROOTS to the CA files of the assessment bodies.",
                id="assay.E002",
            )
        )
    for root in roots:
        if not root.is_file():
            errors.append(
                checks.Error(
                    f"The trust root {root} named in CERTIFICATE_TRUST_ROOTS is not a file.",
                    id="assay.E003",
                )
            )
    if not settings.REDIS_URL:
        errors.append(
            checks.Error(
                "REDIS_URL is not set: the Celery broker would be a local directory and the "
                "cache that rate limits count in would be one per process.",
                hint="Set REDIS_URL, e.g. redis://127.0.0.1:6379/0.",
                id="assay.E004",
            )
        )
    if _weak_secret_key(settings.SECRET_KEY):
        errors.append(
            checks.Error(
                f"SECRET_KEY is weak: it needs at least {SECRET_KEY_MIN_LENGTH} characters, "
                f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and no "
                "'django-insecure' prefix.",
                hint="python -c 'import secrets; print(secrets.token_urlsafe(50))'",
                id="assay.E005",
            )
        )
    if not settings.TSA_URL:
        errors.append(
            checks.Error(
                "TSA_URL is not set: a body without a timestamp authority of its own would sign "
                "plain PAdES B-B, whose certificates stop verifying when its signing "
                'certificate expires (docs/architecture.md, "Signed PDFs").',
                hint="Set TSA_URL to an RFC 3161 timestamp authority whose chain "
                "CERTIFICATE_TRUST_ROOTS trusts (make prod runs the local CA's own).",
                id="assay.E007",
            )
        )
    return errors


@checks.register(WEB_TAG, deploy=True)
def check_static_manifest(app_configs=None, **kwargs):
    """With DEBUG off, templates name static files through collectstatic's manifest (WhiteNoise
    serves them): without it every HTML page would answer 500."""
    if settings.DEBUG:
        return []
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    manifest = Path(settings.STATIC_ROOT) / staticfiles_storage.manifest_name
    if manifest.is_file():
        return []
    return [
        checks.Error(
            f"{manifest} is missing: collectstatic has not run, and every HTML page would "
            "answer 500.",
            hint="Run `manage.py collectstatic --noinput` (make prod does).",
            id="assay.E006",
        )
    ]


def refuse_unsafe_production(tags=(TAG,)):
    """Raise, naming every problem, if a production process lacks what it needs."""
    if settings.DEBUG:
        return
    problems = checks.run_checks(tags=list(tags), include_deployment_checks=True)
    errors = [p for p in problems if p.is_serious() and not p.is_silenced()]
    if errors:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG off:\n" + "\n".join(f"  {error}" for error in errors)
        )
