"""The public directory of certified organizations (ISO/IEC 17021-1 8.1.3, IAF CertSearch):
who is listed (the body publishes and the organization consented), how it is searched (partial
names in English or Chinese, any case or width), its filters, the web page, the API, the CSV
export, its cost in queries, its cache and its rate limit."""

import csv
import datetime
import io
import itertools

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from assessments.models import Engagement
from certificates import services
from certificates.models import Certificate
from portal.models import AuditEntry
from tenants.models import Organization, Tenant
from tenants.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory, TenantFactory
from tests.factories_assessments import make_model_version

NUMBERS = itertools.count(1)
TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def _counted_afresh(empty_cache):
    """Every directory test starts with no cached search and no counted requests."""


@pytest.fixture
def body(db):
    return TenantFactory(slug="publisher", name="Publishing Body", publish_directory=True)


@pytest.fixture
def version(db):
    return make_model_version(domains=2, items_per_domain=1)


@pytest.fixture
def officer(body):
    return MembershipFactory(tenant=body, role=Role.OFFICER)


def consenting(tenant, legal_name="示例科技有限公司", english_name="", consent=True):
    return OrganizationFactory(
        tenant=tenant, legal_name=legal_name, english_name=english_name, directory_consent=consent
    )


def certificate(organization, version, *, status="active", level=3, scope=("D0",), **fields):
    """A certificate row as issuing leaves it once its PDF is signed (no render here)."""
    tenant = organization.tenant
    n = next(NUMBERS)
    with scopes_disabled():
        user = MembershipFactory(tenant=tenant, role=Role.OFFICER).user
        engagement = Engagement.objects.create(
            tenant=tenant,
            reference=f"{tenant.certificate_prefix}-E-{n:05d}",
            organization=organization,
            model_version=version,
            target_level=level,
            created_by=user,
        )
        row = Certificate(
            tenant=tenant,
            engagement=engagement,
            organization=organization,
            model_version=version,
            number=f"{tenant.certificate_prefix}-2026-{n:05d}",
            organization_name=organization.legal_name,
            organization_name_en=organization.english_name,
            model_name_en="Continuous delivery maturity",
            model_name_zh="持续交付成熟度",
            scope=[{"code": c, "name_en": f"Domain {c}", "name_zh": f"领域 {c}"} for c in scope],
            level=level,
            level_name_en="Defined",
            level_name_zh="已定义级",
            status=status,
            issued_by=user,
            **{
                "issued_on": TODAY - datetime.timedelta(days=30),
                "expires_on": TODAY + datetime.timedelta(days=3 * 365),
                **fields,
            },
        )
        row.save()
    return row


def listed_numbers(client, **params):
    response = client.get("/api/v1/directory/", params)
    assert response.status_code == 200, response.content
    return {entry["certificate_number"] for entry in response.json()["results"]}


# --- Who is listed ------------------------------------------------------------------------------


def test_only_consenting_organizations_of_publishing_bodies_are_listed(client, body, version):
    silent_body = TenantFactory(slug="silent", publish_directory=False)
    listed = certificate(consenting(body), version)
    no_consent = certificate(consenting(body, consent=False), version)
    body_silent = certificate(consenting(silent_body), version)
    numbers = listed_numbers(client)
    assert listed.number in numbers
    assert no_consent.number not in numbers
    assert body_silent.number not in numbers
    page = client.get("/directory/").content.decode()
    assert listed.number in page and no_consent.number not in page
    assert body_silent.number not in page


def test_withdrawing_consent_removes_the_organization_at_once(client, body, version):
    admin = MembershipFactory(tenant=body, role=Role.TENANT_ADMIN)
    listed = certificate(consenting(body), version)
    assert listed.number in listed_numbers(client)  # now cached
    from tenants import services as tenant_services

    with scope(tenant=body):
        tenant_services.update_organization(
            organization=listed.organization, by=admin, directory_consent=False
        )
    assert listed.number not in listed_numbers(client)


