"""Helpers for the certification-cycle tests: certificates made active without a PDF render,
and programme engagements staffed and taken to a decision."""

import datetime

from django_scopes import scope

from assessments.models import Assignment, Engagement
from assessments.services import engagements as engagement_services
from certificates import services
from tests.engagement_world import advance, build_world


def activate(certificate):
    """What the worker does last, without rendering: the certificate becomes active."""
    certificate, _ = services.activate_rendered(
        certificate.pk, pdf_name="", sha256="0" * 64, fingerprint="test"
    )
    return certificate


def certified_world(tenant):
    """A world whose engagement is granted at level 3 and whose certificate is active."""
    world = build_world(tenant, items=2)
    advance(world, "closed")
    with scope(tenant=tenant):
        certificate = services.issue_certificate(engagement=world.engagement, by=world.officer)
        world.certificate = activate(certificate)
    return world


def staff(world, engagement):
    """The world's team on another engagement (lead, assessor, reviewer, officer)."""
    with scope(tenant=world.tenant):
        for key, role in (
            ("lead", Assignment.Role.LEAD_ASSESSOR),
            ("assessor", Assignment.Role.ASSESSOR),
            ("reviewer", Assignment.Role.REVIEWER),
            ("officer", Assignment.Role.OFFICER),
        ):
            engagement_services.assign(
                engagement=engagement, user=getattr(world, key).user, role=role, by=world.admin
            )


def take_to(world, engagement, state):
    """Staff `engagement` and take it to `state` with the world's people."""
    staff(world, engagement)
    initial = world.engagement
    world.engagement = engagement
    try:
        return advance(world, state)
    finally:
        world.engagement = initial


def day(offset_days, today=None):
    return (today or datetime.date.today()) + datetime.timedelta(days=offset_days)


def open_engagement_of(visit):
    return Engagement.objects.get(pk=visit.engagement_id)
