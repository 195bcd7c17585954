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
