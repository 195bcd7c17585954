"""Which engagements a member sees: filtered in the database, never in Python."""

from django.shortcuts import get_object_or_404

from assessments import policy
from assessments.models import Assignment, Engagement
from portal import trail
from portal.models import AuditEntry
from tenants.models import Membership, User
from tenants.roles import STAFF_ROLES


def engagements_visible_to(membership):
    """The engagements this member may see (assessments.policy decides; filtered in SQL)."""
    return policy.visible(membership, Engagement).select_related(
        "organization", "model_version__model"
    )


def visible_engagement_or_404(membership, engagement_id):
    """The engagement if this member may see it; otherwise 404 (another tenant's included)."""
    return get_object_or_404(
        engagements_visible_to(membership).select_related("tenant"), pk=engagement_id
    )


def team(engagement):
    return list(
        Assignment.objects.filter(engagement=engagement)
        .select_related("user")
        .order_by("role", "assigned_at")
    )


def audit_timeline(engagement):
    """The engagement's audit entries, newest first, with what their sentences need (for those
    whom the policy lets see the timeline; portal.trail filters and words them)."""
    return (
        AuditEntry.objects.filter(engagement=engagement)
        .select_related("content_type")
        .order_by("-timestamp", "-pk")
    )


def worded_timeline(engagement, params):
    """(filter form, names, the entries it keeps) of the engagement's audit trail."""
    entries = audit_timeline(engagement)
    everything = list(entries)
    names = trail.names_of(everything, engagement.tenant)
    form = trail.TrailFilterForm(params or None, entries=everything, names=names)
    if form.is_bound and form.is_valid():
        kept = list(form.apply(entries))
    elif form.is_bound:
        kept = []
    else:
        kept = everything
    return form, names, kept


def assignable_people(tenant):
    """Active staff of the tenant, to assign to engagements."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(
            tenant=tenant, is_active=True, role__in=sorted(STAFF_ROLES)
        ).values("user_id"),
        is_active=True,
    ).order_by("email")
