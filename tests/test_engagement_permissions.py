"""Every role against every action on an engagement, allowed and refused (through the API)."""

import pytest
from django.apps import apps
from django_scopes import scope, scopes_disabled

from assessments.models import LevelRequirement
from assessments.services import findings
from tests.engagement_world import ROLES, advance, build_world, pdf_upload


def _row_counts():
    """How many rows every model of the portal holds, the audit trail and guardian's included."""
    with scopes_disabled():
        return {
            model._meta.label: model._base_manager.count()
            for model in apps.get_models()
            if model._meta.app_label in ("tenants", "assessments", "certificates", "portal")
        }


class CountingClient:
    """An API client that notes every model's row count just before each request it sends, so a
    test can prove that a refused request wrote nothing (its set-up writes come before)."""

    def __init__(self, api):
        self.api = api
        self.before = None

    def __getattr__(self, name):
        method = getattr(self.api, name)

        def send(*args, **kwargs):
            self.before = _row_counts()
            return method(*args, **kwargs)

        return send


def _api(world, api_for, role):
    return CountingClient(api_for(getattr(world, role)))


def _base(world):
    return f"/api/v1/t/{world.tenant.slug}/"


def _in_state(tenant, state):
    world = build_world(tenant, items=1)
    advance(world, state)
    return world


def _finding(world):
    with scope(tenant=world.tenant):
        item = world.engagement.scope_items.first()
        return findings.record_finding(
            engagement=world.engagement, item=item, by=world.assessor, ratings={}
        )


# action -> (state, roles allowed, request(world, api) -> response)
def _view(world, api):
    return api.get(_base(world) + f"engagements/{world.engagement.pk}/")


def _create(world, api):
    return api.post(
        _base(world) + "engagements/",
        {
            "organization": world.organization.pk,
            "model_version": world.version.pk,
            "target_level": 2,
            "scope": ["P"],
        },
        format="json",
    )


def _plan(world, api):
    return api.post(
        _base(world) + f"engagements/{world.engagement.pk}/transition/",
        {"to": "planning"},
        format="json",
    )


def _assign(world, api):
    return api.post(
        _base(world) + "assignments/",
        {
            "engagement": world.engagement.pk,
            "user": world.outsider_assessor.user.email,
            "role": "assessor",
        },
        format="json",
    )


def _upload(world, api):
    return api.post(
        _base(world) + "evidence/",
        {"engagement": world.engagement.pk, "file": pdf_upload()},
        format="multipart",
    )


def _judge(world, api):
    from assessments.services import evidence

    with scope(tenant=world.tenant):
        item = evidence.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
    return api.post(_base(world) + f"evidence/{item.pk}/judge/", {"accept": True}, format="json")


def _link(world, api):
    from assessments.services import evidence

    with scope(tenant=world.tenant):
        item = evidence.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
        requirement = LevelRequirement.objects.filter(
            item__in=world.engagement.scope_items.all()
        ).first()
    return api.post(
        _base(world) + f"evidence/{item.pk}/link/",
        {"requirements": [requirement.pk]},
        format="json",
    )


def _judge_many(world, api):
    from assessments.services import evidence

    with scope(tenant=world.tenant):
        item = evidence.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
    return api.post(
        _base(world) + "evidence/judge-many/",
        {"engagement": world.engagement.pk, "evidence": [item.pk], "accept": True},
        format="json",
    )


def _bulk_upload(world, api):
    return api.post(
        _base(world) + "evidence/bulk/",
        {"engagement": world.engagement.pk, "files": [pdf_upload(), pdf_upload("b.pdf")]},
        format="multipart",
    )


def _asked(world):
    import datetime

    from assessments.services import requests

    with scope(tenant=world.tenant):
        return requests.request_evidence(
            engagement=world.engagement,
            by=world.assessor,
            title="Pipeline definition",
            due_date=datetime.date.today() + datetime.timedelta(days=7),
        )


