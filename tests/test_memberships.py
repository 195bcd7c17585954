"""People and roles: tenant admins add, edit and deactivate memberships of their own tenant."""

from django.core import mail
from django.urls import reverse

from tenants.models import Membership, User
from tenants.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory


def _api(tenant, *parts):
    return "/api/v1/t/" + tenant.slug + "/memberships/" + "".join(f"{p}/" for p in parts)


def test_admin_adds_a_new_person_who_gets_a_link_to_choose_a_password(
    tenant, admin_membership, client_for, in_scope, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_membership).post(
            reverse("tenants:membership_create", args=[tenant.slug]),
            {"email": "New.Person@Example.test", "first_name": "New", "role": Role.ASSESSOR},
        )
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.test")
    assert not user.has_usable_password()
    with in_scope(tenant):
        assert Membership.objects.get(user=user).role == Role.ASSESSOR
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body


def test_client_people_must_name_an_organization(tenant, admin_membership, api_for):
    response = api_for(admin_membership).post(
        _api(tenant), {"email": "c@x.test", "role": Role.CLIENT_ADMIN}, format="json"
    )
    assert response.status_code == 400
    assert "organization" in response.json()


def test_naming_another_tenants_organization_is_a_400_and_writes_nothing(
    tenant, other_tenant, admin_membership, api_for
):
    foreign = OrganizationFactory(tenant=other_tenant)
    response = api_for(admin_membership).post(
        _api(tenant),
        {"email": "c@x.test", "role": Role.CLIENT_ADMIN, "organization": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "organization" in response.json()
    assert not User.objects.filter(email="c@x.test").exists()


def test_a_person_can_belong_to_two_tenants(tenant, other_tenant, admin_membership, api_for):
    elsewhere = MembershipFactory(tenant=other_tenant, role=Role.ASSESSOR)
    response = api_for(admin_membership).post(
        _api(tenant), {"email": elsewhere.user.email, "role": Role.REVIEWER}, format="json"
    )
    assert response.status_code == 201
    assert User.objects.filter(email=elsewhere.user.email).count() == 1


def test_adding_the_same_person_twice_names_the_email(tenant, admin_membership, member, api_for):
    existing = member(Role.ASSESSOR)
    response = api_for(admin_membership).post(
        _api(tenant), {"email": existing.user.email, "role": Role.OFFICER}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()


def test_deactivated_member_loses_access_at_once(
    tenant, admin_membership, member, api_for, client_for
):
    assessor = member(Role.ASSESSOR)
    response = api_for(admin_membership).patch(
        _api(tenant, assessor.pk), {"is_active": False}, format="json"
    )
    assert response.status_code == 200
    assert client_for(assessor).get(f"/t/{tenant.slug}/").status_code == 404
    assert api_for(assessor).get(_api(tenant)).status_code == 404


def test_admin_cannot_deactivate_themselves(tenant, admin_membership, api_for):
    response = api_for(admin_membership).patch(
        _api(tenant, admin_membership.pk), {"is_active": False}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()


def test_people_are_never_deleted(tenant, admin_membership, member, api_for):
    assessor = member(Role.ASSESSOR)
    assert api_for(admin_membership).delete(_api(tenant, assessor.pk)).status_code == 405


def test_assessor_reads_people_but_cannot_change_them(tenant, member, api_for, admin_membership):
    api = api_for(member(Role.ASSESSOR))
    assert api.get(_api(tenant)).status_code == 200
    response = api.patch(_api(tenant, admin_membership.pk), {"role": "assessor"}, format="json")
    assert response.status_code == 403


def test_client_admin_sees_only_people_of_their_organization(tenant, member, api_for):
    client_admin = member(Role.CLIENT_ADMIN)
    colleague = member(Role.CLIENT_CONTRIBUTOR, organization=client_admin.organization)
    member(Role.ASSESSOR)
    ids = {m["id"] for m in api_for(client_admin).get(_api(tenant)).json()["results"]}
    assert ids == {client_admin.pk, colleague.pk}


def test_people_page_uses_a_constant_number_of_queries(
    tenant, admin_membership, client_for, django_assert_max_num_queries
):
    client = client_for(admin_membership)
    url = reverse("tenants:membership_list", args=[tenant.slug])
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    for _ in range(20):
        MembershipFactory(tenant=tenant, role=Role.CLIENT_CONTRIBUTOR)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
