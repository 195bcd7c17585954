"""Reads of applications that cross tenants (the dashboard)."""

from django_scopes import scopes_disabled

from assessments.models import Application
from tenants.models import Membership
from tenants.roles import CAPABILITIES, Capability


def awaiting_review(user, *, limit=50):
    """Submitted applications of every body where `user` is an active administrator (who may
    manage engagements), oldest first."""
    roles = sorted(r for r, caps in CAPABILITIES.items() if Capability.MANAGE_ENGAGEMENTS in caps)
    with scopes_disabled():
        tenants = Membership.objects.filter(
            user=user, is_active=True, tenant__is_active=True, role__in=roles
        ).values("tenant_id")
        return list(
            Application.objects.filter(tenant_id__in=tenants, status=Application.Status.SUBMITTED)
            .select_related("tenant", "organization", "model_version__model")
            .order_by("submitted_at", "pk")[:limit]
        )
