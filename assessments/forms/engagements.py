from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Assignment, Decision, Engagement, Nonconformity, Review
from assessments.scoring import Rating, parse_level

LEVEL_CHOICES = [(n, str(n)) for n in range(1, 6)]


def declared_level_choices(versions):
    """(level, "3 — Comprehensive") for the levels the model versions declare: 1 to the highest
    top level among them, each named as the versions name it (names that differ are joined)."""
    names = {}
    for version in versions:
        for level, name in version.level_names().items():
            if name not in names.setdefault(level, []):
                names[level].append(name)
    if not names:
        return LEVEL_CHOICES
    return [
        (level, f"{level} — {' / '.join(str(name) for name in names.get(level, [])[:3])}")
        if names.get(level)
        else (level, str(level))
        for level in range(1, max(names) + 1)
    ]


class DateInput(forms.DateInput):
    input_type = "date"


class EngagementForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Client organization"), queryset=None)
    model_version = forms.ModelChoiceField(label=_("Model version"), queryset=None)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Engagement.Kind.choices, initial=Engagement.Kind.INITIAL
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    target_level = forms.TypedChoiceField(
        label=_("Target level"), choices=LEVEL_CHOICES, coerce=int, initial=3
    )
    scope = forms.CharField(
        label=_("Scope"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Codes of parts, domains or items, separated by spaces or commas "
            "(e.g. CD for the whole part, CD.CM for a domain, CD.CM.VC for one item)."
        ),
    )
    planned_start = forms.DateField(label=_("Planned start"), required=False, widget=DateInput)
    planned_end = forms.DateField(label=_("Planned end"), required=False, widget=DateInput)

    def __init__(self, *args, organizations, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["model_version"].queryset = versions
        # The levels the versions offered declare (the service checks the chosen one's).
        self.fields["target_level"].choices = declared_level_choices(versions)

    def scope_codes(self):
        raw = self.cleaned_data.get("scope", "").replace(",", " ")
        return [code for code in raw.split() if code]


class TransitionForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=_("Engagement role"), choices=Assignment.Role.choices)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people


class ConflictForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Client organization"), queryset=None)
    reason = forms.CharField(label=_("What is the conflict?"), max_length=300)
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=None,
        required=False,
        help_text=_("Leave empty to declare your own conflict."),
    )

    def __init__(self, *args, organizations, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        if people is None:
            del self.fields["user"]
        else:
            self.fields["user"].queryset = people


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (a list once cleaned)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"data-dropzone": ""}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class RequirementChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} (L{obj.level}) — {obj.text[:90]}"


