"""The programme of a certificate (docs/architecture.md, "The certification cycle").

Issuing a certificate plans its visits from the body's settings: surveillances every
`surveillance_interval_months` from the decision (the first within 12 months of it, ISO/IEC
17021-1), each opened `surveillance_notice_days` before it is due, and the recertification opened
`recertification_window_months` before expiry. The daily task (`sweep`) opens the engagement of
every visit whose day has come, reminds the body and the client, and flags visits past their due
date; it works in batches whose number of queries does not depend on the batch's size, and a
visit is opened once: running it twice opens nothing twice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Decision, Engagement
from certificates import notifications, policy
from certificates.models import Certificate, ProgrammeVisit
from portal import audit
from portal.errors import Conflict
from portal.models import AuditEntry
from tenants.models import Counter

BATCH = 500
LIVE = (Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED)
PENDING = (ProgrammeVisit.Status.PLANNED, ProgrammeVisit.Status.OPEN)


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def plan(certificate, *, decided_on):
    """The visits of a new certificate's cycle, from its body's settings."""
    tenant = certificate.tenant
    recert_opens = add_months(certificate.expires_on, -tenant.recertification_window_months)
    notice = datetime.timedelta(days=tenant.surveillance_notice_days)
    visits, sequence = [], 1
    due = add_months(decided_on, tenant.surveillance_interval_months)
    while due < recert_opens:
        visits.append(
            ProgrammeVisit(
                tenant=tenant,
                certificate=certificate,
                kind=ProgrammeVisit.Kind.SURVEILLANCE,
                sequence=sequence,
                due_on=due,
                opens_on=max(due - notice, decided_on),
            )
        )
        sequence += 1
        due = add_months(decided_on, tenant.surveillance_interval_months * sequence)
    visits.append(
        ProgrammeVisit(
            tenant=tenant,
            certificate=certificate,
            kind=ProgrammeVisit.Kind.RECERTIFICATION,
            sequence=1,
            due_on=certificate.expires_on - datetime.timedelta(days=1),
            opens_on=max(recert_opens, decided_on),
        )
    )
    ProgrammeVisit.objects.bulk_create(visits)
    return visits


def carry_over(*, old, new):
    """When `new` supersedes `old`: a reduction or scope change takes over the remaining
    visits; a recertification has its own cycle, so the old one's remaining visits end."""
    remaining = ProgrammeVisit.objects.filter(certificate=old, status=ProgrammeVisit.Status.PLANNED)
    if ProgrammeVisit.objects.filter(certificate=new).exists():
        remaining.update(status=ProgrammeVisit.Status.CANCELLED)
    else:
        remaining.update(certificate=new)


# --- The daily task ----------------------------------------------------------------------------


@dataclass
class SweepResult:
    opened: int = 0
    overdue: int = 0


def sweep(*, today=None, batch_size=BATCH, send=True):
    """Open what is due, flag what is late (run outside a tenant scope, by the beat task)."""
    today = today or timezone.localdate()
    result = SweepResult()
    while True:
        opened = _open_batch(today, batch_size, send)
        result.opened += opened
        if opened < batch_size:
            break
    while True:
        flagged = _flag_batch(today, batch_size, send)
        result.overdue += flagged
        if flagged < batch_size:
            break
    return result


def _due_to_open(today):
    return ProgrammeVisit.objects.filter(
        status=ProgrammeVisit.Status.PLANNED,
        opens_on__lte=today,
        certificate__status__in=LIVE,
    )


OPENING_READS = (
    "tenant",
    "certificate",
    "kind",
    "sequence",
    "due_on",
    "status",
    "engagement",
    "reminded_at",
    "certificate__number",
    "certificate__level",
    "certificate__organization",
    "certificate__issued_by",
    "certificate__engagement__model_version",
    "certificate__engagement__tenant",
    "tenant__certificate_prefix",
)


def _numbers(tenant_counts, year):
    """Reserve `count` engagement numbers per tenant in a fixed number of queries: the counter
    rows are locked until the transaction ends (tenants.numbering, gap-free)."""
    Counter.objects.bulk_create(
        [Counter(tenant_id=t, sequence="engagement", year=year, value=0) for t in tenant_counts],
        ignore_conflicts=True,
    )
    counters = list(
        Counter.objects.select_for_update().filter(
            tenant_id__in=list(tenant_counts), sequence="engagement", year=year
        )
    )
    first = {}
    for counter in counters:
        first[counter.tenant_id] = counter.value + 1
        counter.value += tenant_counts[counter.tenant_id]
    Counter.objects.bulk_update(counters, ["value"])
    return first


