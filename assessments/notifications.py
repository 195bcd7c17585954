"""Emails about engagements, enqueued after the change commits (console backend by default).

Each takes ids: it runs from transaction.on_commit and re-reads what it needs; the mail itself
goes out from a Celery task with retries (portal/tasks.py), one message per recipient.
"""

from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from assessments.models import Assignment, Engagement, Evidence, EvidenceRequest, Nonconformity
from portal.tasks import send_email
from tenants.models import Membership
from tenants.roles import CLIENT_ROLES


def _client_emails(engagement):
    return list(
        Membership.objects.filter(
            tenant=engagement.tenant_id,
            organization=engagement.organization_id,
            role__in=sorted(CLIENT_ROLES),
            is_active=True,
        ).values_list("user__email", flat=True)
    )


def _team_emails(engagement):
    return list(
        Assignment.objects.filter(
            engagement=engagement, role__in=["lead_assessor", "assessor"]
        ).values_list("user__email", flat=True)
    )


def _link(engagement):
    path = reverse("assessments:engagement_detail", args=[engagement.tenant.slug, engagement.pk])
    return settings.SITE_URL + path


def _send(subject, body, recipients):
    for to in sorted(set(filter(None, recipients))):
        send_email.delay(subject, body, to)


def engagement_in_evidence(engagement_id):
    with scopes_disabled():
        engagement = Engagement.objects.select_related("tenant").get(pk=engagement_id)
        _send(
            f"[Assay] {engagement.reference}: evidence collection is open / 证据收集已开始",
            f"The assessment {engagement.reference} now collects evidence. Upload it here:\n"
            f"评估项目 {engagement.reference} 已开始收集证据，请在此上传：\n{_link(engagement)}\n",
            _client_emails(engagement),
        )


def evidence_rejected(evidence_id):
    with scopes_disabled():
        evidence = Evidence.objects.select_related("engagement__tenant", "uploaded_by").get(
            pk=evidence_id
        )
        engagement = evidence.engagement
        _send(
            f"[Assay] {engagement.reference}: evidence rejected / 证据被退回",
            f"“{evidence.original_name}” was rejected / 被退回:\n{evidence.review_note}\n\n"
            f"{_link(engagement)}\n",
            [evidence.uploaded_by.email],
        )


def nonconformity_raised(nonconformity_id):
    with scopes_disabled():
        nc = Nonconformity.objects.select_related("engagement__tenant").get(pk=nonconformity_id)
        engagement = nc.engagement
        _send(
            f"[Assay] {engagement.reference}: {nc.get_grade_display()} nonconformity / 不符合项",
            f"{nc.description}\n\nDue / 期限: {nc.due_date or '-'}\n{_link(engagement)}\n",
            _client_emails(engagement),
        )


def nonconformity_answered(nonconformity_id):
    with scopes_disabled():
        nc = Nonconformity.objects.select_related("engagement__tenant").get(pk=nonconformity_id)
        engagement = nc.engagement
        _send(
            f"[Assay] {engagement.reference}: nonconformity answered / 不符合项已答复",
            f"{nc.corrective_action}\n\n{_link(engagement)}\n",
            _team_emails(engagement),
        )


def _requests_link(engagement):
    path = reverse("assessments:request_list", args=[engagement.tenant.slug, engagement.pk])
    return settings.SITE_URL + path


def _request_lines(requests):
    return "\n".join(f"- {r.title} ({r.deadline})" for r in requests)


def evidence_requested(engagement_id, request_ids):
    with scopes_disabled():
        engagement = Engagement.objects.select_related("tenant").get(pk=engagement_id)
        requests = list(EvidenceRequest.objects.filter(pk__in=request_ids))
        _send(
            f"[Assay] {engagement.reference}: evidence requested / 材料需求",
            f"The assessors ask for / 评估组需要以下材料:\n{_request_lines(requests)}\n\n"
            f"{_requests_link(engagement)}\n",
            _client_emails(engagement),
        )


def request_submitted(request_id):
    with scopes_disabled():
        request = EvidenceRequest.objects.select_related("engagement__tenant").get(pk=request_id)
        engagement = request.engagement
        _send(
            f"[Assay] {engagement.reference}: evidence submitted / 材料已提交",
            f"{request.title}\n{request.client_note}\n\n{_requests_link(engagement)}\n",
            _team_emails(engagement),
        )


def request_needs_correction(request_id):
    with scopes_disabled():
        request = EvidenceRequest.objects.select_related("engagement__tenant").get(pk=request_id)
        engagement = request.engagement
        _send(
            f"[Assay] {engagement.reference}: correction needed / 材料需限期调整",
            f"{request.title}\n{request.correction_note}\n\n"
            f"Correct by / 调整期限: {request.correction_due}\n{_requests_link(engagement)}\n",
            _client_emails(engagement),
        )


def requests_due(engagement_id, request_ids):
    with scopes_disabled():
        engagement = Engagement.objects.select_related("tenant").get(pk=engagement_id)
        requests = list(EvidenceRequest.objects.filter(pk__in=request_ids))
        _send(
            f"[Assay] {engagement.reference}: evidence due / 材料即将到期",
            f"Due soon or overdue / 即将到期或已逾期:\n{_request_lines(requests)}\n\n"
            f"{_requests_link(engagement)}\n",
            _client_emails(engagement),
        )


def _application_link(application):
    path = reverse("assessments:application_detail", args=[application.tenant.slug, application.pk])
    return settings.SITE_URL + path


def application_submitted(application_id):
    """Tell the body's administrators that an application awaits its review."""
    from assessments.models import Application
    from tenants.roles import Role

    with scopes_disabled():
        application = Application.objects.select_related("tenant", "organization").get(
            pk=application_id
        )
        admins = Membership.objects.filter(
            tenant=application.tenant_id, role=Role.TENANT_ADMIN, is_active=True
        ).values_list("user__email", flat=True)
        _send(
            f"[Assay] Application of {application.organization} / 新的评估申请",
            f"{application.organization} applied for an assessment against "
            f"{application.model_version} / 提交了评估申请:\n{_application_link(application)}\n",
            list(admins),
        )


def application_decided(application_id):
    """Tell the applicant that the body accepted or declined the application, and why."""
    from assessments.models import Application

    with scopes_disabled():
        application = Application.objects.select_related(
            "tenant", "organization", "applicant", "engagement"
        ).get(pk=application_id)
        accepted = application.status == Application.Status.ACCEPTED
        outcome = "accepted / 已受理" if accepted else "declined / 未受理"
        body = f"Your application was {outcome}.\n"
        if application.decision_reason:
            body += f"\n{application.decision_reason}\n"
        if accepted and application.engagement:
            body += (
                f"\nEngagement / 评估项目 {application.engagement.reference}: "
                f"{_link(application.engagement)}\n"
            )
        else:
            body += f"\n{_application_link(application)}\n"
        _send(
            f"[Assay] Application of {application.organization}: {outcome}",
            body,
            [application.applicant.email],
        )
