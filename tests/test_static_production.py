"""With DEBUG off, pages name their static files through collectstatic's manifest (WhiteNoise):
without that output every HTML page was a 500, so the deploy check says so, and a page renders
once collectstatic has run."""

import pytest
from django.core import checks
from django.core.management import call_command

from portal.checks import WEB_TAG

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def production_static(settings, tmp_path):
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = MANIFEST_STORAGES
    return settings


def _web_errors():
    return [
        problem
        for problem in checks.run_checks(tags=[WEB_TAG], include_deployment_checks=True)
        if problem.is_serious()
    ]


def test_the_deploy_check_reports_missing_collectstatic_output(production_static):
    errors = _web_errors()
    assert [error.id for error in errors] == ["assay.E006"]
    assert "collectstatic" in errors[0].msg


def test_the_deploy_check_is_clean_after_collectstatic(production_static):
    call_command("collectstatic", interactive=False, verbosity=0)
    assert _web_errors() == []


def test_a_page_renders_with_debug_off_after_collectstatic(production_static, client, db):
    call_command("collectstatic", interactive=False, verbosity=0)
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    # The stylesheet is named by its hashed, compressed copy, served by WhiteNoise.
    assert b"/static/portal/" in response.content
