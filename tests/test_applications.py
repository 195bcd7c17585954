"""Applications and their contract review (ISO/IEC 17021-1 9.1): the model's registration form,
answers checked per question, the body's review (sampling, assessor-days), accept opening the
engagement, decline with reasons, who sees and does what."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from assessments import application_form, policy
from assessments.model_format import ModelFormatError, dump_model, load_model
from assessments.models import Application, Domain, Engagement
from assessments.policy import ApplicationAction
from assessments.services import applications as services
from assessments.services import library
from portal.errors import Conflict
from portal.models import AuditEntry
from tenants.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.factories_assessments import make_model_version

MODEL_DATA = Path(__file__).resolve().parent.parent / "assessments" / "model_data"

FORM = {
    "questions": [
        {
            "key": "company",
            "label": {"en": "Company", "zh": "企业名称"},
            "type": "text",
            "required": True,
        },
        {
            "key": "scale",
            "label": {"en": "Production scale", "zh": "生产规模"},
            "type": "choice",
            "required": True,
            "choices": [
                {"value": "small", "label": {"en": "Small", "zh": "小"}},
                {"value": "large", "label": {"en": "Large", "zh": "大"}},
            ],
        },
        {
            "key": "team_size",
            "label": {"en": "Team size", "zh": "团队规模"},
            "type": "number",
            "required": True,
        },
        {
            "key": "start",
            "label": {"en": "Preferred start", "zh": "期望开始日期"},
            "type": "date",
            "required": False,
        },
    ],
    "assessor_days": {
        "base": 2,
        "per_item": 0.5,
        "per_project": 1,
        "minimum": 3,
        "factors": [{"question": "scale", "values": {"small": 1, "large": 1.5}}],
    },
}
ANSWERS = {"company": "Example Ltd", "scale": "small", "team_size": 12}


@pytest.fixture
def version(db):
    """A published version: part P, domains D0 and D1, two leaf items each, with FORM."""
    mv = make_model_version(domains=2, items_per_domain=2)
    with scopes_disabled():
        mv.application = FORM
        mv.save(update_fields=["application"])
    return mv


@pytest.fixture
def people(tenant, organization):
    other = OrganizationFactory(tenant=tenant)
    return {
        "admin": MembershipFactory(tenant=tenant, role=Role.TENANT_ADMIN),
        "assessor": MembershipFactory(tenant=tenant, role=Role.ASSESSOR),
        "officer": MembershipFactory(tenant=tenant, role=Role.OFFICER),
        "client": MembershipFactory(
            tenant=tenant, role=Role.CLIENT_ADMIN, organization=organization
        ),
        "contributor": MembershipFactory(
            tenant=tenant, role=Role.CLIENT_CONTRIBUTOR, organization=organization
        ),
        "other_client": MembershipFactory(
            tenant=tenant, role=Role.CLIENT_ADMIN, organization=other
        ),
    }


def _apply(tenant, organization, version, by, *, submit=True, **overrides):
    values = {
        "target_level": 3,
        "scope_codes": ["D0"],
        "answers": dict(ANSWERS),
        "projects": ["Payments", "Mobile app", "Billing"],
    }
    values.update(overrides)
    with scope(tenant=tenant):
        return services.create_application(
            tenant=tenant,
            by=by,
            organization=organization,
            model_version=version,
            submit=submit,
            **values,
        )


def _url(tenant, name, *args):
    return reverse(f"assessments:{name}", args=[tenant.slug, *args])


def _api(tenant, suffix=""):
    return f"/api/v1/t/{tenant.slug}/applications/{suffix}"


# --- The form is data of the model -------------------------------------------------------------


def test_the_web_form_asks_the_questions_of_the_chosen_model(
    tenant, organization, people, version, client_for
):
    other = make_model_version(domains=1, items_per_domain=1)
    with scopes_disabled():
        other.application = {
            "questions": [
                {
                    "key": "cloud_provider",
                    "label": {"en": "Cloud provider", "zh": "云服务商"},
                    "type": "text",
                    "required": True,
                }
            ]
        }
        other.save(update_fields=["application"])
    web = client_for(people["client"])
    page = web.get(_url(tenant, "application_create"), {"version": version.pk}).content.decode()
    assert 'name="q_company"' in page and 'name="q_scale"' in page
    assert "Production scale" in page and 'name="q_cloud_provider"' not in page
    page = web.get(_url(tenant, "application_create"), {"version": other.pk}).content.decode()
    assert 'name="q_cloud_provider"' in page and 'name="q_company"' not in page


def test_the_shipped_devops_model_carries_caict_registration_questions():
    doc = load_model((MODEL_DATA / "devops-cd-2026.2.yaml").read_bytes())
    keys = [q["key"] for q in doc.application["questions"]]
    for key in (
        "company",
        "credit_code",
        "project",
        "production_scale",
        "team_size",
        "architecture",
        "delivery_process",
        "toolchain",
        "pipeline",
        "branch_model",
        "environments",
        "deployments_per_month",
    ):
        assert key in keys
    assert load_model(dump_model(doc)) == doc


def test_the_application_section_survives_import_and_export(db):
    source = (MODEL_DATA / "devops-cd.yaml").read_bytes()
    with scopes_disabled():
        version = library.import_model_document(document=load_model(source))
        exported = load_model(library.export_version(version))
    assert exported.application == load_model(source).application
    assert version.application["assessor_days"]["per_item"] == 0.25


def test_a_model_file_with_a_bad_form_is_refused_with_the_place_named():
    text = (MODEL_DATA / "devops-cd.yaml").read_text()
    broken = text.replace("    - key: team_size\n", "    - key: company\n", 1).replace(
        "      - question: production_scale\n", "      - question: team\n", 1
    )
    with pytest.raises(ModelFormatError) as refused:
        load_model(broken)
    message = str(refused.value)
    assert "the question 'company' is listed twice" in message
    assert "'team' is not a choice question of the form" in message


# --- Answers checked per question ------------------------------------------------------------


def test_a_submission_names_each_missing_or_wrong_answer(tenant, organization, people, version):
    with pytest.raises(ValidationError) as refused:
        _apply(
            tenant,
            organization,
            version,
            people["client"],
            answers={"scale": "huge", "team_size": "twelve", "start": "31/12/2026", "typo": 1},
        )
    errors = refused.value.message_dict
    assert set(errors) == {
        "answers.company",
        "answers.scale",
        "answers.team_size",
        "answers.start",
        "answers.typo",
    }
    assert "Company" in errors["answers.company"][0]
    assert "small, large" in errors["answers.scale"][0]
    with scopes_disabled():
        assert not Application.objects.exists()  # nothing half-written


def test_a_draft_may_leave_required_answers_empty_but_not_submit(
    tenant, organization, people, version
):
    draft = _apply(
        tenant, organization, version, people["client"], submit=False, answers={"company": "X"}
    )
    assert draft.status == Application.Status.DRAFT
    with scope(tenant=tenant), pytest.raises(ValidationError) as refused:
        services.submit_application(application=draft, by=people["client"])
    assert set(refused.value.message_dict) == {"answers.scale", "answers.team_size"}


def test_the_web_form_shows_the_error_at_the_question(
    tenant, organization, people, version, client_for
):
    web = client_for(people["client"])
    response = web.post(
        _url(tenant, "application_create") + f"?version={version.pk}",
        {
            "target_level": 3,
            "scope": [],
            "projects": "Payments",
            "q_company": "Example Ltd",
            "q_scale": "small",
            "submit": "1",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "Team size" in form.errors["q_team_size"][0]
    assert form.errors["scope"]
    with scopes_disabled():
        assert not Application.objects.exists()


def test_a_client_applies_in_the_browser_for_their_own_organization(
    tenant, organization, people, version, client_for
):
    with scopes_disabled():
        domain = Domain.objects.get(version=version, code="D0")
    web = client_for(people["client"])
    response = web.post(
        _url(tenant, "application_create") + f"?version={version.pk}",
        {
            "target_level": 3,
            "scope": [domain.pk],
            "projects": "Payments\nMobile app\n",
            "q_company": "Example Ltd",
            "q_scale": "large",
            "q_team_size": "12",
            "q_start": "2026-12-01",
            "submit": "1",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    with scopes_disabled():
        application = Application.objects.get()
    assert application.organization == organization
    assert application.status == Application.Status.SUBMITTED
    assert application.answers == {
        "company": "Example Ltd",
        "scale": "large",
        "team_size": 12,
        "start": "2026-12-01",
    }
    assert application.projects == ["Payments", "Mobile app"]
    # (2 + 0.5 × 2 items + 1 × 2 projects) × 1.5 = 7.5
    assert application.computed_days == Decimal("7.5")


# --- The formula and the reviewer's figure ---------------------------------------------------


def test_the_formula_counts_items_projects_and_factors(version):
    estimate = application_form.estimate_days
    answers = {"scale": "small"}
    assert estimate(version, answers=answers, items=2, projects=3) == Decimal("6.0")
    assert estimate(version, answers={"scale": "large"}, items=2, projects=3) == Decimal("9.0")
    assert estimate(version, answers=answers, items=0, projects=0) == Decimal("3.0")  # minimum
    # rounded up to half a day: 2 + 0.5 + 1 = 3.5 × 1.5 = 5.25 → 5.5
    assert estimate(version, answers={"scale": "large"}, items=1, projects=1) == Decimal("5.5")


def test_sampling_recomputes_and_the_reviewer_figure_keeps_the_formula(
    tenant, organization, people, version
):
    application = _apply(tenant, organization, version, people["client"])
    assert application.computed_days == Decimal("6.0")  # 2 + 0.5 × 2 items + 1 × 3 projects
    with scope(tenant=tenant):
        application = services.review_application(
            application=application,
            by=people["admin"],
            sampled_projects=["Payments"],
            estimated_days="6.5",
            review_notes="One project is representative.",
        )
    assert application.computed_days == Decimal("4.0")  # 2 + 0.5 × 2 + 1 × 1 sampled
    assert application.estimated_days == Decimal("6.5")
    assert application.assessor_days == Decimal("6.5")
    with scope(tenant=tenant):
        application = services.review_application(
            application=application, by=people["admin"], estimated_days=None
        )
    assert application.assessor_days == Decimal("4.0")
    with scopes_disabled():
        verbs = list(
            AuditEntry.objects.filter(object_pk=str(application.pk)).values_list("verb", flat=True)
        )
    assert verbs.count("application.reviewed") == 2


def test_sampling_a_project_not_proposed_is_refused_on_its_field(
    tenant, organization, people, version
):
    application = _apply(tenant, organization, version, people["client"])
    with scope(tenant=tenant), pytest.raises(ValidationError) as refused:
        services.review_application(
            application=application, by=people["admin"], sampled_projects=["Elsewhere"]
        )
    assert "sampled_projects" in refused.value.message_dict


# --- Accept and decline ------------------------------------------------------------------------


def test_accepting_opens_the_initial_engagement_with_the_scope(
    tenant, organization, people, version, django_capture_on_commit_callbacks
):
    application = _apply(tenant, organization, version, people["client"])
    mail.outbox.clear()
    with scope(tenant=tenant), django_capture_on_commit_callbacks(execute=True):
        application = services.accept_application(
            application=application, by=people["admin"], reason="Within our accreditation."
        )
    with scope(tenant=tenant):
        engagement = Engagement.objects.get()
        assert application.engagement == engagement
        assert engagement.kind == Engagement.Kind.INITIAL
        assert engagement.organization == organization
        assert engagement.target_level == 3
        assert sorted(engagement.scope_items.values_list("code", flat=True)) == [
            "D0.I0",
            "D0.I1",
        ]
    assert application.status == Application.Status.ACCEPTED
    assert [m.to for m in mail.outbox] == [[people["client"].user.email]]
    assert engagement.reference in mail.outbox[0].body


def test_a_failing_accept_writes_nothing(tenant, organization, people, version):
    application = _apply(tenant, organization, version, people["client"])
    import datetime

    with scope(tenant=tenant), pytest.raises(ValidationError):
        services.accept_application(
            application=application,
            by=people["admin"],
            planned_start=datetime.date(2026, 12, 10),
            planned_end=datetime.date(2026, 12, 1),
        )
    with scopes_disabled():
        assert not Engagement.objects.exists()
        assert Application.objects.get().status == Application.Status.SUBMITTED


def test_declining_keeps_the_reasons_and_tells_the_applicant(
    tenant, organization, people, version, django_capture_on_commit_callbacks
):
    application = _apply(tenant, organization, version, people["client"])
    with scope(tenant=tenant), pytest.raises(ValidationError) as refused:
        services.decline_application(application=application, by=people["admin"], reason=" ")
    assert "reason" in refused.value.message_dict
    mail.outbox.clear()
    with scope(tenant=tenant), django_capture_on_commit_callbacks(execute=True):
        services.decline_application(
            application=application,
            by=people["admin"],
            reason="Outside our scope of accreditation.",
        )
    with scopes_disabled():
        application.refresh_from_db()
        assert not Engagement.objects.exists()
    assert application.status == Application.Status.DECLINED
    assert application.decision_reason == "Outside our scope of accreditation."
    assert "Outside our scope" in mail.outbox[0].body
    with scope(tenant=tenant), pytest.raises(Conflict):
        services.accept_application(application=application, by=people["admin"])


def test_an_admin_accepts_in_the_browser(tenant, organization, people, version, client_for):
    application = _apply(tenant, organization, version, people["client"])
    web = client_for(people["admin"])
    page = web.get(_url(tenant, "application_detail", application.pk)).content.decode()
    assert "Accept and open the engagement" in page and "Example Ltd" in page
    response = web.post(_url(tenant, "application_accept", application.pk), {"reason": ""})
    assert response.status_code == 302
    with scopes_disabled():
        application.refresh_from_db()
        assert application.engagement is not None


# --- Who sees and does what ------------------------------------------------------------------


def test_client_people_see_only_their_organization_applications(
    tenant, organization, people, version, api_for
):
    mine = _apply(tenant, organization, version, people["client"])
    theirs = _apply(tenant, people["other_client"].organization, version, people["other_client"])
    listed = api_for(people["contributor"]).get(_api(tenant)).json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    assert "review_notes" not in listed[0]
    assert api_for(people["client"]).get(_api(tenant, f"{theirs.pk}/")).status_code == 404
    assert api_for(people["assessor"]).get(_api(tenant)).json()["results"] == []
    assert len(api_for(people["admin"]).get(_api(tenant)).json()["results"]) == 2


def test_a_client_cannot_apply_for_another_organization(tenant, organization, people, version):
    with pytest.raises(PermissionDenied):
        _apply(tenant, people["other_client"].organization, version, people["client"])


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", {"view", "withdraw", "review", "decide"}),
        ("client", {"view", "withdraw"}),
        ("contributor", {"view", "withdraw"}),
        ("other_client", set()),
        ("assessor", set()),
        ("officer", set()),
    ],
)
def test_who_may_do_what_to_a_submitted_application(
    tenant, organization, people, version, role, allowed
):
    application = _apply(tenant, organization, version, people["client"])
    may = policy.application_abilities(people[role], application)
    assert {action for action, yes in may.items() if yes} == allowed


def test_only_admins_review_and_decide_and_a_refusal_changes_nothing(
    tenant, organization, people, version, api_for
):
    application = _apply(tenant, organization, version, people["client"])
    for role in ("client", "assessor", "officer"):
        client = api_for(people[role])
        for step in ("accept", "decline", "review"):
            response = client.post(
                _api(tenant, f"{application.pk}/{step}/"), {"reason": "x"}, format="json"
            )
            assert response.status_code in (403, 404), (role, step, response.status_code)
    with scopes_disabled():
        application.refresh_from_db()
        assert application.status == Application.Status.SUBMITTED
        assert not Engagement.objects.exists()


def test_staff_without_admin_rights_cannot_apply(tenant, organization, people, version):
    assert not policy.may_apply(people["assessor"])
    with pytest.raises(PermissionDenied):
        _apply(tenant, organization, version, people["assessor"])


# --- The API -----------------------------------------------------------------------------------


def test_the_api_applies_reviews_and_accepts(tenant, organization, people, version, api_for):
    client = api_for(people["client"])
    form = client.get(_api(tenant, "form/"), {"model_version": version.pk}).json()
    assert [q["key"] for q in form["questions"]] == ["company", "scale", "team_size", "start"]
    created = client.post(
        _api(tenant),
        {
            "model_version": version.pk,
            "target_level": 2,
            "scope": ["P"],
            "answers": {**ANSWERS, "start": "2026-12-01"},
            "projects": ["Payments"],
            "submit": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "submitted" and body["scope"] == ["P"]
    assert body["computed_days"] == "5.0"  # 2 + 0.5 × 4 items + 1 × 1 project
    admin = api_for(people["admin"])
    reviewed = admin.post(
        _api(tenant, f"{body['id']}/review/"),
        {"estimated_days": "6.0", "review_notes": "ok"},
        format="json",
    )
    assert reviewed.json()["assessor_days"] == "6.0"
    assert reviewed.json()["computed_days"] == "5.0"
    accepted = admin.post(_api(tenant, f"{body['id']}/accept/"), {}, format="json")
    assert accepted.status_code == 200, accepted.json()
    engagement_id = accepted.json()["engagement"]
    engagement = admin.get(f"/api/v1/t/{tenant.slug}/engagements/{engagement_id}/").json()
    assert engagement["kind"] == "initial" and engagement["target_level"] == 2
    assert len(engagement["scope_items"]) == 4


def test_the_api_names_the_wrong_answer(tenant, organization, people, version, api_for):
    response = api_for(people["client"]).post(
        _api(tenant),
        {
            "model_version": version.pk,
            "target_level": 9,
            "scope": ["NOPE"],
            "answers": {"team_size": "many"},
            "projects": [],
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "target_level" in body or "answers.team_size" in body
    with scopes_disabled():
        assert not Application.objects.exists()


def test_the_api_withdraws_a_draft_and_refuses_to_submit_it_after(
    tenant, organization, people, version, api_for
):
    draft = _apply(tenant, organization, version, people["client"], submit=False)
    client = api_for(people["client"])
    assert (
        client.post(_api(tenant, f"{draft.pk}/withdraw/"), {}, format="json").json()["status"]
        == "withdrawn"
    )
    assert client.post(_api(tenant, f"{draft.pk}/submit/"), {}, format="json").status_code == 409


def test_the_admin_dashboard_lists_submitted_applications(
    tenant, organization, people, version, client_for
):
    _apply(tenant, organization, version, people["client"])
    _apply(tenant, organization, version, people["client"], submit=False)
    page = client_for(people["admin"]).get(reverse("dashboard")).content.decode()
    assert "Applications to review" in page and organization.legal_name in page
    assert page.count(_url(tenant, "application_detail", 1)[:-2]) == 1  # the draft is not listed
    client_page = client_for(people["client"]).get(reverse("dashboard")).content.decode()
    assert "Applications to review" not in client_page


def test_a_policy_verdict_refuses_a_decided_application_by_its_state(
    tenant, organization, people, version
):
    application = _apply(tenant, organization, version, people["client"])
    with scope(tenant=tenant):
        application = services.withdraw_application(application=application, by=people["client"])
    verdict = policy.can(people["admin"], ApplicationAction.DECIDE, application)
    assert not verdict and verdict.by_state


def test_the_list_page_and_api_cost_the_same_whatever_the_number_of_applications(
    tenant, organization, people, version, client_for, api_for
):
    _apply(tenant, organization, version, people["client"])
    web, api = client_for(people["admin"]), api_for(people["admin"])

    def cost(url, client):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = (cost(_url(tenant, "application_list"), web), cost(_api(tenant), api))
    for _ in range(5):
        _apply(tenant, organization, version, people["client"])
    many = (cost(_url(tenant, "application_list"), web), cost(_api(tenant), api))
    assert many == few


def test_a_client_completes_a_draft_on_the_edit_page_and_submits_it(
    tenant, organization, people, version, client_for
):
    draft = _apply(
        tenant, organization, version, people["client"], submit=False, answers={"company": "X"}
    )
    with scopes_disabled():
        domain = Domain.objects.get(version=version, code="D1")
    web = client_for(people["contributor"])
    form = {
        "target_level": 2,
        "scope": [domain.pk],
        "projects": "Payments",
        "q_company": "Example Ltd",
        "q_scale": "small",
        "q_team_size": "",
        "submit": "1",
    }
    response = web.post(_url(tenant, "application_edit", draft.pk), form)
    assert response.status_code == 200
    assert "Team size" in response.context["form"].errors["q_team_size"][0]
    response = web.post(_url(tenant, "application_edit", draft.pk), {**form, "q_team_size": "7"})
    assert response.status_code == 302
    with scopes_disabled():
        draft.refresh_from_db()
        assert [d.code for d in draft.scope_domains.all()] == ["D1"]
    assert draft.status == Application.Status.SUBMITTED
    assert draft.answers["team_size"] == 7 and draft.target_level == 2
    refused = web.get(_url(tenant, "application_edit", draft.pk), follow=True)
    assert "The application is submitted" in refused.content.decode()
