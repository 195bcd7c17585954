"""Who sees and does what with certificates and reports: the access policy of this app.

It is written in the terms of the assessments policy (docs/architecture.md, "Access policy"):
a certificate or report belongs to an engagement, and the reader's standing on that engagement
decides. Certification officers and tenant admins (the tenant capability MANAGE_CERTIFICATES)
hold the whole register of their body; the team sees its engagement's; the client sees its
organization's certificates, and its reports once the engagement is closed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from assessments import policy as engagement_policy
from assessments.policy import Action, Verdict
from certificates.models import Certificate, ProgrammeVisit, Report, ReportReview


def certificates_visible_to(membership) -> QuerySet:
    return engagement_policy.visible_through(membership, Certificate, Action.VIEW_CERTIFICATES)


def report_reviews_visible_to(membership) -> QuerySet:
    return engagement_policy.visible_through(membership, ReportReview, Action.VIEW_DRAFT_REVIEW)


def reports_visible_to(membership) -> QuerySet:
    """Reports of engagements the reader may see reports of, and the versions sent to the
    client for review (报告复核) that the reader may see the review of."""
    return Report.objects.filter(
        Q(pk__in=engagement_policy.visible_through(membership, Report, Action.VIEW_REPORTS))
        | Q(pk__in=report_reviews_visible_to(membership).values("report_id"))
    )


def can_manage(membership, certificate_or_engagement) -> Verdict:
    """Issue, suspend, reinstate, withdraw: the engagement's officer or a certifier."""
    return engagement_policy.can(membership, Action.MANAGE_CERTIFICATES, certificate_or_engagement)


def require_manage(membership, certificate_or_engagement) -> None:
    engagement_policy.require(membership, Action.MANAGE_CERTIFICATES, certificate_or_engagement)


def may_request_suspension(membership, certificate) -> Verdict:
    """A client admin of the certified organization may ask for its active certificate to be
    suspended (docs/architecture.md, "The certification cycle")."""
    from django.utils.translation import gettext as _

    from tenants.roles import Role

    if (
        membership is None
        or not membership.is_active
        or membership.role != Role.CLIENT_ADMIN
        or membership.tenant_id != certificate.tenant_id
        or membership.organization_id != certificate.organization_id
    ):
        return Verdict(False, _("Only the certified organization's administrators ask for this."))
    return Verdict(True)


def require_request_report(membership, engagement) -> None:
    engagement_policy.require(membership, Action.REQUEST_REPORT, engagement)


def visits_visible_to(membership) -> QuerySet:
    """The programme visits of the certificates this member may see (filtered in SQL)."""
    return ProgrammeVisit.objects.filter(certificate__in=certificates_visible_to(membership))
