"""Who sees and does what in engagements: the one access policy of the assessments app.

Every surface asks this module — web views, API viewsets and services — so they cannot disagree
(docs/architecture.md, "Access policy"). Two kinds of answer:

- **visibility**, as querysets filtered in SQL: `visible(membership, Model)` for engagements and
  every object that hangs off one (findings, ratings, evidence, nonconformities, reviews,
  decisions, assignments, audit entries);
- **permission** for one action on one object: `can(membership, action, obj)` returns a
  `Verdict` (true or false, with the reason in words), `require(...)` raises instead.

Both fold together the same three sources: the tenant-wide role of the membership
(`tenants.roles`), the person's assignment to the engagement (django-guardian object permissions
in the direct table `EngagementUserObjectPermission`; model-wide permissions never count), and
the workflow (`assessments.workflow`: which work each state allows, which transitions exist).

A person's *standing* on one engagement is the set of tokens below. Client people never hold a
team token, even if a stale permission row survived a role change: their standing comes only
from their organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments import workflow
from assessments.models import (
    Application,
    Assignment,
    Decision,
    Engagement,
    EngagementUserObjectPermission,
    Evidence,
    EvidenceRequest,
    Finding,
    Nonconformity,
    RequirementRating,
    Review,
    SelfRating,
)
from assessments.permissions import (  # the standing tokens
    ADMIN,
    ASSESS,
    CERTIFIER,
    CLIENT,
    CLIENT_FINAL,
    DECIDE,
    REVIEW,
    TEAM_TOKENS,
    VIEW,
)
from portal.errors import Conflict
from tenants.roles import Capability, has_capability


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"
    VIEW_TEAM = "view_team"
    ASSIGN = "assign"
    VIEW_TIMELINE = "view_timeline"
    VIEW_SCORE = "view_score"
    VIEW_FINDINGS = "view_findings"
    RECORD_FINDING = "record_finding"
    VIEW_EVIDENCE = "view_evidence"
    UPLOAD_EVIDENCE = "upload_evidence"
    JUDGE_EVIDENCE = "judge_evidence"
    REQUEST_EVIDENCE = "request_evidence"
    ANSWER_REQUEST = "answer_request"
    LINK_EVIDENCE = "link_evidence"
    VIEW_NONCONFORMITIES = "view_nonconformities"
    SELF_ASSESS = "self_assess"
    VIEW_SELF_ASSESSMENT = "view_self_assessment"
    RAISE_NC = "raise_nc"
    ANSWER_NC = "answer_nc"
    CLOSE_NC = "close_nc"
    VIEW_REVIEWS = "view_reviews"
    REVIEW = "review"
    VIEW_DECISION = "view_decision"
    DECIDE = "decide"
    VIEW_REPORTS = "view_reports"
    REQUEST_REPORT = "request_report"
    SEND_DRAFT_REPORT = "send_draft_report"
    REVIEW_DRAFT_REPORT = "review_draft_report"
    ANSWER_REPORT_COMMENT = "answer_report_comment"
    VIEW_DRAFT_REVIEW = "view_draft_review"
    VIEW_CERTIFICATES = "view_certificates"
    MANAGE_CERTIFICATES = "manage_certificates"


@dataclass(frozen=True)
class Rule:
    who: frozenset  # standing tokens, any of which allows the action
    state_action: str | None = None  # the workflow's name for the work, checked against state
    refusal: str = ""  # why, when the person's standing does not allow it


def _rule(who, state_action=None, refusal=""):
    return Rule(frozenset(who), state_action, refusal)


STAFF_VIEW = {ADMIN, VIEW}

# The table. Clients see their engagement, its team, their evidence and nonconformities, and —
# once the engagement is closed — its reports and certificates; never findings, ratings, the
# live score, reviews, the decision record or the audit trail (those reach them in the report).
RULES: dict[Action, Rule] = {
    Action.VIEW: _rule({ADMIN, VIEW, CLIENT}),
    Action.EDIT: _rule(
        {ADMIN}, "edit", gettext_lazy("Only the body's administrators change engagements.")
    ),
    Action.VIEW_TEAM: _rule({ADMIN, VIEW, CLIENT}),
    Action.ASSIGN: _rule(
        {ADMIN}, "assign", gettext_lazy("Only the body's administrators assign the team.")
    ),
    Action.VIEW_TIMELINE: _rule(
        STAFF_VIEW, None, gettext_lazy("The audit trail is for the body's staff.")
    ),
    Action.VIEW_SCORE: _rule(
        STAFF_VIEW, None, gettext_lazy("Levels are shown to the client in the report.")
    ),
    Action.VIEW_FINDINGS: _rule(
        STAFF_VIEW, None, gettext_lazy("Findings are shown to clients in the report.")
    ),
    Action.RECORD_FINDING: _rule(
        {ASSESS}, "record_finding", gettext_lazy("Only assessors record findings.")
    ),
    Action.VIEW_EVIDENCE: _rule({ADMIN, VIEW, CLIENT}),
    Action.UPLOAD_EVIDENCE: _rule(
        {CLIENT, ASSESS},
        "upload_evidence",
        gettext_lazy("Only the client and the assessment team upload evidence."),
    ),
    Action.LINK_EVIDENCE: _rule(
        {CLIENT, ASSESS},
        "upload_evidence",
        gettext_lazy("Only the client and the assessors link evidence to requirements."),
    ),
    Action.JUDGE_EVIDENCE: _rule(
        {ASSESS}, "judge_evidence", gettext_lazy("Only assessors judge evidence.")
    ),
    Action.REQUEST_EVIDENCE: _rule(
        {ASSESS},
        "request_evidence",
        gettext_lazy("Only assessors ask for evidence and pre-review it."),
    ),
    Action.ANSWER_REQUEST: _rule(
        {CLIENT}, "upload_evidence", gettext_lazy("Only the client answers an evidence request.")
    ),
    Action.VIEW_NONCONFORMITIES: _rule({ADMIN, VIEW, CLIENT}),
    Action.SELF_ASSESS: _rule(
        {CLIENT}, "self_assess", gettext_lazy("Only the client assesses itself.")
    ),
    Action.VIEW_SELF_ASSESSMENT: _rule({ADMIN, VIEW, CLIENT}),
    Action.RAISE_NC: _rule(
        {ASSESS}, "raise_nc", gettext_lazy("Only assessors raise nonconformities.")
    ),
    Action.ANSWER_NC: _rule(
        {CLIENT, ASSESS}, "answer_nc", gettext_lazy("Only the client answers a nonconformity.")
    ),
    Action.CLOSE_NC: _rule(
        {ASSESS}, "verify_nc", gettext_lazy("Only assessors close nonconformities.")
    ),
    Action.VIEW_REVIEWS: _rule(STAFF_VIEW, None, gettext_lazy("Reviews are for the body's staff.")),
    Action.REVIEW: _rule({REVIEW}, "review", gettext_lazy("Only the technical reviewer reviews.")),
    Action.VIEW_DECISION: _rule(
        STAFF_VIEW, None, gettext_lazy("The decision record is for the body's staff.")
    ),
    Action.DECIDE: _rule(
        {DECIDE}, "decide", gettext_lazy("Only the certification officer decides.")
    ),
    Action.VIEW_REPORTS: _rule({ADMIN, VIEW, CLIENT_FINAL}),
    Action.REQUEST_REPORT: _rule(
        STAFF_VIEW, None, gettext_lazy("Only the body's staff on this engagement make reports.")
    ),
    Action.SEND_DRAFT_REPORT: _rule(
        {ASSESS},
        "send_draft_report",
        gettext_lazy("Only the assessment team sends the draft report to the client."),
    ),
    Action.REVIEW_DRAFT_REPORT: _rule(
        {CLIENT},
        "review_draft_report",
        gettext_lazy("Only the client comments on or accepts the draft report."),
    ),
    Action.ANSWER_REPORT_COMMENT: _rule(
        {ASSESS},
        "answer_report_comment",
        gettext_lazy("Only the assessment team answers the client's comments."),
    ),
    # The client sees a report version once it was sent to it for review (报告复核).
    Action.VIEW_DRAFT_REVIEW: _rule({ADMIN, VIEW, CLIENT}),
    Action.VIEW_CERTIFICATES: _rule({ADMIN, VIEW, CERTIFIER, CLIENT}),
    Action.MANAGE_CERTIFICATES: _rule(
        {DECIDE, CERTIFIER}, None, gettext_lazy("Only a certification officer may do this.")
    ),
}

# Transitions name who may make them in the same tokens (assessments.workflow.TRANSITIONS).


@dataclass(frozen=True)
class Verdict:
    """The answer to "may this person do this here?": truthy when allowed, else the reason.

    `by_state` tells a refusal because of the engagement's phase (the person may do it later:
    HTTP 409) from one because of who the person is (HTTP 403)."""

    allowed: bool
    reason: str = ""
    by_state: bool = False

    def __bool__(self):
        return self.allowed


ALLOWED = Verdict(True)


def _active(membership) -> bool:
    return membership is not None and membership.is_active


def standing(membership, engagement: Engagement) -> frozenset[str]:
    """The tokens this membership holds on this engagement (one query for the team rows)."""
    if not _active(membership) or membership.tenant_id != engagement.tenant_id:
        return frozenset()
    tokens = set()
    if membership.is_client:
        if membership.organization_id == engagement.organization_id:
            if engagement.state != Engagement.State.DRAFT:
                tokens.add(CLIENT)
            if engagement.state == Engagement.State.CLOSED:
                tokens.add(CLIENT_FINAL)
        return frozenset(tokens)
    tokens.update(
        EngagementUserObjectPermission.objects.filter(
            user_id=membership.user_id, content_object_id=engagement.pk
        ).values_list("permission__codename", flat=True)
    )
    return _with_role_tokens(membership, tokens)


def _with_role_tokens(membership, tokens) -> frozenset[str]:
    tokens = set(tokens)
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        tokens.add(ADMIN)
    if has_capability(membership, Capability.MANAGE_CERTIFICATES):
        tokens.add(CERTIFIER)
    return frozenset(tokens)


def engagement_with_standing(membership, engagement_id, *, action: Action = Action.VIEW):
    """(engagement, standing) in one query, for hot paths such as the grid's autosave: the
    engagement among those `action`'s rule lets the person see (with its tenant and model
    version), its team tokens read by the same query. None when it is not visible."""
    queryset = engagements_where(membership, action).filter(pk=engagement_id)
    queryset = queryset.select_related("tenant", "model_version")
    if membership is not None and not membership.is_client:
        queryset = queryset.annotate(
            **{
                f"holds_{codename}": Exists(
                    EngagementUserObjectPermission.objects.filter(
                        content_object_id=OuterRef("pk"),
                        user_id=membership.user_id,
                        permission__codename=codename,
                    )
                )
                for codename in sorted(TEAM_TOKENS)
            }
        )
    engagement = queryset.first()
    if engagement is None:
        return None
    if membership.is_client:
        return engagement, standing(membership, engagement)  # no query for client people
    held = {codename for codename in TEAM_TOKENS if getattr(engagement, f"holds_{codename}")}
    return engagement, _with_role_tokens(membership, held)


def engagement_of(obj) -> Engagement:
    return obj if isinstance(obj, Engagement) else obj.engagement


def can(membership, action: Action, obj, *, tokens: frozenset | None = None) -> Verdict:
    """May `membership` do `action` on `obj` (an engagement or anything of one) now?

    Pass `tokens` (from `standing`) to answer many questions about one engagement with one query.
    """
    if isinstance(obj, Application):
        return _can_on_application(membership, action, obj)
    rule = RULES[action]
    engagement = engagement_of(obj)
    if tokens is None:
        tokens = standing(membership, engagement)
    if not tokens & rule.who:
        return Verdict(False, str(rule.refusal or _("You may not do this on this engagement.")))
    if rule.state_action:
        blocked = workflow.state_allows(engagement, rule.state_action)
        if blocked:
            return Verdict(False, blocked, by_state=True)
    return ALLOWED


def require(membership, action: Action, obj, *, tokens: frozenset | None = None) -> None:
    """Raise PermissionDenied (403) or, when only the phase forbids it, Conflict (409)."""
    verdict = can(membership, action, obj, tokens=tokens)
    if verdict:
        return
    if verdict.by_state:
        raise Conflict(verdict.reason)
    raise PermissionDenied(verdict.reason)


def abilities(membership, engagement: Engagement, *, tokens=None) -> dict[str, bool]:
    """Every action's answer for one engagement (one query), for pages that show buttons."""
    if tokens is None:
        tokens = standing(membership, engagement)
    return {
        action.value: bool(can(membership, action, engagement, tokens=tokens)) for action in Action
    }


