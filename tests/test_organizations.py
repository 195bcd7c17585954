"""Client organizations: tenant admins manage them; staff read them; clients see their own."""

import pytest
from django.urls import reverse

from tenants.models import Organization
from tenants.roles import Role
from tests.factories import OrganizationFactory, make_uscc


def _api(tenant, *parts):
    return "/api/v1/t/" + tenant.slug + "/organizations/" + "".join(f"{p}/" for p in parts)


def test_tenant_admin_creates_an_organization_in_the_browser(
    tenant, admin_membership, client_for, in_scope
):
    client = client_for(admin_membership)
    response = client.post(
        reverse("tenants:organization_create", args=[tenant.slug]),
        {
            "legal_name": "杭州测试科技有限公司",
            "registration_type": "uscc",
            "registration_id": make_uscc(4242).lower(),
            "contact_email": "a@b.test",
        },
    )
    assert response.status_code == 302
    with in_scope(tenant):
        organization = Organization.objects.get(legal_name="杭州测试科技有限公司")
    assert organization.tenant == tenant
    assert organization.registration_id == make_uscc(4242)
    page = client.get(response["Location"])
    assert "杭州测试科技有限公司" in page.content.decode()


def test_a_wrong_uscc_check_character_is_a_form_error(
    tenant, admin_membership, client_for, in_scope
):
    bad = make_uscc(7)[:-1] + ("0" if make_uscc(7)[-1] != "0" else "1")
    response = client_for(admin_membership).post(
        reverse("tenants:organization_create", args=[tenant.slug]),
        {"legal_name": "X", "registration_type": "uscc", "registration_id": bad},
    )
    assert response.status_code == 200
    assert "check character" in response.content.decode()
    with in_scope(tenant):
        assert not Organization.objects.exists()


def test_duplicate_registration_id_is_refused_by_the_api_naming_the_field(
    tenant, organization, admin_membership, api_for
):
    response = api_for(admin_membership).post(
        _api(tenant),
        {
            "legal_name": "Copy",
            "registration_type": "uscc",
            "registration_id": organization.registration_id,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "registration_id" in response.json()


def test_the_same_registration_id_may_exist_in_two_tenants(
    tenant, other_tenant, admin_membership, api_for
):
    theirs = OrganizationFactory(tenant=other_tenant)
    response = api_for(admin_membership).post(
        _api(tenant),
        {
            "legal_name": "Mine",
            "registration_type": "uscc",
            "registration_id": theirs.registration_id,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "role", [Role.ASSESSOR, Role.REVIEWER, Role.OFFICER, Role.CLIENT_ADMIN, Role.CLIENT_CONTRIBUTOR]
)
def test_only_tenant_admins_create_organizations(tenant, member, api_for, role, in_scope):
    response = api_for(member(role)).post(
        _api(tenant),
        {"legal_name": "No", "registration_type": "other", "registration_id": "X-1"},
        format="json",
    )
    assert response.status_code == 403
    with in_scope(tenant):
        assert not Organization.objects.filter(legal_name="No").exists()


def test_client_sees_only_their_own_organization(tenant, member, api_for):
    client_person = member(Role.CLIENT_CONTRIBUTOR)
    other = OrganizationFactory(tenant=tenant)
    api = api_for(client_person)
    listed = api.get(_api(tenant)).json()
    assert [o["id"] for o in listed["results"]] == [client_person.organization_id]
    assert api.get(_api(tenant, other.pk)).status_code == 404


def test_staff_list_is_paginated_filtered_and_searchable(tenant, member, api_for):
    OrganizationFactory.create_batch(3, tenant=tenant)
    OrganizationFactory(tenant=tenant, legal_name="Needle Ltd", is_active=False)
    api = api_for(member(Role.ASSESSOR))
    page = api.get(_api(tenant), {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert api.get(_api(tenant), {"is_active": "false"}).json()["count"] == 1
    assert api.get(_api(tenant), {"search": "Needle"}).json()["results"][0]["legal_name"] == (
        "Needle Ltd"
    )


def test_deactivating_keeps_the_organization(
    tenant, organization, admin_membership, client_for, in_scope
):
    client = client_for(admin_membership)
    url = reverse("tenants:organization_set_active", args=[tenant.slug, organization.pk])
    assert client.post(url, {"active": "0"}).status_code == 302
    with in_scope(tenant):
        organization.refresh_from_db()
    assert organization.is_active is False


def test_api_has_no_delete(tenant, organization, admin_membership, api_for):
    response = api_for(admin_membership).delete(_api(tenant, organization.pk))
    assert response.status_code == 405


def test_organization_list_page_uses_a_constant_number_of_queries(
    tenant, admin_membership, client_for, django_assert_max_num_queries
):
    client = client_for(admin_membership)
    url = reverse("tenants:organization_list", args=[tenant.slug])
    OrganizationFactory.create_batch(3, tenant=tenant)
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    OrganizationFactory.create_batch(30, tenant=tenant)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
