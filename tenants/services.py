"""Writes of organizations and memberships: one function per use case, checked and atomic."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from portal import audit
from portal.tasks import send_email
from tenants.access import require_capability
from tenants.models import Authorisation, ConflictOfInterest, Membership, Organization, User
from tenants.roles import Capability, is_client_role
from tenants.signals import membership_changed

ORGANIZATION_FIELDS = (
    "legal_name",
    "english_name",
    "registration_type",
    "registration_id",
    "contact_name",
    "contact_email",
    "contact_phone",
    "address",
    "directory_consent",
)


def _record_consent(organization, values, by):
    """Consent to the public directory says who recorded it when (PIPL, GDPR: a record of the
    consent must be kept); the audit entry keeps every change of it."""
    before = organization.directory_consent if organization.pk else False
    if "directory_consent" in values and values["directory_consent"] != before:
        organization.directory_consent_at = timezone.now()
        organization.directory_consent_by = getattr(by, "user", by)


def _save_organization(organization):
    organization.registration_id = (organization.registration_id or "").strip().upper()
    organization.full_clean(exclude=["tenant"], validate_constraints=False)
    duplicate = (
        Organization.objects.filter(
            tenant=organization.tenant,
            registration_type=organization.registration_type,
            registration_id=organization.registration_id,
        )
        .exclude(pk=organization.pk)
        .exists()
    )
    if duplicate:
        raise ValidationError(
            {"registration_id": _("Another organization already has this registration id.")}
        )
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError as error:  # a concurrent create of the same id
        raise ValidationError(
            {"registration_id": _("Another organization already has this registration id.")}
        ) from error
    return organization


@transaction.atomic
def create_organization(*, tenant, by, **fields):
    """A tenant admin registers a client organization of their tenant."""
    require_capability(by, Capability.MANAGE_ORGANIZATIONS)
    values = _only(fields, ORGANIZATION_FIELDS)
    organization = Organization(tenant=tenant, **values)
    _record_consent(organization, values, by)
    _save_organization(organization)
    audit.record(
        verb="organization.created", obj=organization, actor=by, tenant=tenant, action="create"
    )
    return organization


@transaction.atomic
def update_organization(*, organization, by, **fields):
    """A tenant admin edits an organization's details; the tenant never changes."""
    require_capability(by, Capability.MANAGE_ORGANIZATIONS)
    values = _only(fields, ORGANIZATION_FIELDS + ("is_active",))
    changes = audit.diff(organization, values, values)
    _record_consent(organization, values, by)
    for name, value in values.items():
        setattr(organization, name, value)
    _save_organization(organization)
    if changes:
        audit.record(
            verb="organization.updated",
            obj=organization,
            actor=by,
            tenant=organization.tenant,
            changes=changes,
        )
    return organization


@transaction.atomic
def set_directory_publishing(*, tenant, by, publish):
    """A tenant admin decides whether the body lists its certified clients in the public
    directory (only those that consented are listed); audited."""
    require_capability(by, Capability.MANAGE_SETTINGS)
    values = {"publish_directory": bool(publish)}
    changes = audit.diff(tenant, values, values)
    if changes:
        tenant.publish_directory = values["publish_directory"]
        tenant.save(update_fields=["publish_directory"])
        audit.record(
            verb="tenant.directory_publishing", obj=tenant, actor=by, tenant=tenant, changes=changes
        )
    return tenant


def set_organization_active(*, organization, by, active):
    """Deactivate (or reactivate) an organization; organizations are never deleted."""
    return update_organization(organization=organization, by=by, is_active=active)


def _check_membership(*, tenant, role, organization):
    if is_client_role(role) and organization is None:
        raise ValidationError(
            {"organization": _("Client people must belong to a client organization.")}
        )
    if not is_client_role(role) and organization is not None:
        raise ValidationError(
            {"organization": _("Staff of the assessment body do not belong to a client.")}
        )
    if organization is not None and organization.tenant_id != tenant.pk:
        raise ValidationError({"organization": _("Unknown organization.")})