def available_transitions(membership, engagement):
    """[(transition, reason or None)] of the transitions this person may make from here."""
    tokens = standing(membership, engagement)
    return workflow.available_transitions(engagement, tokens)


# --- Visibility, in SQL --------------------------------------------------------------------


def engagements_where(membership, action: Action, *, who: frozenset | None = None) -> QuerySet:
    """The tenant's engagements on which `membership`'s standing satisfies the action's rule
    (its `who`, or the narrower `who` given; the phase is not a matter of visibility)."""
    queryset = Engagement.objects.all()
    if not _active(membership):
        return queryset.none()
    who = RULES[action].who if who is None else RULES[action].who & frozenset(who)
    if membership.is_client:
        mine = Q(organization_id=membership.organization_id)
        if CLIENT in who:
            return queryset.filter(mine).exclude(state=Engagement.State.DRAFT)
        if CLIENT_FINAL in who:
            return queryset.filter(mine, state=Engagement.State.CLOSED)
        return queryset.none()
    if (ADMIN in who and has_capability(membership, Capability.MANAGE_ENGAGEMENTS)) or (
        CERTIFIER in who and has_capability(membership, Capability.MANAGE_CERTIFICATES)
    ):
        return queryset
    codenames = sorted(who & TEAM_TOKENS)
    if not codenames:
        return queryset.none()
    # An IN over the person's permission rows (read once), not a correlated EXISTS per
    # engagement: an assessor's list among 10,000 engagements stays an indexed lookup.
    return queryset.filter(
        pk__in=EngagementUserObjectPermission.objects.filter(
            user_id=membership.user_id,
            permission__codename__in=codenames,
            permission__content_type__app_label="assessments",
        ).values("content_object_id")
    )


