"""One certificate through its whole cycle, through the API (issue 13, "Done when"): the
application and its review, the initial assessment and the grant, two surveillances — the first
maintains, the second suspends and the suspension is lifted —, a complaint and an appeal each
handled by a person proved uninvolved, and the recertification that continues the cycle; with
the emails each step sends, and the public verification and directory showing each state. The
assessment work inside each engagement is done by the services (tests/engagement_world.py), as
the engagement tests cover it; every step of the certification cycle itself goes through the
API."""

import pytest
from django.core import mail
from django_scopes import scope, scopes_disabled

from assessments.models import Engagement
from certificates.models import Certificate, ProgrammeVisit
from certificates.services import programme
from tests.cycle_helpers import activate, take_to
from tests.engagement_world import build_world

pytestmark = pytest.mark.django_db(transaction=False)


def _api(world, api_for, who):
    return api_for(getattr(world, who)), f"/api/v1/t/{world.tenant.slug}"


def _public(client, number):
    response = client.get(f"/api/v1/verify/{number}/")
    assert response.status_code == 200, response.content
    return response.json()


def _open_next(world, kind):
    """The daily task on the day the next planned visit of `kind` opens: its engagement."""
    with scope(tenant=world.tenant):
        visit = (
            ProgrammeVisit.objects.filter(
                certificate=world.certificate, kind=kind, status="planned"
            )
            .order_by("due_on")
            .first()
        )
    with scopes_disabled():
        programme.sweep(today=visit.opens_on)
    visit.refresh_from_db()
    assert visit.status == "open" and visit.engagement_id
    with scope(tenant=world.tenant):
        return visit, Engagement.objects.get(pk=visit.engagement_id)


def _listed(client, world):
    """The public directory's answer for the organization: {certificate number: status}."""
    name = world.engagement.organization.legal_name
    response = client.get("/api/v1/directory/", {"q": name[-6:]})
    assert response.status_code == 200, response.content
    return {row["certificate_number"]: row["status"] for row in response.json()["results"]}


def _recipients():
    return {address for message in mail.outbox for address in message.to}


