"""Small display helpers shared by the templates."""

from django import template

from assessments.models import localized as localized_text
from portal import charts

register = template.Library()


@register.simple_tag
def localized(obj, field):
    """`{% localized item "name" %}`: the text in the active language, else the other one."""
    return localized_text(obj, field)


@register.filter
def get_item(mapping, key):
    """`{{ names|get_item:level }}`: a dict lookup with a variable key."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def level_chart(domain_levels, target, title=""):
    """`{% level_chart work.domain_levels engagement.target_level %}`: bars per domain."""
    return charts.level_bars(
        [(name, level) for _code, name, level in domain_levels], target, title=title
    )
