"""The audit trail in words: one sentence per entry ("Liang Lead rated CD.CM.VC.L2.1 met"),
the filters of the trail's page and API, and its CSV export.

Entries keep the domain's verb and the raw changes (portal/audit.py); the sentence is made when
shown, in the reader's language, so it can be improved without touching what was recorded.
"""

import csv
import io
import json

from django import forms
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from portal.models import AuditEntry

# verb -> (the sentence, the field of `changes` whose [old, new] it quotes). Placeholders:
# actor, object, old, new, and any key of the entry's additional data (requirement, item, ...).
SENTENCES = {
    "engagement.created": (gettext_lazy("%(actor)s created the engagement %(object)s"), None),
    "engagement.updated": (gettext_lazy("%(actor)s edited the engagement"), None),
    "tenant.particulars": (
        gettext_lazy("%(actor)s changed what certificates print of the body"),
        None,
    ),
    "engagement.transition": (
        gettext_lazy("%(actor)s moved the engagement from %(old)s to %(new)s"),
        "state",
    ),
    "assignment.added": (gettext_lazy("%(actor)s added %(person)s as %(role)s"), None),
    "assignment.removed": (gettext_lazy("%(actor)s took %(person)s off the team"), None),
    "evidence.uploaded": (gettext_lazy("%(actor)s uploaded %(object)s"), None),
    "evidence.linked": (gettext_lazy("%(actor)s linked %(object)s to requirements"), None),
    "evidence.judged": (gettext_lazy("%(actor)s judged %(object)s: %(new)s"), "status"),
    "request.opened": (gettext_lazy("%(actor)s asked for evidence: %(new)s"), "title"),
    "request.submitted": (gettext_lazy("%(actor)s answered the request %(object)s"), None),
    "request.accepted": (gettext_lazy("%(actor)s accepted the answer to %(object)s"), None),
    "request.correction": (gettext_lazy("%(actor)s asked to correct %(object)s"), None),
    "self_assessment.rated": (gettext_lazy("%(actor)s self-assessed %(object)s"), None),
    "rating.recorded": (gettext_lazy("%(actor)s rated %(requirement)s %(new)s"), "rating"),
    "rating.changed": (
        gettext_lazy("%(actor)s changed the rating of %(requirement)s from %(old)s to %(new)s"),
        "rating",
    ),
    "finding.recorded": (gettext_lazy("%(actor)s recorded the finding of %(item)s"), None),
    "nonconformity.raised": (
        gettext_lazy("%(actor)s raised a nonconformity (%(new)s)"),
        "grade",
    ),
    "nonconformity.answered": (gettext_lazy("%(actor)s answered a nonconformity"), None),
    "nonconformity.closed": (gettext_lazy("%(actor)s closed a nonconformity"), None),
    "review.recorded": (gettext_lazy("%(actor)s recorded a review: %(new)s"), "outcome"),
    "decision.recorded": (gettext_lazy("%(actor)s recorded the decision: %(new)s"), "outcome"),
    "report.requested": (gettext_lazy("%(actor)s asked for the report"), None),
    "report.sent_for_review": (
        gettext_lazy("%(actor)s sent the draft report to the client"),
        None,
    ),
    "report.commented": (gettext_lazy("%(actor)s commented on the draft report"), None),
    "report.comment_answered": (gettext_lazy("%(actor)s answered a comment on the report"), None),
    "report.accepted_by_client": (gettext_lazy("%(actor)s accepted the draft report"), None),
    "conflict.declared": (
        gettext_lazy("%(actor)s declared a conflict of interest with %(new)s"),
        "organization",
    ),
    "conflict.withdrawn": (gettext_lazy("%(actor)s withdrew a conflict of interest"), None),
    "certificate.issued": (gettext_lazy("%(actor)s issued the certificate %(object)s"), None),
    "certificate.reissued": (gettext_lazy("%(actor)s reissued the certificate %(object)s"), None),
    "certificate.active": (gettext_lazy("The certificate %(object)s became active"), None),
}
FALLBACK = gettext_lazy("%(actor)s: %(verb)s %(object)s")

# What a certificate's status change says (certificates.models.CertificateEvent).
CERTIFICATE_SENTENCES = {
    "issuing": (
        gettext_lazy("%(actor)s decided to issue the certificate; it is being signed."),
        gettext_lazy("The certificate was decided and is being signed."),
    ),
    "active": (
        gettext_lazy("%(actor)s issued the certificate."),
        gettext_lazy("The certificate was issued."),
    ),
    "suspended": (
        gettext_lazy("%(actor)s suspended the certificate"),
        gettext_lazy("The certificate was suspended"),
    ),
    "withdrawn": (
        gettext_lazy("%(actor)s withdrew the certificate"),
        gettext_lazy("The certificate was withdrawn"),
    ),
    "expired": (None, gettext_lazy("The certificate expired")),
    "superseded": (None, gettext_lazy("The certificate was superseded by a new one")),
}
REINSTATED = (
    gettext_lazy("%(actor)s reinstated the certificate"),
    gettext_lazy("The certificate was reinstated"),
)

