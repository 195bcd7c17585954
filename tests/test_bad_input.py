"""Bad input gets a clear 4xx, never a 500, and writes nothing."""

import json

import pytest
from django_scopes import scopes_disabled

from tenants.models import Organization
from tenants.roles import Role


def test_unknown_tenant_slug_is_a_404_page(client_for, admin_membership):
    response = client_for(admin_membership).get("/t/no-such-body/")
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_unknown_tenant_in_the_api_is_a_json_404(api_for, admin_membership):
    response = api_for(admin_membership).get("/api/v1/t/no-such-body/organizations/")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is nothing here, or not for you."}


@pytest.mark.parametrize(
    "path",
    [
        "organizations/abc/",
        "organizations/99999999999999999999/",
        "organizations/-1/",
        "people/%00/edit/",
    ],
)
def test_malformed_ids_are_404(client_for, admin_membership, tenant, path):
    response = client_for(admin_membership).get(f"/t/{tenant.slug}/{path}")
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["organizations/abc/", "organizations/99999999999999999999/"])
def test_malformed_api_ids_are_404(api_for, admin_membership, tenant, path):
    assert api_for(admin_membership).get(f"/api/v1/t/{tenant.slug}/{path}").status_code == 404


def test_malformed_json_is_a_400(api_for, admin_membership, tenant):
    response = api_for(admin_membership).generic(
        "POST",
        f"/api/v1/t/{tenant.slug}/organizations/",
        "{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_wrong_types_name_the_field(api_for, admin_membership, tenant, in_scope):
    response = api_for(admin_membership).post(
        f"/api/v1/t/{tenant.slug}/organizations/",
        {"legal_name": ["a"], "registration_type": "martian", "registration_id": 5},
        format="json",
    )
    assert response.status_code == 400
    assert {"legal_name", "registration_type"} <= set(response.json())
    with in_scope(tenant):
        assert not Organization.objects.exists()


def test_oversized_request_body_is_a_400(api_for, admin_membership, tenant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_for(admin_membership).post(
        f"/api/v1/t/{tenant.slug}/organizations/",
        {"legal_name": "x" * 5000, "registration_type": "other", "registration_id": "1"},
        format="json",
    )
    assert response.status_code == 400


def test_oversized_form_post_is_a_400_page(client_for, admin_membership, tenant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(admin_membership).post(
        f"/t/{tenant.slug}/organizations/new/", {"legal_name": "x" * 5000}
    )
    assert response.status_code == 400


def test_too_long_values_are_form_errors(client_for, admin_membership, tenant):
    response = client_for(admin_membership).post(
        f"/t/{tenant.slug}/organizations/new/",
        {"legal_name": "x" * 500, "registration_type": "other", "registration_id": "1"},
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content


def test_unknown_role_in_the_api_names_the_field(api_for, admin_membership, tenant):
    response = api_for(admin_membership).post(
        f"/api/v1/t/{tenant.slug}/memberships/",
        {"email": "a@b.test", "role": "emperor"},
        format="json",
    )
    assert response.status_code == 400 and "role" in response.json()


def test_client_gets_403_not_500_on_a_staff_only_form(client_for, member, tenant):
    response = client_for(member(Role.CLIENT_ADMIN)).get(f"/t/{tenant.slug}/organizations/new/")
    assert response.status_code == 403


def _post_json(api, path, body):
    return api.generic("POST", path, body, content_type="application/json")


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json_is_a_json_400(api_for, admin_membership, tenant, opener):
    response = _post_json(
        api_for(admin_membership), f"/api/v1/t/{tenant.slug}/organizations/", opener * 100_000
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    with scopes_disabled():
        assert not Organization.objects.exists()


def test_moderately_nested_json_is_refused_before_it_reaches_the_serializers(
    api_for, admin_membership, tenant
):
    body = '{"legal_name": ' + "[" * 500 + "]" * 500 + "}"
    response = _post_json(
        api_for(admin_membership), f"/api/v1/t/{tenant.slug}/organizations/", body
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


HUGE = "9" * 30


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("evidence/", "items"),
        ("evidence/", "engagement"),
        ("findings/", "item"),
        ("engagements/", "organization"),
        ("items/", "domain"),
    ],
)
def test_a_huge_integer_filter_is_a_400_naming_the_parameter(
    api_for, admin_membership, tenant, path, parameter
):
    response = api_for(admin_membership).get(
        f"/api/v1/t/{tenant.slug}/{path}", {parameter: [HUGE, "-" + HUGE]}
    )
    assert response.status_code == 400
    assert parameter in response.json()


def test_an_oversized_json_body_is_a_json_400_that_says_so(api_for, admin_membership, tenant):
    body = json.dumps({"legal_name": "x" * (3 * 1024 * 1024), "registration_type": "other"})
    response = _post_json(
        api_for(admin_membership), f"/api/v1/t/{tenant.slug}/organizations/", body
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "larger than the limit" in response.json()["detail"]


def test_the_api_answers_json_even_with_debug_on(api_for, admin_membership, tenant, settings):
    settings.DEBUG = True
    api = api_for(admin_membership)
    body = json.dumps({"legal_name": "x" * (3 * 1024 * 1024)})
    too_big = _post_json(api, f"/api/v1/t/{tenant.slug}/organizations/", body)
    assert too_big.status_code == 400 and "larger than the limit" in too_big.json()["detail"]
    missing = api.get("/api/v1/no-such-endpoint/")
    assert missing.status_code == 404 and missing.json() == {
        "detail": "There is nothing here, or not for you."
    }


def test_an_oversized_form_body_to_the_api_is_a_json_400(api_for, admin_membership, tenant):
    response = api_for(admin_membership).generic(
        "POST",
        f"/api/v1/t/{tenant.slug}/organizations/",
        "legal_name=" + "x" * (3 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "larger than the limit" in response.json()["detail"]
