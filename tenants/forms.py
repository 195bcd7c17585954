from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tenants.models import Authorisation, Organization
from tenants.roles import Role


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "legal_name",
            "english_name",
            "registration_type",
            "registration_id",
            "contact_name",
            "contact_email",
            "contact_phone",
            "address",
            "directory_consent",
        ]
        help_texts = {
            "directory_consent": _(
                "Record it only on the organization's consent: its certificates are then listed "
                "in the public directory if this body publishes one. Who recorded it and when is "
                "kept."
            )
        }

    def _post_clean(self):
        # The service validates the model (with its tenant) and reports errors on this form.
        pass


class DirectorySettingsForm(forms.Form):
    publish_directory = forms.BooleanField(
        label=_("publish certified clients in the public directory"),
        required=False,
        help_text=_("Only clients that consented are listed."),
    )


class MembershipForm(forms.Form):
    """A body's side of a person: the membership only (the account is its owner's)."""

    email = forms.EmailField(label=_("Email address"))
    display_name = forms.CharField(
        label=_("Name in this body"),
        max_length=150,
        required=False,
        help_text=_("Shown in this body's lists. The person sets their own name on My account."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("Only for client people."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, organizations, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        if editing:
            self.fields["email"].disabled = True
        else:
            del self.fields["is_active"]


class AccountForm(forms.Form):
    """What a person changes of their own account."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    preferred_language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("As the browser asks")), *settings.LANGUAGES],
        required=False,
    )


class AuthorisationForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=_("Role"), choices=Authorisation.Role.choices)
    model_code = forms.SlugField(label=_("Model code"), max_length=60)
    part_code = forms.CharField(
        label=_("Part code"),
        max_length=60,
        required=False,
        help_text=_("Empty for the whole model."),
    )
    qualification = forms.CharField(label=_("Qualification"), max_length=300, required=False)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