RATING_WORDS = {
    "met": pgettext_lazy("rating in a sentence", "met"),
    "partially_met": pgettext_lazy("rating in a sentence", "partially met"),
    "not_met": pgettext_lazy("rating in a sentence", "not met"),
    "not_applicable": pgettext_lazy("rating in a sentence", "not applicable"),
}


def _choice_labels():
    """{field: {value: label}} of the fields whose values sentences quote."""
    from assessments.models import Assignment, Decision, Engagement, Evidence, Nonconformity

    outcomes = {**dict(Decision.Outcome.choices), **dict(_review_outcomes())}
    return {
        "state": dict(Engagement.State.choices),
        "role": dict(Assignment.Role.choices),
        "status": dict(Evidence.Status.choices),
        "grade": dict(Nonconformity.Grade.choices),
        "outcome": outcomes,
        "rating": RATING_WORDS,
    }


def _review_outcomes():
    from assessments.models import Review

    return Review.Outcome.choices


def names_of(entries, tenant) -> dict:
    """{user id or email: the name this body shows} for the people the entries mention: the
    member's name in this body, else their own name, else their email (one query)."""
    from tenants.models import Membership

    ids = {e.actor_id for e in entries if e.actor_id}
    emails = {
        value
        for e in entries
        if isinstance(getattr(e, "changes", None), dict)
        for value in e.changes.get("user") or []
        if value
    }
    names = {}
    if not ids and not emails:
        return names
    memberships = Membership.objects.filter(
        Q(user_id__in=ids) | Q(user__email__in=emails), tenant=tenant
    ).select_related("user")
    for membership in memberships:
        name = membership.display_name or str(membership.user)
        names[membership.user_id] = names[membership.user.email] = name
    return names


def _person(names, user_id, email):
    if user_id in names:
        return names[user_id]
    if email:
        return names.get(email, email)
    return _("The system")


def sentence(entry, names) -> str:
    """One entry of the audit trail as a sentence in the active language."""
    template, field = SENTENCES.get(entry.verb, (FALLBACK, None))
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    labels = _choice_labels()
    if field is None and changes:
        field = next(iter(changes))
    old, new = (list(changes.get(field) or []) + [None, None])[:2] if field else (None, None)
    words = labels.get(field, {})
    values = {
        "actor": _person(names, entry.actor_id, entry.actor_email),
        "object": entry.object_repr,
        "verb": entry.verb,
        "old": str(words.get(old, old) if old is not None else "—"),
        "new": str(words.get(new, new) if new is not None else "—"),
        "requirement": data.get("requirement", entry.object_repr),
        "item": data.get("item", entry.object_repr),
    }
    if entry.verb.startswith("assignment."):
        user = changes.get("user") or [None, None]
        email = user[1] or user[0]
        role = changes.get("role") or [None, None]
        values["person"] = names.get(email, email or "—")
        label = labels["role"].get(role[1] or role[0], role[1] or role[0] or "—")
        values["role"] = str(label).lower()  # mid-sentence: "as lead assessor"
    text = str(template) % values
    if entry.verb == "decision.recorded":
        level = (changes.get("level") or [None, None])[1]
        if level:
            text = _("%(sentence)s, level %(level)s") % {"sentence": text, "level": level}
    reason = data.get("reason") or data.get("note")
    if reason:
        text = _("%(sentence)s: %(reason)s") % {"sentence": text, "reason": reason}
    return text


def certificate_sentence(event, names) -> str:
    """A certificate's status change (CertificateEvent) in words, with its reason; who did it
    only when `names` knows them (the public verification page names nobody)."""
    if event.from_status == "suspended" and event.to_status == "active":
        with_actor, without = REINSTATED
    else:
        with_actor, without = CERTIFICATE_SENTENCES.get(event.to_status, (None, None))
    if without is None:
        return _("The certificate became %(status)s") % {"status": event.to_status}
    if event.actor_id in names and with_actor is not None:
        text = str(with_actor) % {"actor": _person(names, event.actor_id, None)}
    else:
        text = str(without)
    if event.reason:
        return _("%(sentence)s: %(reason)s.") % {
            "sentence": text.rstrip(".。"),
            "reason": event.reason.rstrip(".。"),
        }
    return text if text.endswith((".", "。")) else text + "."


# --- Filters and export --------------------------------------------------------------------


