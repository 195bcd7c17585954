"""The API of the model library: browse, upload, publish, tree, export, compare."""

import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_scopes import scopes_disabled

from assessments.model_format import MAX_MODEL_BYTES, load_model
from assessments.models import CapabilityItem, LevelRequirement, MaturityModel, ModelVersion
from assessments.services import library
from portal.models import AuditEntry
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
    # As a filter, another body's version is refused like one that does not exist.
    filtered = api.get(_api(tenant, "items/"), {"version": theirs.pk})
    assert filtered.status_code == 400 and "version" in filtered.json()


def test_models_and_versions_are_never_edited_through_the_api(tenant, member, api_for):
    version = make_model_version()
    api = api_for(member(Role.TENANT_ADMIN))
    assert api.post(_api(tenant, "models/"), {"code": "x"}, format="json").status_code == 405
    url = _api(tenant, f"model-versions/{version.pk}/")
    assert api.patch(url, {"status": "draft"}, format="json").status_code == 405


# Writes and the views of one version: upload, publish, delete a draft, tree, export, compare.

MODEL_DATA = Path(__file__).resolve().parent.parent / "assessments" / "model_data"


def _model_text(code="acme-security"):
    text = (MODEL_DATA / "devops-security.yaml").read_text(encoding="utf-8")
    return text.replace("code: devops-security", f"code: {code}", 1)


def _upload(api, tenant, text, name="model.yaml"):
    return api.post(
        _api(tenant, "model-versions/upload/"),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="application/yaml")},
        format="multipart",
    )


def _rows():
    """What a write may change: versions, models, their content and the audit trail."""
    with scopes_disabled():
        return (
            ModelVersion.objects.count(),
            MaturityModel.objects.count(),
            CapabilityItem.objects.count(),
            AuditEntry.objects.count(),
            list(ModelVersion.objects.order_by("pk").values_list("status", "published_at")),
        )


def test_tenant_admin_uploads_a_multipart_file_as_a_draft(tenant, admin_membership, api_for):
    response = _upload(api_for(admin_membership), tenant, _model_text())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "acme-security" and body["status"] == "draft"
    with scopes_disabled():
        version = ModelVersion.objects.get(pk=body["id"])
        assert version.tenant == tenant and version.item_count == body["item_count"] > 0
        assert AuditEntry.objects.filter(verb="model.imported", object_pk=str(version.pk)).exists()


def test_upload_takes_a_raw_yaml_body(tenant, admin_membership, api_for):
    response = api_for(admin_membership).generic(
        "POST",
        _api(tenant, "model-versions/upload/"),
        _model_text().encode(),
        content_type="application/yaml",
    )
    assert response.status_code == 201, response.content
    with scopes_disabled():
        assert ModelVersion.objects.get(pk=response.json()["id"]).model.code == "acme-security"


def test_a_refused_upload_lists_every_problem_with_line_and_path_and_stores_nothing(
    tenant, admin_membership, api_for
):
    broken = _model_text().replace("level: 3", "level: 9", 1).replace("level: 2", "level: 0", 1)
    before = _rows()
    response = _upload(api_for(admin_membership), tenant, broken)
    assert response.status_code == 400
    body = response.json()
    assert "file" in body
    paths = {problem["path"] for problem in body["problems"]}
    assert {"levels[1].level", "levels[2].level"} <= paths
    assert all(
        isinstance(problem["line"], int) and problem["message"] for problem in body["problems"]
    )
    assert _rows() == before


