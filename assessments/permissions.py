"""Rights on one engagement: django-guardian object permissions granted by assignment.

Permissions live in the direct table `EngagementUserObjectPermission` (a foreign key, not a
generic relation). Model-wide permissions never count (`accept_global_perms=False` in
selectors): a global "view engagement" must not open every tenant's engagements.
Who may do what with these rows is decided in `assessments.policy` (docs/architecture.md).
"""

from django.contrib.auth.models import Permission

from assessments.models import Assignment, EngagementUserObjectPermission

# Standing tokens: what a person holds on one engagement (assessments.policy.standing). The
# first five are the guardian codenames granted on assignment; the rest come from the tenant
# role or the client's organization.
VIEW = "view_engagement"
ASSESS = "assess_engagement"
LEAD = "lead_engagement"
REVIEW = "review_engagement"
DECIDE = "decide_engagement"
ADMIN = "tenant_admin"  # the tenant capability MANAGE_ENGAGEMENTS
CERTIFIER = "certifier"  # the tenant capability MANAGE_CERTIFICATES (officers, admins)
CLIENT = "client"  # a person of the engagement's organization, once it is out of draft
CLIENT_FINAL = "client_final"  # the same, once the engagement is closed
TEAM_TOKENS = frozenset({VIEW, ASSESS, LEAD, REVIEW, DECIDE})

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
