"""The scope picker: the engagement form offers the model by name and its tree as ticked boxes
(parts, domains, items by name); a ticked domain takes everything beneath it; the scope changes
on the edit form while the engagement is prepared; the API keeps taking codes."""

from django.urls import reverse
from django_scopes import scope, scopes_disabled

from assessments.models import CapabilityItem, Domain, Engagement
from tests.engagement_world import advance, build_world, shipped_cd_version
from tests.factories_assessments import make_model_version


def _create_url(tenant):
    return reverse("assessments:engagement_create", args=[tenant.slug])


def test_the_form_names_the_model_and_shows_its_tree_as_boxes(tenant, client_for):
    world = build_world(tenant)
    cd = shipped_cd_version()
    html = client_for(world.admin).get(_create_url(tenant)).content.decode()
    assert f"{cd.model.name_en} 2026.2" in html
    with scopes_disabled():
        domain = Domain.objects.filter(version=cd, parent__isnull=False).first()
        leaf = CapabilityItem.objects.filter(version=cd, is_leaf=True).first()
    assert f'name="scope_domains" value="{domain.pk}"' in html
    assert domain.name_en in html
    assert f'name="scope_items" value="{leaf.pk}"' in html
    assert "<script>" not in html  # no inline script: the picker's is a file (CSP)
    assert "portal/scope.js" in html


def test_a_ticked_domain_and_a_ticked_item_make_the_scope(tenant, client_for):
    world = build_world(tenant)
    version = make_model_version(domains=3, items_per_domain=2, version="2.0")
    with scopes_disabled():
        d0 = Domain.objects.get(version=version, code="D0")
        lone = CapabilityItem.objects.filter(version=version, domain__code="D2").first()
    response = client_for(world.admin).post(
        _create_url(tenant),
        {
            "organization": world.organization.pk,
            "model_version": version.pk,
            "kind": "initial",
            "target_level": 3,
            "scope_domains": [d0.pk],
            "scope_items": [lone.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with scope(tenant=tenant):
        engagement = Engagement.objects.get(model_version=version)
        codes = sorted(engagement.scope_items.values_list("domain__code", flat=True))
    assert codes == ["D0", "D0", "D2"]


def test_nothing_ticked_or_a_foreign_box_is_a_form_error_and_nothing_is_written(tenant, client_for):
    world = build_world(tenant)
    version = make_model_version(version="2.0")
    other = make_model_version(version="3.0")
    with scopes_disabled():
        foreign = Domain.objects.get(version=other, code="D0")
    base = {
        "organization": world.organization.pk,
        "model_version": version.pk,
        "kind": "initial",
        "target_level": 3,
    }
    client = client_for(world.admin)
    for extra, message in (
        ({}, "Choose at least one part, domain or item."),
        ({"scope_domains": [foreign.pk]}, "Unknown domain for this model version."),
        ({"scope_items": ["x1"]}, "Choose from the model"),
    ):
        response = client.post(_create_url(tenant), {**base, **extra})
        assert response.status_code == 200
        assert message in response.content.decode()
    with scope(tenant=tenant):
        assert not Engagement.objects.filter(model_version=version).exists()


def test_the_edit_form_changes_the_scope_while_the_engagement_is_prepared(tenant, client_for):
    world = build_world(tenant, items=3)
    edit = reverse("assessments:engagement_edit", args=[tenant.slug, world.engagement.pk])
    client = client_for(world.admin)
    page = client.get(edit).content.decode()
    with scope(tenant=tenant):
        leaves = list(world.engagement.scope_items.order_by("code"))
    for leaf in leaves:
        assert f'name="scope_items" value="{leaf.pk}" checked' in page
    response = client.post(
        edit,
        {"title": "Narrower", "target_level": 2, "scope_items": [leaves[0].pk]},
    )
    assert response.status_code == 302
    with scope(tenant=tenant):
        engagement = Engagement.objects.get(pk=world.engagement.pk)
        assert list(engagement.scope_items.all()) == [leaves[0]]
        assert (engagement.title, engagement.target_level) == ("Narrower", 2)
    assert client_for(world.lead).get(edit).status_code == 403
    advance(world, "evidence")
    refused = client.post(edit, {"target_level": 2, "scope_items": [leaves[1].pk]}, follow=True)
    assert "Not possible while the engagement is in the evidence phase." in refused.content.decode()
    with scope(tenant=tenant):
        assert list(Engagement.objects.get(pk=world.engagement.pk).scope_items.all()) == [leaves[0]]


def test_the_api_still_takes_codes_on_create_and_on_update(tenant, api_for):
    world = build_world(tenant, items=2)
    url = f"/api/v1/t/{tenant.slug}/engagements/{world.engagement.pk}/"
    response = api_for(world.admin).patch(url, {"scope": ["D0.I0"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["scope_items"] == ["D0.I0"]
    bad = api_for(world.admin).patch(url, {"scope": ["NOPE"]}, format="json")
    assert bad.status_code == 400
    assert "scope" in bad.json()
