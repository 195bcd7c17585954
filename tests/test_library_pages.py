"""Browsing, comparing, uploading and publishing capability models in the portal."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from assessments.models import CapabilityItem, Domain, ModelVersion
from assessments.services import library
from tenants.roles import Role
from tests.factories_assessments import MaturityModelFactory, make_model_version

MODEL_DATA = Path(__file__).resolve().parent.parent / "assessments" / "model_data"


def _url(tenant, name, *args):
    return reverse(f"assessments:{name}", args=[tenant.slug, *args])


def _upload(client, tenant, text, name="model.yaml"):
    return client.post(
        _url(tenant, "model_upload"),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="application/yaml")},
    )


def test_tree_page_in_english_and_chinese(tenant, member, client_for):
    version = make_model_version()
    client = client_for(member(Role.ASSESSOR))
    page = client.get(_url(tenant, "version_detail", version.pk)).content.decode()
    assert "Item 0.1" in page and "Comprehensive" in page and "Requirement 3.0 of item 1.1" in page
    client.cookies["django_language"] = "zh-hans"
    page = client.get(_url(tenant, "version_detail", version.pk)).content.decode()
    assert "能力项 0.1" in page and "全面级" in page and "能力项 1.1 的要求 3.0" in page


def test_tree_page_queries_do_not_grow_with_the_model(
    tenant, member, client_for, django_assert_max_num_queries
):
    client = client_for(member(Role.ASSESSOR))
    small = make_model_version(domains=1, items_per_domain=5)
    big = make_model_version(domains=5, items_per_domain=10, version="2.0")
    with django_assert_max_num_queries(20) as few:
        client.get(_url(tenant, "version_detail", small.pk))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(_url(tenant, "version_detail", big.pk)).status_code == 200


def test_tenant_admin_uploads_then_publishes_a_model_of_their_own(
    tenant, other_tenant, admin_membership, client_for, member
):
    client = client_for(admin_membership)
    text = (MODEL_DATA / "devops-security.yaml").read_text(encoding="utf-8")
    text = text.replace("code: devops-security", "code: acme-security", 1)
    response = _upload(client, tenant, text)
    assert response.status_code == 302
    with scopes_disabled():
        version = ModelVersion.objects.get(model__code="acme-security")
    assert version.tenant == tenant and not version.is_published
    # Assessors do not see drafts; after publishing they do.
    assessor = client_for(member(Role.ASSESSOR))
    assert assessor.get(_url(tenant, "version_detail", version.pk)).status_code == 404
    client.post(_url(tenant, "version_publish", version.pk))
    assert assessor.get(_url(tenant, "version_detail", version.pk)).status_code == 200
    # Another body never sees it.
    outsider = client_for(member(Role.TENANT_ADMIN, tenant=other_tenant))
    response = outsider.get(reverse("assessments:version_detail", args=["other", version.pk]))
    assert response.status_code == 404


def test_a_broken_upload_lists_every_problem_with_line_and_path(
    tenant, admin_membership, client_for
):
    text = (MODEL_DATA / "devops-security.yaml").read_text(encoding="utf-8")
    broken = text.replace("level: 3", "level: 9", 1).replace("level: 2", "level: 0", 1)
    page = _upload(client_for(admin_membership), tenant, broken).content.decode()
    assert "Problems found" in page
    assert "<code>levels[1].level</code>" in page
    assert "<code>levels[2].level</code>" in page
    with scopes_disabled():
        assert not ModelVersion.objects.exists()


def test_assessor_cannot_upload(tenant, member, client_for):
    response = _upload(client_for(member(Role.ASSESSOR)), tenant, "code: x")
    assert response.status_code == 403


def test_a_published_version_cannot_change(db):
    version = make_model_version()
    with scopes_disabled():
        item = CapabilityItem.objects.filter(version=version).first()
        item.name_en = "Changed"
        with pytest.raises(ValidationError):
            item.save()
        with pytest.raises(ValidationError):
            Domain.objects.create(version=version, code="NEW", name_en="n", name_zh="n")


def test_compare_shows_added_removed_and_changed(tenant, member, client_for):
    model = MaturityModelFactory()
    old = make_model_version(model=model, domains=1, items_per_domain=2, version="1.0")
    document = library.version_document(old)
    text = library.export_version(old)
    text = text.replace("version: '1.0'", "version: '2.0'").replace(
        "Requirement 3.0 of item 0.1", "Requirement 3.0 of item 0.1, now stricter"
    )
    from assessments.model_format import load_model

    new_doc = load_model(text)
    with scopes_disabled():
        new = library.import_model_document(document=new_doc)
        library.publish_version(version=new)
    assert document != new_doc
    page = client_for(member(Role.ASSESSOR)).get(
        _url(tenant, "version_compare", new.pk), {"with": old.pk}
    )
    body = page.content.decode()
    assert "D0.I1.L3.0" in body and "changed" in body


def test_published_versions_cannot_be_deleted_but_drafts_can(tenant, admin_membership, client_for):
    model = MaturityModelFactory(tenant=tenant)
    draft = make_model_version(model=model, published=False)
    client = client_for(admin_membership)
    assert client.post(_url(tenant, "version_delete", draft.pk)).status_code == 302
    with scopes_disabled():
        assert not ModelVersion.objects.filter(pk=draft.pk).exists()
    published = make_model_version(model=MaturityModelFactory(tenant=tenant))
    client.post(_url(tenant, "version_delete", published.pk))
    with scopes_disabled():
        assert ModelVersion.objects.filter(pk=published.pk).exists()


def test_publishing_twice_says_why_and_changes_nothing(tenant, admin_membership, client_for):
    version = make_model_version(model=MaturityModelFactory(tenant=tenant))
    with scopes_disabled():
        published_at = ModelVersion.objects.get(pk=version.pk).published_at
    response = client_for(admin_membership).post(
        _url(tenant, "version_publish", version.pk), follow=True
    )
    assert "published already" in response.content.decode()
    with scopes_disabled():
        assert ModelVersion.objects.get(pk=version.pk).published_at == published_at


def test_tree_page_shows_layers_sub_items_description_cells_and_evidence(
    tenant, member, client_for
):
    from assessments.model_format import load_model
    from tests.test_model_format2 import VALID2

    with scopes_disabled():
        version = library.publish_version(
            version=library.import_model_document(document=load_model(VALID2))
        )
    client = client_for(member(Role.ASSESSOR))
    page = client.get(_url(tenant, "version_detail", version.pk)).content.decode()
    assert "YD/T 3763.3-2021" in page
    assert "Sub-item B" in page and "P.X.A.L3.1" in page  # sub-items and their requirements
    assert "Nothing is managed." in page  # a description-only cell
    assert "EV-A-L2-1" in page and "The rules" in page  # expected evidence
    assert "能力子项" in page  # the layer name, shown in the other language when one is missing
