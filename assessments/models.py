"""The capability model library and the engagements assessed against it."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from assessments.scoping import LibraryManager, VersionContentManager
from assessments.scoring import Aggregation, Rating, RatingScale, ScaleValue, level_display
from tenants.models import Organization, Tenant, TenantOwned


def localized(obj, field):
    """`obj.<field>_zh` in Chinese, `obj.<field>_en` otherwise, falling back to the other language
    when that one is empty (format-2 models may give a text in one language only), so that
    templates, the API and PDFs never show a blank."""
    en, zh = getattr(obj, f"{field}_en", ""), getattr(obj, f"{field}_zh", "")
    return pick_language(en, zh)


def pick_language(en, zh):
    """The text for the active language, or the other one when it is empty."""
    if (get_language() or "en").startswith("zh"):
        return zh or en
    return en or zh


class MaturityModel(models.Model):
    """A maturity model (e.g. one part of the DevOps series); its content lives in versions."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a model every assessment body may use."),
    )
    code = models.SlugField(_("code"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_zh = models.CharField(_("name (Chinese)"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LibraryManager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="model_code_unique_per_tenant"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(tenant__isnull=True),
                name="global_model_code_unique",
            ),
        ]

    def __str__(self):
        return f"{self.code} — {self.name}"

    @property
    def name(self):
        return localized(self, "name")

    @property
    def is_global(self):
        return self.tenant_id is None


class ModelVersion(models.Model):
    """One version of a model. Immutable once published: changes make a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    model = models.ForeignKey(MaturityModel, on_delete=models.PROTECT, related_name="versions")
    tenant = models.ForeignKey(  # the model's tenant, repeated so versions scope on their own
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.CharField(_("version"), max_length=40)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    description_en = models.TextField(blank=True)
    description_zh = models.TextField(blank=True)
    notice_en = models.TextField(blank=True)
    notice_zh = models.TextField(blank=True)
    # [{"level": 1, "name_en": "Initial", "name_zh": "初始级"}, …] for levels 1 to N.
    levels = models.JSONField(default=list)
    # Format 2 of the model file (docs/model-format.md); format-1 versions keep the defaults.
    format = models.PositiveSmallIntegerField(default=1)
    # Names of the tree's layers, outermost first: [{"en": "Domain", "zh": "能力域"}, …].
    layers = models.JSONField(default=list, blank=True)
    # Rating values the model adds to the defaults:
    # [{"value", "name_en", "name_zh", "counts_as_met", "progress"}, …].
    rating_scale = models.JSONField(default=list, blank=True)
    aggregation_rule = models.CharField(max_length=30, default="minimum")
    aggregation_tolerance = models.PositiveSmallIntegerField(default=0)
    standard_identifier = models.CharField(_("standard"), max_length=100, blank=True)
    standard_status = models.CharField(_("issue status"), max_length=40, blank=True)
    # The registration form and assessor-days formula of the model file's `application:`
    # section (docs/model-format.md), or None: read by assessments/application_form.py.
    application = models.JSONField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    requirement_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = LibraryManager()

    class Meta:
        ordering = ["model__code", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="model_version_unique"),
        ]

    def __str__(self):
        return f"{self.model.code} {self.version}"

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def description(self):
        return localized(self, "description")

    @property
    def notice(self):
        return localized(self, "notice")

    def level_name(self, level):
        for entry in self.levels:
            if entry["level"] == level:
                return pick_language(entry["name_en"], entry["name_zh"])
        return ""

    def level_names(self):
        return {entry["level"]: self.level_name(entry["level"]) for entry in self.levels}

    @property
    def top_level(self):
        return max((entry["level"] for entry in self.levels), default=5)

    def layer_names(self):
        return [pick_language(layer.get("en", ""), layer.get("zh", "")) for layer in self.layers]

    def layer_name(self, depth):
        """The name of the layer at this depth of the tree (domains first, then items)."""
        names = self.layer_names()
        return names[depth] if 0 <= depth < len(names) else ""

    @property
    def aggregation(self):
        return Aggregation(self.aggregation_rule, self.aggregation_tolerance)

    def scoring_scale(self):
        return RatingScale(
            ScaleValue(v["value"], v["counts_as_met"], v["progress"]) for v in self.rating_scale
        )


class ImmutableWhenPublished(models.Model):
    """Content of a model version: written once, while the version is a draft."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    objects = VersionContentManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        published = ModelVersion._base_manager.filter(
            pk=self.version_id, status=ModelVersion.Status.PUBLISHED
        )
        if published.exists():
            raise ValidationError(_("A published model version cannot be changed."))
        super().save(*args, **kwargs)


class Domain(ImmutableWhenPublished):
    """A node of the domain tree: part → domain → sub-domain."""

    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    code = models.CharField(_("code"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_zh = models.CharField(_("name (Chinese)"), max_length=300)
    depth = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="domain_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name_en}"

    @property
    def name(self):
        return localized(self, "name")


class CapabilityItem(ImmutableWhenPublished):
    """A capability item. In format 2 it may have sub-items (`parent`); only leaves are rated,
    put in an engagement's scope and given findings. `domain` is the domain the item (or its
    topmost parent) sits in."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    is_leaf = models.BooleanField(default=True)
    code = models.CharField(_("code"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=300)
    name_zh = models.CharField(_("name (Chinese)"), max_length=300)
    description_en = models.TextField(blank=True)
    description_zh = models.TextField(blank=True)
    # Format 2: labels kept as data, e.g. a CISO Assistant library's implementation groups.
    tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="item_code_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.name_en}"

    @property
    def name(self):
        return localized(self, "name")


class LevelRequirement(ImmutableWhenPublished):
    item = models.ForeignKey(CapabilityItem, on_delete=models.CASCADE, related_name="requirements")
    code = models.CharField(_("code"), max_length=60)
    level = models.PositiveSmallIntegerField(_("level"))
    text_en = models.TextField(_("text (English)"))
    text_zh = models.TextField(_("text (Chinese)"))

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="requirement_code_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=10), name="requirement_level_1_to_10"
            ),
        ]
        indexes = [models.Index(fields=["item", "level"])]

    def __str__(self):
        return self.code

    @property
    def text(self):
        return localized(self, "text")


class LevelCell(ImmutableWhenPublished):
    """One level of a leaf item as a format-2 model lists it: a description of the state (when
    it has no requirement) and the evidence expected; its requirements are LevelRequirements of
    the same item and level."""

    item = models.ForeignKey(CapabilityItem, on_delete=models.CASCADE, related_name="cells")
    level = models.PositiveSmallIntegerField(_("level"))
    description_en = models.TextField(blank=True)
    description_zh = models.TextField(blank=True)
    includes_lower_evidence = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "level"], name="one_cell_per_item_level"),
        ]

    def __str__(self):
        return f"{self.item_id} L{self.level}"

    @property
    def description(self):
        return localized(self, "description")


class ExpectedEvidence(ImmutableWhenPublished):
    """Evidence the model expects for a level cell: a document, a screenshot or a
    demonstration, with a code such as CM-VC-VCS-L2-1."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document")
        SCREENSHOT = "screenshot", _("Screenshot")
        DEMONSTRATION = "demonstration", _("Demonstration")

    cell = models.ForeignKey(LevelCell, on_delete=models.CASCADE, related_name="evidence")
    code = models.CharField(_("code"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text_en = models.TextField(blank=True)
    text_zh = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "expected evidence"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"], name="expected_evidence_code_unique"
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def text(self):
        return localized(self, "text")


# --- Engagements -------------------------------------------------------------------------------


class Engagement(TenantOwned):
    """One assessment of one client organization against a frozen model version."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PLANNING = "planning", _("Planning")
        EVIDENCE = "evidence", _("Evidence")
        ASSESSMENT = "assessment", _("Assessment")
        REVIEW = "review", _("Review")
        DECISION = "decision", _("Decision")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial certification")
        SURVEILLANCE = "surveillance", _("Surveillance")
        RECERTIFICATION = "recertification", _("Recertification")
        SPECIAL = "special", _("Special (short notice)")
        SCOPE_CHANGE = "scope_change", _("Scope change")

    reference = models.CharField(_("reference"), max_length=40)
    kind = models.CharField(
        _("kind"), max_length=16, choices=Kind.choices, default=Kind.INITIAL, db_index=True
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="engagements",
        verbose_name=_("organization"),
    )
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        related_name="engagements",
        verbose_name=_("model version"),
    )
    scope_items = models.ManyToManyField(
        CapabilityItem, related_name="+", verbose_name=_("items in scope")
    )
    target_level = models.PositiveSmallIntegerField(_("target level"))
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("assess_engagement", "Record findings, ratings, nonconformities; judge evidence"),
            ("lead_engagement", "Lead the assessment team"),
            ("review_engagement", "Review the findings"),
            ("decide_engagement", "Decide on certification"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "reference"], name="engagement_reference_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(target_level__gte=1, target_level__lte=10),
                name="engagement_target_level_1_to_10",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "state", "-created_at"])]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.state not in (self.State.CLOSED, self.State.CANCELLED)


class EngagementUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's direct permission table for engagements (no generic foreign key)."""

    content_object = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="user_permissions"
    )


class EngagementGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="group_permissions"
    )


class Assignment(TenantOwned):
    """A person on an engagement with an engagement role; grants object permissions."""

    class Role(models.TextChoices):
        LEAD_ASSESSOR = "lead_assessor", _("Lead assessor")
        ASSESSOR = "assessor", _("Assessor")
        REVIEWER = "reviewer", _("Technical reviewer")
        OFFICER = "officer", _("Certification officer")
        OBSERVER = "observer", _("Observer")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "user"], name="one_role_per_engagement"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}"


