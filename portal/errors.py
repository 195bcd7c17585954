"""Domain errors: raised by services with a message for people, turned into HTTP in one place.

Bad input is a Django `ValidationError` (field-keyed where a field is to blame); refused rights
are `PermissionDenied`. The rest are the exceptions below.
"""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class DomainError(Exception):
    """A rule of the domain refused the action; `message` says why in words."""

    status_code = 400

    def __init__(self, message, *, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(DomainError):
    """The action clashes with the current state of the object (HTTP 409)."""

    status_code = 409


def body_too_large_message():
    """What a client is told when its request body is over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    return _("The request body is larger than the limit of %(limit)s.") % {
        "limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    }
