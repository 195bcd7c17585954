"""One certificate through its whole cycle, through the API (issue 13, "Done when"): the initial
assessment and the grant, two surveillances — the first maintains, the second suspends and the
suspension is lifted —, and the recertification that continues the cycle; with the emails each
step sends and the public verification showing each state. The assessment work inside each
engagement is done by the services (tests/engagement_world.py), as the engagement tests cover it;
every step of the certification cycle itself goes through the API."""

import pytest
from django.core import mail
from django_scopes import scope, scopes_disabled

from assessments.models import Engagement
from certificates.models import Certificate, ProgrammeVisit
from certificates.services import programme
from tests.cycle_helpers import activate, take_to
from tests.engagement_world import advance, build_world

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


def _recipients():
    return {address for message in mail.outbox for address in message.to}


def test_one_certificate_through_its_cycle(
    tenant, api_for, client, django_capture_on_commit_callbacks
):
    world = build_world(tenant, items=2)

    # Initial assessment, decision, and the certificate issued through the API.
    advance(world, "closed")
    officer, base = _api(world, api_for, "officer")
    response = officer.post(
        f"{base}/certificates/issue/", {"engagement": world.engagement.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    with scope(tenant=tenant):
        world.certificate = activate(Certificate.objects.get(pk=response.json()["id"]))
    number = world.certificate.number
    assert _public(client, number)["verdict"] == "valid"

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

    # …and lifted once the corrective action is verified.
    response = officer.post(
        f"{base}/certificates/{world.certificate.pk}/reinstate/",
        {"reason": "Gates restored and verified."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert _public(client, number)["verdict"] == "valid"

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

    # The public history tells each change of status, in order, with its reason.
    history = _public(client, number)["history"]
    statuses = [event["status"] for event in history]
    assert statuses == ["issuing", "active", "suspended", "active", "superseded"], statuses
    assert history[2]["reason"] == "Deployments no longer gated."
