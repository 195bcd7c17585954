"""A model's registration form and assessor-days formula, read from the `application:` section
of its model file (docs/model-format.md, "The application form"), stored on the model version.

Plain functions over that data: which questions a version asks, checking a set of answers
against them (errors keyed by the question, in words), and the estimate of assessor-days.
"""

import datetime
import math
from decimal import Decimal

from django.utils.translation import gettext as _

from assessments.models import pick_language

TYPES = ("text", "long_text", "number", "choice", "date")
MAX_TEXT = 4000


def questions(version):
    """The questions the version's form asks, in order ([] when the model has no form)."""
    return list((version.application or {}).get("questions", ()))


def formula(version):
    return (version.application or {}).get("assessor_days")


def label(entry):
    """The localized label of a question or choice."""
    text = entry.get("label", {})
    return pick_language(text.get("en", ""), text.get("zh", ""))


def help_text(question):
    text = question.get("help") or {}
    return pick_language(text.get("en", ""), text.get("zh", ""))


def choices(question):
    return [(choice["value"], label(choice)) for choice in question.get("choices", ())]


def _number(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = value
    else:
        number = float(str(value).strip())
        if number.is_integer() and "." not in str(value) and "e" not in str(value).lower():
            number = int(number)
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError
    return number


def clean_answers(version, answers, *, complete):
    """(answers cleaned, {key: message}) for `answers` against the version's questions.

    Unknown keys are errors (a typo must not silently drop an answer). Required questions must
    be answered when `complete` (on submission); a draft may leave them empty. Numbers come back
    as numbers, dates as ISO text, choices as their value.
    """
    if not isinstance(answers, dict):
        return {}, {"answers": _("Give the answers as a mapping of question to answer.")}
    asked = {q["key"]: q for q in questions(version)}
    errors, cleaned = {}, {}
    for key in answers:
        if key not in asked:
            errors[str(key)] = _("This model's form has no question %(key)s.") % {"key": key}
    for key, question in asked.items():
        value = answers.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if complete and question.get("required"):
                errors[key] = _("%(question)s: this question must be answered.") % {
                    "question": label(question)
                }
            continue
        kind = question["type"]
        try:
            cleaned[key] = _clean_value(question, kind, value)
        except ValueError as error:
            errors[key] = f"{label(question)}: {error.args[0] if error.args else ''}".rstrip(": ")
    return cleaned, errors


def _clean_value(question, kind, value):
    if kind in ("text", "long_text"):
        if not isinstance(value, str):
            raise ValueError(_("give a text."))
        value = value.strip()
        limit = 300 if kind == "text" else MAX_TEXT
        if len(value) > limit:
            raise ValueError(_("at most %(limit)s characters.") % {"limit": limit})
        return value
    if kind == "number":
        try:
            number = _number(value)
        except (TypeError, ValueError):
            raise ValueError(_("give a number.")) from None
        if number < 0:
            raise ValueError(_("give a number of zero or more."))
        return number
    if kind == "choice":
        allowed = [value for value, _label in choices(question)]
        if value not in allowed:
            raise ValueError(_("choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
        return value
    if kind == "date":
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(_("give a date as YYYY-MM-DD.")) from None
    raise ValueError(_("unknown type of question."))


def estimate_days(version, *, answers, items, projects):
    """The formula's assessor-days: (base + per_item × leaf items in scope + per_project ×
    projects) × the factor of each named choice answer, rounded up to half a day, at least the
    minimum. None when the model has no formula."""
    rule = formula(version)
    if not rule:
        return None
    days = (
        Decimal(str(rule["base"]))
        + Decimal(str(rule.get("per_item", 0))) * items
        + Decimal(str(rule.get("per_project", 0))) * projects
    )
    for factor in rule.get("factors", ()):
        answer = answers.get(factor["question"])
        if answer in factor["values"]:
            days *= Decimal(str(factor["values"][answer]))
    days = Decimal(math.ceil(days * 2)) / 2
    return max(days, Decimal(str(rule.get("minimum", 0)))).quantize(Decimal("0.1"))


def answer_rows(version, answers):
    """[(label, shown value)] of the questions, in the form's order, for pages."""
    rows = []
    for question in questions(version):
        value = answers.get(question["key"])
        if question["type"] == "choice":
            value = dict(choices(question)).get(value, value)
        rows.append((label(question), "" if value is None else value, question["type"]))
    return rows
