"""Small display helpers shared by the templates."""

from django import template

from assessments.models import localized as localized_text

register = template.Library()


@register.simple_tag
def localized(obj, field):
    """`{% localized item "name" %}`: the Chinese text in Chinese, else the English one."""
    return localized_text(obj, field)


@register.filter
def get_item(mapping, key):
    """`{{ names|get_item:level }}`: a dict lookup with a variable key."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