def test_one_certificate_through_its_cycle(
    tenant, api_for, client, django_capture_on_commit_callbacks
):
    world = build_world(tenant, items=2)
    officer, base = _api(world, api_for, "officer")
    admin, _ = _api(world, api_for, "admin")

    # The body publishes certified clients in the public directory; the client consents.
    assert (
        admin.put(
            f"{base}/directory-settings/", {"publish_directory": True}, format="json"
        ).status_code
        == 200
    )
    organization = world.engagement.organization_id
    assert (
        admin.patch(
            f"{base}/organizations/{organization}/", {"directory_consent": True}, format="json"
        ).status_code
        == 200
    )

    # The client applies; the body reviews the application and accepts it, which opens the
    # initial engagement with the scope and level asked for.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(world.client).post(
            f"{base}/applications/",
            {
                "model_version": world.engagement.model_version_id,
                "target_level": 3,
                "scope": ["P"],
                "projects": ["Payments platform", "Mobile banking"],
                "submit": True,
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    application = f"{base}/applications/{response.json()['id']}"
    assert response.json()["status"] == "submitted"
    reviewed = admin.post(
        f"{application}/review/",
        {"review_notes": "One platform sampled.", "sampled_projects": ["Payments platform"]},
        format="json",
    )
    assert reviewed.status_code == 200, reviewed.json()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = admin.post(f"{application}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.json()
    assert world.client.user.email in _recipients()
    with scope(tenant=tenant):
        engagement = Engagement.objects.get(pk=accepted.json()["engagement"])
        assert engagement.kind == "initial" and engagement.target_level == 3
        in_scope = {item.code for item in engagement.scope_items.all()}
        assert in_scope == {item.code for item in world.engagement.scope_items.all()}

    # Initial assessment, decision, and the certificate issued through the API.
    take_to(world, engagement, "closed")
    world.engagement = engagement
    response = officer.post(
        f"{base}/certificates/issue/", {"engagement": world.engagement.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    with scope(tenant=tenant):
        world.certificate = activate(Certificate.objects.get(pk=response.json()["id"]))
    number = world.certificate.number
    assert _public(client, number)["verdict"] == "valid"
    assert _listed(client, world) == {number: "active"}

    # First surveillance: opened by the daily task (the body and the client are told), maintained.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        visit, engagement = _open_next(world, "surveillance")
    assert engagement.kind == "surveillance"
    assert world.client.user.email in _recipients()
    take_to(world, engagement, "closed")
    response = officer.post(
        f"{base}/programme/{visit.pk}/conclude/",
        {"outcome": "maintain", "reason": "Practices kept."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert _public(client, number)["verdict"] == "valid"

    # Second surveillance ends in a suspension with a deadline, shown publicly…
    with django_capture_on_commit_callbacks(execute=True):
        visit, engagement = _open_next(world, "surveillance")
    take_to(world, engagement, "closed")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(
            f"{base}/programme/{visit.pk}/conclude/",
            {"outcome": "suspend", "reason": "Deployments no longer gated."},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert _public(client, number)["verdict"] == "suspended"
    world.certificate.refresh_from_db()
    assert world.certificate.status == "suspended" and world.certificate.suspended_until
    assert _listed(client, world) == {number: "suspended"}

    # Anyone complains about the certified organization (no login): an acknowledgement number,
    # handled by an admin proved uninvolved — the lead assessor is refused with the reason.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/complaints/{tenant.slug}/",
            {
                "about": "organization",
                "certificate_number": number,
                "name": "Li Lei",
                "email": "li.lei@example.test",
                "text": "Their releases still skip the approval gate.",
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    complaint = response.json()
    assert complaint["number"].startswith("CMP-")
    assert "li.lei@example.test" in _recipients()
    admin, _ = _api(world, api_for, "admin")
    register = admin.get(f"{base}/cases/?kind=complaint").json()
    rows = register["results"] if isinstance(register, dict) else register
    (case,) = [row for row in rows if row["number"] == complaint["number"]]
    cases = f"{base}/cases/{case['id']}"
    refused = admin.post(f"{cases}/assign/", {"handler": world.lead.user.email}, format="json")
    assert refused.status_code == 400 and "handler" in refused.json()
    handler = world.outsider_assessor
    assert (
        admin.post(f"{cases}/assign/", {"handler": handler.user.email}, format="json").status_code
        == 200
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answered = api_for(handler).post(
            f"{cases}/decide/",
            {"outcome": "upheld", "reply": "Confirmed at the surveillance; suspended."},
            format="json",
        )
    assert answered.status_code == 200, answered.json()
    assert "li.lei@example.test" in _recipients()

    # …and lifted once the corrective action is verified.
    response = officer.post(
        f"{base}/certificates/{world.certificate.pk}/reinstate/",
        {"reason": "Gates restored and verified."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert _public(client, number)["verdict"] == "valid"

    # The client appeals the suspending decision; an uninvolved person decides the appeal.
    response = api_for(world.client).post(
        f"{base}/appeals/",
        {"engagement": engagement.pk, "grounds": "The gate was only down for one release."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    appeal = f"{base}/cases/{response.json()['id']}"
    refused = admin.post(f"{appeal}/assign/", {"handler": world.officer.user.email}, format="json")
    assert refused.status_code == 400 and "handler" in refused.json()  # the decision's maker
    assert (
        admin.post(f"{appeal}/assign/", {"handler": handler.user.email}, format="json").status_code
        == 200
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decided = api_for(handler).post(
            f"{appeal}/decide/",
            {"outcome": "not_upheld", "reply": "The suspension stands; it has been lifted since."},
            format="json",
        )
    assert decided.status_code == 200, decided.json()
    assert world.client.user.email in _recipients()

    # Recertification: a new certificate continues the cycle; the old one is superseded.
    with django_capture_on_commit_callbacks(execute=True):
        visit, engagement = _open_next(world, "recertification")
    take_to(world, engagement, "closed")
    response = officer.post(
        f"{base}/certificates/issue/", {"engagement": engagement.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    with scope(tenant=tenant):
        renewed = activate(Certificate.objects.get(pk=response.json()["id"]))
    assert renewed.number == f"{number}-R1"
    assert renewed.original_issued_on == world.certificate.original_issued_on
    assert _public(client, number)["verdict"] == "superseded"
    assert _public(client, renewed.number)["verdict"] == "valid"
    assert _listed(client, world) == {renewed.number: "active"}

    # The public history tells each change of status, in order, with its reason.
    history = _public(client, number)["history"]
    statuses = [event["status"] for event in history]
    assert statuses == ["issuing", "active", "suspended", "active", "superseded"], statuses
    assert history[2]["reason"] == "Deployments no longer gated."
