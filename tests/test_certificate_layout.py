"""Issuing refuses, before a number is used, a certificate its page cannot print faithfully;
the organization form refuses emoji in names."""

import pytest
from django.urls import reverse
from django_scopes import scope

from assessments.models import Engagement
from certificates import rendering
from certificates.models import Certificate
from certificates.pdf.render import Fit
from certificates.pdf.styles import CERTIFICATE_FIT
from tenants.models import Counter, Organization


def _issue(api, world):
    return api.post(
        f"/api/v1/t/{world.tenant.slug}/certificates/issue/",
        {"engagement": world.engagement.pk},
        format="json",
    )


def _rename(world, **names):
    with scope(tenant=world.tenant):
        Organization.objects.filter(pk=world.organization.pk).update(**names)


def _nothing_issued(world):
    with scope(tenant=world.tenant):
        assert not Certificate.objects.exists()
        assert not Counter.objects.filter(sequence="certificate", value__gt=0).exists()


def test_a_name_with_an_emoji_is_refused_at_issue_naming_it_before_a_number_is_used(
    granted, api_for, django_capture_on_commit_callbacks
):
    _rename(granted, english_name="Happy Devops Ltd. \U0001f600")

    with django_capture_on_commit_callbacks(execute=True):
        response = _issue(api_for(granted.officer), granted)

    assert response.status_code == 400
    assert "U+1F600 GRINNING FACE" in response.json()["engagement"][0]
    _nothing_issued(granted)


def test_text_that_cannot_fit_is_refused_at_issue_before_a_number_is_used(
    granted, api_for, monkeypatch, django_capture_on_commit_callbacks
):
    # Only the page as designed, no smaller steps: a long name cannot fit it.
    monkeypatch.setattr(
        rendering, "CERTIFICATE_LAYOUT", Fit(regions=("body", "foot"), steps=CERTIFICATE_FIT[:1])
    )
    _rename(
        granted,
        legal_name="北京示例科技有限公司" * 12,
        english_name=("Example International Holdings and Technology Services " * 4)[:190],
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = _issue(api_for(granted.officer), granted)

    assert response.status_code == 400
    assert "do not fit on the certificate" in response.json()["engagement"][0]
    _nothing_issued(granted)


def test_the_longest_names_the_form_accepts_are_issued_and_printed_whole(
    granted, api_for, django_capture_on_commit_callbacks
):
    legal, english = "北京示例科技有限公司" * 20, ("Example Holdings " * 12)[:200]
    _rename(granted, legal_name=legal, english_name=english)

    with django_capture_on_commit_callbacks(execute=True):
        response = _issue(api_for(granted.officer), granted)

    assert response.status_code == 201, response.json()
    with scope(tenant=granted.tenant):
        certificate = Certificate.objects.get()
    assert certificate.status == "active"
    assert certificate.number.endswith("-00001")


@pytest.mark.parametrize("field", ["legal_name", "english_name"])
def test_the_organization_form_refuses_emoji_in_names(
    field, tenant, admin_membership, client_for, in_scope
):
    from tests.factories import make_uscc

    data = {
        "legal_name": "杭州测试科技有限公司",
        "registration_type": "uscc",
        "registration_id": make_uscc(4243),
    }
    data[field] = data[field] + " \U0001f680" if field == "legal_name" else "Rocket Ltd \U0001f680"
    response = client_for(admin_membership).post(
        reverse("tenants:organization_create", args=[tenant.slug]), data
    )

    assert response.status_code == 200
    assert "U+1F680" in response.content.decode()
    with in_scope(tenant):
        assert not Organization.objects.exists()


def test_the_organization_api_refuses_emoji_naming_the_field(tenant, admin_membership, api_for):
    from tests.factories import make_uscc

    response = api_for(admin_membership).post(
        f"/api/v1/t/{tenant.slug}/organizations/",
        {
            "legal_name": "示例\u2764\ufe0f科技",
            "registration_type": "uscc",
            "registration_id": make_uscc(4244),
        },
        format="json",
    )

    assert response.status_code == 400
    assert "legal_name" in response.json()


def _pdf_text(certificate, tmp_path):
    import subprocess

    path = tmp_path / f"{certificate.number}.pdf"
    path.write_bytes(certificate.pdf.read())
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def test_the_certificate_states_the_body_the_client_location_and_the_standard(
    granted, api_for, django_capture_on_commit_callbacks, tmp_path
):
    from assessments.models import ModelVersion
    from tenants.models import Tenant

    Tenant.objects.filter(pk=granted.tenant.pk).update(
        address="8 Assessment Street, Beijing",
        accreditation_body="CNAS",
        accreditation_number="CNAS C123-M",
    )
    with scope(tenant=granted.tenant):
        ModelVersion.objects.filter(pk=granted.engagement.model_version_id).update(
            standard_identifier="YD/T 3763.3-2021", standard_status="2021 edition, in force"
        )
    _rename(granted, address="1 Example Road, Haidian District, Beijing")

    with django_capture_on_commit_callbacks(execute=True):
        response = _issue(api_for(granted.officer), granted)

    assert response.status_code == 201, response.json()
    with scope(tenant=granted.tenant):
        certificate = Certificate.objects.get()
    assert certificate.organization_address == "1 Example Road, Haidian District, Beijing"
    assert certificate.standard_identifier == "YD/T 3763.3-2021"
    assert certificate.original_issued_on == certificate.issued_on
    assert certificate.revision == 0
    text = _pdf_text(certificate, tmp_path)
    for expected in (
        "1 Example Road, Haidian District, Beijing",
        "8 Assessment Street, Beijing",
        "CNAS C123-M",
        "YD/T 3763.3-2021 (2021 edition, in force)",
        "Digitally signed by",
    ):
        assert expected in text, expected


def test_a_superseding_certificate_carries_the_original_date_and_counts_a_revision(
    granted, tenant, api_for, django_capture_on_commit_callbacks, tmp_path
):
    import datetime

    from tests.engagement_world import advance, build_world

    with django_capture_on_commit_callbacks(execute=True):
        first = _issue(api_for(granted.officer), granted).json()
    with scope(tenant=tenant):
        Certificate.objects.filter(pk=first["id"]).update(
            original_issued_on=datetime.date(2021, 5, 6)
        )
    renewal = build_world(tenant, items=1, organization=granted.organization)
    with scope(tenant=tenant):  # a recertification continues the cycle (a new initial would not)
        renewal.engagement.kind = Engagement.Kind.RECERTIFICATION
        renewal.engagement.save(update_fields=["kind"])
    advance(renewal, "closed")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(renewal.officer).post(
            f"/api/v1/t/{tenant.slug}/certificates/issue/",
            {"engagement": renewal.engagement.pk, "supersede": first["id"]},
            format="json",
        )

    assert response.status_code == 201, response.json()
    with scope(tenant=tenant):
        certificate = Certificate.objects.get(pk=response.json()["id"])
    assert certificate.original_issued_on == datetime.date(2021, 5, 6)
    assert certificate.revision == 1
    text = _pdf_text(certificate, tmp_path)
    assert f"Revision 1, replaces {first['number']}" in text
    assert "2021-05-06" in text
