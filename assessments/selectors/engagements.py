"""Which engagements a member sees: filtered in the database, never in Python."""

from django.shortcuts import get_object_or_404

from assessments.models import Assignment, Engagement
from assessments.permissions import VIEW
from portal.models import AuditEntry
from tenants.models import Membership, User
from tenants.roles import STAFF_ROLES, Capability, has_capability


def engagements_visible_to(membership):
    """Tenant admins: all of the tenant's; client people: their organization's (once out of
    draft); everyone else: those they are assigned to (a guardian `view_engagement` row)."""
    queryset = Engagement.objects.select_related("organization", "model_version__model")
    if membership is None or not membership.is_active:
        return queryset.none()
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        return queryset
    if membership.is_client:
        return queryset.filter(organization_id=membership.organization_id).exclude(
            state=Engagement.State.DRAFT
        )
    return queryset.filter(
        user_permissions__user_id=membership.user_id,
        user_permissions__permission__codename=VIEW,
        user_permissions__permission__content_type__app_label="assessments",
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
    """The engagement's audit entries, oldest first, with who did them."""
    return list(
        AuditEntry.objects.filter(engagement=engagement)
        .select_related("actor")
        .order_by("timestamp", "pk")
    )


def assignable_people(tenant):
    """Active staff of the tenant, to assign to engagements."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(
            tenant=tenant, is_active=True, role__in=sorted(STAFF_ROLES)
        ).values("user_id"),
        is_active=True,
    ).order_by("email")
