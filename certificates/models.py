"""Certificates and assessment reports: rows first, PDFs rendered and signed by workers."""

import re
import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assessments.models import Engagement, ModelVersion
from tenants.models import Organization, TenantOwned


def pdf_upload_to(instance, filename):
    """Generated names only: kind/tenant/random.pdf."""
    kind = instance._meta.model_name
    return f"{kind}/{instance.tenant_id}/{uuid.uuid4().hex}.pdf"


def fold(text):
    """Text as the directory compares it: NFKC (full-width ＡＣＭＥ is ACME, ﬁ is fi), case
    folded (both ways, so ß matches ss), whitespace collapsed to one space."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text or "").casefold())
    return re.sub(r"\s+", " ", folded).strip()


def scope_key(scope):
    """The codes of a scope as one string, "|A|B|", so a part is found by `contains` on any
    database."""
    codes = [str(row.get("code", "")) for row in scope or ()]
    return "|" + "|".join(codes) + "|" if codes else ""


class Certificate(TenantOwned):
    """A level certificate. Its row exists (status `issuing`) before its PDF does; a worker
    renders and signs the PDF, then makes it `active`. A signed PDF never changes: later status
    changes show on the public verification page only."""

    class Status(models.TextChoices):
        ISSUING = "issuing", _("Being issued")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.PROTECT, related_name="certificates"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="certificates"
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=40, unique=True)
    # What the certificate states, frozen at issue: names in both languages, scope, level.
    organization_name = models.CharField(max_length=200)
    organization_name_en = models.CharField(max_length=200, blank=True)
    organization_address = models.CharField(max_length=300, blank=True)
    model_name_en = models.CharField(max_length=300)
    model_name_zh = models.CharField(max_length=300)
    scope = models.JSONField(default=list)  # [{"code", "name_en", "name_zh"}] of domains
    level = models.PositiveSmallIntegerField(_("level"))
    level_name_en = models.CharField(max_length=60)
    level_name_zh = models.CharField(max_length=60)
    standard_identifier = models.CharField(max_length=100, blank=True)
    standard_status = models.CharField(max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    # The certification cycle (docs/architecture.md, "The certification cycle"): a
    # recertification or a reduction re-issues the certificate as a revision of the same
    # registration, carrying the date of the original certification.
    base_number = models.CharField(_("registration number"), max_length=40, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"), default=0)
    original_issued_on = models.DateField(_("originally certified on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ISSUING, db_index=True
    )
    status_reason = models.TextField(blank=True)
    # The public directory's search key (the organization's names and the number, folded) and
    # the scope's codes, kept by save(); a PostgreSQL trigram index serves partial names
    # (certificates/migrations/0006_directory_search.py).
    search_key = models.TextField(blank=True, editable=False)
    scope_codes = models.CharField(max_length=500, blank=True, editable=False)
    # A suspension ends by this date: reinstated once the corrective action is verified, else
    # withdrawn by the daily task (docs/architecture.md, "The certification cycle").
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    pdf = models.FileField(upload_to=pdf_upload_to, blank=True, max_length=300)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    signer_fingerprint = models.CharField(max_length=64, blank=True)
    # The Open Badges 3.0 credential (a VC-JWT signed with the body's key), made by the worker
    # with the PDF and attached inside it; its bit in the body's status lists is at
    # `status_list_index` (docs/architecture.md, "Open Badges credentials").
    credential = models.TextField(blank=True)
    status_list_index = models.PositiveIntegerField(null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live certificate per engagement: issuing twice never makes two.
            models.UniqueConstraint(
                fields=["engagement"],
                condition=~models.Q(status__in=["withdrawn", "superseded", "expired"]),
                name="one_live_certificate_per_engagement",
            ),
            # Two certificates never share a bit of their body's status lists.
            models.UniqueConstraint(
                fields=["tenant", "status_list_index"], name="one_certificate_per_status_bit"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_on"])]

    def __str__(self):
        return self.number

    def directory_keys(self):
        self.search_key = fold(
            " ".join(filter(None, (self.organization_name, self.organization_name_en, self.number)))
        )
        self.scope_codes = scope_key(self.scope)[:500]

    def save(self, *args, **kwargs):
        self.directory_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_key", "scope_codes"}
        super().save(*args, **kwargs)


class ProgrammeVisit(TenantOwned):
    """One planned audit of a certificate's programme: a surveillance due on a date, or the
    recertification due before expiry. The daily task opens its engagement in time
    (docs/architecture.md, "The certification cycle")."""

    class Kind(models.TextChoices):
        SURVEILLANCE = "surveillance", _("Surveillance")
        RECERTIFICATION = "recertification", _("Recertification")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        MAINTAIN = "maintain", _("Certification maintained")
        SUSPEND = "suspend", _("Certificate suspended")
        REDUCE = "reduce", _("Scope or level reduced")
        RECERTIFIED = "recertified", _("Recertified")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="programme")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(default=1)
    due_on = models.DateField(_("due on"))
    opens_on = models.DateField(_("opens on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    engagement = models.OneToOneField(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programme_visit",
    )
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(_("reasons"), blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    concluded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "kind", "sequence"], name="one_visit_per_slot"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "opens_on"]),
            models.Index(fields=["status", "due_on"]),
            # The daily task takes its batches in primary-key order: without these, each batch
            # read the rows earlier batches had already opened or flagged before reaching the
            # next ones (quadratic in the number of batches; `programme_sweep_s_100000`).
            models.Index(
                fields=["id"], condition=models.Q(status="planned"), name="visit_planned_by_id"
            ),
            models.Index(
                fields=["id"],
                condition=models.Q(status__in=["planned", "open"], overdue_since__isnull=True),
                name="visit_unflagged_by_id",
            ),
        ]

    def __str__(self):
        return f"{self.certificate_id} {self.kind} {self.sequence}"

    @property
    def is_overdue(self):
        return self.overdue_since is not None and self.status in (
            self.Status.PLANNED,
            self.Status.OPEN,
        )


class CertificateEvent(TenantOwned):
    """Every status change of a certificate, with its reason: shown on the verification page."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.certificate_id}: {self.from_status} → {self.to_status}"