def test_upload_without_a_file_names_the_field(tenant, admin_membership, api_for):
    response = api_for(admin_membership).post(
        _api(tenant, "model-versions/upload/"), {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_an_existing_version_is_refused_naming_the_file(tenant, admin_membership, api_for):
    api = api_for(admin_membership)
    assert _upload(api, tenant, _model_text()).status_code == 201
    before = _rows()
    response = _upload(api, tenant, _model_text())
    assert response.status_code == 400
    assert "exists already" in response.json()["file"][0]
    assert _rows() == before


def test_an_assessor_cannot_upload_and_nothing_changes(tenant, member, api_for):
    before = _rows()
    response = _upload(api_for(member(Role.ASSESSOR)), tenant, _model_text())
    assert response.status_code == 403
    assert _rows() == before
    # A broken file is refused for the role too, not reported as bad input.
    assert _upload(api_for(member(Role.ASSESSOR)), tenant, "code: [").status_code == 403


def test_tenant_admin_publishes_a_draft(tenant, admin_membership, member, api_for):
    draft = make_model_version(model=MaturityModelFactory(tenant=tenant), published=False)
    assessor = api_for(member(Role.ASSESSOR))
    assert assessor.get(_api(tenant, f"model-versions/{draft.pk}/")).status_code == 404
    response = api_for(admin_membership).post(_api(tenant, f"model-versions/{draft.pk}/publish/"))
    assert response.status_code == 200
    assert response.json()["status"] == "published" and response.json()["published_at"]
    assert assessor.get(_api(tenant, f"model-versions/{draft.pk}/")).status_code == 200
    with scopes_disabled():
        assert AuditEntry.objects.filter(verb="model.published", object_pk=str(draft.pk)).exists()


def test_publishing_a_published_version_is_409_and_changes_nothing(
    tenant, admin_membership, api_for
):
    version = make_model_version(model=MaturityModelFactory(tenant=tenant))
    before = _rows()
    response = api_for(admin_membership).post(_api(tenant, f"model-versions/{version.pk}/publish/"))
    assert response.status_code == 409
    assert "published already" in response.json()["detail"]
    assert _rows() == before


def test_an_assessor_cannot_publish_and_nothing_changes(tenant, member, api_for):
    version = make_model_version(model=MaturityModelFactory(tenant=tenant))
    draft = make_model_version(model=version.model, published=False, version="2.0")
    assessor = api_for(member(Role.ASSESSOR))
    before = _rows()
    assert assessor.post(_api(tenant, f"model-versions/{version.pk}/publish/")).status_code == 403
    # A draft is invisible to assessors: not found, as a missing id.
    assert assessor.post(_api(tenant, f"model-versions/{draft.pk}/publish/")).status_code == 404
    assert _rows() == before


def test_a_tenant_admin_cannot_publish_a_global_draft(tenant, admin_membership, api_for):
    draft = make_model_version(published=False)
    before = _rows()
    response = api_for(admin_membership).post(_api(tenant, f"model-versions/{draft.pk}/publish/"))
    assert response.status_code == 403
    assert _rows() == before


def test_tenant_admin_deletes_a_draft_but_never_a_published_version(
    tenant, admin_membership, member, api_for
):
    model = MaturityModelFactory(tenant=tenant)
    published = make_model_version(model=model)
    draft = make_model_version(model=model, published=False, version="2.0")
    before = _rows()
    assessor = api_for(member(Role.ASSESSOR))
    assert assessor.delete(_api(tenant, f"model-versions/{published.pk}/")).status_code == 403
    admin = api_for(admin_membership)
    assert admin.delete(_api(tenant, f"model-versions/{published.pk}/")).status_code == 409
    assert _rows() == before
    assert admin.delete(_api(tenant, f"model-versions/{draft.pk}/")).status_code == 204
    with scopes_disabled():
        assert not ModelVersion.objects.filter(pk=draft.pk).exists()
        assert ModelVersion.objects.filter(pk=published.pk).exists()


def test_tree_nests_domains_items_and_level_requirements(tenant, member, api_for):
    version = make_model_version(domains=2, items_per_domain=3)
    response = api_for(member(Role.ASSESSOR)).get(
        _api(tenant, f"model-versions/{version.pk}/tree/")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == version.pk and body["levels"][2]["name_zh"] == "全面级"
    [part] = body["domains"]
    assert part["code"] == "P" and [d["code"] for d in part["domains"]] == ["D0", "D1"]
    item = part["domains"][1]["items"][2]
    assert item["code"] == "D1.I2" and item["name_zh"] == "能力项 1.2"
    levels = [r["level"] for r in item["requirements"]]
    assert levels == [1, 1, 2, 3, 4, 5]
    assert item["requirements"][3]["text_en"] == "Requirement 3.0 of item 1.2"


def test_tree_queries_do_not_grow_with_the_model(
    tenant, member, api_for, django_assert_num_queries, django_assert_max_num_queries
):
    api = api_for(member(Role.ASSESSOR))
    small = make_model_version(domains=1, items_per_domain=2)
    big = make_model_version(domains=6, items_per_domain=10, version="2.0")
    with django_assert_max_num_queries(20) as few:
        assert api.get(_api(tenant, f"model-versions/{small.pk}/tree/")).status_code == 200
    with django_assert_num_queries(len(few.captured_queries)):
        assert api.get(_api(tenant, f"model-versions/{big.pk}/tree/")).status_code == 200


def test_export_answers_the_yaml_file(tenant, member, api_for):
    version = make_model_version(domains=1, items_per_domain=2)
    response = api_for(member(Role.ASSESSOR)).get(
        _api(tenant, f"model-versions/{version.pk}/export/")
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    filename = f"{version.model.code}-{version.version}.yaml"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    document = load_model(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    with scopes_disabled():
        assert document == library.version_document(version)


def _two_versions(tenant):
    """1.0 with D0, D1 of two items each; 2.0 (a draft) drops D1, adds D0.I2, renames D0.I0 and
    rewords one requirement of D0.I1."""
    model = MaturityModelFactory(tenant=tenant)
    old = make_model_version(model=model, domains=2, items_per_domain=2)
    new = make_model_version(
        model=model, domains=1, items_per_domain=3, version="2.0", published=False
    )
    with scopes_disabled():
        CapabilityItem.objects.filter(version=new, code="D0.I0").update(name_en="Renamed")
        LevelRequirement.objects.filter(version=new, code="D0.I1.L3.0").update(text_en="Stricter")
    return old, new


def test_compare_lists_added_removed_and_changed_items_and_requirements(
    tenant, admin_membership, api_for
):
    old, new = _two_versions(tenant)
    response = api_for(admin_membership).get(
        _api(tenant, f"model-versions/{new.pk}/compare/"), {"with": old.pk}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["from"]["id"] == old.pk and body["to"]["id"] == new.pk
    changes = {(c["kind"], c["code"]): c for c in body["changes"]}
    assert changes[("item", "D0.I2")]["what"] == "added"
    assert changes[("item", "D1.I0")]["what"] == "removed"
    renamed = changes[("item", "D0.I0")]
    assert renamed["what"] == "changed" and renamed["fields"] == ["name"]
    assert renamed["old"]["name"]["en"] == "Item 0.0" and renamed["new"]["name"]["en"] == "Renamed"
    reworded = changes[("requirement", "D0.I1.L3.0")]
    assert reworded["fields"] == ["text"] and reworded["new"]["text"]["en"] == "Stricter"
    assert reworded["new"]["level"] == 3
    assert body["counts"]["item_added"] == 1 and body["counts"]["item_removed"] == 2
    assert body["counts"]["requirement_added"] == 6


def test_compare_with_another_tenants_or_a_missing_version_is_refused_alike(
    tenant, other_tenant, admin_membership, api_for
):
    version = make_model_version(model=MaturityModelFactory(tenant=tenant))
    theirs = make_model_version(model=MaturityModelFactory(tenant=other_tenant, code="theirs"))
    api = api_for(admin_membership)
    url = _api(tenant, f"model-versions/{version.pk}/compare/")
    foreign = api.get(url, {"with": theirs.pk})
    missing = api.get(url, {"with": theirs.pk + 1000})
    assert foreign.status_code == missing.status_code == 400
    assert list(foreign.json()) == ["with"]
    assert foreign.json()["with"] == [
        m.replace(str(theirs.pk + 1000), str(theirs.pk)) for m in missing.json()["with"]
    ]
    assert api.get(url).status_code == 400
    assert "with" in api.get(url, {"with": "abc"}).json()


def test_every_action_on_another_tenants_version_is_404(
    tenant, other_tenant, admin_membership, api_for
):
    theirs = make_model_version(model=MaturityModelFactory(tenant=other_tenant), published=False)
    api = api_for(admin_membership)
    before = _rows()
    for action in ("tree", "export", "compare"):
        url = _api(tenant, f"model-versions/{theirs.pk}/{action}/")
        assert api.get(url, {"with": theirs.pk}).status_code == 404
    assert api.post(_api(tenant, f"model-versions/{theirs.pk}/publish/")).status_code == 404
    assert api.delete(_api(tenant, f"model-versions/{theirs.pk}/")).status_code == 404
    assert _rows() == before


def test_the_openapi_schema_has_the_library_routes_and_no_warnings(db):
    out = io.StringIO()
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out, stderr=out)
    schema = out.getvalue()
    for action in ("upload/", "{id}/publish/", "{id}/tree/", "{id}/export/", "{id}/compare/"):
        assert f"/api/v1/t/{{tenant}}/model-versions/{action}" in schema


def test_an_oversized_upload_is_refused_naming_the_file(tenant, admin_membership, api_for):
    before = _rows()
    api = api_for(admin_membership)
    text = _model_text() + "#" * (MAX_MODEL_BYTES + 1)
    assert list(_upload(api, tenant, text).json()) == ["file"]
    response = api.generic(
        "POST", _api(tenant, "model-versions/upload/"), text.encode(), content_type="text/yaml"
    )
    assert response.status_code == 400 and list(response.json()) == ["file"]
    assert _rows() == before
