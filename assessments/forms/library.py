from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.model_format import MAX_MODEL_BYTES


class ModelUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Model file (YAML)"),
        help_text=_(
            "Assay's format (docs/model-format.md) or a CISO Assistant framework library, "
            "recognised from its content; at most 2 MB."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_MODEL_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload
