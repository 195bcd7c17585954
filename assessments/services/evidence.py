"""Evidence: uploads by the client (or the team), new versions, judgement, checked downloads."""

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import notifications, policy, uploads
from assessments.models import CapabilityItem, Evidence, LevelRequirement
from assessments.policy import Action
from portal import audit
from portal.storage import TamperedFile, open_verified  # noqa: F401 - TamperedFile is part of this API


def _items(engagement, item_ids):
    items = list(engagement.scope_items.filter(pk__in=item_ids))
    if len(items) != len(set(item_ids)):
        raise ValidationError({"items": _("Link the evidence to items in scope only.")})
    return items


def _requirements(engagement, requirement_ids):
    requirements = list(
        LevelRequirement.objects.filter(
            pk__in=requirement_ids, item__in=engagement.scope_items.all()
        ).select_related("item")
    )
    if len(requirements) != len(set(requirement_ids)):
        raise ValidationError(
            {"requirements": _("Link the evidence to requirements of items in scope only.")}
        )
    return requirements


def _links(engagement, item_ids, requirement_ids):
    """The items and requirements a file supports; a requirement brings its item along."""
    items = _items(engagement, item_ids)
    requirements = _requirements(engagement, requirement_ids)
    seen = {item.pk for item in items}
    for requirement in requirements:
        if requirement.item_id not in seen:
            seen.add(requirement.item_id)
            items.append(requirement.item)
    return items, requirements


def _check(uploaded):
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    try:
        return uploads.check(uploaded)
    except uploads.Refused as refused:
        raise ValidationError({"file": str(refused)}) from refused


def _link_new(stored, items, requirements):
    """The links of freshly stored files, in two inserts whatever their number."""
    Evidence.items.through.objects.bulk_create(
        [
            Evidence.items.through(evidence_id=e.pk, capabilityitem_id=i.pk)
            for e in stored
            for i in items
        ]
    )
    Evidence.requirements.through.objects.bulk_create(
        [
            Evidence.requirements.through(evidence_id=e.pk, levelrequirement_id=r.pk)
            for e in stored
            for r in requirements
        ]
    )


