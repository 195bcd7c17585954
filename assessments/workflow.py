"""The engagement state machine: which transitions exist, who may make them, what they need.

One table, in one place. A guard returns None when the transition may happen, or the reason in
words when it may not; the engagement page shows those reasons beside disabled buttons.
"""

from dataclasses import dataclass

from django.dispatch import Signal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from assessments import permissions as perms
from assessments.models import (
    Assignment,
    Decision,
    Engagement,
    Evidence,
    Finding,
    Nonconformity,
    Review,
)

S = Engagement.State
OPEN_STATES = (S.DRAFT, S.PLANNING, S.EVIDENCE, S.ASSESSMENT, S.REVIEW, S.DECISION)
ADMIN = perms.ADMIN


def _team_roles(engagement):
    return set(engagement.assignments.values_list("role", flat=True))


def _needs_scope_and_lead(engagement):
    if not engagement.scope_items.exists():
        return _("No capability item is in scope.")
    if Assignment.Role.LEAD_ASSESSOR not in _team_roles(engagement):
        return _("No lead assessor is assigned.")
    return None


def _needs_full_team(engagement):
    roles = _team_roles(engagement)
    missing = [
        str(label)
        for role, label in (
            (Assignment.Role.LEAD_ASSESSOR, _("a lead assessor")),
            (Assignment.Role.REVIEWER, _("a technical reviewer")),
            (Assignment.Role.OFFICER, _("a certification officer")),
        )
        if role not in roles
    ]
    if missing:
        return _("Still to assign: %(who)s.") % {"who": ", ".join(missing)}
    return None


def _needs_evidence(engagement):
    if not Evidence.objects.filter(engagement=engagement).exists():
        return _("No evidence has been submitted yet.")
    return None


def _needs_final_findings(engagement):
    in_scope = engagement.scope_items.count()
    final = Finding.objects.filter(
        engagement=engagement, status=Finding.Status.FINAL, item__in=engagement.scope_items.all()
    ).count()
    missing = in_scope - final
    if missing:
        return ngettext(
            "%(n)d item in scope has no final finding.",
            "%(n)d items in scope have no final finding.",
            missing,
        ) % {"n": missing}
    return None


# Asked before the findings go to the technical review; a receiver answers with the reason in
# words when something of a higher app still holds them back (docs/architecture.md, "Apps and
# their dependency direction"): the certificates app's client review of the draft report.
review_blockers = Signal()


def _needs_client_answer(engagement):
    for _receiver, reason in review_blockers.send(sender=Engagement, engagement=engagement):
        if reason:
            return reason
    return None


def _ready_for_review(engagement):
    return _needs_final_findings(engagement) or _needs_client_answer(engagement)


def _latest_review(engagement):
    return Review.objects.filter(engagement=engagement).order_by("-created_at", "-pk").first()


def _needs_approved_review(engagement):
    review = _latest_review(engagement)
    if review is None:
        return _("The technical reviewer has not recorded a review yet.")
    if review.outcome != Review.Outcome.APPROVED:
        return _("The latest review asks for changes.")
    return None


def _needs_changes_requested(engagement):
    review = _latest_review(engagement)
    if review is None or review.outcome != Review.Outcome.CHANGES_REQUESTED:
        return _("Only a review that asks for changes sends the findings back.")
    return None


def _needs_decision(engagement):
    if not Decision.objects.filter(engagement=engagement).exists():
        return _("The certification officer has not recorded a decision yet.")
    return None


def open_major_nonconformities(engagement):
    return Nonconformity.objects.filter(
        engagement=engagement,
        grade=Nonconformity.Grade.MAJOR,
    ).exclude(status=Nonconformity.Status.CLOSED)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str  # lazy: built once at start-up, translated when shown
    allowed: tuple  # standing tokens (assessments.permissions), any of which may make it
    guard: object = None


TRANSITIONS = [
    Transition(
        S.DRAFT, S.PLANNING, gettext_lazy("Start planning"), (ADMIN,), _needs_scope_and_lead
    ),
    Transition(
        S.PLANNING,
        S.EVIDENCE,
        gettext_lazy("Open evidence collection"),
        (ADMIN, perms.LEAD),
        _needs_full_team,
    ),
    Transition(
        S.EVIDENCE,
        S.ASSESSMENT,
        gettext_lazy("Start the assessment"),
        (ADMIN, perms.LEAD),
        _needs_evidence,
    ),
    Transition(
        S.ASSESSMENT,
        S.REVIEW,
        gettext_lazy("Submit findings for review"),
        (perms.LEAD,),
        _ready_for_review,
    ),
    Transition(
        S.REVIEW,
        S.ASSESSMENT,
        gettext_lazy("Send back to the assessors"),
        (perms.REVIEW,),
        _needs_changes_requested,
    ),
    Transition(
        S.REVIEW,
        S.DECISION,
        gettext_lazy("Pass to the certification decision"),
        (perms.REVIEW,),
        _needs_approved_review,
    ),
    Transition(
        S.DECISION,
        S.CLOSED,
        gettext_lazy("Close the engagement"),
        (perms.DECIDE, ADMIN),
        _needs_decision,
    ),
] + [
    Transition(state, S.CANCELLED, gettext_lazy("Cancel the engagement"), (ADMIN,))
    for state in OPEN_STATES
]

# Which work each state allows (services ask before writing).
ACTIONS = {
    "edit": {S.DRAFT, S.PLANNING},
    "assign": {S.DRAFT, S.PLANNING, S.EVIDENCE, S.ASSESSMENT, S.REVIEW, S.DECISION},
    "upload_evidence": {S.EVIDENCE, S.ASSESSMENT},
    "judge_evidence": {S.EVIDENCE, S.ASSESSMENT},
    "request_evidence": {S.PLANNING, S.EVIDENCE, S.ASSESSMENT},
    "self_assess": {S.PLANNING, S.EVIDENCE},  # before the assessment starts
    "record_finding": {S.EVIDENCE, S.ASSESSMENT},
    "raise_nc": {S.ASSESSMENT, S.REVIEW},
    "answer_nc": {S.EVIDENCE, S.ASSESSMENT, S.REVIEW, S.DECISION},
    "verify_nc": {S.ASSESSMENT, S.REVIEW, S.DECISION},
    "review": {S.REVIEW},
    "send_draft_report": {S.ASSESSMENT},
    "review_draft_report": {S.ASSESSMENT},
    "answer_report_comment": {S.ASSESSMENT, S.REVIEW},
    "decide": {S.DECISION},
}


def state_allows(engagement, action):
    """None when the engagement's state allows the action, else the reason in words."""
    if engagement.state in ACTIONS[action]:
        return None
    return _("Not possible while the engagement is in the %(state)s phase.") % {
        "state": engagement.get_state_display().lower()
    }


def find(engagement, target):
    for transition in TRANSITIONS:
        if transition.source == engagement.state and transition.target == target:
            return transition
    return None


def may_make(transition, tokens):
    return bool(set(transition.allowed) & tokens)


def available_transitions(engagement, tokens):
    """[(transition, reason or None)] of the transitions someone holding `tokens` (their
    standing, from assessments.policy) may make from here."""
    result = []
    for transition in TRANSITIONS:
        if transition.source != engagement.state or not may_make(transition, tokens):
            continue
        reason = transition.guard(engagement) if transition.guard else None
        result.append((transition, reason))
    return result
