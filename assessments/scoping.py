"""Scoping of the model library, whose rows are either global (no tenant) or one tenant's own.

django-scopes' ScopedManager filters `tenant = <scope>`; library rows visible in a tenant are
those of the tenant *and* the global ones, so this manager filters on both, with the same
fail-closed rule: outside a tenant scope (and outside `scopes_disabled()`) a query raises.
"""

import copy

from django.db import models
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope


class LibraryManager(models.Manager):
    # A class attribute, not an argument: Django builds related managers from the class.
    tenant_path = "tenant"

    def with_scopes_disabled(self):
        """This manager without scoping, for code that chose to see every tenant's rows."""
        clone = copy.copy(self)
        clone._unscoped = True
        return clone

    def get_queryset(self):
        current = get_scope()
        queryset = super().get_queryset()
        if getattr(self, "_unscoped", False) or not current.get("_enabled", True):
            return queryset
        if "tenant" not in current:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes={"tenant"})
        tenant = current["tenant"]
        if tenant is None:  # never "everything": an unresolved tenant sees the global rows only
            return queryset.filter(**{f"{self.tenant_path}__isnull": True})
        return queryset.filter(
            models.Q(**{f"{self.tenant_path}__isnull": True})
            | models.Q(**{self.tenant_path: tenant})
        )


class VersionContentManager(LibraryManager):
    """For rows of a model version (domains, items, requirements): scoped by its tenant."""

    tenant_path = "version__tenant"
