"""People, assessment bodies (tenants), their client organizations and who belongs where."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from tenants.roles import CLIENT_ROLES, Role
from tenants.validators import validate_printable_name, validate_registration_id


class AccountManager(UserManager):
    """Users log in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, blank=True, default=""
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = AccountManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email


class Tenant(models.Model):
    """An assessment body. Everything it owns carries a `tenant` foreign key."""

    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    slug = models.SlugField(
        _("slug"),
        unique=True,
        max_length=50,
        help_text=_("Used in addresses: /t/<slug>/."),
    )
    certificate_prefix = models.CharField(
        _("certificate number prefix"),
        max_length=12,
        unique=True,  # the public verification page finds a certificate by its number alone
        validators=[RegexValidator(r"^[A-Z0-9]{2,12}$", _("2 to 12 capital letters or digits."))],
    )
    default_language = models.CharField(
        _("default language"),
        max_length=10,
        choices=[("en", "English"), ("zh-hans", "简体中文")],
        default="en",
    )
    certificate_validity_years = models.PositiveSmallIntegerField(
        _("certificate validity (years)"), default=3
    )
    # The certification cycle (docs/architecture.md, "The certification cycle"): ISO/IEC 17021-1
    # asks for surveillance at least once a calendar year, the first within 12 months of the
    # decision, and a suspension of at most about six months.
    surveillance_interval_months = models.PositiveSmallIntegerField(
        _("surveillance interval (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    surveillance_notice_days = models.PositiveSmallIntegerField(
        _("surveillance opened (days before due)"), default=60
    )
    recertification_window_months = models.PositiveSmallIntegerField(
        _("recertification opened (months before expiry)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(11)],
    )
    suspension_max_months = models.PositiveSmallIntegerField(
        _("longest suspension (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    # Complaints and appeals (ISO/IEC 17021-1 9.7, 9.8): acknowledged at once, resolved within
    # these many days of being lodged (docs/architecture.md, "Complaints and appeals").
    complaint_resolution_days = models.PositiveSmallIntegerField(
        _("complaints resolved within (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    appeal_resolution_days = models.PositiveSmallIntegerField(
        _("appeals resolved within (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    logo = models.FileField(_("logo"), upload_to="tenant-logos/", blank=True)
    # What ISO/IEC 17021-1 8.2.2 asks a certificate to say of the body that issues it.
    address = models.CharField(_("address"), max_length=300, blank=True)
    accreditation_body = models.CharField(
        _("accreditation body"), max_length=200, blank=True, help_text=_("For example CNAS.")
    )
    accreditation_number = models.CharField(_("accreditation number"), max_length=60, blank=True)
    accreditation_mark = models.FileField(
        _("accreditation mark"),
        upload_to="tenant-marks/",
        blank=True,
        help_text=_("PNG, JPEG or SVG, printed beside the body's name on certificates."),
    )
    seal = models.FileField(
        _("seal"),
        upload_to="tenant-seals/",
        blank=True,
        help_text=_("Optional PNG or SVG of the body's seal, printed beside the signature."),
    )
    signing_pkcs12_path = models.CharField(
        _("signing credential (PKCS#12 file)"),
        max_length=500,
        blank=True,
        help_text=_(
            "Path of the PKCS#12 file with the key and certificate this body signs PDFs with. "
            "Its passphrase is read from the environment variable ASSAY_SIGNING_PASSPHRASE_<SLUG> "
            "or from a file of the same name ending in .pass."
        ),
    )
    tsa_url = models.URLField(
        _("timestamp authority (TSA) address"),
        max_length=500,
        blank=True,
        help_text=_(
            "RFC 3161 timestamp service this body's signatures are timestamped by, so that its "
            "certificates stay verifiable after its signing certificate expires. Empty: the "
            "portal's TSA_URL setting."
        ),
    )
    # The public directory of certified organizations (ISO/IEC 17021-1 8.1.3): a body lists its
    # clients there only when it chooses to, and then only those that consented (PIPL, GDPR).
    publish_directory = models.BooleanField(
        _("publish certified clients in the public directory"),
        default=False,
        help_text=_("Only clients that consented are listed."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("assessment body")
        verbose_name_plural = _("assessment bodies")

    def __str__(self):
        return self.name


class TenantOwned(models.Model):
    """A row that belongs to one tenant; querying it outside a tenant scope raises."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


class Organization(TenantOwned):
    """A client of one assessment body."""

    class RegistrationType(models.TextChoices):
        USCC = "uscc", _("Unified social credit code")
        OTHER = "other", _("Other registration id")

    legal_name = models.CharField(_("legal name"), max_length=200)
    english_name = models.CharField(_("English name"), max_length=200, blank=True)
    registration_type = models.CharField(
        _("registration type"),
        max_length=10,
        choices=RegistrationType.choices,
        default=RegistrationType.USCC,
    )
    registration_id = models.CharField(_("registration id"), max_length=40)
    contact_name = models.CharField(_("contact name"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # Consent to be listed in the public directory, and who recorded it when (PIPL art. 13-14,
    # GDPR art. 6(1)(a)): without it the organization's certificates are never listed.
    directory_consent = models.BooleanField(
        _("consents to be listed in the public directory"), default=False
    )
    directory_consent_at = models.DateTimeField(_("consent recorded at"), null=True, blank=True)
    directory_consent_by = models.ForeignKey(
        "User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "registration_type", "registration_id"],
                name="organization_registration_unique_per_tenant",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "legal_name"])]

    def __str__(self):
        return self.legal_name

    def clean(self):
        validate_registration_id(self.registration_type, self.registration_id)
        errors = {}
        for field in ("legal_name", "english_name"):
            try:
                validate_printable_name(getattr(self, field))
            except ValidationError as error:
                errors[field] = error.messages
        if errors:
            raise ValidationError(errors)


class Membership(TenantOwned):
    """A person's role in one tenant; client people also name their organization."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("organization"),
    )
    # The account (email, name, password) belongs to its owner and is shared by every body the
    # person is in; a body only sets what is its own, like this name shown in its lists.
    display_name = models.CharField(
        _("name in this body"),
        max_length=150,
        blank=True,
        default="",
        help_text=_("Shown in this body's lists; the person's own account is not changed."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_per_tenant"),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        role__in=sorted(r.value for r in CLIENT_ROLES), organization__isnull=False
                    )
                    | (
                        ~models.Q(role__in=sorted(r.value for r in CLIENT_ROLES))
                        & models.Q(organization__isnull=True)
                    )
                ),
                name="membership_client_roles_name_organization",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.tenant_id}"

    @property
    def is_client(self):
        return self.role in CLIENT_ROLES


class Counter(TenantOwned):
    """The last number handed out of one sequence (e.g. certificates of 2026) of one tenant.

    Numbers are allocated with the row locked (select_for_update) inside the transaction that
    uses them, so they are unique and gap-free: a rolled-back transaction gives its number back.
    """

    sequence = models.CharField(max_length=30)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "sequence", "year"], name="counter_unique_per_tenant_year"
            )
        ]

    def __str__(self):
        return f"{self.sequence} {self.year}: {self.value}"


class ConflictOfInterest(TenantOwned):
    """A person's declared conflict with a client: they may not assess or decide for it."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="conflicts")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="conflicts"
    )
    reason = models.CharField(_("reason"), max_length=300)
    # Who recorded it: the person themselves, or a tenant admin for them (then only an admin
    # may withdraw it). Empty for conflicts recorded before this was kept.
    declared_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    declared_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-declared_at"]
        indexes = [models.Index(fields=["tenant", "user", "organization"])]

    def __str__(self):
        return f"{self.user} ≠ {self.organization}"


class Authorisation(TenantOwned):
    """A person's authorisation to act in an engagement role for a model (or one part of it),
    with the qualification it rests on and its validity (docs/architecture.md, "Competence and
    authorisation"). Models are named by code: the library lives in a higher app."""

    class Role(models.TextChoices):
        ASSESSOR = "assessor", _("Assessor")
        LEAD = "lead", _("Lead assessor")
        REVIEWER = "reviewer", _("Technical reviewer")
        OFFICER = "officer", _("Certification officer")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="authorisations")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    model_code = models.SlugField(_("model code"), max_length=60)
    part_code = models.CharField(
        _("part code"), max_length=60, blank=True, help_text=_("Empty for the whole model.")
    )
    qualification = models.CharField(_("qualification"), max_length=300, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email", "model_code", "part_code", "role"]
        indexes = [models.Index(fields=["tenant", "user", "model_code"])]

    def __str__(self):
        part = f"/{self.part_code}" if self.part_code else ""
        return f"{self.user} — {self.get_role_display()} {self.model_code}{part}"
