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
from certificates.models import Case, Certificate, ProgrammeVisit, Report, ReportReview


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


# --- Complaints and appeals (docs/architecture.md, "Complaints and appeals") -------------------


def _active_in(membership, tenant_id) -> bool:
    return membership is not None and membership.is_active and membership.tenant_id == tenant_id


def may_manage_cases(membership) -> bool:
    """The register, and assigning handlers: the body's administrators."""
    from tenants.roles import Role

    return membership is not None and membership.is_active and membership.role == Role.TENANT_ADMIN


def cases_visible_to(membership) -> QuerySet:
    """Admins see their body's register; a handler the cases they handle; an appellant the
    appeals they lodged. Nobody else sees any (filtered in SQL)."""
    if membership is None or not membership.is_active:
        return Case.objects.none()
    if may_manage_cases(membership):
        return Case.objects.filter(tenant_id=membership.tenant_id)
    mine = Q(lodged_by_id=membership.user_id, kind=Case.Kind.APPEAL)
    if not membership.is_client:
        mine |= Q(handler_id=membership.user_id)
    return Case.objects.filter(mine, tenant_id=membership.tenant_id)


def may_decide_case(membership, case) -> Verdict:
    """Only the assigned handler answers a case: the impartial person decides (ISO/IEC 17021-1
    9.7.2: not the people involved in the matter)."""
    from django.utils.translation import gettext as _

    if not _active_in(membership, case.tenant_id) or membership.is_client:
        return Verdict(False, _("Only the case's handler answers it."))
    if case.handler_id != membership.user_id:
        return Verdict(False, _("Only the case's handler answers it."))
    return Verdict(True)


def may_withdraw_case(membership, case) -> Verdict:
    """The body's admins record a withdrawal; an appellant withdraws their own appeal."""
    from django.utils.translation import gettext as _

    if may_manage_cases(membership) and membership.tenant_id == case.tenant_id:
        return Verdict(True)
    if _active_in(membership, case.tenant_id) and case.lodged_by_id == membership.user_id:
        return Verdict(True)
    return Verdict(False, _("Only the body's administrators or the appellant withdraw a case."))


def may_appeal(membership, engagement) -> Verdict:
    """A client person of the engagement's organization appeals its decision."""
    from django.utils.translation import gettext as _

    if (
        not _active_in(membership, engagement.tenant_id)
        or not membership.is_client
        or membership.organization_id != engagement.organization_id
    ):
        return Verdict(False, _("Only the client's people appeal a decision on their engagement."))
    return Verdict(True)


def engagements_concerned(case) -> list:
    """The engagements whose people may not handle the case: the appealed decision's; for a
    complaint about an organization, every engagement of its certificates (and the named
    certificate's)."""
    ids = set()
    if case.engagement_id:
        ids.add(case.engagement_id)
    if case.organization_id:
        ids.update(
            Certificate.objects.filter(organization_id=case.organization_id).values_list(
                "engagement_id", flat=True
            )
        )
    return sorted(ids)


def impartial_handler(user, case) -> Verdict:
    """Whether `user` may handle `case`, or the reason in words: active staff of the body, not
    on the team of any engagement concerned (any role: assessor, reviewer, officer, observer),
    who made none of their decisions, with no conflict of interest with the organization."""
    from django.utils.translation import gettext as _

    from assessments.models import Assignment, Decision
    from tenants.models import ConflictOfInterest, Membership
    from tenants.roles import STAFF_ROLES

    if user is None:
        return Verdict(False, _("Choose the handler."))
    if not Membership.objects.filter(
        tenant_id=case.tenant_id, user=user, is_active=True, role__in=sorted(STAFF_ROLES)
    ).exists():
        return Verdict(False, _("Only active staff of this body handle complaints and appeals."))
    if case.lodged_by_id == user.pk:
        return Verdict(False, _("%(person)s lodged this case.") % {"person": user})
    concerned = engagements_concerned(case)
    decided = (
        Decision.objects.filter(engagement_id__in=concerned, decided_by=user)
        .select_related("engagement")
        .first()
    )
    if decided:
        if case.decision_id == decided.pk:
            return Verdict(
                False,
                _("Impartiality: %(person)s made the decision appealed (%(reference)s).")
                % {"person": user, "reference": decided.engagement.reference},
            )
        return Verdict(
            False,
            _("Impartiality: %(person)s made the decision of %(reference)s.")
            % {"person": user, "reference": decided.engagement.reference},
        )
    assignment = (
        Assignment.objects.filter(engagement_id__in=concerned, user=user)
        .select_related("engagement")
        .first()
    )
    if assignment:
        return Verdict(
            False,
            _("Impartiality: %(person)s was on the team of %(reference)s as %(role)s.")
            % {
                "person": user,
                "reference": assignment.engagement.reference,
                "role": assignment.get_role_display(),
            },
        )
    if case.organization_id:
        conflict = (
            ConflictOfInterest.objects.filter(
                user=user, organization_id=case.organization_id, is_active=True
            )
            .select_related("organization")
            .first()
        )
        if conflict:
            return Verdict(
                False,
                _("%(person)s declared a conflict of interest with %(org)s: %(reason)s")
                % {"person": user, "org": conflict.organization, "reason": conflict.reason},
            )
    return Verdict(True)
