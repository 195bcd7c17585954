from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from certificates.services.particulars import TEXTS
from certificates.verification import number_from_input
from tenants.models import Tenant


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class SuspendForm(ReasonForm):
    deadline = forms.DateField(
        label=_("Suspended until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("At the latest; empty: the body's longest suspension."),
    )


class IssueForm(forms.Form):
    supersede = forms.ModelChoiceField(
        label=_("Supersedes certificate"),
        queryset=None,
        required=False,
        help_text=_("An earlier certificate of this organization that this one replaces."),
    )

    def __init__(self, *args, certificates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supersede"].queryset = certificates


class VerifyNumberForm(forms.Form):
    """A certificate number, or the address of its verification page (what the QR code
    holds) pasted in full: the number is taken from it."""

    number = forms.CharField(
        label=_("Certificate number"),
        max_length=500,
        help_text=_("As printed on the certificate, or the address its QR code leads to."),
    )

    def __init__(self, *args, own_hosts, **kwargs):
        super().__init__(*args, **kwargs)
        self.own_hosts = own_hosts

    def clean_number(self):
        text = self.cleaned_data["number"]
        number = number_from_input(text, own_hosts=self.own_hosts)
        if number is None and "/" in text:
            raise forms.ValidationError(
                _(
                    "This is not the address of a verification page of this portal. Enter the "
                    "certificate number as printed on the certificate, such as ACME-2026-00001."
                )
            )
        if number is None:
            raise forms.ValidationError(
                _(
                    "Enter a certificate number as printed on the certificate (letters, digits "
                    "and dashes, such as ACME-2026-00001), or the address of its verification "
                    "page on this portal."
                )
            )
        return number


class VerifyFileForm(forms.Form):
    pdf = forms.FileField(
        label=_("Certificate or report PDF"),
        allow_empty_file=True,
        help_text=_("A certificate or an assessment report downloaded from this portal."),
    )

    def __init__(self, *args, upload_errors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_errors = upload_errors or {}

    def clean(self):
        # A file skipped by the upload handler (too large) is missing: say why.
        if "pdf" in self.upload_errors:
            self.errors.pop("pdf", None)
            self.add_error("pdf", self.upload_errors["pdf"])
        return super().clean()


class VerifyCredentialForm(forms.Form):
    """An Open Badges credential to check: its file (.jwt or .json), or pasted."""

    credential = forms.FileField(
        label=_("Credential file"),
        required=False,
        allow_empty_file=True,
        help_text=_("The .jwt file downloaded from the verification page or taken from the PDF."),
    )
    credential_text = forms.CharField(
        label=_("Or paste the credential"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    def __init__(self, *args, upload_errors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_errors = upload_errors or {}

    def clean(self):
        if "credential" in self.upload_errors:
            self.errors.pop("credential", None)
            self.add_error("credential", self.upload_errors["credential"])
        return super().clean()


class ConcludeForm(forms.Form):
    """The outcome of a surveillance (docs/architecture.md, "The certification cycle")."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("maintain", _("Certification maintained")),
            ("suspend", _("Certificate suspended")),
            ("reduce", _("Scope or level reduced")),
        ],
    )
    reason = forms.CharField(
        label=_("Reasons"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    level = forms.TypedChoiceField(
        label=_("Reduced level"),
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    domains = forms.CharField(
        label=_("Domains kept"),
        required=False,
        help_text=_("Codes of the domains that stay in scope, separated by spaces."),
    )

    def domain_codes(self):
        return self.cleaned_data.get("domains", "").replace(",", " ").split()


class SendForReviewForm(forms.Form):
    """The team sends the latest report version to the client (报告复核)."""

    due_date = forms.DateField(
        label=_("The client answers by"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ReportCommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


# --- Complaints and appeals ----------------------------------------------------------------------


class ComplaintForm(forms.Form):
    """The public complaint form (no login)."""

    about = forms.ChoiceField(
        label=_("The complaint is about"),
        choices=[
            ("organization", _("A certified organization")),
            ("body", _("The certification body")),
        ],
        widget=forms.RadioSelect,
        initial="organization",
    )
    certificate_number = forms.CharField(
        label=_("Certificate number"),
        max_length=40,
        required=False,
        help_text=_("If you know it: as printed on the certificate."),
    )
    organization_name = forms.CharField(
        label=_("Organization"),
        max_length=200,
        required=False,
        help_text=_("The organization's name, if you do not know the certificate number."),
    )
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("Your email"), help_text=_("The acknowledgement and the reply go here.")
    )
    text = forms.CharField(
        label=_("Your complaint"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What happened, when, and what you expect the body to do."),
    )


class AppealForm(forms.Form):
    grounds = forms.CharField(
        label=_("Grounds of the appeal"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Why the decision should be reconsidered, and on what evidence."),
    )


class AssignHandlerForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=None)
    organization = forms.ModelChoiceField(
        label=_("Organization concerned"),
        queryset=None,
        required=False,
        help_text=_("Link the client the complaint is about, so its engagements are checked."),
    )

    def __init__(self, *args, staff, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = staff
        self.fields["organization"].queryset = organizations


class DecideCaseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("", "—"),
            ("upheld", _("Upheld")),
            ("partly_upheld", _("Partly upheld")),
            ("not_upheld", _("Not upheld")),
        ],
    )
    reply = forms.CharField(
        label=_("Reply"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Sent by email to the complainant or appellant."),
    )
    follow_up = forms.ModelChoiceField(
        label=_("Follow-up engagement"),
        queryset=None,
        required=False,
        help_text=_("Upheld: the engagement in which the body takes the matter up again."),
    )

    def __init__(self, *args, engagements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up"].queryset = engagements


class CaseFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), ("complaint", _("Complaint")), ("appeal", _("Appeal"))],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All statuses")),
            ("open", _("Open")),
            ("received", _("Received")),
            ("investigating", _("Under investigation")),
            ("decided", _("Decided")),
            ("withdrawn", pgettext_lazy("complaint or appeal", "Withdrawn")),
        ],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class BodyParticularsForm(forms.ModelForm):
    """What the body's certificates and reports print of the body (certificates.services.
    particulars checks and stores it). The texts are the model's fields; the form is never
    saved: the service stores everything or nothing."""

    class Meta:
        model = Tenant
        fields = TEXTS

    logo = forms.FileField(label=_("Logo"), required=False, help_text=_("PNG, JPEG or SVG."))
    clear_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    accreditation_mark = forms.FileField(
        label=_("Accreditation mark"),
        required=False,
        help_text=_("PNG, JPEG or SVG, printed beside the body's name on certificates."),
    )
    clear_accreditation_mark = forms.BooleanField(
        label=_("Remove the accreditation mark"), required=False
    )
    seal = forms.FileField(
        label=_("Seal"),
        required=False,
        help_text=_("Optional PNG or SVG of the body's seal, printed beside the signature."),
    )
    clear_seal = forms.BooleanField(label=_("Remove the seal"), required=False)
