from django import forms
from django.utils.translation import gettext_lazy as _


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
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
    number = forms.CharField(label=_("Certificate number"), max_length=40)


class VerifyFileForm(forms.Form):
    pdf = forms.FileField(label=_("Certificate PDF"))