def _audit_rows(verb, rows, *, engagement_of=lambda row: None, changes_of=lambda row: {}):
    content_type = ContentType.objects.get_for_model(rows[0].__class__) if rows else None
    now = timezone.now()
    return [
        AuditEntry(
            content_type=content_type,
            object_pk=str(row.pk),
            object_id=row.pk,
            object_repr=str(row)[:200],
            action=AuditEntry.Action.CREATE
            if verb.endswith("opened")
            else AuditEntry.Action.UPDATE,
            changes=changes_of(row),
            timestamp=now,
            tenant_id=row.tenant_id,
            engagement_id=engagement_of(row),
            verb=verb,
        )
        for row in rows
    ]


def _mark_opened(visits, now):
    """One UPDATE joined to the batch's (visit, engagement) pairs. Django's bulk_update writes
    a CASE per column that Python builds and the database evaluates row by row, both growing
    with the square of the batch: profiled on 2,000 due visits, it took 60% of the daily task
    (14.0 s -> 3.4 s with this statement; `programme_sweep_s_100000` in make bench)."""
    table = connection.ops.quote_name(ProgrammeVisit._meta.db_table)
    pairs = ", ".join(["(%s, %s)"] * len(visits))
    params = [value for visit in visits for value in (visit.pk, visit.engagement_id)]
    # Only the table's name and placeholders are formatted in; every value is a parameter.
    sql = (
        f"WITH opened(id, engagement_id) AS (VALUES {pairs}) "  # noqa: S608
        f"UPDATE {table} SET status = %s, reminded_at = %s, engagement_id = opened.engagement_id "
        f"FROM opened WHERE {table}.id = opened.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ProgrammeVisit.Status.OPEN, now])


def _open_batch(today, batch_size, send):
    with transaction.atomic():
        visits = list(
            _due_to_open(today)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("certificate__engagement", "tenant")
            # Only what opening reads: whole certificates (scope, PDF name, reasons…) and
            # engagements made Python build 100,000 wide rows for nothing.
            .only(*OPENING_READS)
            .order_by("pk")[:batch_size]
        )
        if not visits:
            return 0
        sources = [v.certificate.engagement for v in visits]
        through = Engagement.scope_items.through
        scope = {}
        for engagement_id, item_id in through.objects.filter(
            engagement_id__in={s.pk for s in sources}
        ).values_list("engagement_id", "capabilityitem_id"):
            scope.setdefault(engagement_id, []).append(item_id)
        year = today.year
        counts = {}
        for visit in visits:
            counts[visit.tenant_id] = counts.get(visit.tenant_id, 0) + 1
        next_of = _numbers(counts, year)
        engagements = []
        for visit in visits:
            certificate, source = visit.certificate, visit.certificate.engagement
            number = next_of[visit.tenant_id]
            next_of[visit.tenant_id] += 1
            kind = (
                Engagement.Kind.SURVEILLANCE
                if visit.kind == ProgrammeVisit.Kind.SURVEILLANCE
                else Engagement.Kind.RECERTIFICATION
            )
            engagements.append(
                Engagement(
                    tenant_id=visit.tenant_id,
                    reference=f"{visit.tenant.certificate_prefix}-E-{year}-{number:04d}",
                    kind=kind,
                    title=f"{certificate.number} · {kind.label} {visit.sequence}",
                    organization_id=certificate.organization_id,
                    model_version_id=source.model_version_id,
                    target_level=certificate.level,
                    planned_end=visit.due_on,
                    created_by_id=certificate.issued_by_id,
                )
            )
        Engagement.objects.bulk_create(engagements)
        through.objects.bulk_create(
            [
                through(engagement_id=new.pk, capabilityitem_id=item)
                for visit, new in zip(visits, engagements, strict=True)
                for item in scope.get(visit.certificate.engagement_id, ())
            ]
        )
        now = timezone.now()
        for visit, new in zip(visits, engagements, strict=True):
            visit.status, visit.engagement, visit.reminded_at = ProgrammeVisit.Status.OPEN, new, now
        _mark_opened(visits, now)
        AuditEntry.objects.bulk_create(
            _audit_rows(
                "programme.opened",
                visits,
                engagement_of=lambda v: v.engagement_id,
                changes_of=lambda v: {"status": ["planned", "open"]},
            )
        )
        if send:
            ids = [v.pk for v in visits]
            transaction.on_commit(lambda: notifications.visits_opened(ids))
    return len(visits)


def _flag_batch(today, batch_size, send):
    with transaction.atomic():
        visits = list(
            ProgrammeVisit.objects.filter(
                status__in=PENDING, due_on__lt=today, overdue_since__isnull=True
            )
            .select_for_update(skip_locked=True)
            .order_by("pk")[:batch_size]
        )
        if not visits:
            return 0
        ProgrammeVisit.objects.filter(pk__in=[v.pk for v in visits]).update(overdue_since=today)
        AuditEntry.objects.bulk_create(
            _audit_rows(
                "programme.overdue",
                visits,
                engagement_of=lambda v: v.engagement_id,
                changes_of=lambda v: {"overdue_since": [None, today.isoformat()]},
            )
        )
        if send:
            ids = [v.pk for v in visits]
            transaction.on_commit(lambda: notifications.visits_overdue(ids))
    return len(visits)


# --- Concluding a surveillance -----------------------------------------------------------------


def _reduced_scope(certificate, domains):
    if not domains:
        return certificate.scope
    codes = {d["code"] for d in certificate.scope}
    chosen = set(domains)
    if not chosen <= codes:
        raise ValidationError(
            {
                "domains": _("Not in the certificate's scope: %(codes)s")
                % {"codes": ", ".join(sorted(chosen - codes))}
            }
        )
    if chosen == codes:
        raise ValidationError({"domains": _("A reduced scope leaves at least one domain out.")})
    return [d for d in certificate.scope if d["code"] in chosen]


@transaction.atomic
def conclude(*, visit, by, outcome, reason, level=None, domains=()):
    """The certification officer concludes a surveillance once its engagement has a decision:
    certification maintained, the certificate suspended, or re-issued reduced (a lower level or
    fewer domains) as a revision of the same registration."""
    from certificates import services

    visit = (
        ProgrammeVisit.objects.select_for_update().select_related("certificate").get(pk=visit.pk)
    )
    if visit.engagement_id is None:
        raise Conflict(_("This visit has not been opened yet."))
    engagement = Engagement.objects.select_related("tenant").get(pk=visit.engagement_id)
    verdict = policy.can_manage(by, engagement)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    if visit.kind != ProgrammeVisit.Kind.SURVEILLANCE:
        raise Conflict(_("A recertification ends when its new certificate is issued."))
    if visit.status != ProgrammeVisit.Status.OPEN:
        raise Conflict(_("This surveillance is concluded already."))
    decision = Decision.objects.filter(engagement=engagement).first()
    if decision is None:
        raise Conflict(_("The surveillance is concluded after its certification decision."))
    if outcome not in (
        ProgrammeVisit.Outcome.MAINTAIN,
        ProgrammeVisit.Outcome.SUSPEND,
        ProgrammeVisit.Outcome.REDUCE,
    ):
        raise ValidationError({"outcome": _("Choose maintain, suspend or reduce.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reasons of the outcome.")})
    certificate = visit.certificate
    if outcome == ProgrammeVisit.Outcome.MAINTAIN and decision.outcome != Decision.Outcome.GRANTED:
        raise Conflict(_("The surveillance decision refused certification: suspend or reduce."))
    if outcome == ProgrammeVisit.Outcome.SUSPEND:
        services.suspend(certificate=certificate, by=by, reason=reason)
    elif outcome == ProgrammeVisit.Outcome.REDUCE:
        new_level = certificate.level if level in (None, "") else int(level)
        if new_level > certificate.level or not 1 <= new_level <= 5:
            raise ValidationError(
                {"level": _("A reduced level is between 1 and the certified level.")}
            )
        scope = _reduced_scope(certificate, domains)
        if new_level == certificate.level and scope == certificate.scope:
            raise ValidationError({"level": _("Lower the level or leave domains out.")})
        services.reissue(
            certificate=certificate,
            engagement=engagement,
            by=by,
            level=new_level,
            scope=scope,
            reason=reason,
        )
    visit.status = ProgrammeVisit.Status.DONE
    visit.outcome = outcome
    visit.outcome_reason = reason
    visit.concluded_by = by.user
    visit.concluded_at = timezone.now()
    visit.save()
    audit.record(
        verb="programme.concluded",
        obj=visit,
        actor=by,
        tenant=visit.tenant,
        engagement=engagement,
        changes={"outcome": [None, outcome]},
        data={"reason": reason},
    )
    return visit


def finish_recertification(*, engagement, certificate):
    """The recertification visit of `engagement` ends when its new certificate is issued."""
    ProgrammeVisit.objects.filter(
        engagement=engagement, kind=ProgrammeVisit.Kind.RECERTIFICATION, status__in=PENDING
    ).update(
        status=ProgrammeVisit.Status.DONE,
        outcome=ProgrammeVisit.Outcome.RECERTIFIED,
        concluded_by=certificate.issued_by_id,
        concluded_at=timezone.now(),
    )