def _store(*, engagement, by, uploaded, checked, description, items, requirements, supersedes):
    evidence = Evidence(
        tenant=engagement.tenant,
        engagement=engagement,
        original_name=uploads.display_name(uploaded.name),
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        description=description,
        uploaded_by=by.user,
        supersedes=supersedes,
    )
    uploaded.seek(0)
    evidence.file.save("evidence", File(uploaded), save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    _link_new([evidence], items, requirements)
    audit.record(
        verb="evidence.uploaded",
        obj=evidence,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        action="create",
        changes={
            "file": [None, evidence.original_name],
            "sha256": [None, evidence.sha256],
            **({"supersedes": [None, str(supersedes.pk)]} if supersedes else {}),
            **(
                {"requirements": [None, " ".join(r.code for r in requirements)]}
                if requirements
                else {}
            ),
        },
    )
    return evidence


@transaction.atomic
def upload_evidence(
    *,
    engagement,
    by,
    uploaded,
    description="",
    item_ids=(),
    requirement_ids=(),
    supersedes=None,
):
    """A client person (or an assessor) submits a file to the engagement.

    The file is checked (size, sniffed type, archive contents), stored under a generated name by
    streaming it from its temporary file, and never changed afterwards; its SHA-256, size and
    type are recorded. It is linked to the items and level requirements it supports. A new
    version supersedes an earlier file, which stays.
    """
    policy.require(by, Action.UPLOAD_EVIDENCE, engagement)
    checked = _check(uploaded)
    items, requirements = _links(engagement, item_ids, requirement_ids)
    if supersedes is not None:
        if supersedes.engagement_id != engagement.pk:
            raise ValidationError({"supersedes": _("Unknown evidence.")})
        if Evidence.objects.filter(supersedes=supersedes).exists():
            raise ValidationError({"supersedes": _("This file has a newer version already.")})
        if not items and not requirements:
            items = list(supersedes.items.all())
            requirements = list(supersedes.requirements.all())
    return _store(
        engagement=engagement,
        by=by,
        uploaded=uploaded,
        checked=checked,
        description=description,
        items=items,
        requirements=requirements,
        supersedes=supersedes,
    )


@transaction.atomic
def upload_many(*, engagement, by, files, description="", item_ids=(), requirement_ids=()):
    """Several files in one upload, each linked to the same items and requirements.

    All or nothing: every file is checked before any is stored, and a refusal names the file.
    """
    policy.require(by, Action.UPLOAD_EVIDENCE, engagement)
    files = [f for f in files if f is not None]
    if not files:
        raise ValidationError({"file": _("Choose a file to upload.")})
    checked = []
    for uploaded in files:
        try:
            checked.append(uploads.check(uploaded))
        except uploads.Refused as refused:
            raise ValidationError(
                {"file": f"{uploads.display_name(uploaded.name)}: {refused}"}
            ) from refused
    items, requirements = _links(engagement, item_ids, requirement_ids)
    stored = []
    try:
        for uploaded, check in zip(files, checked, strict=True):
            stored.append(
                _store(
                    engagement=engagement,
                    by=by,
                    uploaded=uploaded,
                    checked=check,
                    description=description,
                    items=items,
                    requirements=requirements,
                    supersedes=None,
                )
            )
    except Exception:
        for evidence in stored:
            evidence.file.delete(save=False)
        raise
    return stored


@transaction.atomic
def link_evidence(*, evidence, by, item_ids=(), requirement_ids=()):
    """Link a file to the items and requirements it supports (replacing its links): one file
    serves as many requirements as it proves."""
    engagement = evidence.engagement
    policy.require(by, Action.LINK_EVIDENCE, engagement)
    items, requirements = _links(engagement, item_ids, requirement_ids)
    before = " ".join(sorted(r.code for r in evidence.requirements.all()))
    evidence.items.set(items)
    evidence.requirements.set(requirements)
    audit.record(
        verb="evidence.linked",
        obj=evidence,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        changes={
            "requirements": [before, " ".join(sorted(r.code for r in requirements))],
            "items": [None, " ".join(sorted(i.code for i in items))],
        },
    )
    return evidence


def _judge(evidence, *, by, accept, note):
    engagement = evidence.engagement
    status = Evidence.Status.ACCEPTED if accept else Evidence.Status.REJECTED
    changes = {"status": [evidence.status, status]}
    evidence.status = status
    evidence.review_note = note.strip()
    evidence.reviewed_by = by.user
    evidence.reviewed_at = timezone.now()
    evidence.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    audit.record(
        verb="evidence.judged",
        obj=evidence,
        actor=by,
        tenant=engagement.tenant,
        engagement=engagement,
        changes=changes,
        data={"note": evidence.review_note} if evidence.review_note else None,
    )
    if not accept:
        transaction.on_commit(lambda: notifications.evidence_rejected(evidence.pk))
    return evidence


@transaction.atomic
def judge_evidence(*, evidence, by, accept, note=""):
    """An assessor accepts or rejects a file with a note; a rejection tells the uploader."""
    policy.require(by, Action.JUDGE_EVIDENCE, evidence.engagement)
    if not accept and not note.strip():
        raise ValidationError({"note": _("Say why the evidence is rejected.")})
    return _judge(evidence, by=by, accept=accept, note=note)


@transaction.atomic
def judge_many(*, engagement, by, evidence_ids, accept, note=""):
    """Accept or reject many files of one engagement at once: one audit entry per file."""
    policy.require(by, Action.JUDGE_EVIDENCE, engagement)
    ids = set(evidence_ids)
    if not ids:
        raise ValidationError({"evidence": _("Choose the evidence to judge.")})
    if not accept and not note.strip():
        raise ValidationError({"note": _("Say why the evidence is rejected.")})
    chosen = list(
        Evidence.objects.select_for_update()
        .filter(engagement=engagement, pk__in=ids)
        .select_related("engagement__tenant")
        .order_by("pk")
    )
    if len(chosen) != len(ids):
        raise ValidationError({"evidence": _("Unknown evidence.")})
    return [_judge(evidence, by=by, accept=accept, note=note) for evidence in chosen]


def open_for_download(*, evidence, by):
    """The stored file, after checking the reader's rights and that its SHA-256 still matches.

    One open: the handle that was hashed is the one sent (portal/storage.py), so a tampered or
    missing file is refused (TamperedFile) and never sent.
    """
    policy.require(by, Action.VIEW_EVIDENCE, evidence)
    return open_verified(evidence.file, evidence.sha256)


def scope_items(engagement):
    return CapabilityItem.objects.filter(pk__in=engagement.scope_items.values("pk")).order_by(
        "position"
    )


# What a browser may show inline (docs/architecture.md, "Evidence previews"): only types it
# renders without running the file's content as a page of this site.
PREVIEW_TYPES = {"application/pdf", "image/png", "image/jpeg"}


class NotPreviewable(Exception):
    """A file whose type is not shown inline (download it instead)."""


def open_for_preview(*, evidence, by):
    """The stored file for an inline preview: PDF, PNG and JPEG only, checked like a download."""
    policy.require(by, Action.VIEW_EVIDENCE, evidence)
    if evidence.content_type not in PREVIEW_TYPES:
        raise NotPreviewable(_("This kind of file is not shown in the browser."))
    return open_for_download(evidence=evidence, by=by)
