"""Levels as the model declares them in the engagement and decision choices, and the officer's
decision: lower than computed with the reasons recorded, never higher."""

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scope, scopes_disabled

from assessments.forms.engagements import DecisionForm, EngagementForm
from assessments.models import Decision, Engagement, ModelVersion
from assessments.services import decisions
from assessments.services import engagements as services
from portal.models import AuditEntry
from tests.engagement_world import advance, build_world, rate_everything

SEVEN = [{"level": n, "name_en": f"Stage {n}", "name_zh": f"第{n}阶段"} for n in range(1, 8)]


def _seven_levels(version):
    with scopes_disabled():
        ModelVersion.objects.filter(pk=version.pk).update(levels=SEVEN)
        version.refresh_from_db()


def _in_decision(world, up_to_level=3):
    S = Engagement.State
    e = advance(world, S.ASSESSMENT)
    with scope(tenant=world.tenant):
        rate_everything(world, e, up_to_level=up_to_level)
        e = services.transition(engagement=e, to=S.REVIEW, by=world.lead)
        decisions.record_review(engagement=e, by=world.reviewer, outcome="approved")
        e = services.transition(engagement=e, to=S.DECISION, by=world.reviewer)
    world.engagement = e
    return e


def test_the_decision_form_offers_the_declared_levels_with_their_names(tenant):
    world = build_world(tenant)
    _seven_levels(world.version)
    form = DecisionForm(version=world.version)
    choices = [(value, str(label)) for value, label in form.fields["level"].choices]
    assert choices[1:] == [(n, f"{n} — Stage {n}") for n in range(1, 8)]


def test_a_level_above_five_is_granted_when_the_model_declares_it(tenant):
    world = build_world(tenant)
    _seven_levels(world.version)
    engagement = _in_decision(world, up_to_level=5)  # 6 and 7 ask nothing: reached vacuously
    with scope(tenant=tenant):
        decision = decisions.record_decision(
            engagement=engagement,
            by=world.officer,
            outcome="granted",
            level=7,
            reasons="Everything the model asks is met.",
        )
    assert decision.level == 7


def test_a_level_the_model_does_not_declare_is_refused_naming_its_levels(tenant):
    world = build_world(tenant)
    _seven_levels(world.version)
    engagement = _in_decision(world, up_to_level=5)
    with scope(tenant=tenant), pytest.raises(ValidationError) as refused:
        decisions.record_decision(
            engagement=engagement, by=world.officer, outcome="granted", level=8, reasons="x"
        )
    assert "1 to 7" in refused.value.message_dict["level"][0]
    with scopes_disabled():
        assert not Decision.objects.exists()


def test_a_lower_level_is_granted_and_the_computed_level_is_recorded_with_the_reasons(tenant):
    world = build_world(tenant)
    engagement = _in_decision(world)  # the findings reach 3
    with scope(tenant=tenant):
        decision = decisions.record_decision(
            engagement=engagement,
            by=world.officer,
            outcome="granted",
            level=2,
            reasons="Level 3 practices are too recent to be relied upon.",
        )
    assert decision.level == 2 and decision.computed_level == 3
    with scopes_disabled():
        entry = AuditEntry.objects.get(verb="decision.recorded")
    assert entry.changes["computed_level"] == [None, "3"]


def test_a_higher_level_than_computed_is_refused_and_nothing_is_recorded(tenant):
    world = build_world(tenant)
    engagement = _in_decision(world)
    with scope(tenant=tenant), pytest.raises(ValidationError) as refused:
        decisions.record_decision(
            engagement=engagement, by=world.officer, outcome="granted", level=4, reasons="x"
        )
    assert "level 3" in refused.value.message_dict["level"][0]
    with scopes_disabled():
        assert not Decision.objects.exists()
        assert not AuditEntry.objects.filter(verb="decision.recorded").exists()


def test_the_target_level_choices_follow_the_declared_levels_of_the_versions_offered(tenant):
    world = build_world(tenant)
    _seven_levels(world.version)
    with scopes_disabled():
        versions = ModelVersion.objects.filter(pk=world.version.pk)
        form = EngagementForm(organizations=None, versions=versions)
    choices = [(value, str(label)) for value, label in form.fields["target_level"].choices]
    assert choices == [(n, f"{n} — Stage {n}") for n in range(1, 8)]
