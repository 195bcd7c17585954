"""Fewer steps at the end of an engagement: the reviewer approves and passes to the decision in
one step, and the decision form offers only the levels the findings reach."""

from django.urls import reverse
from django_scopes import scope, scopes_disabled

from assessments.models import Decision, Engagement, Review
from assessments.services import engagements as services
from portal.models import AuditEntry
from tests.engagement_world import advance, build_world, rate_everything

S = Engagement.State


def _url(world, name):
    return reverse(f"assessments:{name}", args=[world.tenant.slug, world.engagement.pk])


def _in_review(world, up_to_level=3):
    e = advance(world, S.ASSESSMENT)
    with scope(tenant=world.tenant):
        rate_everything(world, e, up_to_level=up_to_level)
        e = services.transition(engagement=e, to=S.REVIEW, by=world.lead)
    world.engagement = e
    return e


def _state(world):
    with scopes_disabled():
        return Engagement.objects.get(pk=world.engagement.pk).state


def test_the_review_page_offers_approving_and_passing_on_in_one_button(tenant, client_for):
    world = build_world(tenant)
    _in_review(world)
    page = client_for(world.reviewer).get(_url(world, "review_create")).content.decode()
    assert "Approve and pass to decision" in page
    assert 'name="approve_and_pass"' in page


def test_approve_and_pass_records_the_review_and_moves_to_decision(tenant, client_for):
    world = build_world(tenant)
    _in_review(world)
    response = client_for(world.reviewer).post(
        _url(world, "review_create"), {"approve_and_pass": "1", "comments": "Sound."}
    )
    assert response.status_code == 302
    assert _state(world) == S.DECISION
    with scopes_disabled():
        review = Review.objects.get(engagement=world.engagement)
        verbs = list(
            AuditEntry.objects.filter(engagement=world.engagement)
            .order_by("id")
            .values_list("verb", flat=True)
        )
    assert review.outcome == "approved" and review.comments == "Sound."
    assert verbs[-2:] == ["review.recorded", "engagement.transition"]


def test_approve_and_pass_writes_nothing_when_the_step_is_refused(tenant, client_for):
    # An observer may not review: 403 and no review, no state change.
    world = build_world(tenant)
    _in_review(world)
    response = client_for(world.observer).post(
        _url(world, "review_create"), {"approve_and_pass": "1"}
    )
    assert response.status_code == 403
    assert _state(world) == S.REVIEW
    with scopes_disabled():
        assert not Review.objects.exists()


def test_approve_and_pass_is_one_api_call(tenant, api_for):
    world = build_world(tenant)
    _in_review(world)
    response = api_for(world.reviewer).post(
        reverse("api:review-list", args=[tenant.slug]),
        {"engagement": world.engagement.pk, "outcome": "approved", "pass_to_decision": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["outcome"] == "approved"
    assert _state(world) == S.DECISION


def test_passing_on_a_review_that_asks_for_changes_is_refused_over_the_api(tenant, api_for):
    world = build_world(tenant)
    _in_review(world)
    response = api_for(world.reviewer).post(
        reverse("api:review-list", args=[tenant.slug]),
        {
            "engagement": world.engagement.pk,
            "outcome": "changes_requested",
            "comments": "Level 2 evidence is thin.",
            "pass_to_decision": True,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "pass_to_decision" in response.json()
    assert _state(world) == S.REVIEW
    with scopes_disabled():
        assert not Review.objects.exists()


def _in_decision(world, up_to_level):
    e = _in_review(world, up_to_level=up_to_level)
    from assessments.services import decisions

    with scope(tenant=world.tenant):
        decisions.approve_and_pass_to_decision(engagement=e, by=world.reviewer)
    world.engagement.refresh_from_db()


def test_the_decision_form_offers_only_the_levels_the_findings_reach(tenant, client_for):
    world = build_world(tenant)
    _in_decision(world, up_to_level=2)
    response = client_for(world.officer).get(_url(world, "decision_create"))
    levels = [value for value, _label in response.context["form"].fields["level"].choices]
    assert levels == ["", 1, 2]


def test_a_level_above_the_findings_is_a_form_error_and_nothing_is_written(tenant, client_for):
    world = build_world(tenant)
    _in_decision(world, up_to_level=2)
    response = client_for(world.officer).post(
        _url(world, "decision_create"), {"outcome": "granted", "level": 3, "reasons": "x"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["level"]
    with scopes_disabled():
        assert not Decision.objects.exists()


def test_a_lower_level_still_needs_the_reasons(tenant, client_for):
    world = build_world(tenant)
    _in_decision(world, up_to_level=2)
    officer = client_for(world.officer)
    response = officer.post(_url(world, "decision_create"), {"outcome": "granted", "level": 1})
    assert response.status_code == 200 and response.context["form"].errors["reasons"]
    response = officer.post(
        _url(world, "decision_create"),
        {"outcome": "granted", "level": 1, "reasons": "Level 2 practices are too recent."},
    )
    assert response.status_code == 302
    with scopes_disabled():
        decision = Decision.objects.get()
    assert (decision.level, decision.computed_level) == (1, 2)


def test_the_api_says_which_levels_may_be_granted(tenant, api_for):
    world = build_world(tenant)
    _in_decision(world, up_to_level=2)
    response = api_for(world.officer).get(
        reverse("api:decision-levels", args=[tenant.slug]), {"engagement": world.engagement.pk}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["reached"] == 2
    assert [level["level"] for level in body["levels"]] == [1, 2]
    assert all(level["name"] for level in body["levels"])


def test_the_levels_of_an_engagement_one_may_not_see_are_not_found(tenant, api_for):
    world = build_world(tenant)
    _in_decision(world, up_to_level=2)
    response = api_for(world.outsider_assessor).get(
        reverse("api:decision-levels", args=[tenant.slug]), {"engagement": world.engagement.pk}
    )
    assert response.status_code in (403, 404)
    response = api_for(world.officer).get(reverse("api:decision-levels", args=[tenant.slug]))
    assert response.status_code == 400 and "engagement" in response.json()