def engagements_at_work(membership, action: Action, *, who: frozenset | None = None) -> QuerySet:
    """The engagements on which `membership` may do `action` now: its standing satisfies the
    rule (narrowed to the tokens `who` that make the work theirs, e.g. only the client answers
    a nonconformity although assessors may too) and the phase allows the work — the same
    answer as `can`, for every engagement at once, in SQL (the dashboard's work queue)."""
    queryset = engagements_where(membership, action, who=who)
    state_action = RULES[action].state_action
    if state_action:
        queryset = queryset.filter(state__in=sorted(workflow.ACTIONS[state_action]))
    return queryset


# What each kind of object needs to be seen, and how it reaches its engagement.
VISIBILITY = {
    Engagement: (Action.VIEW, "pk"),
    Assignment: (Action.VIEW_TEAM, "engagement"),
    Finding: (Action.VIEW_FINDINGS, "engagement"),
    RequirementRating: (Action.VIEW_FINDINGS, "finding__engagement"),
    Evidence: (Action.VIEW_EVIDENCE, "engagement"),
    EvidenceRequest: (Action.VIEW_EVIDENCE, "engagement"),
    Nonconformity: (Action.VIEW_NONCONFORMITIES, "engagement"),
    SelfRating: (Action.VIEW_SELF_ASSESSMENT, "engagement"),
    Review: (Action.VIEW_REVIEWS, "engagement"),
    Decision: (Action.VIEW_DECISION, "engagement"),
}