def test_suspended_withdrawn_and_expired_are_listed_as_such(client, body, version):
    organization = consenting(body)
    rows = {
        status: certificate(organization, version, status=status)
        for status in ("active", "suspended", "withdrawn", "issuing", "superseded")
    }
    lapsed = certificate(organization, version, expires_on=TODAY - datetime.timedelta(days=1))
    results = {
        entry["certificate_number"]: entry["status"]
        for entry in client.get("/api/v1/directory/").json()["results"]
    }
    assert results[rows["active"].number] == "active"
    assert results[rows["suspended"].number] == "suspended"
    assert results[rows["withdrawn"].number] == "withdrawn"
    assert results[lapsed.number] == "expired"
    assert rows["issuing"].number not in results and rows["superseded"].number not in results
    page = client.get("/directory/").content.decode()
    assert "Suspended" in page and "Withdrawn" in page and "Expired" in page


def test_a_suspension_through_the_services_shows_at_the_next_search(client, body, version, officer):
    row = certificate(consenting(body), version)
    assert client.get("/api/v1/directory/").json()["results"][0]["status"] == "active"
    with scope(tenant=body):
        services.suspend(certificate=row, by=officer, reason="Corrective action overdue")
    assert client.get("/api/v1/directory/").json()["results"][0]["status"] == "suspended"


# --- Searching ----------------------------------------------------------------------------------


def test_search_is_partial_and_case_and_width_insensitive(client, body, version):
    acme = certificate(consenting(body, "爱克米有限公司", "Acme Widgets Ltd"), version)
    other = certificate(consenting(body, "其他公司", "Other Works"), version)
    for query in ("ＡＣＭＥ", "acme", "WIDG", "widgets ltd", "  Acme   Widgets "):
        assert listed_numbers(client, q=query) == {acme.number}, query
    assert listed_numbers(client, q="works") == {other.number}


def test_search_finds_a_chinese_name_by_any_part(client, body, version):
    huawei = certificate(consenting(body, "深圳华为技术有限公司"), version)
    certificate(consenting(body, "北京示例科技有限公司"), version)
    assert listed_numbers(client, q="华为") == {huawei.number}
    assert listed_numbers(client, q="华为技术") == {huawei.number}
    assert listed_numbers(client, q="深圳") == {huawei.number}
    assert len(listed_numbers(client, q="有限公司")) == 2


def test_search_finds_a_certificate_number(client, body, version):
    row = certificate(consenting(body), version)
    assert listed_numbers(client, q=row.number.lower()) == {row.number}


def test_filters_by_model_part_level_body_and_status(client, body, version):
    other_body = TenantFactory(slug="second", publish_directory=True)
    other_version = make_model_version(domains=1, items_per_domain=1)
    organization = consenting(body)
    level3 = certificate(organization, version, level=3, scope=("D0",))
    level2 = certificate(organization, version, level=2, scope=("D0", "D1"))
    suspended = certificate(organization, version, status="suspended")
    elsewhere = certificate(consenting(other_body), other_version)
    assert listed_numbers(client, level=2) == {level2.number}
    assert listed_numbers(client, part="D1") == {level2.number}
    assert listed_numbers(client, body="second") == {elsewhere.number}
    assert listed_numbers(client, status="suspended") == {suspended.number}
    assert listed_numbers(client, model=other_version.model.code) == {elsewhere.number}
    assert listed_numbers(client, model=version.model.code) == {
        level3.number,
        level2.number,
        suspended.number,
    }


def test_pages_hold_twenty_and_name_their_count(client, body, version):
    organization = consenting(body)
    for _ in range(25):
        certificate(organization, version)
    first = client.get("/api/v1/directory/").json()
    second = client.get("/api/v1/directory/", {"page": 2}).json()
    assert first["count"] == 25 and first["pages"] == 2 and len(first["results"]) == 20
    assert len(second["results"]) == 5
    page = client.get("/directory/", {"page": 2})
    assert "Page 2 of 2" in page.content.decode()