TEAM_ROLES = (Assignment.Role.LEAD_ASSESSOR, Assignment.Role.ASSESSOR)


def evidence_upload_to(instance, filename):
    """Stored names are generated, never the user's: tenant/engagement/random."""
    return f"evidence/{instance.tenant_id}/{instance.engagement_id}/{uuid.uuid4().hex}"


class Evidence(TenantOwned):
    """A file submitted to an engagement; never changed once submitted (a new version
    supersedes it)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="evidence")
    items = models.ManyToManyField(CapabilityItem, related_name="+", blank=True)
    # The level requirements the file supports (one file may serve many, across items).
    requirements = models.ManyToManyField(LevelRequirement, related_name="+", blank=True)
    file = models.FileField(upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    description = models.TextField(_("description"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    review_note = models.TextField(_("note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name_plural = "evidence"

    def __str__(self):
        return self.original_name


class EvidenceRequest(TenantOwned):
    """An assessor asks the client for specific material by a date. Material pre-review
    (材料初审): the assessor accepts what was submitted or asks for a correction by a set date
    (限期调整), after which the client resubmits."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Submitted")
        NEEDS_CORRECTION = "needs_correction", _("Needs correction")
        RESUBMITTED = "resubmitted", _("Resubmitted")
        ACCEPTED = "accepted", _("Accepted")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="evidence_requests"
    )
    item = models.ForeignKey(
        CapabilityItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expected = models.ForeignKey(
        ExpectedEvidence, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("what is asked for"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    evidence = models.ManyToManyField(Evidence, related_name="requests", blank=True)
    client_note = models.TextField(_("client's note"), blank=True)
    correction_note = models.TextField(_("what to correct"), blank=True)
    correction_due = models.DateField(_("correct by"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "expected"],
                condition=models.Q(expected__isnull=False),
                name="one_request_per_expected_evidence",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return self.title

    @property
    def deadline(self):
        """The date the client must act by now: the correction's, else the request's."""
        if self.status == self.Status.NEEDS_CORRECTION and self.correction_due:
            return self.correction_due
        return self.due_date

    @property
    def awaits_client(self):
        return self.status in (self.Status.OPEN, self.Status.NEEDS_CORRECTION)

    @property
    def awaits_team(self):
        return self.status in (self.Status.SUBMITTED, self.Status.RESUBMITTED)


class SelfRating(TenantOwned):
    """The client's own rating of one in-scope leaf before the assessment (企业自评): the level
    it believes it reaches (0: not even level 1) and the level it aims at."""

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="self_ratings"
    )
    item = models.ForeignKey(CapabilityItem, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level reached (own view)"))
    # "3-" in the standard's notation: level 2 reached, part of level 3 met as well.
    partial_next = models.BooleanField(_("part of the next level met"), default=False)
    target_level = models.PositiveSmallIntegerField(_("target level"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "item"], name="one_self_rating_per_item"),
        ]

    @property
    def display(self):
        """The rating in the standard's notation: "2", or "3-" (level 2 and part of level 3)."""
        return level_display(self.level, self.partial_next)


class Finding(TenantOwned):
    """What the assessors found for one capability item in scope."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(CapabilityItem, on_delete=models.PROTECT, related_name="+")
    narrative = models.TextField(_("narrative"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    evidence = models.ManyToManyField(Evidence, related_name="findings", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["engagement", "item"], name="one_finding_per_item"),
        ]

    def __str__(self):
        return f"{self.engagement_id}/{self.item_id}"


class RequirementRating(TenantOwned):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="ratings")
    requirement = models.ForeignKey(LevelRequirement, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(
        _("rating"), max_length=16, choices=[(r.value, r.value) for r in Rating]
    )
    note = models.TextField(_("note"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(auto_now=True)
    # Grows by one on every change and never goes back (ratings are never deleted): the token
    # of the optimistic check of autosaves (docs/architecture.md, "Ratings: optimistic saves").
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["finding", "requirement"], name="one_rating_per_requirement"
            ),
        ]


class Nonconformity(TenantOwned):
    class Grade(models.TextChoices):
        MAJOR = "major", _("Major")
        MINOR = "minor", _("Minor")
        OBSERVATION = "observation", _("Observation")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="nonconformities"
    )
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="nonconformities")
    requirement = models.ForeignKey(
        LevelRequirement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    description = models.TextField(_("description"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    response_evidence = models.ManyToManyField(Evidence, related_name="+", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(_("verification note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["raised_at"]


class Review(TenantOwned):
    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Findings approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    comments = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class Decision(TenantOwned):
    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Certification granted")
        REFUSED = "refused", _("Certification refused")

    engagement = models.OneToOneField(Engagement, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    level = models.PositiveSmallIntegerField(_("level granted"), null=True, blank=True)
    # The overall level the findings reached when the decision was made: a level granted below
    # it is explained by the reasons; one above it is refused.
    computed_level = models.PositiveSmallIntegerField(
        _("level the findings reached"), null=True, blank=True
    )
    reasons = models.TextField(_("reasons"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)


# Choice sets named for the OpenAPI schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
ENGAGEMENT_STATES = Engagement.State
ENGAGEMENT_KINDS = Engagement.Kind
ASSIGNMENT_ROLES = Assignment.Role


# --- Applications (contract review, ISO/IEC 17021-1 9.1) ----------------------------------------


class Application(TenantOwned):
    """A client's application for an assessment: the model's registration form answered, the
    requested scope and level, the projects proposed; reviewed by the body, which accepts it
    (opening the engagement) or declines it with its reasons."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("organization"),
    )
    model_version = models.ForeignKey(
        ModelVersion,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("model version"),
    )
    scope_domains = models.ManyToManyField(
        Domain, related_name="+", verbose_name=_("requested scope")
    )
    target_level = models.PositiveSmallIntegerField(_("target level"))
    # {question key: value} as the model's form asks (assessments/application_form.py); numbers
    # as numbers, dates as ISO text.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # The sites or projects the client proposes, and those the reviewer sampled among them.
    projects = models.JSONField(_("projects proposed"), default=list, blank=True)
    sampled_projects = models.JSONField(_("projects sampled"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The model's formula applied to the application; the reviewer's figure when they set one.
    computed_days = models.DecimalField(
        _("assessor-days (formula)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    estimated_days = models.DecimalField(
        _("assessor-days (reviewer)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    review_notes = models.TextField(_("review notes"), blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    engagement = models.OneToOneField(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="application",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_level__gte=1, target_level__lte=10),
                name="application_target_level_1_to_10",
            ),
        ]

    def __str__(self):
        return f"{self.organization} — {self.model_version}"

    @property
    def assessor_days(self):
        """The estimate that counts: the reviewer's when set, else the formula's."""
        return self.estimated_days if self.estimated_days is not None else self.computed_days

    @property
    def is_open(self):
        return self.status in (self.Status.DRAFT, self.Status.SUBMITTED)


APPLICATION_STATUSES = Application.Status