def visible(membership, model) -> QuerySet:
    """Rows of `model` (a kind of engagement object) this membership may see, filtered in SQL."""
    action, path = VISIBILITY[model]
    engagements = engagements_where(membership, action)
    if model is Engagement:
        return engagements
    return model.objects.filter(**{f"{path}__in": engagements.values("pk")})


def visible_through(membership, model, action: Action, path: str = "engagement") -> QuerySet:
    """Rows of any model that hangs off an engagement, visible when `action` is allowed (for the
    other apps: certificates and reports)."""
    return model.objects.filter(
        **{f"{path}__in": engagements_where(membership, action).values("pk")}
    )


def require_may_create_engagement(membership) -> None:
    if not has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        raise PermissionDenied(_("Only the body's administrators open engagements."))


# --- Conflicts of interest -----------------------------------------------------------------


def may_declare_conflict(membership, *, for_user) -> Verdict:
    """Staff declare their own conflicts; tenant admins record anyone's."""
    if not _active(membership) or membership.is_client:
        return Verdict(False, _("Conflicts of interest are declared by staff."))
    if for_user.pk != membership.user_id and not has_capability(
        membership, Capability.MANAGE_ENGAGEMENTS
    ):
        return Verdict(False, _("Only the body's administrators record another person's conflict."))
    return ALLOWED


