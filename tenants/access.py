"""Who may act in a tenant: the membership check shared by the web and the API."""

from django.core.exceptions import PermissionDenied

from tenants.models import Membership
from tenants.roles import Capability, has_capability


def active_membership(user, tenant):
    """The user's active membership of the tenant, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    return (
        Membership.objects.with_scope(tenant=tenant)
        .select_related("organization", "tenant", "user")
        .filter(tenant=tenant, user=user, is_active=True)
        .first()
    )


def require_capability(membership, capability: Capability) -> None:
    """Raise PermissionDenied unless the membership grants the capability."""
    if not has_capability(membership, capability):
        raise PermissionDenied("Your role in this assessment body does not allow this.")