class EvidenceForm(forms.Form):
    file = MultipleFileField(
        label=_("Files"),
        help_text=_("Choose several files or drop them here; each gets the links below."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Capability items it supports"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    requirements = RequirementChoiceField(
        label=_("Level requirements it supports"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, items, requirements=None, upload_errors=None, single=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        self.fields["requirements"].queryset = requirements
        self.single = single
        if single:
            self.fields["file"].widget = forms.ClearableFileInput()
            self.fields["file"].label = _("File")
            self.fields["file"].help_text = ""
        self.upload_errors = upload_errors or {}

    def clean(self):
        # A file skipped by the upload handler (too large) is missing: say why.
        for field, message in self.upload_errors.items():
            self.errors.pop(field, None)
            self.add_error(field if field in self.fields else None, message)
        files = self.cleaned_data.get("file") or []
        if self.single and len(files) > 1:
            self.add_error("file", _("A new version is one file."))
        return super().clean()


class LinkForm(forms.Form):
    items = forms.ModelMultipleChoiceField(
        label=_("Capability items it supports"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    requirements = RequirementChoiceField(
        label=_("Level requirements it supports"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, items, requirements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items
        self.fields["requirements"].queryset = requirements


class JudgeManyForm(forms.Form):
    evidence = forms.ModelMultipleChoiceField(queryset=None)
    accept = forms.TypedChoiceField(
        label=_("Judgement"),
        choices=[("1", _("Accept")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence


class JudgeForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Judgement"),
        choices=[("1", _("Accept")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FindingForm(forms.Form):
    narrative = forms.CharField(
        label=_("Narrative"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence = forms.ModelMultipleChoiceField(
        label=_("Evidence referred to"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    final = forms.BooleanField(label=_("Final (every requirement rated)"), required=False)

    RATING_CHOICES = [("", "—")] + [
        (Rating.MET.value, _("Met")),
        (Rating.PARTIALLY_MET.value, _("Partially met")),
        (Rating.NOT_MET.value, _("Not met")),
        (Rating.NOT_APPLICABLE.value, _("Not applicable")),
    ]

    def __init__(self, *args, requirements, evidence, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence
        self.requirements = requirements
        current = current or {}
        for requirement in requirements:
            rating, note = current.get(requirement.pk, ("", ""))
            self.fields[f"rating_{requirement.pk}"] = forms.ChoiceField(
                choices=self.RATING_CHOICES,
                required=False,
                initial=rating,
                label=requirement.code,
            )
            self.fields[f"note_{requirement.pk}"] = forms.CharField(
                required=False, initial=note, label=_("Note"), max_length=2000
            )

    def rating_rows(self):
        return [(r, self[f"rating_{r.pk}"], self[f"note_{r.pk}"]) for r in self.requirements]

    def ratings(self):
        result = {}
        for requirement in self.requirements:
            value = self.cleaned_data.get(f"rating_{requirement.pk}")
            if value:
                result[requirement.pk] = (value, self.cleaned_data.get(f"note_{requirement.pk}"))
        return result


class NonconformityForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Capability item"), queryset=None)
    grade = forms.ChoiceField(label=_("Grade"), choices=Nonconformity.Grade.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class AnswerForm(forms.Form):
    corrective_action = forms.CharField(
        label=_("Corrective action"), widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence = forms.ModelMultipleChoiceField(label=_("Evidence"), queryset=None, required=False)

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence


class CloseForm(forms.Form):
    verification_note = forms.CharField(
        label=_("How was the correction verified?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Review.Outcome.choices, widget=forms.RadioSelect
    )
    comments = forms.CharField(
        label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=Decision.Outcome.choices, widget=forms.RadioSelect
    )
    level = forms.TypedChoiceField(
        label=_("Level granted"),
        choices=[("", "—")] + LEVEL_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "A level lower than the findings reach may be granted: say why here. A higher one "
            "never."
        ),
    )

    def __init__(self, *args, version, reached=None, **kwargs):
        """`reached`: the level the findings reach; only the declared levels up to it are
        offered (a higher one is never granted), all of them when it is not given."""
        super().__init__(*args, **kwargs)
        levels = declared_level_choices([version])
        if reached is not None:
            levels = [(level, label) for level, label in levels if level <= reached]
        self.fields["level"].choices = [("", "—"), *levels]


class EvidenceRequestForm(forms.Form):
    title = forms.CharField(label=_("What is asked for"), max_length=300)
    details = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    item = forms.ModelChoiceField(label=_("Capability item"), queryset=None, required=False)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items


class CatalogueRequestForm(forms.Form):
    catalogue_due_date = forms.DateField(label=_("Due date"), widget=DateInput)


class SubmitRequestForm(forms.Form):
    evidence = forms.ModelMultipleChoiceField(
        label=_("Files that answer the request"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, evidence, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = evidence


class ReviewRequestForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Pre-review"),
        choices=[("1", _("Accept")), ("0", _("Ask for a correction"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("What to correct"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    correction_due = forms.DateField(label=_("Correct by"), required=False, widget=DateInput)


class SelfAssessmentForm(forms.Form):
    """One row per in-scope leaf: the client's own level, its target and a note."""

    def __init__(self, *args, items, top, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        self.top = top
        # In the standard's notation: "3-" meets part of level 3 (level 2 and more).
        levels = [("", "—"), ("0", "0"), ("1", "1")]
        for n in range(2, top + 1):
            levels += [(f"{n}-", f"{n}-"), (str(n), str(n))]
        targets = [("", "—")] + [(str(n), str(n)) for n in range(1, top + 1)]
        for item in self.items:
            mine = current.get(item.pk)
            self.fields[f"level_{item.pk}"] = forms.ChoiceField(
                label=_("Level reached: %(code)s") % {"code": item.code},
                choices=levels,
                required=False,
                initial=mine.display if mine else "",
            )
            self.fields[f"target_{item.pk}"] = forms.TypedChoiceField(
                label=_("Target: %(code)s") % {"code": item.code},
                choices=targets,
                coerce=int,
                empty_value=None,
                required=False,
                initial=mine.target_level if mine and mine.target_level else "",
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("Note: %(code)s") % {"code": item.code},
                required=False,
                max_length=2000,
                initial=mine.note if mine else "",
            )

    def rows(self):
        return [
            (item, self[f"level_{item.pk}"], self[f"target_{item.pk}"], self[f"note_{item.pk}"])
            for item in self.items
        ]

    def ratings(self):
        result = {}
        for item in self.items:
            chosen = self.cleaned_data.get(f"level_{item.pk}")
            if chosen:
                level, partial = parse_level(chosen, self.top)
                result[item.pk] = (
                    level,
                    self.cleaned_data.get(f"target_{item.pk}"),
                    self.cleaned_data.get(f"note_{item.pk}", ""),
                    partial,
                )
        return result


class SelfAssessmentSheetForm(forms.Form):
    """A filled-in self-assessment sheet (xlsx, in CAICT's layout) to record in one go."""

    file = forms.FileField(
        label=_("Filled-in self-assessment sheet (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
