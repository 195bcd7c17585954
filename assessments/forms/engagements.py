from django import forms
from django.core.exceptions import ValidationError
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


class IdsField(forms.MultipleChoiceField):
    """Ids of ticked boxes (the scope picker's); which ids belong to the model version is the
    service's to say (a 400 naming the field)."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        ids = []
        for raw in super().to_python(value):
            if not str(raw).isdigit() or len(str(raw)) > 18:
                raise ValidationError(_("Choose from the model's boxes."), code="invalid")
            ids.append(int(raw))
        return ids

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


class VersionChoiceField(forms.ModelChoiceField):
    """A model version by the model's name (in the reader's language) and its version."""

    def label_from_instance(self, obj):
        return f"{obj.model.name} {obj.version}"


class ScopePickerMixin:
    """The scope as ticked boxes of the model's tree (parts, domains, items by name): a ticked
    part or domain takes everything beneath it (templates/assessments/engagements/scope_picker.html,
    static/portal/scope.js)."""

    PICKER = ("scope_domains", "scope_items")

    def add_picker(self):
        self.fields["scope_domains"] = IdsField(label=_("Parts and domains"), required=False)
        self.fields["scope_items"] = IdsField(label=_("Items"), required=False)

    def plain_fields(self):
        return [f for f in self.visible_fields() if f.name not in self.PICKER]

    def chosen(self, name):
        """Ids ticked now (bound) or initially: to tick the boxes again on a refused form."""
        if self.is_bound:
            return [int(v) for v in self.data.getlist(name) if str(v).isdigit()]
        return list(self.initial.get(name, []))

    def scope_errors(self):
        return [e for name in self.PICKER for e in self.errors.get(name, [])]


class EngagementForm(ScopePickerMixin, forms.Form):
    organization = forms.ModelChoiceField(label=_("Client organization"), queryset=None)
    model_version = VersionChoiceField(label=_("Model"), queryset=None)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Engagement.Kind.choices, initial=Engagement.Kind.INITIAL
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    target_level = forms.TypedChoiceField(
        label=_("Target level"), choices=LEVEL_CHOICES, coerce=int, initial=3
    )
    planned_start = forms.DateField(label=_("Planned start"), required=False, widget=DateInput)
    planned_end = forms.DateField(label=_("Planned end"), required=False, widget=DateInput)

    def __init__(self, *args, organizations, versions, **kwargs):
        super().__init__(*args, **kwargs)
        versions = versions.select_related("model")
        self.fields["organization"].queryset = organizations
        self.fields["model_version"].queryset = versions
        # The levels the versions offered declare (the service checks the chosen one's).
        self.fields["target_level"].choices = declared_level_choices(versions)
        self.add_picker()


class EngagementEditForm(ScopePickerMixin, forms.Form):
    """What may change while the engagement is prepared: title, target, dates and scope."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    target_level = forms.TypedChoiceField(label=_("Target level"), choices=(), coerce=int)
    planned_start = forms.DateField(label=_("Planned start"), required=False, widget=DateInput)
    planned_end = forms.DateField(label=_("Planned end"), required=False, widget=DateInput)

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_level"].choices = declared_level_choices([version])
        self.add_picker()


class TransitionForm(forms.Form):
    to = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class TeamRowForm(forms.Form):
    """One row of the team form: a person and the role they take (an empty row is skipped)."""

    user = forms.ModelChoiceField(label=_("Person"), queryset=None, required=False)
    role = forms.ChoiceField(
        label=_("Engagement role"),
        choices=[("", "—"), *Assignment.Role.choices],
        required=False,
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people

    def clean(self):
        data = super().clean()
        user, role = data.get("user"), data.get("role")
        if user and not role:
            self.add_error("role", _("Choose the role this person takes."))
        if role and not user and "user" not in self.errors:
            self.add_error("user", _("Choose the person who takes this role."))
        return data

    @property
    def filled(self):
        return bool(self.cleaned_data.get("user") and self.cleaned_data.get("role"))


TeamFormSet = forms.formset_factory(TeamRowForm, extra=4, max_num=20, absolute_max=20)


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


# --- Applications ------------------------------------------------------------------------------


class ApplicationVersionForm(forms.Form):
    """Step one of applying: the model version, whose form asks the questions."""

    version = forms.ModelChoiceField(label=_("Model version"), queryset=None)

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions


class ScopeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.name}"


