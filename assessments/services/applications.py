"""Applications and their contract review (ISO/IEC 17021-1 9.1): a client applies with the
model's registration form, the body reviews the application, accepts it (opening the
engagement) or declines it with its reasons."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import application_form, notifications, policy
from assessments.models import Application, Domain, Engagement
from assessments.policy import ApplicationAction
from assessments.services.engagements import _items_in_scope, create_engagement
from portal import audit

MAX_PROJECTS = 50
UNSET = object()


def _scope_domains(version, codes):
    """The domains (parts, domains, sub-domains) of the version named by `codes`."""
    codes = {str(code).strip() for code in codes if str(code).strip()}
    domains = list(Domain.objects.filter(version=version, code__in=codes))
    unknown = sorted(codes - {d.code for d in domains})
    if unknown:
        raise ValidationError(
            {
                "scope": _("Not a part or domain of this model version: %(codes)s")
                % {"codes": ", ".join(unknown)}
            }
        )
    return domains


def _projects(projects):
    if not isinstance(projects, list | tuple):
        raise ValidationError({"projects": _("Give the projects as a list of names.")})
    cleaned = []
    for name in projects:
        if not isinstance(name, str):
            raise ValidationError({"projects": _("Give each project as a name.")})
        name = name.strip()
        if len(name) > 200:
            raise ValidationError({"projects": _("A project name has at most 200 characters.")})
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_PROJECTS:
        raise ValidationError(
            {"projects": _("At most %(count)s projects.") % {"count": MAX_PROJECTS}}
        )
    return cleaned


def _check_target(version, target_level):
    try:
        level = int(target_level)
    except (TypeError, ValueError):
        level = 0
    if not 1 <= level <= version.top_level:
        raise ValidationError(
            {"target_level": _("The target level is 1 to %(top)s.") % {"top": version.top_level}}
        )
    return level


def _answers(version, answers, *, complete):
    cleaned, errors = application_form.clean_answers(version, answers or {}, complete=complete)
    if errors:
        raise ValidationError({f"answers.{key}": message for key, message in errors.items()})
    return cleaned


def _submission_errors(version, answers, *, scope, projects):
    """Everything a submission lacks, by field: required answers, the scope, a project."""
    _cleaned, errors = application_form.clean_answers(version, answers or {}, complete=True)
    errors = {f"answers.{key}": [message] for key, message in errors.items()}
    if not scope:
        errors["scope"] = [_("Choose at least one part or domain.")]
    if not projects:
        errors["projects"] = [_("Name at least one project or site to be assessed.")]
    return errors


def _recompute(application):
    """The formula's figure for the application as it stands: the sampled projects once the
    reviewer chose them, else those proposed."""
    domain_ids = [d.pk for d in application.scope_domains.all()]
    items = len(_items_in_scope(application.model_version, domain_ids, [])) if domain_ids else 0
    projects = len(application.sampled_projects or application.projects)
    application.computed_days = application_form.estimate_days(
        application.model_version, answers=application.answers, items=items, projects=projects
    )


@transaction.atomic
def create_application(
    *,
    tenant,
    by,
    organization,
    model_version,
    target_level,
    scope_codes=(),
    answers=None,
    projects=(),
    submit=False,
):
    """A client person applies for their organization, or a tenant admin on a client's behalf.

    Saved as a draft (required answers may still be missing) or submitted at once; every
    answer is checked against the model's form, errors named by question."""
    verdict = policy.may_apply(by, organization)
    if not verdict:
        raise PermissionDenied(verdict.reason)
    if organization.tenant_id != tenant.pk or not organization.is_active:
        raise ValidationError({"organization": _("Choose an active client organization.")})
    if not model_version.is_published or model_version.tenant_id not in (None, tenant.pk):
        raise ValidationError({"model_version": _("Choose a published model version.")})
    level = _check_target(model_version, target_level)
    domains = _scope_domains(model_version, scope_codes)
    projects = _projects(projects)
    if submit:  # every missing piece named at once, before anything is written
        errors = _submission_errors(model_version, answers, scope=domains, projects=projects)
        if errors:
            raise ValidationError(errors)
    application = Application.objects.create(
        tenant=tenant,
        organization=organization,
        model_version=model_version,
        target_level=level,
        answers=_answers(model_version, answers, complete=False),
        projects=projects,
        applicant=by.user,
    )
    application.scope_domains.set(domains)
    audit.record(
        verb="application.created",
        obj=application,
        actor=by,
        tenant=tenant,
        action="create",
        changes={"status": [None, application.status]},
    )
    if submit:
        application = submit_application(application=application, by=by)
    return application


