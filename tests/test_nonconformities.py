"""A nonconformity from raising to closing: the pages, the emails, and the block on the decision."""

from django.core import mail
from django.urls import reverse
from django_scopes import scope

from assessments.models import Decision, Nonconformity
from tests.engagement_world import advance, build_world, rate_everything


def _url(world, name, *args):
    return reverse(f"assessments:{name}", args=[world.tenant.slug, world.engagement.pk, *args])


def _nonconformity(world):
    with scope(tenant=world.tenant):
        return Nonconformity.objects.get(engagement=world.engagement)


def test_a_major_nonconformity_blocks_the_decision_until_closed(
    tenant, client_for, django_capture_on_commit_callbacks
):
    world = build_world(tenant)
    advance(world, "assessment")
    with scope(tenant=tenant):
        rate_everything(world, world.engagement)
        item = world.engagement.scope_items.order_by("position").first()
    assessor, client, officer = (
        client_for(world.assessor),
        client_for(world.client),
        client_for(world.officer),
    )

    # Raised by the assessor on the page: the client people are told by email.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = assessor.post(
            _url(world, "nonconformity_create"),
            {
                "item": item.pk,
                "grade": "major",
                "description": "No gate stops a failed build.",
                "due_date": "2026-12-31",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    nc = _nonconformity(world)
    assert (nc.grade, nc.status) == ("major", "open")
    raised = [m for m in mail.outbox if world.client.user.email in m.to]
    assert raised and "No gate stops a failed build." in raised[0].body
    assert world.other_client.user.email not in {to for m in mail.outbox for to in m.to}

    # Closing before the client answers is refused with words, not an error page.
    response = assessor.post(
        _url(world, "nonconformity_detail", nc.pk), {"close": "1", "verification_note": "Seen."}
    )
    assert response.status_code == 200
    assert "Only an answered nonconformity can be verified and closed." in response.content.decode()

    # The client answers; the assessment team is told.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(world, "nonconformity_detail", nc.pk),
            {"answer": "1", "corrective_action": "A quality gate fails the pipeline now."},
        )
    assert response.status_code == 302
    assert _nonconformity(world).status == "answered"
    told = {to for m in mail.outbox for to in m.to}
    assert {world.lead.user.email, world.assessor.user.email} <= told
    assert world.client.user.email not in told

    # The client may not close it themselves.
    response = client.post(
        _url(world, "nonconformity_detail", nc.pk), {"close": "1", "verification_note": "Done."}
    )
    assert response.status_code == 403
    assert _nonconformity(world).status == "answered"

    # Open (answered is still open) major: the officer's decision is refused and nothing stored.
    with scope(tenant=tenant):
        from assessments.services import decisions, engagements

        e = engagements.transition(engagement=world.engagement, to="review", by=world.lead)
        decisions.record_review(engagement=e, by=world.reviewer, outcome="approved")
        world.engagement = engagements.transition(engagement=e, to="decision", by=world.reviewer)
    decide = {"outcome": "granted", "level": 3, "reasons": "Level 3 met."}
    response = officer.post(_url(world, "decision_create"), decide)
    assert response.status_code == 200
    assert "1 major nonconformity still open" in response.content.decode()
    with scope(tenant=tenant):
        assert not Decision.objects.filter(engagement=world.engagement).exists()

    # The assessor verifies and closes it; now the decision goes through.
    response = assessor.post(
        _url(world, "nonconformity_detail", nc.pk),
        {"close": "1", "verification_note": "Saw a failed build stopped by the gate."},
    )
    assert response.status_code == 302
    assert _nonconformity(world).status == "closed"
    assert officer.post(_url(world, "decision_create"), decide).status_code == 302
    with scope(tenant=tenant):
        assert Decision.objects.get(engagement=world.engagement).level == 3


def test_a_minor_nonconformity_does_not_block_the_decision(tenant, api_for):
    world = build_world(tenant)
    advance(world, "assessment")
    with scope(tenant=tenant):
        rate_everything(world, world.engagement)
        from assessments.services import findings

        finding = world.engagement.findings.first()
        findings.raise_nonconformity(
            engagement=world.engagement,
            finding=finding,
            by=world.assessor,
            grade="minor",
            description="Release notes are written by hand.",
        )
    advance(world, "closed")
    with scope(tenant=tenant):
        assert Decision.objects.get(engagement=world.engagement).outcome == "granted"
        assert _nonconformity(world).status == "open"
