"""Tenant-wide roles and what each may do: the one place where roles become rights.

A membership gives a person one role in one tenant. Rights on a single engagement come from
being assigned to it (django-guardian object permissions, see `assessments`); the capabilities
here are the tenant-wide ones.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    TENANT_ADMIN = "tenant_admin", _("Tenant admin")
    ASSESSOR = "assessor", _("Assessor")
    REVIEWER = "reviewer", _("Technical reviewer")
    OFFICER = "officer", _("Certification officer")
    CLIENT_ADMIN = "client_admin", _("Client admin")
    CLIENT_CONTRIBUTOR = "client_contributor", _("Client contributor")


STAFF_ROLES = frozenset({Role.TENANT_ADMIN, Role.ASSESSOR, Role.REVIEWER, Role.OFFICER})
CLIENT_ROLES = frozenset({Role.CLIENT_ADMIN, Role.CLIENT_CONTRIBUTOR})


class Capability(StrEnum):
    VIEW_ALL_ORGANIZATIONS = "view_all_organizations"
    MANAGE_ORGANIZATIONS = "manage_organizations"
    VIEW_MEMBERSHIPS = "view_memberships"
    MANAGE_MEMBERSHIPS = "manage_memberships"
    MANAGE_MODELS = "manage_models"
    MANAGE_ENGAGEMENTS = "manage_engagements"
    MANAGE_CERTIFICATES = "manage_certificates"
    MANAGE_SETTINGS = "manage_settings"


_STAFF = {Capability.VIEW_ALL_ORGANIZATIONS, Capability.VIEW_MEMBERSHIPS}

CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.TENANT_ADMIN: frozenset(Capability),
    Role.ASSESSOR: frozenset(_STAFF),
    Role.REVIEWER: frozenset(_STAFF),
    Role.OFFICER: frozenset(_STAFF | {Capability.MANAGE_CERTIFICATES}),
    Role.CLIENT_ADMIN: frozenset(),
    Role.CLIENT_CONTRIBUTOR: frozenset(),
}


def has_capability(membership, capability: Capability) -> bool:
    """Whether an active membership grants a tenant-wide capability."""
    if membership is None or not membership.is_active:
        return False
    return capability in CAPABILITIES.get(membership.role, frozenset())


def is_staff_role(role: str) -> bool:
    return role in STAFF_ROLES


def is_client_role(role: str) -> bool:
    return role in CLIENT_ROLES
