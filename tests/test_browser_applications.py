"""Applying and the contract review in a real browser: a client fills in the registration form
of the shipped continuous-delivery model and submits it; the body's administrator reviews it
and accepts it. Screenshots of the form and the review page, in English and Chinese, on a
desktop and a phone viewport; axe-core finds nothing critical or serious on either."""

import pytest
from django_scopes import scope, scopes_disabled

from assessments.models import Application
from assessments.services import applications as services
from tenants.roles import Role
from tests.conftest import SCREENSHOTS
from tests.engagement_world import shipped_cd_version
from tests.factories import MembershipFactory, OrganizationFactory
from tests.test_browser_grid import DESKTOP, PHONE, login, serious_violations

pytestmark = [pytest.mark.browser]

ANSWERS = {
    "company": "示例科技有限公司",
    "credit_code": "91110000MA01ABCD2X",
    "project": "Online payments platform",
    "production_scale": "medium",
    "team_size": 85,
    "architecture": "microservices",
    "delivery_process": "Requirement → review → build → test → staging → production",
    "toolchain": "GitLab, Jenkins, Nexus, Argo CD, Prometheus",
    "branch_model": "trunk",
    "deployments_per_month": 40,
}


def _people(tenant):
    organization = OrganizationFactory(tenant=tenant, legal_name="示例科技有限公司")
    admin = MembershipFactory(tenant=tenant, role=Role.TENANT_ADMIN)
    client = MembershipFactory(tenant=tenant, role=Role.CLIENT_ADMIN, organization=organization)
    return organization, admin, client


def test_a_client_applies_and_the_admin_accepts_in_the_browser(live_server, tenant, browser_page):
    page, base = browser_page, live_server.url
    version = shipped_cd_version()
    organization, admin, client = _people(tenant)
    login(page, base, client)
    page.goto(f"{base}/t/{tenant.slug}/applications/new/")
    page.select_option("select[name=version]", str(version.pk))
    page.click("main form.card button[type=submit]")
    page.select_option("select[name=target_level]", "3")
    page.check("input[name=scope] >> nth=0")
    page.fill("textarea[name=projects]", "Payments\nMobile banking")
    page.click("button[name=submit]")  # required answers missing: errors at the questions
    assert page.locator("#id_q_company ~ .errorlist, .field:has(#id_q_company) .errorlist").count()
    for key, value in ANSWERS.items():
        field = page.locator(f"[name=q_{key}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(str(value))
    page.click("button[name=submit]")
    page.wait_for_selector("text=Application submitted.")
    with scopes_disabled():
        application = Application.objects.get()
    assert application.status == Application.Status.SUBMITTED
    assert application.computed_days is not None

    login(page, base, admin)
    page.goto(f"{base}/")
    page.wait_for_selector("text=Applications to review")
    page.click(f"a[href$='/applications/{application.pk}/']")
    page.check("input[name=sampled_projects] >> nth=0")
    page.fill("input[name=estimated_days]", "8")
    page.click("text=Save the review")
    page.wait_for_selector("text=Review saved.")
    page.click("text=Accept and open the engagement")
    page.wait_for_selector("text=the engagement is open")
    with scopes_disabled():
        application.refresh_from_db()
    assert application.engagement is not None
    assert application.estimated_days == 8


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_of_the_form_and_the_review_page(
    live_server, tenant, browser_page, language, viewport
):
    page, base = browser_page, live_server.url
    version = shipped_cd_version()
    organization, admin, client = _people(tenant)
    with scope(tenant=tenant):
        application = services.create_application(
            tenant=tenant,
            by=client,
            organization=organization,
            model_version=version,
            target_level=3,
            scope_codes=["CD"],
            answers=ANSWERS,
            projects=["Payments", "Mobile banking", "Clearing"],
            submit=True,
        )
    page.set_viewport_size(viewport)
    device = "desktop" if viewport == DESKTOP else "phone"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    login(page, base, client, language)
    page.goto(f"{base}/t/{tenant.slug}/applications/new/?version={version.pk}")
    assert serious_violations(page) == []
    page.screenshot(path=SCREENSHOTS / f"application-form-{device}-{language}.png", full_page=True)

    login(page, base, admin, language)
    page.goto(f"{base}/t/{tenant.slug}/applications/{application.pk}/")
    assert serious_violations(page) == []
    page.screenshot(
        path=SCREENSHOTS / f"application-review-{device}-{language}.png", full_page=True
    )
