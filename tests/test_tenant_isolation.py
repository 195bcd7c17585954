"""A user of tenant A walks every route with tenant B's ids, and sees nothing of B.

The routes come from the URLconf, so a new route is walked without anyone adding it here; a
route with an argument this file cannot fill fails the test until OBJECT_MAKERS says how to make
an object of tenant B for it.
"""

import importlib
import pkgutil
import uuid

import pytest
from django.urls import reverse

from tenants.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.urlwalk import all_routes

CANARY = f"CANARY-{uuid.uuid4().hex[:12]}"


def _organization(world):
    return world["b_organization"].pk


def _membership(world):
    return world["b_membership"].pk


# How to fill each URL argument with an object of tenant B: by argument name, or for DRF's
# generic `pk`, by route name. Each module of tests/isolation/ adds its subject's: a `MAKERS`
# dict like this one and a `populate(world, tenant_b, canary)` that makes tenant B's objects.
OBJECT_MAKERS = {
    "organization_id": _organization,
    "membership_id": _membership,
    "api:organization-detail/pk": _organization,
    "api:membership-detail/pk": _membership,
}
SUBJECTS = [
    importlib.import_module(f"tests.isolation.{m.name}")
    for m in pkgutil.iter_modules(importlib.import_module("tests.isolation").__path__)
]
for _subject in SUBJECTS:
    OBJECT_MAKERS.update(_subject.MAKERS)

# Routes outside any tenant: platform admin, auth and documentation. They hold no tenant data.
NOT_TENANT_ROUTES = ("admin:", "password_reset_confirm", "set_language", "javascript-catalog")


@pytest.fixture
def world(tenant, other_tenant):
    b_organization = OrganizationFactory(tenant=other_tenant, legal_name=f"{CANARY} Ltd")
    b_membership = MembershipFactory(
        tenant=other_tenant,
        role=Role.CLIENT_ADMIN,
        organization=b_organization,
        user__email=f"{CANARY.lower()}@b.test",
        user__first_name=CANARY,
    )
    world = {
        "a": tenant,
        "b": other_tenant,
        "b_organization": b_organization,
        "b_membership": b_membership,
    }
    for subject in SUBJECTS:
        subject.populate(world, other_tenant, CANARY)
    return world


def _fill(route, world, tenant_slug):
    values = {}
    for name in route.kwargs:
        if name == "tenant":
            values[name] = tenant_slug
            continue
        maker = OBJECT_MAKERS.get(f"{route.name}/{name}") or OBJECT_MAKERS.get(name)
        assert maker, (
            f"Route {route.route!r} ({route.name}) takes {name!r}: add to OBJECT_MAKERS how to "
            "make an object of another tenant for it, so the isolation walk covers it."
        )
        values[name] = maker(world)
    return reverse(route.name, kwargs=values)


def _tenant_routes():
    return [r for r in all_routes() if "tenant" in r.kwargs]


def _methods(route):
    return ("get", "post", "put", "patch", "delete") if route.is_api else ("get", "post")


def _request(client, method, url, route):
    if route.is_api:
        return getattr(client, method)(url, {"legal_name": "x"}, format="json")
    return getattr(client, method)(url, {"legal_name": "x"})


def test_the_walk_finds_the_tenant_routes():
    names = {r.name for r in _tenant_routes()}
    assert {"tenants:organization_detail", "api:organization-detail"} <= names


@pytest.mark.parametrize("role", list(Role))
def test_ids_of_another_tenant_answer_404_on_every_route(world, member, api_for, role):
    membership = member(role)
    client = api_for(membership)  # APIClient also drives the web views, with a session user
    walked = 0
    for route in _tenant_routes():
        if len(route.kwargs) == 1:
            continue  # no object id: covered by the list test below
        url = _fill(route, world, world["a"].slug)
        statuses = []
        for method in _methods(route):
            response = _request(client, method, url, route)
            assert CANARY not in response.content.decode(errors="replace"), (method, url)
            assert response.status_code in (404, 405), (method, url, response.status_code)
            statuses.append(response.status_code)
        assert 404 in statuses, (url, statuses)
        walked += 1
    assert walked >= 4


@pytest.mark.parametrize("role", list(Role))
def test_another_tenants_address_answers_404_on_every_route(world, member, api_for, role):
    client = api_for(member(role))
    for route in _tenant_routes():
        url = _fill(route, world, world["b"].slug)
        for method in _methods(route):
            response = _request(client, method, url, route)
            assert response.status_code == 404, (method, url, response.status_code)
            assert CANARY not in response.content.decode(errors="replace")


@pytest.mark.parametrize("role", list(Role))
def test_no_page_of_a_tenant_shows_another_tenants_data(world, member, api_for, role):
    client = api_for(member(role))
    for route in _tenant_routes():
        url = _fill(route, world, world["a"].slug)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        assert CANARY not in response.content.decode(errors="replace"), url


def test_routes_outside_tenants_show_no_tenant_data(world, member, client_for):
    client = client_for(member(Role.TENANT_ADMIN))
    for route in all_routes():
        if "tenant" in route.kwargs or route.name.startswith(NOT_TENANT_ROUTES) or route.kwargs:
            continue
        response = client.get(reverse(route.name))
        assert response.status_code < 500, (route.name, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert CANARY not in body.decode(errors="replace"), route.name
