"""Rights on one engagement: django-guardian object permissions granted by assignment.

Permissions live in the direct table `EngagementUserObjectPermission` (a foreign key, not a
generic relation). Model-wide permissions never count (`accept_global_perms=False` in
selectors): a global "view engagement" must not open every tenant's engagements.
Tenant admins manage every engagement of their tenant through their role; client people see the
engagements of their own organization through their membership, not through guardian.
"""

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from assessments.models import Assignment, Engagement, EngagementUserObjectPermission
from tenants.roles import Capability, has_capability

VIEW = "view_engagement"
ASSESS = "assess_engagement"
LEAD = "lead_engagement"
REVIEW = "review_engagement"
DECIDE = "decide_engagement"

ROLE_PERMISSIONS = {
    Assignment.Role.LEAD_ASSESSOR: (VIEW, ASSESS, LEAD),
    Assignment.Role.ASSESSOR: (VIEW, ASSESS),
    Assignment.Role.REVIEWER: (VIEW, REVIEW),
    Assignment.Role.OFFICER: (VIEW, DECIDE),
    Assignment.Role.OBSERVER: (VIEW,),
}


def _permissions(codenames):
    return list(
        Permission.objects.filter(content_type__app_label="assessments", codename__in=codenames)
    )


def grant_for_assignment(assignment):
    """Give the assigned person the permissions of their engagement role (in bulk)."""
    EngagementUserObjectPermission.objects.bulk_create(
        [
            EngagementUserObjectPermission(
                user_id=assignment.user_id,
                permission=permission,
                content_object_id=assignment.engagement_id,
            )
            for permission in _permissions(ROLE_PERMISSIONS[assignment.role])
        ],
        ignore_conflicts=True,
    )


def revoke_for_assignment(assignment):
    """Take away every object permission the person had on that engagement."""
    EngagementUserObjectPermission.objects.filter(
        user_id=assignment.user_id, content_object_id=assignment.engagement_id
    ).delete()


def engagement_permissions(user, engagement, membership=None):
    """The codenames `user` holds on `engagement` (one query), with the tenant admin's role."""
    codenames = set(
        EngagementUserObjectPermission.objects.filter(
            user_id=user.pk, content_object_id=engagement.pk
        ).values_list("permission__codename", flat=True)
    )
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        codenames |= {VIEW}
    return codenames


def require(user, engagement, codename, membership=None):
    if codename not in engagement_permissions(user, engagement, membership):
        raise PermissionDenied("Your role on this engagement does not allow this.")


def is_client_of(membership, engagement: Engagement) -> bool:
    return bool(
        membership
        and membership.is_active
        and membership.is_client
        and membership.organization_id == engagement.organization_id
    )