@transaction.atomic
def add_member(*, tenant, by, email, role, display_name="", organization=None, request=None):
    """A tenant admin adds a person to the tenant with a role.

    The person's account is created if the email is new, and they are sent a link to choose a
    password; an existing account (a person in another tenant too) is reused as it is. The
    body sets only the membership (role, organization, its own display name): the account's
    name and language belong to the person, who sets them on *My account*, and the body is shown
    nothing of an existing account beyond its email.
    """
    require_capability(by, Capability.MANAGE_MEMBERSHIPS)
    _check_membership(tenant=tenant, role=role, organization=organization)
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User(email=email)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
    elif Membership.objects.filter(tenant=tenant, user=user).exists():
        raise ValidationError({"email": _("This person is already a member of this body.")})
    membership = Membership(
        tenant=tenant,
        user=user,
        role=role,
        organization=organization,
        display_name=(display_name or "").strip(),
    )
    membership.full_clean(exclude=["tenant", "user", "organization"], validate_constraints=False)
    membership.save()
    audit.record(
        verb="membership.created",
        obj=membership,
        actor=by,
        tenant=tenant,
        action="create",
        changes={
            "role": [None, role],
            "organization": [None, audit.text(organization)],
            "display_name": [None, membership.display_name],
        },
    )
    _record_client_conflict(membership=membership, by=by)
    if created:
        transaction.on_commit(lambda: send_welcome(user=user, request=request))
    return membership


def send_welcome(*, user, request=None):
    """Email a new person a link to choose their password (the password-reset confirm page).

    Django's reset form skips accounts without a usable password, which new accounts are, so
    the link is made here with the same token generator.
    """
    context = {
        "email": user.email,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "protocol": "https" if request and request.is_secure() else "http",
        "domain": request.get_host() if request else settings.SITE_URL.split("://", 1)[-1],
    }
    subject = "".join(render_to_string("registration/welcome_subject.txt", context).splitlines())
    body = render_to_string("registration/welcome_email.txt", context)
    send_email.delay(subject, body, user.email)  # a task with retries (portal/tasks.py)


@transaction.atomic
def update_membership(
    *, membership, by, role=None, organization=None, is_active=None, display_name=None
):
    """A tenant admin changes a person's role, organization, display name or active flag.

    Only the membership changes: the person's account (name, email, password) is theirs and is
    shared with the other bodies they belong to. People are deactivated, never deleted: their
    past actions in engagements stay attributed. An admin cannot demote or deactivate
    themselves, so a tenant never locks itself out. Receivers of `membership_changed` (the
    assessments app takes the person off engagements their new role no longer allows) run in
    this transaction, so the change and its consequences commit or fail together.
    """
    require_capability(by, Capability.MANAGE_MEMBERSHIPS)
    role = membership.role if role is None else role
    if membership.pk == by.pk and (role != membership.role or is_active is False):
        raise ValidationError(
            {"role": _("You cannot change your own role or deactivate yourself.")}
        )
    if not is_client_role(role):
        organization = None
    elif organization is None:
        organization = membership.organization
    _check_membership(tenant=membership.tenant, role=role, organization=organization)
    new_values = {"role": role, "organization": organization}
    if is_active is not None:
        new_values["is_active"] = is_active
    if display_name is not None:
        new_values["display_name"] = display_name.strip()
    changes = audit.diff(membership, new_values, new_values)
    previous = {
        "role": membership.role,
        "organization_id": membership.organization_id,
        "is_active": membership.is_active,
    }
    for name, value in new_values.items():
        setattr(membership, name, value)
    membership.full_clean(exclude=["tenant", "user", "organization"], validate_constraints=False)
    membership.save()
    if changes:
        audit.record(
            verb="membership.updated",
            obj=membership,
            actor=by,
            tenant=membership.tenant,
            changes=changes,
        )
    _record_client_conflict(membership=membership, by=by)
    if any(previous[name] != getattr(membership, name) for name in previous):
        membership_changed.send(sender=Membership, membership=membership, by=by, previous=previous)
    return membership


