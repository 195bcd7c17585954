"""What each role sees, for every kind of engagement object, on every surface.

The expected table below is written out by hand (it is the access policy of docs/architecture.md
in the test's own words), and every cell is checked four ways: the API list contains the object
or not, the API detail answers 200 or 404, and the web page answers 200 or 403/404 — so the
list, the detail, the web page and the API cannot disagree.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django_scopes import scope

from assessments.models import Decision, Evidence, Finding, Review, SelfRating
from assessments.services import findings
from assessments.services import requests as request_services
from certificates import services as certificate_services
from certificates.models import Certificate, Report
from tests.engagement_world import ROLES, advance, build_world

TEAM = {"lead", "assessor", "reviewer", "officer", "observer"}
STAFF = {"admin", *TEAM}

# object type -> state of the engagement -> roles that see it
EXPECTED = {
    "engagement": {"assessment": STAFF | {"client"}, "closed": STAFF | {"client"}},
    "assignment": {"assessment": STAFF | {"client"}, "closed": STAFF | {"client"}},
    "finding": {"assessment": STAFF, "closed": STAFF},
    "evidence": {"assessment": STAFF | {"client"}, "closed": STAFF | {"client"}},
    "self_rating": {"assessment": STAFF | {"client"}, "closed": STAFF | {"client"}},
    "evidence_request": {"assessment": STAFF | {"client"}, "closed": STAFF | {"client"}},
    "nonconformity": {"assessment": STAFF | {"client"}, "closed": STAFF | {"client"}},
    "review": {"closed": STAFF},
    "decision": {"closed": STAFF},
    "timeline": {"assessment": STAFF, "closed": STAFF},
    "score": {"assessment": STAFF, "closed": STAFF},
    "report": {"assessment": STAFF, "closed": STAFF | {"client"}},
    "certificate": {"closed": STAFF | {"client"}},
}


@dataclass
class Objects:
    world: object
    item: object
    finding: Finding
    evidence: Evidence
    nonconformity: object
    report: Report
    evidence_request: object = None
    self_rating: object = None
    review: Review | None = None
    decision: Decision | None = None
    certificate: Certificate | None = None


def _build(tenant, state):
    world = build_world(tenant, items=1)
    advance(world, "assessment")
    with scope(tenant=tenant):
        engagement = world.engagement
        item = engagement.scope_items.first()
        finding = findings.record_finding(
            engagement=engagement, item=item, by=world.assessor, ratings={}, narrative="draft"
        )
        nc = findings.raise_nonconformity(
            engagement=engagement,
            finding=finding,
            by=world.assessor,
            grade="minor",
            description="d",
        )
        report = certificate_services.request_report(engagement=engagement, by=world.lead)
        asked = request_services.request_evidence(
            engagement=engagement,
            by=world.assessor,
            title="Pipeline definition",
            due_date=datetime.date.today() + datetime.timedelta(days=7),
        )
        self_rating = SelfRating.objects.create(
            tenant=tenant, engagement=engagement, item=item, level=2, rated_by=world.client.user
        )
    if state == "closed":
        advance(world, "closed")
    with scope(tenant=tenant):
        engagement = world.engagement
        objects = Objects(
            world=world,
            item=item,
            finding=Finding.objects.get(engagement=engagement),
            evidence=Evidence.objects.filter(engagement=engagement).first(),
            nonconformity=nc,
            report=report,
            evidence_request=asked,
            self_rating=self_rating,
        )
        if state == "closed":
            objects.review = Review.objects.get(engagement=engagement)
            objects.decision = Decision.objects.get(engagement=engagement)
            objects.certificate = certificate_services.issue_certificate(
                engagement=engagement, by=world.officer
            )
    return objects


def _api(kind, name, **kwargs):
    return reverse(f"api:{kind}-{name}", kwargs={"tenant": "acme", **kwargs})


def _web(name, **kwargs):
    return reverse(name, kwargs={"tenant": "acme", **kwargs})


def _surfaces(kind, o):
    """(API list URL or None, API detail URL, web URL or None, the object's id) of one kind."""
    e = o.world.engagement.pk
    if kind == "engagement":
        return (
            _api("engagement", "list"),
            _api("engagement", "detail", pk=e),
            _web("assessments:engagement_detail", engagement_id=e),
            e,
        )
    if kind == "assignment":
        with scope(tenant=o.world.tenant):
            pk = o.world.engagement.assignments.first().pk
        return (
            _api("assignment", "list"),
            _api("assignment", "detail", pk=pk),
            _web("assessments:engagement_team", engagement_id=e),
            pk,
        )
    if kind == "finding":
        return (
            _api("finding", "list"),
            _api("finding", "detail", pk=o.finding.pk),
            _web("assessments:finding_edit", engagement_id=e, item_id=o.item.pk),
            o.finding.pk,
        )
    if kind == "evidence":
        pk = o.evidence.pk
        return (
            _api("evidence", "list"),
            _api("evidence", "detail", pk=pk),
            _web("assessments:evidence_detail", engagement_id=e, evidence_id=pk),
            pk,
        )
    if kind == "self_rating":
        pk = o.self_rating.pk
        return (
            _api("self-rating", "list"),
            _api("self-rating", "detail", pk=pk),
            _web("assessments:self_assessment", engagement_id=e),
            pk,
        )
    if kind == "evidence_request":
        pk = o.evidence_request.pk
        return (
            _api("evidence-request", "list"),
            _api("evidence-request", "detail", pk=pk),
            _web("assessments:request_detail", engagement_id=e, request_id=pk),
            pk,
        )
    if kind == "nonconformity":
        pk = o.nonconformity.pk
        return (
            _api("nonconformity", "list"),
            _api("nonconformity", "detail", pk=pk),
            _web("assessments:nonconformity_detail", engagement_id=e, nonconformity_id=pk),
            pk,
        )
    if kind == "review":
        return (_api("review", "list"), _api("review", "detail", pk=o.review.pk), None, o.review.pk)
    if kind == "decision":
        pk = o.decision.pk
        return (_api("decision", "list"), _api("decision", "detail", pk=pk), None, pk)
    if kind == "timeline":
        return (
            None,
            _api("engagement", "timeline", pk=e),
            _web("assessments:engagement_timeline", engagement_id=e),
            None,
        )
    if kind == "score":
        return (None, _api("engagement", "score", pk=e), None, None)
    if kind == "report":
        return (
            _api("report", "list"),
            _api("report", "detail", pk=o.report.pk),
            _web("certificates:report_list", engagement_id=e),
            o.report.pk,
        )
    if kind == "certificate":
        pk = o.certificate.pk
        return (
            _api("certificate", "list"),
            _api("certificate", "detail", pk=pk),
            _web("certificates:detail", certificate_id=pk),
            pk,
        )
    raise AssertionError(kind)


def _ids(response):
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def _disagreements(objects, member, api, web, state, role):
    """Each surface of each kind of object where what the role gets is not what the table says."""
    wrong = []
    for kind, states in EXPECTED.items():
        if state not in states:
            continue
        allowed = role in states[state]
        list_url, detail_url, web_url, pk = _surfaces(kind, objects)
        if list_url is not None:
            listed = api.get(list_url, {"page_size": 500})
            if listed.status_code != 200 or (pk in _ids(listed)) is not allowed:
                wrong.append(f"{kind}: API list {listed.status_code}, expected seen={allowed}")
        detail = api.get(detail_url).status_code
        if (detail == 200) is not allowed or detail not in (200, 403, 404):
            wrong.append(f"{kind}: API detail {detail}, expected seen={allowed}")
        if web_url is not None:
            page = web.get(web_url).status_code
            if (page == 200) is not allowed or page not in (200, 403, 404):
                wrong.append(f"{kind}: web page {page}, expected seen={allowed}")
    return wrong


def _sections_shown(web, objects):
    html = web.get(
        _web("assessments:engagement_detail", engagement_id=objects.world.engagement.pk)
    ).content.decode()
    return {
        "score": "Levels reached" in html,
        "timeline": "Audit trail" in html,
        "finding": "Review and decision" in html,
    }


@pytest.mark.parametrize("state", ["assessment", "closed"])
def test_every_surface_agrees_on_who_sees_what(tenant, api_for, client_for, state):
    """Every role × every kind of object × API list, API detail and web page; and the sections
    of the engagement page. One world per state keeps it fast; each miss is named."""
    objects = _build(tenant, state)
    wrong = []
    for role in ROLES:
        member = getattr(objects.world, role)
        web = client_for(member)
        wrong += [
            f"{role}: {miss}"
            for miss in _disagreements(objects, member, api_for(member), web, state, role)
        ]
        if role in EXPECTED["engagement"][state]:
            shown = _sections_shown(web, objects)
            expected = {kind: role in EXPECTED[kind][state] for kind in shown}
            if shown != expected:
                wrong.append(f"{role}: engagement page sections {shown}, expected {expected}")
    assert not wrong, "\n".join(wrong)
