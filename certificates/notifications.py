"""Emails of the certification cycle, sent after the change commits (console by default).

Each takes ids, runs from transaction.on_commit and reads what it needs in a fixed number of
queries, whatever the number of visits (docs/architecture.md, "The certification cycle").
"""

from django.conf import settings
from django.core.mail import get_connection, send_mass_mail
from django.urls import reverse
from django_scopes import scopes_disabled

from certificates.models import ProgrammeVisit
from tenants.models import Membership
from tenants.roles import CLIENT_ROLES, Role

BODY_ROLES = (Role.TENANT_ADMIN, Role.OFFICER)


def _recipients(visits):
    """{visit pk: emails of the body's admins and officers and of the client's people}."""
    tenants = {v.tenant_id for v in visits}
    people = Membership.objects.filter(tenant_id__in=tenants, is_active=True).values_list(
        "tenant_id", "role", "organization_id", "user__email"
    )
    body, clients = {}, {}
    for tenant_id, role, organization_id, email in people:
        if role in BODY_ROLES:
            body.setdefault(tenant_id, set()).add(email)
        elif role in CLIENT_ROLES:
            clients.setdefault(organization_id, set()).add(email)
    return {
        v.pk: sorted(
            body.get(v.tenant_id, set()) | clients.get(v.certificate.organization_id, set())
        )
        for v in visits
    }


def _link(visit):
    path = reverse("certificates:detail", args=[visit.tenant.slug, visit.certificate_id])
    return settings.SITE_URL + path


def _send(visits, subject, body):
    recipients = _recipients(visits)
    messages = [(subject(v), body(v), None, [to]) for v in visits for to in recipients[v.pk] if to]
    if messages:
        send_mass_mail(messages, connection=get_connection())


def _visits(ids):
    return list(
        ProgrammeVisit.objects.filter(pk__in=ids).select_related(
            "tenant", "certificate", "engagement"
        )
    )


def visits_opened(ids):
    with scopes_disabled():
        visits = _visits(ids)
        _send(
            visits,
            lambda v: (
                f"[Assay] {v.certificate.number}: {v.get_kind_display()} opened / 监督审核已开启"
            ),
            lambda v: (
                f"The {v.get_kind_display().lower()} of certificate {v.certificate.number} is due "
                f"on {v.due_on:%Y-%m-%d}; its engagement {v.engagement.reference} is open.\n"
                f"证书 {v.certificate.number} 的审核应于 {v.due_on:%Y-%m-%d} 前完成，"
                f"评估项目 {v.engagement.reference} 已开启。\n{_link(v)}\n"
            ),
        )


def visits_overdue(ids):
    with scopes_disabled():
        visits = _visits(ids)
        _send(
            visits,
            lambda v: f"[Assay] {v.certificate.number}: {v.get_kind_display()} overdue / 已逾期",
            lambda v: (
                f"The {v.get_kind_display().lower()} of certificate {v.certificate.number} was due "
                f"on {v.due_on:%Y-%m-%d} and is not concluded.\n"
                f"证书 {v.certificate.number} 的审核已于 {v.due_on:%Y-%m-%d} 到期，尚未完成。\n"
                f"{_link(v)}\n"
            ),
        )


# --- Complaints and appeals (docs/architecture.md, "Complaints and appeals") -------------------


def _case(case_id):
    from certificates.models import Case

    return Case.objects.select_related("tenant", "handler").get(pk=case_id)


def _case_link(case):
    return settings.SITE_URL + reverse("certificates:case_detail", args=[case.tenant.slug, case.pk])


def _mail(subject, body, recipients):
    from portal.tasks import send_email

    for to in sorted(set(filter(None, recipients))):
        send_email.delay(subject, body, to)


def case_lodged(case_id):
    """The acknowledgement to the complainant or appellant, and a note to the body's admins."""
    with scopes_disabled():
        case = _case(case_id)
        what_en = case.get_kind_display().lower()
        what_zh = "投诉" if case.kind == "complaint" else "申诉"
        _mail(
            f"[Assay] {case.number}: {what_en} received / {what_zh}已受理",
            f"{case.tenant.name} received your {what_en} and registered it as {case.number}.\n"
            f"It will be resolved by {case.due_on:%Y-%m-%d}; quote this number when you write.\n"
            f"{case.tenant.name} 已受理您的{what_zh}，编号 {case.number}，"
            f"将于 {case.due_on:%Y-%m-%d} 前处理完毕；来函请注明此编号。\n",
            [case.email],
        )
        admins = Membership.objects.filter(
            tenant=case.tenant, role=Role.TENANT_ADMIN, is_active=True
        ).values_list("user__email", flat=True)
        _mail(
            f"[Assay] {case.number}: new {what_en} / 新{what_zh}",
            f"A {what_en} was lodged ({case.number}); assign an uninvolved handler.\n"
            f"收到新的{what_zh}（{case.number}），请指派未参与相关工作的处理人。\n"
            f"{_case_link(case)}\n",
            admins,
        )


def case_assigned(case_id):
    with scopes_disabled():
        case = _case(case_id)
        _mail(
            f"[Assay] {case.number}: assigned to you / 已指派给您",
            f"You handle {case.number}; it is to be resolved by {case.due_on:%Y-%m-%d}.\n"
            f"您负责处理 {case.number}，须于 {case.due_on:%Y-%m-%d} 前处理完毕。\n"
            f"{_case_link(case)}\n",
            [case.handler.email if case.handler else None],
        )


def case_answered(case_id):
    """The reply, with the outcome, to the complainant or appellant."""
    with scopes_disabled():
        case = _case(case_id)
        outcome_zh = {"upheld": "成立", "partly_upheld": "部分成立", "not_upheld": "不成立"}
        _mail(
            f"[Assay] {case.number}: {case.get_outcome_display()} / {outcome_zh[case.outcome]}",
            f"{case.tenant.name} has decided on {case.number}: "
            f"{case.get_outcome_display().lower()}.\n"
            f"{case.tenant.name} 对 {case.number} 的处理结论：{outcome_zh[case.outcome]}。\n\n"
            f"{case.reply}\n",
            [case.email],
        )
