"""Reads of tenants, organizations and memberships, scoped to what the reader may see."""

from django_scopes import scopes_disabled

from tenants.models import Authorisation, Membership, Organization
from tenants.roles import Capability, has_capability


def memberships_of(user):
    """The user's active memberships in every active tenant, for the dashboard and /api/v1/me/."""
    if not user.is_authenticated:
        return Membership.objects.none()
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
            .select_related("tenant", "organization")
            .order_by("tenant__name")
        )


def organizations_visible_to(membership):
    """Staff see every organization of the tenant; client people see their own only."""
    queryset = Organization.objects.all()
    if has_capability(membership, Capability.VIEW_ALL_ORGANIZATIONS):
        return queryset
    if membership is not None and membership.is_active and membership.organization_id:
        return queryset.filter(pk=membership.organization_id)
    return queryset.none()


def memberships_visible_to(membership):
    """Staff see the tenant's people; a client admin sees the people of their organization."""
    queryset = Membership.objects.select_related("user", "organization")
    if has_capability(membership, Capability.VIEW_MEMBERSHIPS):
        return queryset
    if membership is not None and membership.role == "client_admin" and membership.is_active:
        return queryset.filter(organization_id=membership.organization_id)
    return queryset.none()


def authorisations_visible_to(membership):
    """The body's staff see its authorisations (who may assess, review, decide what)."""
    queryset = Authorisation.objects.select_related("user", "granted_by")
    if has_capability(membership, Capability.VIEW_MEMBERSHIPS):
        return queryset
    return queryset.none()