@transaction.atomic
def update_application(
    *, application, by, target_level=None, scope_codes=None, answers=None, projects=None
):
    """Change a draft: its level, scope, answers or projects."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(by, ApplicationAction.EDIT, application)
    version = application.model_version
    changes = {}
    if target_level is not None:
        level = _check_target(version, target_level)
        if level != application.target_level:
            changes["target_level"] = [str(application.target_level), str(level)]
            application.target_level = level
    if answers is not None:
        cleaned = _answers(version, answers, complete=False)
        if cleaned != application.answers:
            changes["answers"] = [None, ", ".join(sorted(cleaned))]
            application.answers = cleaned
    if projects is not None:
        cleaned = _projects(projects)
        if cleaned != application.projects:
            changes["projects"] = [", ".join(application.projects), ", ".join(cleaned)]
            application.projects = cleaned
    if scope_codes is not None:
        domains = _scope_domains(version, scope_codes)
        before = sorted(application.scope_domains.values_list("code", flat=True))
        after = sorted(d.code for d in domains)
        if before != after:
            changes["scope"] = [", ".join(before), ", ".join(after)]
            application.scope_domains.set(domains)
    application.save()
    if changes:
        audit.record(
            verb="application.updated",
            obj=application,
            actor=by,
            tenant=application.tenant,
            changes=changes,
        )
    return application


@transaction.atomic
def submit_application(*, application, by):
    """Send a draft to the body: every required answer given, a scope and at least one project.
    The formula's estimate of assessor-days is worked out now."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(by, ApplicationAction.SUBMIT, application)
    errors = _submission_errors(
        application.model_version,
        application.answers,
        scope=application.scope_domains.exists(),
        projects=application.projects,
    )
    if errors:
        raise ValidationError(errors)
    application.status = Application.Status.SUBMITTED
    application.submitted_at = timezone.now()
    _recompute(application)
    application.save()
    audit.record(
        verb="application.submitted",
        obj=application,
        actor=by,
        tenant=application.tenant,
        changes={
            "status": [Application.Status.DRAFT, Application.Status.SUBMITTED],
            "computed_days": [None, audit.text(application.computed_days)],
        },
    )
    transaction.on_commit(lambda: notifications.application_submitted(application.pk))
    return application


@transaction.atomic
def withdraw_application(*, application, by, reason=""):
    """The applicant (or an administrator) withdraws an application not yet decided."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(by, ApplicationAction.WITHDRAW, application)
    previous = application.status
    application.status = Application.Status.WITHDRAWN
    application.decision_reason = (reason or "").strip()
    application.save()
    audit.record(
        verb="application.withdrawn",
        obj=application,
        actor=by,
        tenant=application.tenant,
        changes={"status": [previous, application.status]},
        data={"reason": application.decision_reason} if application.decision_reason else None,
    )
    return application


def _days(value):
    if value is None or value == "":
        return None
    try:
        days = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"estimated_days": _("Give a number of days.")}) from None
    if not Decimal(0) < days <= Decimal(9999):
        raise ValidationError({"estimated_days": _("Give a number of days above 0.")})
    return days


@transaction.atomic
def review_application(
    *, application, by, review_notes=None, sampled_projects=None, estimated_days=UNSET
):
    """The body's contract review: notes, the projects sampled among those proposed (the
    formula's estimate follows the sample) and the assessor-days the reviewer sets, the
    formula's figure kept beside it. `estimated_days=None` goes back to the formula's."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(by, ApplicationAction.REVIEW, application)
    changes = {}
    if review_notes is not None and review_notes.strip() != application.review_notes:
        changes["review_notes"] = [application.review_notes, review_notes.strip()]
        application.review_notes = review_notes.strip()
    if sampled_projects is not None:
        sample = _projects(sampled_projects)
        strangers = [name for name in sample if name not in application.projects]
        if strangers:
            raise ValidationError(
                {
                    "sampled_projects": _("Not among the projects proposed: %(names)s")
                    % {"names": ", ".join(strangers)}
                }
            )
        if sample != application.sampled_projects:
            changes["sampled_projects"] = [
                ", ".join(application.sampled_projects),
                ", ".join(sample),
            ]
            application.sampled_projects = sample
            before = application.computed_days
            _recompute(application)
            if before != application.computed_days:
                changes["computed_days"] = [
                    audit.text(before),
                    audit.text(application.computed_days),
                ]
    if estimated_days is not UNSET:
        days = _days(estimated_days)
        if days != application.estimated_days:
            changes["estimated_days"] = [
                audit.text(application.estimated_days),
                audit.text(days),
            ]
            application.estimated_days = days
    application.reviewer = by.user
    application.save()
    if changes:
        audit.record(
            verb="application.reviewed",
            obj=application,
            actor=by,
            tenant=application.tenant,
            changes=changes,
        )
    return application


@transaction.atomic
def accept_application(*, application, by, reason="", planned_start=None, planned_end=None):
    """Accept: the initial engagement opens in the same transaction, its scope and target level
    those of the application, linked to it; the applicant is told by email."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(by, ApplicationAction.DECIDE, application)
    title = str(application.answers.get("project", ""))[:200]
    engagement = create_engagement(
        tenant=application.tenant,
        by=by,
        organization=application.organization,
        model_version=application.model_version,
        target_level=application.target_level,
        title=title.splitlines()[0] if title else "",
        scope_domain_ids=list(application.scope_domains.values_list("pk", flat=True)),
        planned_start=planned_start,
        planned_end=planned_end,
        kind=Engagement.Kind.INITIAL,
    )
    _decide(application, by, Application.Status.ACCEPTED, reason, engagement=engagement)
    return application


@transaction.atomic
def decline_application(*, application, by, reason):
    """Decline, with the reasons (kept and sent to the applicant)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    policy.require(by, ApplicationAction.DECIDE, application)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the application is declined.")})
    _decide(application, by, Application.Status.DECLINED, reason)
    return application


def _decide(application, by, status, reason, engagement=None):
    application.status = status
    application.decision_reason = (reason or "").strip()
    application.reviewer = by.user
    application.reviewed_at = timezone.now()
    application.engagement = engagement
    application.save()
    changes = {"status": [Application.Status.SUBMITTED, status]}
    if engagement is not None:
        changes["engagement"] = [None, engagement.reference]
    audit.record(
        verb=f"application.{status}",
        obj=application,
        actor=by,
        tenant=application.tenant,
        engagement=engagement,
        changes=changes,
        data={"reason": application.decision_reason} if application.decision_reason else None,
    )
    transaction.on_commit(lambda: notifications.application_decided(application.pk))