@pytest.mark.parametrize(
    "field, value",
    [
        ("level", "three"),
        ("level", "0"),
        ("status", "lost"),
        ("body", "nobody"),
        ("part", "D1;drop"),
        ("model", "not a slug"),
        ("page", "-1"),
        ("q", "x" * 101),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, body, field, value):
    response = client.get("/api/v1/directory/", {field: value})
    assert response.status_code == 400 and field in response.json(), response.content
    assert client.get("/directory/", {field: value}).status_code == 400
    assert client.get("/directory/export.csv", {field: value}).status_code == 400


def test_a_body_that_does_not_publish_is_not_a_filter(client, body):
    TenantFactory(slug="silent", publish_directory=False)
    response = client.get("/api/v1/directory/", {"body": "silent"})
    assert response.status_code == 400 and "body" in response.json()


# --- Cost, cache and limits ---------------------------------------------------------------------


def _queries_of_search(client, matching):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/directory/", {"q": "有限公司"})
    assert response.json()["count"] == matching
    return len(queries)


def test_a_search_costs_the_same_queries_for_10_or_100_results(client, body, version):
    organization = consenting(body, "示例有限公司")
    for _ in range(10):
        certificate(organization, version)
    with_10 = _queries_of_search(client, 10)
    for _ in range(90):
        certificate(organization, version)
    assert _queries_of_search(client, 100) == with_10 <= 4


def test_the_page_costs_the_same_queries_for_10_or_100_results(
    client, body, version, django_assert_max_num_queries
):
    organization = consenting(body, "示例有限公司")
    for _ in range(100):
        certificate(organization, version)
    cache.clear()
    with django_assert_max_num_queries(4):
        assert client.get("/directory/", {"q": "有限公司"}).status_code == 200


def test_a_cached_search_asks_the_database_nothing(client, body, version):
    certificate(consenting(body), version)
    client.get("/api/v1/directory/", {"q": "示例"})
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/directory/", {"q": "示例"}).status_code == 200
    assert len(queries) == 0


@pytest.mark.parametrize("path", ["/directory/", "/api/v1/directory/", "/directory/export.csv"])
def test_the_directory_is_rate_limited_per_address(client, db, path):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["directory"].split("/")[0])
    for _ in range(limit):
        assert client.get(path).status_code == 200
    assert client.get(path).status_code == 429
    assert client.get(path, REMOTE_ADDR="192.0.2.7").status_code == 200


# --- CSV ----------------------------------------------------------------------------------------


