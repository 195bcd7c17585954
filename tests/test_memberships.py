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


def _audit_count(tenant=None):
    from portal.models import AuditEntry

    entries = AuditEntry.objects.all()
    return entries.filter(tenant=tenant).count() if tenant else entries.count()


def test_admin_of_one_body_cannot_change_the_name_of_a_person_of_another_body_through_the_api(
    tenant, other_tenant, admin_membership, api_for, in_scope
):
    elsewhere = MembershipFactory(tenant=other_tenant, role=Role.ASSESSOR)
    here = MembershipFactory(tenant=tenant, user=elsewhere.user, role=Role.ASSESSOR)
    before = User.objects.values().get(pk=here.user.pk)
    entries = _audit_count()
    response = api_for(admin_membership).patch(
        _api(tenant, here.pk), {"first_name": "Mallory", "last_name": "Renamed"}, format="json"
    )
    assert response.status_code == 403
    assert User.objects.values().get(pk=here.user.pk) == before
    assert _audit_count() == entries


def test_admin_of_one_body_cannot_change_the_name_of_a_person_of_another_body_on_the_web(
    tenant, other_tenant, admin_membership, client_for
):
    elsewhere = MembershipFactory(tenant=other_tenant, role=Role.ASSESSOR)
    here = MembershipFactory(tenant=tenant, user=elsewhere.user, role=Role.ASSESSOR)
    before = User.objects.values().get(pk=here.user.pk)
    url = reverse("tenants:membership_edit", args=[tenant.slug, here.pk])
    client = client_for(admin_membership)
    assert 'name="first_name"' not in client.get(url).content.decode()
    client.post(
        url,
        {"role": Role.ASSESSOR, "is_active": "on", "first_name": "Mallory", "last_name": "R"},
    )
    assert User.objects.values().get(pk=here.user.pk) == before


def test_adding_an_existing_account_shows_the_body_none_of_its_personal_data(
    tenant, other_tenant, admin_membership, api_for, client_for
):
    elsewhere = MembershipFactory(
        tenant=other_tenant,
        role=Role.ASSESSOR,
        user__first_name="Privatefirst",
        user__last_name="Privatelast",
    )
    response = api_for(admin_membership).post(
        _api(tenant), {"email": elsewhere.user.email, "role": Role.REVIEWER}, format="json"
    )
    assert response.status_code == 201
    listing = api_for(admin_membership).get(_api(tenant)).content.decode()
    page = client_for(admin_membership).get(reverse("tenants:membership_list", args=[tenant.slug]))
    for shown in (response.content.decode(), listing, page.content.decode()):
        assert "Privatefirst" not in shown and "Privatelast" not in shown


def test_a_body_local_display_name_shows_in_that_body_only_and_is_audited(
    tenant, other_tenant, admin_membership, api_for, client_for, in_scope
):
    elsewhere = MembershipFactory(tenant=other_tenant, role=Role.ASSESSOR)
    here = MembershipFactory(tenant=tenant, user=elsewhere.user, role=Role.ASSESSOR)
    before = User.objects.values().get(pk=here.user.pk)
    response = api_for(admin_membership).patch(
        _api(tenant, here.pk), {"display_name": "Dr. Wang (QA)"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Dr. Wang (QA)"
    assert User.objects.values().get(pk=here.user.pk) == before
    page = client_for(admin_membership).get(reverse("tenants:membership_list", args=[tenant.slug]))
    assert "Dr. Wang (QA)" in page.content.decode()
    with in_scope(other_tenant):
        assert Membership.objects.get(pk=elsewhere.pk).display_name == ""
    from portal.models import AuditEntry

    entry = AuditEntry.objects.filter(verb="membership.updated", tenant=tenant).last()
    assert entry.changes["display_name"] == ["", "Dr. Wang (QA)"]


def test_every_membership_change_is_audited(tenant, admin_membership, member, api_for):
    assessor = member(Role.ASSESSOR)
    api = api_for(admin_membership)
    api.patch(_api(tenant, assessor.pk), {"role": Role.REVIEWER}, format="json")
    api.patch(_api(tenant, assessor.pk), {"is_active": False}, format="json")
    from portal.models import AuditEntry

    changes = [
        e.changes
        for e in AuditEntry.objects.filter(verb="membership.updated", tenant=tenant).order_by("pk")
    ]
    assert changes == [{"role": ["assessor", "reviewer"]}, {"is_active": ["True", "False"]}]
