"""Which engagements a member sees: filtered in the database, never in Python."""

from assessments.models import Engagement
from assessments.permissions import VIEW
from tenants.roles import Capability, has_capability


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