class StatusList(TenantOwned):
    """A body's Bitstring Status List credential for one purpose, signed and kept ready to
    serve: made again, in the same transaction, by every status change that flips a bit
    (certificates/openbadges.py)."""

    class Purpose(models.TextChoices):
        REVOCATION = "revocation", _("Revocation")
        SUSPENSION = "suspension", _("Suspension")

    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    credential = models.TextField()
    generated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "purpose"], name="one_status_list_per_purpose"
            )
        ]

    def __str__(self):
        return f"{self.tenant_id} {self.purpose}"


class Report(TenantOwned):
    """One version of an engagement's assessment report; regenerating makes a new version."""

    class Status(models.TextChoices):
        RENDERING = "rendering", _("Being rendered")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RENDERING)
    pdf = models.FileField(upload_to=pdf_upload_to, blank=True, max_length=300)
    # Indexed: an uploaded report is found by its hash on the public verification page.
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    signer_fingerprint = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "version"], name="report_version_unique"),
        ]

    def __str__(self):
        return f"{self.engagement_id} v{self.version}"


class ReportReview(TenantOwned):
    """A report version sent to the client for review (报告复核) with a deadline: the client
    comments or accepts within it; the technical review waits for its answer or the deadline."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the client")
        COMMENTED = "commented", _("Commented")
        ACCEPTED = "accepted", _("Accepted")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="report_reviews"
    )
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="client_reviews")
    due_date = models.DateField(_("answer by"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self):
        return f"{self.engagement_id} v{self.report_id}"

    def is_open(self, today):
        return self.due_date >= today


class ReportComment(TenantOwned):
    """A comment of the client on the draft report, or the team's answer; all are kept."""

    review = models.ForeignKey(ReportReview, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_client = models.BooleanField(default=True)
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class Case(TenantOwned):
    """A complaint (anyone, about a certified organization or the body) or an appeal (a client,
    against a decision of its engagement), ISO/IEC 17021-1 9.7 and 9.8. It is acknowledged with
    its number at once, handled by someone the portal has shown was not involved, and answered
    with an outcome by its deadline (docs/architecture.md, "Complaints and appeals")."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        APPEAL = "appeal", _("Appeal")

    class About(models.TextChoices):
        ORGANIZATION = "organization", _("A certified organization")
        BODY = "body", _("The certification body")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        INVESTIGATING = "investigating", _("Under investigation")
        DECIDED = "decided", _("Decided")
        WITHDRAWN = "withdrawn", pgettext_lazy("complaint or appeal", "Withdrawn")

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        PARTLY_UPHELD = "partly_upheld", _("Partly upheld")
        NOT_UPHELD = "not_upheld", _("Not upheld")

    OPEN = (Status.RECEIVED, Status.INVESTIGATING)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    number = models.CharField(_("acknowledgement number"), max_length=30)
    about = models.CharField(_("about"), max_length=12, choices=About.choices)
    # What the case concerns: the organization (and its certificate) of a complaint, the
    # decision (and its engagement) of an appeal. The handler must be uninvolved in all of it.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("organization"),
    )
    organization_name = models.CharField(_("organization named"), max_length=200, blank=True)
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    decision = models.ForeignKey(
        "assessments.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
    )
    engagement = models.ForeignKey(
        Engagement, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"))
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.RECEIVED
    )
    due_on = models.DateField(_("resolve by"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_cases",
        verbose_name=_("handler"),
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    # An upheld appeal may lead the body to take the decision again in a new engagement.
    follow_up = models.ForeignKey(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up engagement"),
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="case_number_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "due_on"])]

    def __str__(self):
        return self.number

    @property
    def is_open(self):
        return self.status in self.OPEN

    def is_overdue(self, today=None):
        from django.utils import timezone

        return self.is_open and self.due_on < (today or timezone.localdate())


# Choice sets named for the OpenAPI schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
CASE_OUTCOMES = Case.Outcome