def _question_field(question):
    """A form field for one question of the model's registration form."""
    from assessments import application_form as af

    common = {
        "label": af.label(question),
        "required": False,  # the service says which required answers are missing, on submit
        "help_text": af.help_text(question),
    }
    kind = question["type"]
    if kind == "long_text":
        return forms.CharField(
            max_length=af.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}), **common
        )
    if kind == "number":
        return forms.DecimalField(min_value=0, max_digits=14, decimal_places=3, **common)
    if kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *af.choices(question)], **common)
    if kind == "date":
        return forms.DateField(widget=DateInput, **common)
    return forms.CharField(max_length=300, **common)


class ApplicationForm(forms.Form):
    """The application for one model version: the organization (for the body's staff applying
    on a client's behalf), target level, requested scope, projects, and a field per question
    of the model's form (named `q_<key>`)."""

    organization = forms.ModelChoiceField(label=_("Client organization"), queryset=None)
    target_level = forms.TypedChoiceField(
        label=_("Target level"), choices=(), coerce=int, initial=3
    )
    scope = ScopeChoiceField(
        label=_("Scope requested"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The parts or domains to be assessed."),
    )
    projects = forms.CharField(
        label=_("Projects or sites proposed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One a line. The body samples among them for an organization-level assessment."
        ),
    )

    def __init__(self, *args, version, organizations=None, **kwargs):
        from assessments import application_form as af
        from assessments.models import Domain

        super().__init__(*args, **kwargs)
        self.version = version
        if organizations is None:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = organizations
        self.fields["target_level"].choices = declared_level_choices([version])
        self.fields["scope"].queryset = Domain.objects.filter(version=version, depth__lte=1)
        self.question_keys = []
        for question in af.questions(version):
            name = f"q_{question['key']}"
            self.fields[name] = _question_field(question)
            if question.get("required"):
                self.fields[name].widget.attrs["aria-required"] = "true"
                self.fields[name].label = f"{self.fields[name].label} *"
            self.question_keys.append(question["key"])

    def general_fields(self):
        return [
            self[name]
            for name in ("organization", "target_level", "scope", "projects")
            if name in self.fields
        ]

    def question_fields(self):
        return [self[f"q_{key}"] for key in self.question_keys]

    def answers(self):
        answers = {}
        for key in self.question_keys:
            value = self.cleaned_data.get(f"q_{key}")
            if value is None or value == "":
                continue
            if hasattr(value, "as_tuple"):  # Decimal: a whole number stays whole
                value = int(value) if value == value.to_integral_value() else float(value)
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            answers[key] = value
        return answers

    def project_names(self):
        return [line.strip() for line in self.cleaned_data.get("projects", "").splitlines()]

    def scope_codes(self):
        return [domain.code for domain in self.cleaned_data.get("scope", ())]

    def add_service_errors(self, error):
        """Put a service's ValidationError on the field it names (answers.<key> on q_<key>)."""
        for name, messages in error.message_dict.items():
            field = name
            if name.startswith("answers."):
                field = f"q_{name.split('.', 1)[1]}"
            if field not in self.fields:
                field = None
            for message in messages:
                self.add_error(field, message)

    @staticmethod
    def initial_from(application):
        initial = {
            "organization": application.organization_id,
            "target_level": application.target_level,
            "scope": list(application.scope_domains.values_list("pk", flat=True)),
            "projects": "\n".join(application.projects),
        }
        for key, value in application.answers.items():
            initial[f"q_{key}"] = value
        return initial


class ApplicationReviewForm(forms.Form):
    review_notes = forms.CharField(
        label=_("Review notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    sampled_projects = forms.MultipleChoiceField(
        label=_("Projects sampled"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to assess every project proposed."),
    )
    estimated_days = forms.DecimalField(
        label=_("Assessor-days"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=1,
        help_text=_("Leave empty to keep the formula's figure."),
    )

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sampled_projects"].choices = [(p, p) for p in application.projects]


class ApplicationDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reasons"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    planned_start = forms.DateField(label=_("Planned start"), required=False, widget=DateInput)
    planned_end = forms.DateField(label=_("Planned end"), required=False, widget=DateInput)
