"""Tenant B's certificate (issued, not yet rendered) and a requested report."""

import datetime

from django_scopes import scope

from certificates import services
from certificates.models import ReportReview
from tests.engagement_world import advance, build_world


def populate(world, tenant_b, canary):
    b = build_world(tenant_b, items=1)
    with scope(tenant=tenant_b):
        b.engagement.title = f"{canary} certified engagement"
        b.engagement.save(update_fields=["title"])
    advance(b, "closed")
    with scope(tenant=tenant_b):
        world["b_certificate"] = services.issue_certificate(engagement=b.engagement, by=b.officer)
        world["b_report"] = services.request_report(engagement=b.engagement, by=b.officer)
        world["b_certified_engagement"] = b.engagement
        world["b_report_review"] = ReportReview.objects.create(
            tenant=tenant_b,
            engagement=b.engagement,
            report=world["b_report"],
            due_date=datetime.date.today(),
            sent_by=b.lead.user,
        )


def _pk(key):
    return lambda world: world[key].pk


MAKERS = {
    "certificate_id": _pk("b_certificate"),
    "report_id": _pk("b_report"),
    "certificates:change/action": lambda world: "suspend",
    "certificates:report_download/engagement_id": _pk("b_certified_engagement"),
    **{
        f"api:certificate-{name}/pk": _pk("b_certificate")
        for name in (
            "detail",
            "suspend",
            "reinstate",
            "withdraw",
            "download",
            "request-suspension",
        )
    },
    **{f"api:report-{name}/pk": _pk("b_report") for name in ("detail", "download")},
    **{
        f"api:report-review-{name}/pk": _pk("b_report_review")
        for name in ("detail", "comment", "accept")
    },
}


def _visit(world):
    from django_scopes import scopes_disabled

    from certificates.models import ProgrammeVisit

    with scopes_disabled():
        return ProgrammeVisit.objects.filter(certificate=world["b_certificate"]).first().pk


MAKERS.update(
    {
        "visit_id": _visit,
        **{f"api:programme-visit-{name}/pk": _visit for name in ("detail", "conclude")},
    }
)