def test_the_csv_export_has_iaf_certsearch_fields(client, body, version):
    organization = consenting(body, "深圳华为技术有限公司", "=HYPERLINK(evil)")
    row = certificate(
        organization,
        version,
        status="suspended",
        base_number="PUB-2020-00001",
        original_issued_on=datetime.date(2020, 5, 1),
        standard_identifier="GB/T 36073-2018",
    )
    response = client.get("/directory/export.csv", {"q": "华为"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == [
        "certification_body",
        "organization",
        "organization_en",
        "registration_id",
        "certificate_number",
        "scope",
        "standard",
        "level",
        "original_issue_date",
        "current_issue_date",
        "expiry_date",
        "status",
    ]
    assert len(rows) == 1
    only = rows[0]
    assert only["certification_body"] == "Publishing Body"
    assert only["organization"] == "深圳华为技术有限公司"
    assert only["organization_en"] == "'=HYPERLINK(evil)"  # never a formula in a spreadsheet
    assert only["registration_id"] == "PUB-2020-00001"
    assert only["certificate_number"] == row.number
    assert only["scope"] == "D0 Domain D0"
    assert only["standard"] == "GB/T 36073-2018"
    assert only["original_issue_date"] == "2020-05-01"
    assert only["current_issue_date"] == row.issued_on.isoformat()
    assert only["expiry_date"] == row.expires_on.isoformat()
    assert only["status"] == "suspended"


# --- The page -----------------------------------------------------------------------------------


def test_the_page_needs_no_login_and_speaks_chinese(client, body, version):
    certificate(consenting(body, "深圳华为技术有限公司", "Huawei"), version)
    english = client.get("/directory/").content.decode()
    assert "Directory of certified organizations" in english and "Huawei" in english
    chinese = client.get("/directory/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "深圳华为技术有限公司" in chinese and "持续交付成熟度" in chinese


def test_the_api_schema_documents_the_directory(client, db):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/directory/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "q",
        "model",
        "part",
        "level",
        "body",
        "status",
        "page",
    }
    assert "/api/v1/t/{tenant}/directory-settings/" in schema["paths"]


# --- Consent and the body's setting -------------------------------------------------------------


def test_a_tenant_admin_records_consent_in_the_browser_with_who_and_when(client_for, body):
    admin = MembershipFactory(tenant=body, role=Role.TENANT_ADMIN)
    organization = consenting(body, consent=False)
    with scopes_disabled():
        fields = {
            f: getattr(organization, f) or ""
            for f in ("legal_name", "english_name", "registration_type", "registration_id")
        }
    response = client_for(admin).post(
        f"/t/{body.slug}/organizations/{organization.pk}/edit/",
        {**fields, "directory_consent": "on"},
    )
    assert response.status_code == 302, response.content
    with scopes_disabled():
        organization.refresh_from_db()
        assert organization.directory_consent
        assert organization.directory_consent_by == admin.user
        assert organization.directory_consent_at is not None
        entry = AuditEntry.objects.filter(verb="organization.updated", object_pk=organization.pk)
        assert entry.get().changes["directory_consent"] == ["False", "True"]


def test_a_tenant_admin_records_consent_through_the_api(api_for, body):
    admin = MembershipFactory(tenant=body, role=Role.TENANT_ADMIN)
    organization = consenting(body, consent=False)
    response = api_for(admin).patch(
        f"/api/v1/t/{body.slug}/organizations/{organization.pk}/",
        {"directory_consent": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["directory_consent"] is True
    assert response.json()["directory_consent_by"] == admin.user.email


def test_an_assessor_cannot_record_consent(api_for, body):
    assessor = MembershipFactory(tenant=body, role=Role.ASSESSOR)
    organization = consenting(body, consent=False)
    response = api_for(assessor).patch(
        f"/api/v1/t/{body.slug}/organizations/{organization.pk}/",
        {"directory_consent": True},
        format="json",
    )
    assert response.status_code == 403
    with scopes_disabled():
        assert not Organization.objects.get(pk=organization.pk).directory_consent


def test_a_tenant_admin_turns_publishing_on_in_the_browser(client_for, tenant):
    admin = MembershipFactory(tenant=tenant, role=Role.TENANT_ADMIN)
    client = client_for(admin)
    assert client.get(f"/t/{tenant.slug}/directory/").status_code == 200
    response = client.post(f"/t/{tenant.slug}/directory/", {"publish_directory": "on"})
    assert response.status_code == 302
    assert Tenant.objects.get(pk=tenant.pk).publish_directory
    with scopes_disabled():
        entry = AuditEntry.objects.get(verb="tenant.directory_publishing")
    assert entry.changes["publish_directory"] == ["False", "True"]


def test_a_tenant_admin_turns_publishing_on_through_the_api(api_for, tenant):
    admin = MembershipFactory(tenant=tenant, role=Role.TENANT_ADMIN)
    url = f"/api/v1/t/{tenant.slug}/directory-settings/"
    api = api_for(admin)
    assert api.get(url).json() == {"publish_directory": False, "consenting_organizations": 0}
    response = api.put(url, {"publish_directory": True}, format="json")
    assert response.status_code == 200 and response.json()["publish_directory"] is True
    assert Tenant.objects.get(pk=tenant.pk).publish_directory
    bad = api.put(url, {"publish_directory": "perhaps"}, format="json")
    assert bad.status_code == 400 and "publish_directory" in bad.json()


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.OFFICER, Role.CLIENT_ADMIN])
def test_only_tenant_admins_change_publishing(client_for, api_for, tenant, role):
    client_people = {"organization": OrganizationFactory(tenant=tenant)}
    extra = client_people if role == Role.CLIENT_ADMIN else {}
    someone = MembershipFactory(tenant=tenant, role=role, **extra)
    assert (
        client_for(someone)
        .post(f"/t/{tenant.slug}/directory/", {"publish_directory": "on"})
        .status_code
        == 403
    )
    response = api_for(someone).put(
        f"/api/v1/t/{tenant.slug}/directory-settings/", {"publish_directory": True}, format="json"
    )
    assert response.status_code == 403
    assert not Tenant.objects.get(pk=tenant.pk).publish_directory
    with scopes_disabled():
        assert not AuditEntry.objects.filter(verb="tenant.directory_publishing").exists()