def may_withdraw_conflict(membership, conflict) -> Verdict:
    """A tenant admin withdraws any conflict; a person only one they declared themselves —
    never one an administrator recorded for them."""
    if not _active(membership) or membership.is_client:
        return Verdict(False, _("Conflicts of interest are managed by staff."))
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        return ALLOWED
    if conflict.user_id == membership.user_id and conflict.declared_by_id == membership.user_id:
        return ALLOWED
    return Verdict(False, _("Only the body's administrators withdraw this conflict of interest."))


def conflicts_visible_to(membership):
    from tenants.models import ConflictOfInterest

    conflicts = ConflictOfInterest.objects.select_related("user", "organization", "declared_by")
    if not _active(membership) or membership.is_client:
        return conflicts.none()
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        return conflicts
    return conflicts.filter(user_id=membership.user_id)


# --- Competence and authorisation ----------------------------------------------------------

# The authorisation an engagement role needs; a lead's authorisation also covers assessing.
AUTHORISATION_FOR = {
    Assignment.Role.LEAD_ASSESSOR: ("lead",),
    Assignment.Role.ASSESSOR: ("assessor", "lead"),
    Assignment.Role.REVIEWER: ("reviewer",),
    Assignment.Role.OFFICER: ("officer",),
}


def parts_in_scope(engagement) -> set[str]:
    """Codes of the parts (top-level domains) the engagement's scope reaches."""
    from assessments.models import Domain

    domains = {
        pk: (parent, code)
        for pk, parent, code in Domain.objects.filter(
            version_id=engagement.model_version_id
        ).values_list("pk", "parent_id", "code")
    }
    parts = set()
    for domain_id in engagement.scope_items.values_list("domain_id", flat=True).distinct():
        while domains[domain_id][0] is not None:
            domain_id = domains[domain_id][0]
        parts.add(domains[domain_id][1])
    return parts


def authorised_for(user, role, engagement, *, today=None) -> Verdict:
    """May `user` take engagement `role` here, by the body's authorisations? Required once the
    body records any authorisation (docs/architecture.md, "Competence and authorisation")."""
    from django.utils import timezone

    from tenants.models import Authorisation

    needed = AUTHORISATION_FOR.get(role)
    records = Authorisation.objects.filter(tenant_id=engagement.tenant_id)
    if not needed or not records.exists():
        return ALLOWED
    today = today or timezone.localdate()
    model = engagement.model_version.model
    valid = records.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        user=user,
        role__in=needed,
        model_code=model.code,
        is_active=True,
        valid_from__lte=today,
    )
    covered = set(valid.values_list("part_code", flat=True))
    if "" in covered:
        return ALLOWED
    missing = parts_in_scope(engagement) - covered
    if covered and not missing:
        return ALLOWED
    return Verdict(
        False,
        _("%(person)s is not authorised as %(role)s for %(model)s%(parts)s on %(date)s.")
        % {
            "person": user,
            "role": Assignment.Role(role).label.lower(),
            "model": model.code,
            "parts": (" (" + ", ".join(sorted(missing)) + ")") if covered or missing else "",
            "date": today.isoformat(),
        },
    )