class TrailFilterForm(forms.Form):
    """Filters of an audit trail (GET parameters of the page and of the API)."""

    person = forms.TypedChoiceField(
        label=gettext_lazy("Person"), required=False, coerce=int, empty_value=None
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of object"), required=False)
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput({"type": "date"})
    )

    def __init__(self, data, *, entries, names):
        """`entries`: the whole trail (a list), whose people, actions and kinds are the
        choices; `names` from names_of."""
        super().__init__(data)
        people = {e.actor_id: _person(names, e.actor_id, e.actor_email) for e in entries}
        people.pop(None, None)
        self.fields["person"].choices = [
            ("", _("Anyone")),
            *sorted(people.items(), key=lambda pair: pair[1].lower()),
        ]
        verbs = sorted({e.verb for e in entries})
        self.fields["action"].choices = [
            ("", _("Any action")),
            *[(verb, action_label(verb)) for verb in verbs],
        ]
        kinds = {e.content_type.model: kind_label(e.content_type) for e in entries}
        self.fields["kind"].choices = [("", _("Any kind")), *sorted(kinds.items())]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end is before the start."))
        return data

    def apply(self, entries):
        """The entries the valid filters keep, newest first."""
        data = self.cleaned_data
        if data.get("person"):
            entries = entries.filter(actor_id=data["person"])
        if data.get("action"):
            entries = entries.filter(verb=data["action"])
        if data.get("kind"):
            entries = entries.filter(content_type__model=data["kind"])
        zone = timezone.get_current_timezone()
        if data.get("since"):
            start = timezone.datetime.combine(data["since"], timezone.datetime.min.time())
            entries = entries.filter(timestamp__gte=timezone.make_aware(start, zone))
        if data.get("until"):
            end = timezone.datetime.combine(
                data["until"] + timezone.timedelta(days=1), timezone.datetime.min.time()
            )
            entries = entries.filter(timestamp__lt=timezone.make_aware(end, zone))
        return entries.order_by("-timestamp", "-pk")


def kind_label(content_type) -> str:
    model = content_type.model_class()
    return str(model._meta.verbose_name).capitalize() if model else content_type.model


def action_label(verb) -> str:
    """A verb as a filter choice: "rating.recorded" -> "Rating recorded"."""
    return str(ACTION_LABELS.get(verb) or verb.replace(".", " ").replace("_", " ").capitalize())


ACTION_LABELS = {
    "engagement.created": gettext_lazy("Engagement created"),
    "engagement.updated": gettext_lazy("Engagement edited"),
    "engagement.transition": gettext_lazy("Phase changed"),
    "assignment.added": gettext_lazy("Team member added"),
    "assignment.removed": gettext_lazy("Team member removed"),
    "evidence.uploaded": gettext_lazy("Evidence uploaded"),
    "evidence.linked": gettext_lazy("Evidence linked"),
    "evidence.judged": gettext_lazy("Evidence judged"),
    "rating.recorded": gettext_lazy("Rating recorded"),
    "rating.changed": gettext_lazy("Rating changed"),
    "finding.recorded": gettext_lazy("Finding recorded"),
    "nonconformity.raised": gettext_lazy("Nonconformity raised"),
    "nonconformity.answered": gettext_lazy("Nonconformity answered"),
    "nonconformity.closed": gettext_lazy("Nonconformity closed"),
    "review.recorded": gettext_lazy("Review recorded"),
    "decision.recorded": gettext_lazy("Decision recorded"),
    "request.opened": gettext_lazy("Evidence requested"),
    "request.submitted": gettext_lazy("Request answered"),
    "request.accepted": gettext_lazy("Request accepted"),
    "request.correction": gettext_lazy("Correction asked"),
    "self_assessment.rated": gettext_lazy("Self-assessment"),
}


def rows(entries, names):
    """The entries as dicts: what the API and the CSV give."""
    return [
        {
            "timestamp": entry.timestamp,
            "actor": entry.actor_email,
            "person": _person(names, entry.actor_id, entry.actor_email),
            "verb": entry.verb,
            "kind": entry.content_type.model if entry.content_type_id else "",
            "object": entry.object_repr,
            "sentence": sentence(entry, names),
            "changes": entry.changes or {},
            "data": entry.additional_data or {},
        }
        for entry in entries
    ]


def csv_response(entries, names, filename):
    """The entries as a CSV download (UTF-8 with a byte-order mark, which spreadsheet programs
    need to read Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["timestamp", "person", "name", "action", "kind", "object", "sentence", "changes"]
    )
    for row in rows(entries, names):
        writer.writerow(
            [
                timezone.localtime(row["timestamp"]).isoformat(),
                row["actor"] or "",
                row["person"],
                row["verb"],
                row["kind"],
                row["object"],
                row["sentence"],
                json.dumps(row["changes"], ensure_ascii=False),
            ]
        )
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def trail_entries():
    """Every audit entry, with what a sentence needs (the caller narrows it)."""
    return AuditEntry.objects.select_related("content_type")
