"""Engagements: creating them, moving them through the workflow, the team and impartiality."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import notifications, policy, workflow
from assessments import permissions as perms
from assessments.models import TEAM_ROLES, Assignment, CapabilityItem, Domain, Engagement
from assessments.policy import Action
from portal import audit
from portal.errors import Conflict
from tenants.models import ConflictOfInterest, Membership
from tenants.numbering import next_number
from tenants.roles import Capability, has_capability, is_staff_role


def _items_in_scope(version, domain_ids, item_ids):
    """The leaf items (those that are rated) of the chosen items and beneath the chosen domains
    and items, at any depth. Format-1 items are all leaves."""
    domains = {d.pk: d for d in Domain.objects.filter(version=version)}
    unknown = set(domain_ids) - set(domains)
    if unknown:
        raise ValidationError({"scope_domains": _("Unknown domain for this model version.")})
    children = {}
    for domain in domains.values():
        children.setdefault(domain.parent_id, []).append(domain.pk)
    chosen, stack = set(), list(domain_ids)
    while stack:
        pk = stack.pop()
        if pk not in chosen:
            chosen.add(pk)
            stack.extend(children.get(pk, ()))
    items = list(
        CapabilityItem.objects.filter(version=version).values_list(
            "pk", "domain_id", "parent_id", "is_leaf"
        )
    )
    known = {pk for pk, _domain, _parent, _leaf in items}
    if set(item_ids) - known:
        raise ValidationError({"scope_items": _("Unknown capability item for this model version.")})
    sub_items = {}
    for pk, _domain, parent, _leaf in items:
        sub_items.setdefault(parent, []).append(pk)
    picked, stack = set(), [pk for pk, domain, _p, _l in items if domain in chosen]
    stack.extend(item_ids)
    while stack:
        pk = stack.pop()
        if pk not in picked:
            picked.add(pk)
            stack.extend(sub_items.get(pk, ()))
    leaves = {pk for pk, _domain, _parent, leaf in items if leaf}
    selected = picked & leaves
    if not selected:
        raise ValidationError({"scope_items": _("Choose at least one part, domain or item.")})
    return selected


def _resolve_codes(version, codes):
    """Domain and item ids for codes of parts, domains and items of the version."""
    codes = set(codes)
    if not codes:
        return [], []
    domains = dict(Domain.objects.filter(version=version, code__in=codes).values_list("code", "pk"))
    items = dict(
        CapabilityItem.objects.filter(version=version, code__in=codes).values_list("code", "pk")
    )
    unknown = sorted(codes - set(domains) - set(items))
    if unknown:
        raise ValidationError(
            {"scope": _("Not in this model version: %(codes)s") % {"codes": ", ".join(unknown)}}
        )
    return list(domains.values()), list(items.values())


def _check_dates(planned_start, planned_end):
    if planned_start and planned_end and planned_end < planned_start:
        raise ValidationError({"planned_end": _("The end cannot be before the start.")})


@transaction.atomic
def create_engagement(
    *,
    tenant,
    by,
    organization,
    model_version,
    target_level,
    title="",
    scope_codes=(),
    scope_domain_ids=(),
    scope_item_ids=(),
    planned_start=None,
    planned_end=None,
    kind=Engagement.Kind.INITIAL,
):
    """A tenant admin opens an engagement for a client against a published model version.

    It gets the next reference number of the tenant and year (gap-free), starts as a draft and
    is recorded in the audit trail.
    """
    policy.require_may_create_engagement(by)
    if organization.tenant_id != tenant.pk or not organization.is_active:
        raise ValidationError({"organization": _("Choose an active client organization.")})
    if not model_version.is_published or model_version.tenant_id not in (None, tenant.pk):
        raise ValidationError({"model_version": _("Choose a published model version.")})
    if not 1 <= int(target_level) <= model_version.top_level:
        raise ValidationError(
            {
                "target_level": _("The target level is 1 to %(top)s.")
                % {"top": model_version.top_level}
            }
        )
    if kind not in Engagement.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of engagement.")})
    _check_dates(planned_start, planned_end)
    domain_ids, item_ids = _resolve_codes(model_version, scope_codes)
    items = _items_in_scope(
        model_version, [*scope_domain_ids, *domain_ids], [*scope_item_ids, *item_ids]
    )
    year = timezone.localdate().year
    number = next_number(tenant=tenant, sequence="engagement", year=year)
    engagement = Engagement.objects.create(
        tenant=tenant,
        reference=f"{tenant.certificate_prefix}-E-{year}-{number:04d}",
        kind=kind,
        title=title,
        organization=organization,
        model_version=model_version,
        target_level=target_level,
        planned_start=planned_start,
        planned_end=planned_end,
        created_by=by.user,
    )
    engagement.scope_items.set(items)
    audit.record(
        verb="engagement.created",
        obj=engagement,
        actor=by,
        tenant=tenant,
        engagement=engagement,
        action="create",
        changes={"reference": [None, engagement.reference], "items": [None, str(len(items))]},
    )
    return engagement


@transaction.atomic
def update_engagement(
    *, engagement, by, scope_codes=None, scope_domain_ids=None, scope_item_ids=None, **fields
):
    """Change title, target level, planned dates or the scope while the engagement is being
    prepared (draft or planning: nothing is rated yet). The scope, when given (codes, or ids of
    the scope picker's boxes), replaces the old one whole; the change is audited."""
    policy.require(by, Action.EDIT, engagement)
    if scope_codes is not None or scope_domain_ids is not None or scope_item_ids is not None:
        version = engagement.model_version
        domain_ids, item_ids = _resolve_codes(version, scope_codes or ())
        items = _items_in_scope(
            version,
            [*(scope_domain_ids or ()), *domain_ids],
            [*(scope_item_ids or ()), *item_ids],
        )
        before = set(engagement.scope_items.values_list("pk", flat=True))
        if items != before:
            engagement.scope_items.set(items)
            audit.record(
                verb="engagement.scope_changed",
                obj=engagement,
                actor=by,
                tenant=engagement.tenant,
                engagement=engagement,
                changes={"items": [str(len(before)), str(len(items))]},
            )
    values = {
        k: v
        for k, v in fields.items()
        if k in ("title", "target_level", "planned_start", "planned_end")
    }
    top = engagement.model_version.top_level
    if "target_level" in values and not 1 <= int(values["target_level"]) <= top:
        raise ValidationError(
            {"target_level": _("The target level is 1 to %(top)s.") % {"top": top}}
        )
    _check_dates(
        values.get("planned_start", engagement.planned_start),
        values.get("planned_end", engagement.planned_end),
    )
    changes = audit.diff(engagement, values, values)
    for name, value in values.items():
        setattr(engagement, name, value)
    engagement.save()
    if changes:
        audit.record(
            verb="engagement.updated",
            obj=engagement,
            actor=by,
            tenant=engagement.tenant,
            engagement=engagement,
            changes=changes,
        )
    return engagement


@transaction.atomic
def transition(*, engagement, to, by, reason=""):
    """Move the engagement to another state, if the table allows it for this person and the
    guard finds nothing missing. Entering evidence collection notifies the client."""
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    step = workflow.find(engagement, to)
    if step is None:
        raise Conflict(
            _("An engagement in %(state)s cannot go to %(target)s.")
            % {
                "state": engagement.get_state_display().lower(),
                "target": Engagement.State(to).label.lower()
                if to in Engagement.State.values
                else to,
            }
        )
    if not workflow.may_make(step, policy.standing(by, engagement)):
        raise PermissionDenied(_("Your role on this engagement does not allow this step."))
    blocked = step.guard(engagement) if step.guard else None
    if blocked:
        raise Conflict(blocked)
    if to == Engagement.State.CANCELLED and not reason.strip():
        raise ValidationError({"reason": _("Say why the engagement is cancelled.")})
    previous = engagement.state
    engagement.state = to
    engagement.save(update_fields=["state", "updated_at"])
    audit.record(
        verb="engagement.transition",
        obj=engagement,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        changes={"state": [previous, to]},
        data={"reason": reason} if reason else None,
    )
    if to == Engagement.State.EVIDENCE:
        transaction.on_commit(lambda: notifications.engagement_in_evidence(engagement.pk))
    return engagement


def _staff_membership(engagement, user):
    return (
        Membership.objects.filter(tenant=engagement.tenant, user=user, is_active=True)
        .select_related("user")
        .first()
    )


@transaction.atomic
def assign(*, engagement, user, role, by):
    """Put a person on the engagement with an engagement role, granting its object permissions.

    Refused, with the reason: people outside the tenant's active staff, people with a declared
    conflict of interest with the client, and a reviewer or certification officer who would
    also be on the assessment team (or the reverse).
    """
    policy.require(by, Action.ASSIGN, engagement)
    if role not in Assignment.Role.values:
        raise ValidationError({"role": _("Unknown engagement role.")})
    membership = _staff_membership(engagement, user)
    if membership is None or not is_staff_role(membership.role):
        raise ValidationError({"user": _("Only active staff of this body can be assigned.")})
    conflict = ConflictOfInterest.objects.filter(
        user=user, organization=engagement.organization, is_active=True
    ).first()
    if conflict:
        raise ValidationError(
            {
                "user": _("%(person)s declared a conflict of interest with %(org)s: %(reason)s")
                % {"person": user, "org": engagement.organization, "reason": conflict.reason}
            }
        )
    authorised = policy.authorised_for(user, role, engagement)
    if not authorised:
        raise ValidationError({"user": authorised.reason})
    existing = Assignment.objects.filter(engagement=engagement, user=user).first()
    if existing:
        independent = (Assignment.Role.REVIEWER, Assignment.Role.OFFICER)
        if (existing.role in TEAM_ROLES and role in independent) or (
            existing.role in independent and role in TEAM_ROLES
        ):
            raise ValidationError(
                {
                    "role": _(
                        "Impartiality: %(person)s is %(role)s here; the technical reviewer and the "
                        "certification officer cannot be on the assessment team."
                    )
                    % {"person": user, "role": existing.get_role_display()}
                }
            )
        raise ValidationError(
            {
                "user": _("%(person)s is already on this engagement as %(role)s.")
                % {"person": user, "role": existing.get_role_display()}
            }
        )
    if (
        role == Assignment.Role.LEAD_ASSESSOR
        and Assignment.objects.filter(engagement=engagement, role=role).exists()
    ):
        raise ValidationError({"role": _("The engagement has a lead assessor already.")})
    assignment = Assignment.objects.create(
        tenant=engagement.tenant,
        engagement=engagement,
        user=user,
        role=role,
        assigned_by=by.user,
    )
    perms.grant_for_assignment(assignment)
    audit.record(
        verb="assignment.added",
        obj=assignment,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        action="create",
        changes={"user": [None, user.email], "role": [None, role]},
    )
    return assignment


class TeamRefused(ValidationError):
    """Some rows of a team could not be assigned; `rows` holds, per row in the order given, the
    refusals by field ({} for a row that was fine). Nothing was written."""

    def __init__(self, rows):
        self.rows = rows
        super().__init__(
            {
                "team": [
                    _("Row %(row)s: %(reason)s") % {"row": index + 1, "reason": message}
                    for index, errors in enumerate(rows)
                    for messages in errors.values()
                    for message in messages
                ]
            }
        )


@transaction.atomic
def assign_team(*, engagement, rows, by):
    """Put several people on the engagement at once, each with an engagement role: every row
    passes the checks of `assign` (staff, conflicts of interest, authorisation, impartiality,
    one lead), rows included against each other, or nothing is written (one transaction) and
    `TeamRefused` says what refused each row."""
    policy.require(by, Action.ASSIGN, engagement)
    rows = list(rows)
    if not rows:
        raise ValidationError({"team": _("Add at least one person with a role.")})
    refusals, assignments = [], []
    for user, role in rows:
        try:
            with transaction.atomic():  # a refused row leaves nothing behind, not even its audit
                assignments.append(assign(engagement=engagement, user=user, role=role, by=by))
        except ValidationError as error:
            refusals.append(
                error.message_dict if hasattr(error, "error_dict") else {"user": error.messages}
            )
        else:
            refusals.append({})
    if any(refusals):
        raise TeamRefused(refusals)
    return assignments


@transaction.atomic
def unassign(*, assignment, by):
    """Take a person off the engagement; their object permissions go at once."""
    policy.require(by, Action.ASSIGN, assignment.engagement)
    _remove_assignment(assignment, by=by)


def _remove_assignment(assignment, *, by, reason=""):
    """Revoke the object permissions, record the removal on the engagement, delete the row."""
    engagement = assignment.engagement
    perms.revoke_for_assignment(assignment)
    audit.record(
        verb="assignment.removed",
        obj=assignment,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        action="delete",
        changes={"user": [assignment.user.email, None], "role": [assignment.role, None]},
        data={"reason": reason} if reason else None,
    )
    assignment.delete()


@transaction.atomic
def declare_conflict(*, tenant, by, user, organization, reason):
    """A person declares a conflict of interest with a client (a tenant admin may record one
    for anyone). From then on they cannot be assigned to its engagements."""
    verdict = policy.may_declare_conflict(by, for_user=user)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    if organization.tenant_id != tenant.pk:
        raise ValidationError({"organization": _("Unknown organization.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say what the conflict is.")})
    conflict = ConflictOfInterest.objects.create(
        tenant=tenant,
        user=user,
        organization=organization,
        reason=reason.strip(),
        declared_by=by.user,
    )
    audit.record(
        verb="conflict.declared",
        obj=conflict,
        actor=by,
        tenant=tenant,
        action="create",
        changes={"organization": [None, organization.legal_name]},
    )
    return conflict


@transaction.atomic
def withdraw_conflict(*, conflict, by):
    """Withdraw a declared conflict: a person their own declaration; one recorded by the body's
    administrators only an administrator (docs/architecture.md, "Access policy")."""
    verdict = policy.may_withdraw_conflict(by, conflict)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    conflict.is_active = False
    conflict.save(update_fields=["is_active"])
    audit.record(
        verb="conflict.withdrawn",
        obj=conflict,
        actor=by,
        tenant=conflict.tenant,
        changes={"is_active": ["True", "False"]},
    )
    return conflict


@transaction.atomic
def remove_assignments_of(*, membership, by, reason):
    """Take a person off the engagements their membership no longer allows, at once.

    Called when a membership changes (assessments/receivers.py), in the transaction of the
    change. An inactive membership or a client role holds no assignment of the body; a staff
    member keeps only the engagements of clients they have no active conflict of interest with
    (impartiality, checked again). Each removal revokes the object permissions and writes an
    audit entry on its engagement, as unassigning does. Returns the removed assignments.
    """
    if not has_capability(by, Capability.MANAGE_MEMBERSHIPS):
        raise PermissionDenied(_("Your role in this assessment body does not allow this."))
    assignments = Assignment.objects.filter(
        tenant=membership.tenant, user=membership.user
    ).select_related("engagement", "user")
    if membership.is_active and is_staff_role(membership.role):
        conflicted = ConflictOfInterest.objects.filter(
            tenant=membership.tenant, user=membership.user, is_active=True
        ).values("organization_id")
        assignments = assignments.filter(engagement__organization_id__in=conflicted)
    removed = list(assignments)
    for assignment in removed:
        _remove_assignment(assignment, by=by, reason=reason)
    return removed
