"""Evidence at scale: several files in one upload, links to requirements, inline preview,
judging many at once (issue 15, deliverable 2)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from assessments.models import Evidence, LevelRequirement
from portal.models import AuditEntry
from tests.engagement_world import PDF, advance, build_world, pdf_upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)


@pytest.fixture
def world(tenant):
    w = build_world(tenant)
    advance(w, "evidence")
    return w


def _requirements(world, n=2):
    with scope(tenant=world.tenant):
        return list(
            LevelRequirement.objects.filter(item__in=world.engagement.scope_items.all()).order_by(
                "pk"
            )[:n]
        )


def _count(world):
    with scope(tenant=world.tenant):
        return Evidence.objects.filter(engagement=world.engagement).count()


def _web_upload(client, world, files, **data):
    return client.post(
        reverse("assessments:evidence_upload", args=[world.tenant.slug, world.engagement.pk]),
        {"file": files, **data},
    )


def test_several_files_in_one_web_upload_each_linked_to_the_requirements(world, client_for):
    first, second = _requirements(world)
    response = _web_upload(
        client_for(world.client),
        world,
        [pdf_upload("a.pdf"), pdf_upload("b.pdf", PDF + b"%b\n")],
        requirements=[first.pk, second.pk],
    )
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        stored = list(Evidence.objects.filter(engagement=world.engagement))
        assert sorted(e.original_name for e in stored) == ["a.pdf", "b.pdf"]
        for evidence in stored:
            assert set(evidence.requirements.all()) == {first, second}
            # The items of the linked requirements are linked too.
            assert first.item in set(evidence.items.all())


def test_one_refused_file_stores_none_of_the_upload_and_names_it(world, client_for):
    response = _web_upload(
        client_for(world.client),
        world,
        [pdf_upload("good.pdf"), SimpleUploadedFile("evil.pdf", b"MZ" + bytes(300))],
    )
    assert response.status_code == 200
    assert "evil.pdf" in response.content.decode()
    assert _count(world) == 0


def test_api_bulk_upload_links_requirements(world, api_for):
    first, _ = _requirements(world)
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/evidence/bulk/",
        {
            "engagement": world.engagement.pk,
            "files": [pdf_upload("a.pdf"), pdf_upload("b.pdf")],
            "requirements": [first.pk],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert [row["requirements"] for row in response.json()] == [[first.pk], [first.pk]]


def test_a_requirement_out_of_scope_is_a_400_naming_the_field(world, api_for, tenant):
    other = build_world(tenant)
    with scope(tenant=tenant):
        foreign = LevelRequirement.objects.filter(item__version=other.version).first()
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/evidence/",
        {"engagement": world.engagement.pk, "file": pdf_upload(), "requirements": [foreign.pk]},
        format="multipart",
    )
    assert response.status_code == 400 and "requirements" in response.json()
    assert _count(world) == 0


def test_evidence_is_relinked_to_other_requirements(world, api_for):
    first, second = _requirements(world)
    api = api_for(world.client)
    evidence = api.post(
        f"/api/v1/t/{world.tenant.slug}/evidence/",
        {"engagement": world.engagement.pk, "file": pdf_upload(), "requirements": [first.pk]},
        format="multipart",
    ).json()
    response = api.post(
        f"/api/v1/t/{world.tenant.slug}/evidence/{evidence['id']}/link/",
        {"requirements": [first.pk, second.pk]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert sorted(response.json()["requirements"]) == sorted([first.pk, second.pk])
    with scope(tenant=world.tenant):
        assert AuditEntry.objects.filter(verb="evidence.linked").count() == 1


def test_others_cannot_relink(world, api_for):
    first, second = _requirements(world)
    evidence = (
        api_for(world.client)
        .post(
            f"/api/v1/t/{world.tenant.slug}/evidence/",
            {"engagement": world.engagement.pk, "file": pdf_upload()},
            format="multipart",
        )
        .json()
    )
    for who in (world.reviewer, world.other_client):
        response = api_for(who).post(
            f"/api/v1/t/{world.tenant.slug}/evidence/{evidence['id']}/link/",
            {"requirements": [second.pk]},
            format="json",
        )
        assert response.status_code in (403, 404)
    with scope(tenant=world.tenant):
        assert not Evidence.objects.get(pk=evidence["id"]).requirements.exists()


def _preview(client, world, evidence_id):
    return client.get(
        reverse(
            "assessments:evidence_preview",
            args=[world.tenant.slug, world.engagement.pk, evidence_id],
        )
    )


def _upload_one(world, name, content):
    from assessments.services import evidence as services

    with scope(tenant=world.tenant):
        return services.upload_evidence(
            engagement=world.engagement,
            by=world.client,
            uploaded=SimpleUploadedFile(name, content),
        )


def test_a_pdf_is_previewed_inline_with_a_restrictive_policy(world, client_for):
    evidence = _upload_one(world, "plan.pdf", PDF)
    response = _preview(client_for(world.assessor), world, evidence.pk)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "application/pdf"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_an_image_preview_is_sandboxed(world, client_for):
    evidence = _upload_one(world, "shot.png", PNG)
    response = _preview(client_for(world.client), world, evidence.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]


def test_other_types_have_no_preview(world, client_for):
    evidence = _upload_one(world, "notes.txt", b"CI runs on every push.\n")
    assert _preview(client_for(world.assessor), world, evidence.pk).status_code == 404


def test_a_tampered_file_is_not_previewed(world, client_for):
    evidence = _upload_one(world, "plan.pdf", PDF)
    with open(evidence.file.path, "ab") as handle:
        handle.write(b"tampered")
    assert _preview(client_for(world.assessor), world, evidence.pk).status_code == 409


def test_outsiders_get_no_preview(world, client_for):
    evidence = _upload_one(world, "plan.pdf", PDF)
    for who in (world.outsider_assessor, world.other_client):
        assert _preview(client_for(who), world, evidence.pk).status_code == 404


def test_the_detail_page_embeds_the_preview(world, client_for):
    evidence = _upload_one(world, "plan.pdf", PDF)
    html = (
        client_for(world.assessor)
        .get(
            reverse(
                "assessments:evidence_detail",
                args=[world.tenant.slug, world.engagement.pk, evidence.pk],
            )
        )
        .content.decode()
    )
    assert (
        reverse(
            "assessments:evidence_preview",
            args=[world.tenant.slug, world.engagement.pk, evidence.pk],
        )
        in html
    )


def test_many_are_accepted_at_once_with_one_audit_entry_each(world, client_for):
    ids = [_upload_one(world, f"{n}.pdf", PDF + str(n).encode()).pk for n in range(3)]
    response = client_for(world.assessor).post(
        reverse("assessments:evidence_judge_many", args=[world.tenant.slug, world.engagement.pk]),
        {"evidence": ids, "accept": "1"},
    )
    assert response.status_code == 302
    with scope(tenant=world.tenant):
        assert set(Evidence.objects.values_list("status", flat=True)) == {"accepted"}
        assert AuditEntry.objects.filter(verb="evidence.judged").count() == 3


def test_many_rejected_at_once_through_the_api_need_a_note(world, api_for):
    ids = [_upload_one(world, f"{n}.pdf", PDF + str(n).encode()).pk for n in range(2)]
    url = f"/api/v1/t/{world.tenant.slug}/evidence/judge-many/"
    api = api_for(world.assessor)
    payload = {"engagement": world.engagement.pk, "evidence": ids, "accept": False}
    assert api.post(url, payload, format="json").status_code == 400
    response = api.post(url, {**payload, "note": "Unreadable."}, format="json")
    assert response.status_code == 200, response.content
    assert {row["status"] for row in response.json()} == {"rejected"}


def test_the_client_cannot_judge_many(world, api_for):
    ids = [_upload_one(world, "a.pdf", PDF).pk]
    response = api_for(world.client).post(
        f"/api/v1/t/{world.tenant.slug}/evidence/judge-many/",
        {"engagement": world.engagement.pk, "evidence": ids, "accept": True},
        format="json",
    )
    assert response.status_code == 403
    with scope(tenant=world.tenant):
        assert Evidence.objects.get(pk=ids[0]).status == "submitted"
        assert not AuditEntry.objects.filter(verb="evidence.judged").exists()


def test_an_unknown_id_in_judge_many_changes_nothing(world, api_for):
    ids = [_upload_one(world, "a.pdf", PDF).pk]
    response = api_for(world.assessor).post(
        f"/api/v1/t/{world.tenant.slug}/evidence/judge-many/",
        {"engagement": world.engagement.pk, "evidence": [*ids, 999999], "accept": True},
        format="json",
    )
    assert response.status_code == 400 and "evidence" in response.json()
    with scope(tenant=world.tenant):
        assert Evidence.objects.get(pk=ids[0]).status == "submitted"
