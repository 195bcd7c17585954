"""Evidence: uploads by the client (or the team), new versions, judgement, checked downloads."""

import hashlib

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import notifications, policy, uploads
from assessments.models import CapabilityItem, Evidence
from assessments.policy import Action
from portal import audit


class TamperedFile(Exception):
    """The stored file no longer matches the SHA-256 recorded at upload."""


def _items(engagement, item_ids):
    items = list(engagement.scope_items.filter(pk__in=item_ids))
    if len(items) != len(set(item_ids)):
        raise ValidationError({"items": _("Link the evidence to items in scope only.")})
    return items


@transaction.atomic
def upload_evidence(*, engagement, by, uploaded, description="", item_ids=(), supersedes=None):
    """A client person (or an assessor) submits a file to the engagement.

    The file is checked (size, sniffed type, archive contents), stored under a generated name by
    streaming it from its temporary file, and never changed afterwards; its SHA-256, size and
    type are recorded. A new version supersedes an earlier file, which stays.
    """
    policy.require(by, Action.UPLOAD_EVIDENCE, engagement)
    if uploaded is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    try:
        checked = uploads.check(uploaded)
    except uploads.Refused as refused:
        raise ValidationError({"file": str(refused)}) from refused
    items = _items(engagement, item_ids)
    if supersedes is not None:
        if supersedes.engagement_id != engagement.pk:
            raise ValidationError({"supersedes": _("Unknown evidence.")})
        if Evidence.objects.filter(supersedes=supersedes).exists():
            raise ValidationError({"supersedes": _("This file has a newer version already.")})
        if not items:
            items = list(supersedes.items.all())
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
    evidence.items.set(items)
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
        },
    )
    return evidence


@transaction.atomic
def judge_evidence(*, evidence, by, accept, note=""):
    """An assessor accepts or rejects a file with a note; a rejection tells the uploader."""
    engagement = evidence.engagement
    policy.require(by, Action.JUDGE_EVIDENCE, engagement)
    if not accept and not note.strip():
        raise ValidationError({"note": _("Say why the evidence is rejected.")})
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


def open_for_download(*, evidence, by):
    """The stored file, after checking the reader's rights and that its SHA-256 still matches.

    Reads the file twice (check, then send) so that a tampered file is never sent.
    """
    policy.require(by, Action.VIEW_EVIDENCE, evidence)
    digest = hashlib.sha256()
    with evidence.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    if digest.hexdigest() != evidence.sha256:
        raise TamperedFile(_("The stored file no longer matches its recorded SHA-256."))
    return evidence.file.open("rb")


def scope_items(engagement):
    return CapabilityItem.objects.filter(pk__in=engagement.scope_items.values("pk")).order_by(
        "position"
    )
