"""Reactions of the assessments app to changes made elsewhere (connected in apps.py)."""

from django.dispatch import receiver
from django_scopes import scope

from tenants.signals import membership_changed


@receiver(membership_changed, dispatch_uid="assessments.remove_assignments_on_membership_change")
def remove_assignments_on_membership_change(sender, *, membership, by, previous, **kwargs):
    """A role change or a deactivation takes the person off the engagements it no longer
    allows, in the transaction of the change (the sender's)."""
    from assessments.services import engagements

    if not membership.is_active:
        reason = "membership deactivated"
    elif previous["role"] != membership.role:
        reason = f"role changed from {previous['role']} to {membership.role}"
    else:
        reason = "membership changed"
    with scope(tenant=membership.tenant):
        engagements.remove_assignments_of(membership=membership, by=by, reason=reason)
