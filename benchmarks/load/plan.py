"""Prepares the `make prod` database for `make bench-load` (run inside the production settings):
an engagement of the demo body in assessment for assessors to rate, the engagement open for
evidence for clients to upload to, the certificate numbers to verify, and API tokens for the
people (made here, so that password hashing at sign-in is not what the load measures).
Prints the plan as JSON. Safe to run again: it reuses what it made."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import transaction  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from django_scopes import scope, scopes_disabled  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from assessments.demo import demo_people, open_for_evidence  # noqa: E402
from assessments.models import (  # noqa: E402
    Assignment,
    Engagement,
    Finding,
    LevelRequirement,
    ModelVersion,
)
from assessments.services import engagements, evidence, findings  # noqa: E402
from certificates.demo import grant_engagement  # noqa: E402
from certificates.models import Certificate  # noqa: E402
from tenants.models import Membership, Organization, Tenant  # noqa: E402

TITLE = "Load test: assessment in progress"
GRANTED_TITLE = "Load test: granted, to certify during the faults"
# Granted engagements not yet certified, for the fault phase to issue (benchmarks/load/faults.py).
TO_CERTIFY = int(os.environ.get("LOAD_TO_CERTIFY", "12"))
TEAM = [
    ("lead-assessor", Assignment.Role.LEAD_ASSESSOR),
    ("assessor", Assignment.Role.ASSESSOR),
    ("reviewer", Assignment.Role.REVIEWER),
    ("officer", Assignment.Role.OFFICER),
]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def directory_search_path():
    """The public directory's search page, once it exists (it is being built apart): the path in
    LOAD_DIRECTORY_PATH, default /directory/, if the URLconf resolves it; else None, and the
    load has no directory search (benchmarks/load/locustfile.py, DirectoryVisitor)."""
    path = os.environ.get("LOAD_DIRECTORY_PATH", "/directory/")
    try:
        resolve(path)
    except Resolver404:
        return None
    return path


def main():
    with scopes_disabled():
        tenant = Tenant.objects.get(slug="demo")
        people = demo_people(tenant)
        version = ModelVersion.objects.filter(model__code="devops-cd", tenant=None).first()
        granted_version = ModelVersion.objects.filter(  # the demo's certified scope, CD.CM
            model__code="devops-cd", version="2026.1", tenant=None
        ).first()
        organization = Organization.objects.filter(tenant=tenant).order_by("pk").first()
        client = Membership.objects.filter(tenant=tenant, user__email="contributor@demo.test")
        client = client.select_related("user").get()
        rating = Engagement.objects.filter(tenant=tenant, title=TITLE).first()
        uploading = (
            Engagement.objects.filter(tenant=tenant, state=Engagement.State.EVIDENCE)
            .exclude(title=TITLE)
            .order_by("pk")
            .first()
        )
    with scope(tenant=tenant):
        if rating is None:
            rating = open_for_evidence(
                tenant=tenant,
                people=people,
                organization=organization,
                version=version,
                scope_codes=["CD"],
                title=TITLE,
                team=TEAM,
            )
        # Staffed, then walked on to assessment from wherever an interrupted run left it.
        for key, role in TEAM:
            if not rating.assignments.filter(role=role).exists():
                engagements.assign(
                    engagement=rating, user=people[key].user, role=role, by=people["tenant-admin"]
                )
        S = Engagement.State
        for state in (S.PLANNING, S.EVIDENCE, S.ASSESSMENT):
            if (
                rating.state == S.DRAFT
                and state == S.PLANNING
                or (rating.state == S.PLANNING and state == S.EVIDENCE)
            ):
                rating = engagements.transition(
                    engagement=rating, to=state, by=people["tenant-admin"]
                )
            elif rating.state == S.EVIDENCE and state == S.ASSESSMENT:
                if not rating.evidence.exists():
                    evidence.upload_evidence(
                        engagement=rating,
                        by=client,
                        uploaded=SimpleUploadedFile("load.pdf", PDF, "application/pdf"),
                        description="load test",
                    )
                rating = engagements.transition(
                    engagement=rating, to=state, by=people["lead-assessor"]
                )
        # Every item has its finding before the load: concurrent first findings of one item are
        # a 409 by design (one wins), which is not what this measures.
        found = set(Finding.objects.filter(engagement=rating).values_list("item_id", flat=True))
        for item in rating.scope_items.exclude(pk__in=found)[:20]:
            findings.record_finding(
                engagement=rating, item=item, by=people["lead-assessor"], ratings={}
            )
        items = [
            {
                "item": item.pk,
                "requirements": list(
                    LevelRequirement.objects.filter(item=item).values_list("pk", flat=True)
                ),
            }
            for item in rating.scope_items.all()[:20]
        ]
        # Granted engagements without a certificate: what the fault phase issues (a run uses
        # them up; the next run grants new ones).
        to_certify = list(
            Engagement.objects.filter(
                tenant=tenant, title=GRANTED_TITLE, decision__outcome="granted"
            )
            .exclude(certificates__isnull=False)
            .values_list("pk", flat=True)
        )
        certified_org = Organization.objects.filter(tenant=tenant).order_by("pk").last()
        while len(to_certify) < TO_CERTIFY:
            with transaction.atomic():
                engagement = grant_engagement(
                    tenant=tenant,
                    people=people,
                    organization=certified_org,
                    client=Membership.objects.filter(
                        tenant=tenant, organization=certified_org
                    ).first(),
                    version=granted_version,
                    title=GRANTED_TITLE,
                )
            to_certify.append(engagement.pk)
        numbers = list(
            Certificate.objects.filter(tenant=tenant).values_list("number", flat=True)[:20]
        )
    plan = {
        "tenant": tenant.slug,
        "rating_engagement": rating.pk,
        "items": items,
        "upload_engagement": uploading.pk,
        "certificates": numbers,
        "assessor_token": AuthToken.objects.create(people["lead-assessor"].user)[1],
        "client_token": AuthToken.objects.create(client.user)[1],
        "to_certify": to_certify[:TO_CERTIFY],
        "officer_token": AuthToken.objects.create(people["officer"].user)[1],
        "directory": directory_search_path(),
        "directory_terms": [organization.legal_name.split()[0], "Ltd", "科技"],
    }
    print(json.dumps(plan))


if __name__ == "__main__":
    main()