def _record_client_conflict(*, membership, by):
    """A client person of an organization is conflicted with it (impartiality): recorded as a
    declared conflict, so that it still holds if they later become staff of the body and it
    is checked wherever conflicts are (assignment)."""
    if not membership.is_client or membership.organization_id is None:
        return
    organization = membership.organization
    already = ConflictOfInterest.objects.filter(
        tenant=membership.tenant, user=membership.user, organization=organization, is_active=True
    ).exists()
    if already:
        return
    conflict = ConflictOfInterest.objects.create(
        tenant=membership.tenant,
        user=membership.user,
        organization=organization,
        reason=_("Client person of %(organization)s (%(role)s).")
        % {"organization": organization.legal_name, "role": membership.get_role_display()},
    )
    audit.record(
        verb="conflict.declared",
        obj=conflict,
        actor=by,
        tenant=membership.tenant,
        action="create",
        changes={"organization": [None, organization.legal_name]},
        data={"reason": conflict.reason},
    )


ACCOUNT_FIELDS = ("first_name", "last_name", "preferred_language")


@transaction.atomic
def update_account(*, user, **fields):
    """A person changes their own account: name and preferred language.

    Nobody else does (a body changes only its memberships): the account is shared by every body
    the person belongs to. The change is audited without a tenant, as it belongs to none.
    """
    values = {name: (value or "").strip() for name, value in _only(fields, ACCOUNT_FIELDS).items()}
    language = values.get("preferred_language")
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"preferred_language": _("Choose one of the offered languages.")})
    changes = audit.diff(user, values, values)
    for name, value in values.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"], validate_unique=False)
    if values:
        user.save(update_fields=list(values))
    if changes:
        audit.record(verb="account.updated", obj=user, actor=user, tenant=None, changes=changes)
    return user


def _only(fields, allowed):
    return {name: value for name, value in fields.items() if name in allowed}


# --- Competence and authorisation (docs/architecture.md, "Competence and authorisation") ------


@transaction.atomic
def grant_authorisation(
    *,
    tenant,
    by,
    user,
    role,
    model_code,
    valid_from,
    part_code="",
    valid_until=None,
    qualification="",
):
    """Record that a person of the body's staff is authorised for a role on a model or part."""
    require_capability(by, Capability.MANAGE_MEMBERSHIPS)
    staff = Membership.objects.filter(tenant=tenant, user=user, is_active=True).first()
    if staff is None or is_client_role(staff.role):
        raise ValidationError({"user": _("Only active staff of this body can be authorised.")})
    if role not in Authorisation.Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if not (model_code or "").strip():
        raise ValidationError({"model_code": _("Name the model by its code.")})
    if valid_until is not None and valid_until < valid_from:
        raise ValidationError({"valid_until": _("The end cannot be before the start.")})
    authorisation = Authorisation.objects.create(
        tenant=tenant,
        user=user,
        role=role,
        model_code=model_code.strip(),
        part_code=(part_code or "").strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        qualification=(qualification or "").strip(),
        granted_by=by.user,
    )
    audit.record(
        verb="authorisation.granted",
        obj=authorisation,
        actor=by,
        tenant=tenant,
        action="create",
        changes={"user": [None, user.email], "role": [None, role], "model": [None, model_code]},
    )
    return authorisation


@transaction.atomic
def revoke_authorisation(*, authorisation, by):
    require_capability(by, Capability.MANAGE_MEMBERSHIPS)
    if authorisation.is_active:
        authorisation.is_active = False
        authorisation.save(update_fields=["is_active"])
        audit.record(
            verb="authorisation.revoked",
            obj=authorisation,
            actor=by,
            tenant=authorisation.tenant,
            changes={"is_active": ["True", "False"]},
        )
    return authorisation
