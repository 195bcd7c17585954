"""The read-only API of the model library."""

from tenants.roles import Role
from tests.factories_assessments import MaturityModelFactory, make_model_version


def _api(tenant, path):
    return f"/api/v1/t/{tenant.slug}/{path}"


def test_lists_and_filters(tenant, member, api_for):
    version = make_model_version(domains=2, items_per_domain=3)
    api = api_for(member(Role.ASSESSOR))
    assert api.get(_api(tenant, "models/")).json()["count"] == 1
    versions = api.get(_api(tenant, "model-versions/"), {"code": version.model.code}).json()
    assert versions["results"][0]["levels"][2]["name_zh"] == "全面级"
    items = api.get(_api(tenant, "items/"), {"version": version.pk}).json()
    assert items["count"] == 6
    level3 = api.get(_api(tenant, "requirements/"), {"version": version.pk, "level": 3}).json()
    assert level3["count"] == 6
    assert {r["level"] for r in level3["results"]} == {3}


def test_drafts_are_hidden_from_assessors(tenant, member, api_for):
    draft = make_model_version(model=MaturityModelFactory(tenant=tenant), published=False)
    assessor = api_for(member(Role.ASSESSOR))
    assert assessor.get(_api(tenant, f"model-versions/{draft.pk}/")).status_code == 404
    admin = api_for(member(Role.TENANT_ADMIN))
    assert admin.get(_api(tenant, f"model-versions/{draft.pk}/")).status_code == 200


def test_another_tenants_model_is_404(tenant, other_tenant, member, api_for):
    theirs = make_model_version(model=MaturityModelFactory(tenant=other_tenant))
    api = api_for(member(Role.TENANT_ADMIN))
    assert api.get(_api(tenant, f"model-versions/{theirs.pk}/")).status_code == 404
    assert api.get(_api(tenant, "items/"), {"version": theirs.pk}).json()["count"] == 0


def test_the_library_api_is_read_only(tenant, member, api_for):
    version = make_model_version()
    api = api_for(member(Role.TENANT_ADMIN))
    assert api.post(_api(tenant, "models/"), {"code": "x"}, format="json").status_code == 405
    url = _api(tenant, f"model-versions/{version.pk}/")
    assert api.patch(url, {"status": "draft"}, format="json").status_code == 405
