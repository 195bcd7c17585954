"""Evidence requests: the assessor asks the client for material by a date, pre-reviews what
comes (材料初审) and accepts it or asks for a correction by a set date (限期调整).

    open ──submit──▶ submitted ──accept──▶ accepted
                         │
                         └──correct──▶ needs_correction ──submit──▶ resubmitted ──▶ (as submitted)
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import notifications, policy
from assessments.models import Evidence, EvidenceRequest, ExpectedEvidence
from assessments.policy import Action
from portal import audit
from portal.errors import Conflict

S = EvidenceRequest.Status


def _audit(request, by, verb, changes, action="update"):
    audit.record(
        verb=verb,
        obj=request,
        actor=by,
        tenant=request.engagement.tenant,
        engagement=request.engagement,
        action=action,
        changes=changes,
    )


def _check_due(due_date, field="due_date"):
    if due_date is None:
        raise ValidationError({field: _("Give the date it is due.")})
    if due_date < timezone.localdate():
        raise ValidationError({field: _("The date is in the past.")})


@transaction.atomic
def request_evidence(*, engagement, by, title, due_date, details="", item=None):
    """An assessor asks the client for specific material by `due_date`."""
    policy.require(by, Action.REQUEST_EVIDENCE, engagement)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Say what is asked for.")})
    _check_due(due_date)
    if item is not None and not engagement.scope_items.filter(pk=item.pk).exists():
        raise ValidationError({"item": _("Choose an item in scope.")})
    request = EvidenceRequest.objects.create(
        tenant=engagement.tenant,
        engagement=engagement,
        item=item,
        title=title[:300],
        details=details,
        due_date=due_date,
        requested_by=by.user,
    )
    _audit(request, by, "request.opened", {"title": [None, request.title]}, action="create")
    transaction.on_commit(lambda: notifications.evidence_requested(engagement.pk, [request.pk]))
    return request


def _catalogue(engagement):
    """The model's expected evidence for the in-scope leaves, at the engagement's target level."""
    return (
        ExpectedEvidence.objects.filter(
            cell__item__in=engagement.scope_items.all(), cell__level=engagement.target_level
        )
        .select_related("cell__item")
        .order_by("cell__item__position", "position")
    )


@transaction.atomic
def request_from_catalogue(*, engagement, by, due_date):
    """One request per expected evidence of the model at the target level, for every leaf in
    scope; those already requested are skipped, so doing it twice asks nothing twice."""
    policy.require(by, Action.REQUEST_EVIDENCE, engagement)
    _check_due(due_date)
    expected = list(_catalogue(engagement))
    if not expected:
        raise ValidationError(
            {"engagement": _("The model lists no expected evidence at the target level.")}
        )
    asked = set(
        EvidenceRequest.objects.filter(engagement=engagement, expected__isnull=False).values_list(
            "expected_id", flat=True
        )
    )
    made = EvidenceRequest.objects.bulk_create(
        [
            EvidenceRequest(
                tenant=engagement.tenant,
                engagement=engagement,
                item=entry.cell.item,
                expected=entry,
                title=(entry.text or entry.code)[:300],
                details=f"{entry.code} · {entry.get_kind_display()}",
                due_date=due_date,
                requested_by=by.user,
            )
            for entry in expected
            if entry.pk not in asked
        ]
    )
    for request in made:
        _audit(request, by, "request.opened", {"title": [None, request.title]}, action="create")
    if made:
        ids = [r.pk for r in made]
        transaction.on_commit(lambda: notifications.evidence_requested(engagement.pk, ids))
    return made


def _locked(request):
    return (
        EvidenceRequest.objects.select_for_update()
        .select_related("engagement__tenant")
        .get(pk=request.pk)
    )


@transaction.atomic
def submit_request(*, request, by, evidence_ids, note=""):
    """The client answers with files of the engagement (uploaded before): open → submitted,
    or needs correction → resubmitted."""
    policy.require(by, Action.ANSWER_REQUEST, request.engagement)
    request = _locked(request)
    if not request.awaits_client:
        raise Conflict(_("This request is not waiting for the client."))
    ids = set(evidence_ids)
    if not ids:
        raise ValidationError({"evidence": _("Choose the files that answer the request.")})
    files = list(Evidence.objects.filter(engagement=request.engagement, pk__in=ids))
    if len(files) != len(ids):
        raise ValidationError({"evidence": _("Unknown evidence.")})
    before = request.status
    request.status = S.SUBMITTED if before == S.OPEN else S.RESUBMITTED
    request.client_note = note.strip()
    request.submitted_at = timezone.now()
    request.save(update_fields=["status", "client_note", "submitted_at"])
    request.evidence.add(*files)
    _audit(
        request,
        by,
        "request.submitted",
        {"status": [before, request.status], "evidence": [None, " ".join(sorted(map(str, ids)))]},
    )
    transaction.on_commit(lambda: notifications.request_submitted(request.pk))
    return request


@transaction.atomic
def review_request(*, request, by, accept, note="", correction_due=None):
    """Material pre-review: accept, or ask for a correction with the reason and a deadline."""
    policy.require(by, Action.REQUEST_EVIDENCE, request.engagement)
    request = _locked(request)
    if not request.awaits_team:
        raise Conflict(_("Nothing has been submitted for this request since it was reviewed."))
    before = request.status
    if accept:
        request.status = S.ACCEPTED
    else:
        if not note.strip():
            raise ValidationError({"note": _("Say what is to be corrected.")})
        _check_due(correction_due, "correction_due")
        request.status = S.NEEDS_CORRECTION
        request.correction_note = note.strip()
        request.correction_due = correction_due
        request.reminded_on = None
    request.reviewed_by = by.user
    request.reviewed_at = timezone.now()
    request.save()
    changes = {"status": [before, request.status]}
    if not accept:
        changes["correction_due"] = [None, str(correction_due)]
    _audit(request, by, "request.accepted" if accept else "request.correction", changes)
    if not accept:
        transaction.on_commit(lambda: notifications.request_needs_correction(request.pk))
    return request


def reminder_days():
    return getattr(settings, "EVIDENCE_REQUEST_REMIND_DAYS", 2)


def send_reminders(*, today=None):
    """Remind the client of every request waiting for it whose deadline is within
    EVIDENCE_REQUEST_REMIND_DAYS (or passed): one email per engagement, at most once a day per
    request (the date is recorded first), so running it twice sends nothing more. Returns the
    number of engagements reminded."""
    from django_scopes import scopes_disabled

    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=reminder_days())
    with scopes_disabled():
        waiting = (
            EvidenceRequest.objects.filter(status__in=[S.OPEN, S.NEEDS_CORRECTION])
            .exclude(reminded_on=today)
            .filter(engagement__state__in=["planning", "evidence", "assessment"])
            .order_by("engagement_id", "due_date", "pk")
        )
        by_engagement, sent = {}, 0
        for request in waiting:
            if request.deadline <= horizon:
                by_engagement.setdefault(request.engagement_id, []).append(request.pk)
        for engagement_id, ids in by_engagement.items():
            with transaction.atomic():
                claimed = EvidenceRequest.objects.filter(pk__in=ids).exclude(reminded_on=today)
                ids = list(claimed.values_list("pk", flat=True))
                if not ids:
                    continue
                claimed.update(reminded_on=today)
            # Claimed (and committed, when not inside a caller's transaction) before sending:
            # a run that fails after this line never sends the same reminder twice in a day.
            notifications.requests_due(engagement_id, ids)
            sent += 1
    return sent