def _request_evidence(world, api):
    import datetime

    return api.post(
        _base(world) + "evidence-requests/",
        {
            "engagement": world.engagement.pk,
            "title": "Branching policy",
            "due_date": str(datetime.date.today() + datetime.timedelta(days=7)),
        },
        format="json",
    )


def _submit_request(world, api):
    from assessments.services import evidence

    asked = _asked(world)
    with scope(tenant=world.tenant):
        item = evidence.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
    return api.post(
        _base(world) + f"evidence-requests/{asked.pk}/submit/",
        {"evidence": [item.pk]},
        format="json",
    )


def _review_request(world, api):
    from assessments.services import evidence, requests

    asked = _asked(world)
    with scope(tenant=world.tenant):
        item = evidence.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
        requests.submit_request(request=asked, by=world.client, evidence_ids=[item.pk])
    return api.post(
        _base(world) + f"evidence-requests/{asked.pk}/review/", {"accept": True}, format="json"
    )


def _self_assess(world, api):
    with scope(tenant=world.tenant):
        item = world.engagement.scope_items.first()
    return api.post(
        _base(world) + "self-ratings/",
        {"engagement": world.engagement.pk, "ratings": [{"item": item.pk, "level": 2}]},
        format="json",
    )


def _self_assessment_gap(world, api):
    return api.get(_base(world) + f"self-ratings/gap/{world.engagement.pk}/")


def _ready_report(world):
    from certificates.models import Report
    from certificates.services import request_report

    with scope(tenant=world.tenant):
        report = request_report(engagement=world.engagement, by=world.lead)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.READY)


def _send_draft_report(world, api):
    import datetime

    _ready_report(world)
    return api.post(
        _base(world) + "report-reviews/",
        {
            "engagement": world.engagement.pk,
            "due_date": str(datetime.date.today() + datetime.timedelta(days=5)),
        },
        format="json",
    )


def _accept_draft_report(world, api):
    import datetime

    from certificates import review_services

    _ready_report(world)
    with scope(tenant=world.tenant):
        review = review_services.send_for_client_review(
            engagement=world.engagement,
            by=world.lead,
            due_date=datetime.date.today() + datetime.timedelta(days=5),
        )
    return api.post(_base(world) + f"report-reviews/{review.pk}/accept/", {}, format="json")


def _record_finding(world, api):
    with scope(tenant=world.tenant):
        item = world.engagement.scope_items.first()
        requirement = LevelRequirement.objects.filter(item=item).first()
    return api.post(
        _base(world) + "findings/",
        {
            "engagement": world.engagement.pk,
            "item": item.pk,
            "narrative": "n",
            "ratings": [{"requirement": requirement.pk, "rating": "met"}],
        },
        format="json",
    )


def _raise_nc(world, api):
    _finding(world)
    with scope(tenant=world.tenant):
        item = world.engagement.scope_items.first()
    return api.post(
        _base(world) + "nonconformities/",
        {
            "engagement": world.engagement.pk,
            "item": item.pk,
            "grade": "minor",
            "description": "Missing pipeline gate.",
        },
        format="json",
    )


def _answer_nc(world, api):
    finding = _finding(world)
    with scope(tenant=world.tenant):
        nc = findings.raise_nonconformity(
            engagement=world.engagement,
            finding=finding,
            by=world.assessor,
            grade="minor",
            description="d",
        )
    return api.post(
        _base(world) + f"nonconformities/{nc.pk}/answer/",
        {"corrective_action": "Gate added."},
        format="json",
    )


def _close_nc(world, api):
    finding = _finding(world)
    with scope(tenant=world.tenant):
        nc = findings.raise_nonconformity(
            engagement=world.engagement,
            finding=finding,
            by=world.assessor,
            grade="major",
            description="d",
        )
        findings.answer_nonconformity(
            nonconformity=nc, by=world.client, corrective_action="Gate added."
        )
    return api.post(
        _base(world) + f"nonconformities/{nc.pk}/close/",
        {"verification_note": "Saw the gate stop a build."},
        format="json",
    )


