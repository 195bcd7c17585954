"""What every API view shares: pagination, filters, JSON parsing and the mapping of errors to
HTTP.

Bad input is a 400 naming what is wrong, never a 500: JSON nested deeper than MAX_JSON_DEPTH is
refused by the parser (Python's decoder raises RecursionError near 1,000 levels, and the code
that walks the data afterwards may recurse too); a key in a filter that no database integer can
hold is a form error of that filter (SQLite raises OverflowError on it); a body over
DATA_UPLOAD_MAX_MEMORY_SIZE is a JSON 400 that says the limit.
"""

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters import fields as filter_fields
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from rest_framework import exceptions, parsers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from portal.errors import DomainError, body_too_large_message

MAX_JSON_DEPTH = 64  # arrays and objects inside each other; the API's inputs need 3
LARGEST_KEY = 2**63 - 1  # the largest value of a 64-bit integer column


class ApiDocsAccess(BasePermission):
    """The schema and the docs page: anyone, or staff only when API_DOCS_PUBLIC is off."""

    def has_permission(self, request, view):
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_staff)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing documents nested deeper than MAX_JSON_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
            too_deep = True
        else:
            too_deep = _depth_exceeds(data, MAX_JSON_DEPTH)
        if too_deep:
            raise exceptions.ParseError(
                _("The JSON body is nested more than %(depth)d levels deep.")
                % {"depth": MAX_JSON_DEPTH}
            )
        return data


def _depth_exceeds(data, limit):
    """Whether lists and dicts nest deeper than `limit`, found without recursion."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in value)
    return False


def _key_out_of_range(value):
    text = str(value).strip().lstrip("+-")
    return text.isdigit() and (len(text) > 19 or int(text) > LARGEST_KEY)


class _KeysInRange:
    """A model choice field that refuses integer keys no database column can hold."""

    out_of_range_code = "invalid_choice"

    def clean(self, value):
        target = (
            self.queryset.model._meta.get_field(self.to_field_name)
            if self.to_field_name
            else self.queryset.model._meta.pk
        )
        if isinstance(target, models.IntegerField):
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                if item is not None and _key_out_of_range(item):
                    raise forms.ValidationError(
                        self.error_messages[self.out_of_range_code],
                        code=self.out_of_range_code,
                        params={"pk": str(item)[:30], "value": str(item)[:30]},
                    )
        return super().clean(value)


class _ModelChoiceField(_KeysInRange, filter_fields.ModelChoiceField):
    pass


class _ModelMultipleChoiceField(_KeysInRange, filter_fields.ModelMultipleChoiceField):
    out_of_range_code = "invalid_pk_value"


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _ModelChoiceField


class ModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = _ModelMultipleChoiceField


_CHECKED_FILTERS = {
    django_filters.ModelChoiceFilter: ModelChoiceFilter,
    django_filters.ModelMultipleChoiceFilter: ModelMultipleChoiceFilter,
}


class FilterSet(django_filters.FilterSet):
    """The base of the API's filter sets: foreign keys in the range of an integer column."""

    FILTER_DEFAULTS = {
        db_field: {
            **spec,
            "filter_class": _CHECKED_FILTERS.get(spec["filter_class"], spec["filter_class"]),
        }
        for db_field, spec in FILTER_FOR_DBFIELD_DEFAULTS.items()
    }


def exception_handler(exc, context):
    """DRF's handler, plus Django validation errors as 400 and domain errors with their code."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DomainError):
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(body, status=exc.status_code)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, RequestDataTooBig):
        return Response({"detail": body_too_large_message()}, status=400)
    elif isinstance(exc, SuspiciousOperation):
        return Response({"detail": _("The request could not be understood.")}, status=400)
    # Imported here: DRF's views module reads DEFAULT_PARSER_CLASSES, which names this module,
    # when it is first imported, so importing it above is a cycle whenever this module comes
    # first (a Celery worker's system checks reach DRF's settings through it).
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST and isinstance(response.data, list):
        response.data = {"detail": response.data}
    return response
