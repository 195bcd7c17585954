"""The rating grid: every in-scope leaf of an engagement with its level cells, rated from the
keyboard and saved cell by cell through the API (static/portal/grid.js)."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from assessments import policy
from assessments.models import pick_language
from assessments.policy import Action
from assessments.selectors.engagements import visible_engagement_or_404
from assessments.selectors.grid import FILTERS, rating_grid


def rating_scale(version):
    """[(value, label, short label, keys)] of the values a cell may get: the four defaults with
    their keys (m/1, p/2, n/3, a/4), then the model's own values, without a key."""
    scale = [
        ("met", _("Met"), pgettext("rating, short", "Met"), "m 1"),
        ("partially_met", _("Partially met"), pgettext("rating, short", "Partial"), "p 2"),
        ("not_met", _("Not met"), pgettext("rating, short", "Not met"), "n 3"),
        ("not_applicable", _("Not applicable"), pgettext("rating, short", "N/A"), "a 4"),
    ]
    known = {value for value, *_rest in scale}
    for extra in version.rating_scale:
        if extra["value"] not in known:
            name = pick_language(extra.get("name_en", ""), extra.get("name_zh", ""))
            scale.append((extra["value"], name or extra["value"], name or extra["value"], ""))
    return scale


def filter_choices():
    return [
        ("unrated", _("Not fully rated")),
        ("mine", _("Rated by me")),
        ("nonconformity", _("With a nonconformity")),
        ("below_target", _("Below the target level")),
    ]


def grid(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    tokens = policy.standing(request.membership, engagement)
    policy.require(request.membership, Action.VIEW_FINDINGS, engagement, tokens=tokens)
    may_rate = bool(
        policy.can(request.membership, Action.RECORD_FINDING, engagement, tokens=tokens)
    )
    domain_code = request.GET.get("domain") or None
    filters = [name for name in request.GET.getlist("filter") if name in FILTERS]
    data = rating_grid(
        engagement, membership=request.membership, domain_code=domain_code, filters=filters
    )
    if domain_code is not None and data.domain is None:
        raise Http404(_("This domain holds nothing in the engagement's scope."))
    scale = rating_scale(engagement.model_version)
    return render(
        request,
        "assessments/work/grid.html",
        {
            "engagement": engagement,
            "grid": data,
            "may_rate": may_rate,
            "scale": scale,
            "short_labels": {value: short for value, _label, short, _keys in scale},
            "labels": {value: label for value, label, _short, _keys in scale},
            "filters": filter_choices(),
            "active_filters": filters,
            "level_names": engagement.model_version.level_names(),
        },
    )