# --- Applications (contract review) --------------------------------------------------------


class ApplicationAction(StrEnum):
    VIEW = "view_application"
    EDIT = "edit_application"
    SUBMIT = "submit_application"
    WITHDRAW = "withdraw_application"
    REVIEW = "review_application"  # notes, sampling, the estimate of assessor-days
    DECIDE = "decide_application"  # accept (opening the engagement) or decline


APPLICANT = "applicant"  # a client person of the applying organization
_S = Application.Status

# Who may do what to an application, and in which of its states: the applying organization's
# people and the body's administrators prepare, submit and withdraw it; only the
# administrators review and decide (ISO/IEC 17021-1 9.1: the body's contract review).
APPLICATION_RULES: dict[ApplicationAction, tuple[frozenset, frozenset | None, str]] = {
    ApplicationAction.VIEW: (frozenset({ADMIN, APPLICANT}), None, ""),
    ApplicationAction.EDIT: (
        frozenset({ADMIN, APPLICANT}),
        frozenset({_S.DRAFT}),
        gettext_lazy("Only the applying organization and the body's administrators change it."),
    ),
    ApplicationAction.SUBMIT: (
        frozenset({ADMIN, APPLICANT}),
        frozenset({_S.DRAFT}),
        gettext_lazy("Only the applying organization and the body's administrators submit it."),
    ),
    ApplicationAction.WITHDRAW: (
        frozenset({ADMIN, APPLICANT}),
        frozenset({_S.DRAFT, _S.SUBMITTED}),
        gettext_lazy("Only the applying organization and the body's administrators withdraw it."),
    ),
    ApplicationAction.REVIEW: (
        frozenset({ADMIN}),
        frozenset({_S.SUBMITTED}),
        gettext_lazy("Only the body's administrators review applications."),
    ),
    ApplicationAction.DECIDE: (
        frozenset({ADMIN}),
        frozenset({_S.SUBMITTED}),
        gettext_lazy("Only the body's administrators accept or decline applications."),
    ),
}


def application_standing(membership, application) -> frozenset[str]:
    if not _active(membership) or membership.tenant_id != application.tenant_id:
        return frozenset()
    if membership.is_client:
        if membership.organization_id == application.organization_id:
            return frozenset({APPLICANT})
        return frozenset()
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        return frozenset({ADMIN})
    return frozenset()


def _can_on_application(membership, action, application) -> Verdict:
    who, states, refusal = APPLICATION_RULES[ApplicationAction(action)]
    if not application_standing(membership, application) & who:
        return Verdict(False, str(refusal or _("You may not see this application.")))
    if states is not None and application.status not in states:
        return Verdict(
            False,
            _("The application is %(status)s: this is no longer possible.")
            % {"status": application.get_status_display().lower()},
            by_state=True,
        )
    return ALLOWED


def application_abilities(membership, application) -> dict[str, bool]:
    """Every application action's answer, for pages that show buttons."""
    return {
        action.name.lower(): bool(_can_on_application(membership, action, application))
        for action in ApplicationAction
    }


def may_apply(membership, organization=None) -> Verdict:
    """A client person applies for their own organization; the body's administrators apply
    on any active client's behalf."""
    if not _active(membership):
        return Verdict(False, _("Only the body's clients and administrators apply."))
    if membership.is_client:
        if organization is not None and organization.pk != membership.organization_id:
            return Verdict(False, _("You apply for your own organization only."))
        return ALLOWED
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        return ALLOWED
    return Verdict(False, _("Only the body's clients and administrators apply."))


def applications_visible(membership) -> QuerySet:
    """The body's administrators see every application; client people their organization's;
    other staff none (filtered in SQL)."""
    queryset = Application.objects.all()
    if not _active(membership):
        return queryset.none()
    if membership.is_client:
        return queryset.filter(organization_id=membership.organization_id)
    if has_capability(membership, Capability.MANAGE_ENGAGEMENTS):
        return queryset
    return queryset.none()
