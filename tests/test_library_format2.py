"""Format-2 models in the database: sub-items, level cells and expected evidence are stored and
exported exactly, engagements scope and score their leaves, and format-1 versions are untouched."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from assessments.model_format import dump_model, load_model
from assessments.models import (
    CapabilityItem,
    Engagement,
    ExpectedEvidence,
    LevelCell,
    ModelVersion,
)
from assessments.selectors.library import version_tree
from assessments.selectors.work import engagement_score, score_rows
from assessments.services import engagements as engagement_services
from assessments.services import library
from tenants.roles import Role
from tests.factories import OrganizationFactory
from tests.test_model_format import VALID
from tests.test_model_format2 import VALID2


def _published(text):
    with scopes_disabled():
        version = library.import_model_document(document=load_model(text))
        return library.publish_version(version=version)


def test_format_2_model_is_stored_with_its_settings_sub_items_cells_and_evidence(db):
    version = _published(VALID2)
    with scopes_disabled():
        assert (version.format, version.top_level, version.item_count) == (2, 3, 2)
        assert version.standard_identifier == "YD/T 3763.3-2021"
        assert version.standard_status == "current"
        assert (version.aggregation_rule, version.aggregation_tolerance) == (
            "minimum_with_tolerance",
            1,
        )
        parent = CapabilityItem.objects.get(version=version, code="P.X")
        assert not parent.is_leaf
        assert set(parent.children.values_list("code", flat=True)) == {"P.X.A", "P.X.B"}
        assert LevelCell.objects.filter(version=version).count() == 5
        evidence = ExpectedEvidence.objects.get(version=version)
        assert (evidence.code, evidence.kind, evidence.cell.level) == ("EV-A-L2-1", "document", 2)


def test_format_2_model_exports_to_the_document_it_was_imported_from(db):
    version = _published(VALID2)
    with scopes_disabled():
        exported = library.export_version(version)
    assert load_model(exported) == load_model(VALID2)
    assert exported == dump_model(load_model(VALID2))


def test_format_1_model_still_exports_as_format_1(db):
    version = _published(VALID)
    with scopes_disabled():
        exported = library.export_version(version)
    assert "format:" not in exported and load_model(exported) == load_model(VALID)


def test_version_tree_nests_sub_items_with_their_layer_depth_in_constant_queries(
    db, django_assert_num_queries
):
    version = _published(VALID2)
    with scopes_disabled(), django_assert_num_queries(5):
        tree = version_tree(version)
    (part,) = tree.domains
    (parent,) = part.items
    assert [child.code for child in parent.items] == ["P.X.A", "P.X.B"]
    assert (parent.depth, parent.items[0].depth) == (1, 2)
    assert version.layer_name(2) == "Capability sub-item" or version.layer_name(2) == "能力子项"
    cells = parent.items[0].level_cells()
    assert [cell.level for cell in cells] == [1, 2, 3]
    assert cells[0].requirements == [] and cells[0].description == "Nothing is managed."
    assert [e.code for e in cells[1].evidence] == ["EV-A-L2-1"]


def test_engagement_scope_holds_the_leaves_and_scores_them(tenant, member):
    version = _published(VALID2)
    admin = member(Role.TENANT_ADMIN)
    organization = OrganizationFactory(tenant=tenant)
    with scope(tenant=tenant):
        engagement = engagement_services.create_engagement(
            tenant=tenant,
            by=admin,
            organization=organization,
            model_version=version,
            target_level=3,
            scope_codes=["P.X"],
        )
        assert set(engagement.scope_items.values_list("code", flat=True)) == {"P.X.A", "P.X.B"}
        score = engagement_score(engagement)
        assert score.result.items.keys() == {"P.X.A", "P.X.B"}
        assert score.result.parents["P.X"].level == 1  # nothing asked at level 1: vacuous
        rows = score_rows(score, {})
    assert [(row.kind, row.code) for row in rows] == [
        ("domain", "P"),
        ("group", "P.X"),
        ("item", "P.X.A"),
        ("item", "P.X.B"),
    ]


def test_target_level_above_the_declared_levels_is_refused(tenant, member):
    version = _published(VALID2)
    admin = member(Role.TENANT_ADMIN)
    organization = OrganizationFactory(tenant=tenant)
    with scope(tenant=tenant):
        with pytest.raises(ValidationError) as refused:
            engagement_services.create_engagement(
                tenant=tenant,
                by=admin,
                organization=organization,
                model_version=version,
                target_level=4,
                scope_codes=["P"],
            )
        assert "target_level" in refused.value.message_dict
        assert not Engagement.objects.exists()


def test_format_1_versions_keep_format_1_defaults(db):
    version = _published(VALID)
    with scopes_disabled():
        version = ModelVersion.objects.get(pk=version.pk)
        assert (version.format, version.top_level, version.layers) == (1, 5, [])
        assert CapabilityItem.objects.filter(version=version, is_leaf=False).count() == 0
        assert LevelCell.objects.filter(version=version).count() == 0


def test_both_shipped_cd_versions_are_published_side_by_side_and_compare(db):
    from assessments import demo

    demo.load(write=lambda message: None)
    with scopes_disabled():
        old, new = (
            ModelVersion.objects.get(model__code="devops-cd", version=v)
            for v in ("2026.1", "2026.2")
        )
        assert old.is_published and new.is_published and old.model_id == new.model_id
        assert (old.format, new.format, new.item_count) == (1, 2, 49)
        changes = library.compare_versions(old, new)
    added = {c.code for c in changes if c.kind == "item" and c.what == "added"}
    assert "CD.CM.VC.AM" in added  # 制品管理, missing from 2026.1
    assert any(c.kind == "requirement" and c.what == "removed" for c in changes)