def _download(world, api):
    from assessments.services import evidence

    with scope(tenant=world.tenant):
        item = evidence.upload_evidence(
            engagement=world.engagement, by=world.client, uploaded=pdf_upload()
        )
    return api.get(_base(world) + f"evidence/{item.pk}/download/")


def _submit_for_review(world, api):
    from tests.engagement_world import rate_everything

    with scope(tenant=world.tenant):
        rate_everything(world, world.engagement)
    return api.post(
        _base(world) + f"engagements/{world.engagement.pk}/transition/",
        {"to": "review"},
        format="json",
    )


def _cancel(world, api):
    return api.post(
        _base(world) + f"engagements/{world.engagement.pk}/transition/",
        {"to": "cancelled", "reason": "The client withdrew its application."},
        format="json",
    )


def _unassign(world, api):
    with scope(tenant=world.tenant):
        assignment = world.engagement.assignments.get(user=world.observer.user)
    return api.delete(_base(world) + f"assignments/{assignment.pk}/")


def _review(world, api):
    return api.post(
        _base(world) + "reviews/",
        {"engagement": world.engagement.pk, "outcome": "approved"},
        format="json",
    )


def _decide(world, api):
    return api.post(
        _base(world) + "decisions/",
        {"engagement": world.engagement.pk, "outcome": "granted", "level": 3, "reasons": "Met."},
        format="json",
    )


ACTIONS = {
    "view": (
        "assessment",
        {"admin", "lead", "assessor", "reviewer", "officer", "observer", "client"},
        _view,
    ),
    "create": ("draft", {"admin"}, _create),
    "plan": ("draft", {"admin"}, _plan),
    "assign": ("planning", {"admin"}, _assign),
    "upload": ("evidence", {"client", "lead", "assessor"}, _upload),
    "judge": ("evidence", {"lead", "assessor"}, _judge),
    "link_evidence": ("evidence", {"client", "lead", "assessor"}, _link),
    "judge_many": ("evidence", {"lead", "assessor"}, _judge_many),
    "bulk_upload": ("evidence", {"client", "lead", "assessor"}, _bulk_upload),
    "request_evidence": ("evidence", {"lead", "assessor"}, _request_evidence),
    "submit_request": ("evidence", {"client"}, _submit_request),
    "review_request": ("evidence", {"lead", "assessor"}, _review_request),
    "self_assess": ("evidence", {"client"}, _self_assess),
    "self_assessment_gap": (
        "assessment",
        {"admin", "lead", "assessor", "reviewer", "officer", "observer"},
        _self_assessment_gap,
    ),
    "send_draft_report": ("assessment", {"lead", "assessor"}, _send_draft_report),
    "accept_draft_report": ("assessment", {"client"}, _accept_draft_report),
    "record_finding": ("assessment", {"lead", "assessor"}, _record_finding),
    "raise_nc": ("assessment", {"lead", "assessor"}, _raise_nc),
    "answer_nc": ("assessment", {"client", "lead", "assessor"}, _answer_nc),
    "close_nc": ("assessment", {"lead", "assessor"}, _close_nc),
    "download_evidence": (
        "assessment",
        {"admin", "lead", "assessor", "reviewer", "officer", "observer", "client"},
        _download,
    ),
    "submit_for_review": ("assessment", {"lead"}, _submit_for_review),
    "cancel": ("evidence", {"admin"}, _cancel),
    "unassign": ("planning", {"admin"}, _unassign),
    "review": ("review", {"reviewer"}, _review),
    "decide": ("decision", {"officer"}, _decide),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_against_action(tenant, api_for, action, role):
    state, allowed, do = ACTIONS[action]
    world = _in_state(tenant, state)
    api = _api(world, api_for, role)
    response = do(world, api)
    if role in allowed:
        assert response.status_code in (200, 201, 204), (action, role, response.content[:300])
    else:
        # A refusal is a refusal: never a 400 that would hide it, and nothing written.
        assert response.status_code in (403, 404), (action, role, response.status_code)
        assert _row_counts() == api.before, (action, role)
