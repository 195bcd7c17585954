"""Web pages of the model library: browse, compare, and (tenant admins) upload and publish."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.forms.library import ModelUploadForm
from assessments.model_format import ModelFormatError, read_model_file
from assessments.selectors import library as selectors
from assessments.services import library as services
from portal.errors import Conflict


def model_list(request):
    models = selectors.models_visible_to(request.membership)
    return render(request, "assessments/library/model_list.html", {"models": models})


def _version(request, version_id):
    return get_object_or_404(
        selectors.versions_visible_to(request.membership).select_related("model"), pk=version_id
    )


def version_detail(request, version_id):
    version = _version(request, version_id)
    tree = selectors.version_tree(version)
    others = selectors.versions_visible_to(request.membership).filter(model=version.model)
    return render(
        request,
        "assessments/library/version_detail.html",
        {
            "version": version,
            "tree": tree,
            "level_names": version.level_names(),
            "layer_names": dict(enumerate(version.layer_names())),
            "others": others.exclude(pk=version.pk),
        },
    )


def version_compare(request, version_id):
    version = _version(request, version_id)
    others = selectors.versions_visible_to(request.membership).filter(model=version.model)
    other = None
    changes = None
    other_id = request.GET.get("with", "")
    if other_id.isdigit():
        other = others.filter(pk=int(other_id)).first()
    if other is not None:
        changes = services.compare_versions(other, version)
    return render(
        request,
        "assessments/library/version_compare.html",
        {
            "version": version,
            "other": other,
            "others": others.exclude(pk=version.pk),
            "changes": changes,
            "counts": _counts(changes or []),
        },
    )


def _counts(changes):
    counts = {}
    for change in changes:
        key = f"{change.kind}_{change.what}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def version_export(request, version_id):
    version = _version(request, version_id)
    response = HttpResponse(
        services.export_version(version), content_type="application/yaml; charset=utf-8"
    )
    filename = f"{version.model.code}-{version.version}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def model_upload(request):
    if not selectors.may_manage_models(request.membership, request.tenant):
        raise PermissionDenied(_("Your role does not allow managing models."))
    posted = request.method == "POST"
    form = ModelUploadForm(request.POST if posted else None, request.FILES if posted else None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            document = read_model_file(form.cleaned_data["file"].read())
            version = services.import_model_document(
                document=document, tenant=request.tenant, by=request.membership
            )
        except ModelFormatError as error:
            problems = error.problems
            form.add_error(
                "file",
                _("The file was refused: %(count)d problem(s), listed below. Nothing was stored.")
                % {"count": len(problems)},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Draft version uploaded. Check it, then publish it to use it.")
            )
            for warning in document.warnings:
                messages.warning(
                    request,
                    _("Warning, line %(line)d, %(path)s: %(message)s")
                    % {"line": warning.line, "path": warning.path, "message": warning.message},
                )
            return redirect("assessments:version_detail", request.tenant.slug, version.pk)
    return render(
        request, "assessments/library/model_upload.html", {"form": form, "problems": problems}
    )


@require_POST
def version_publish(request, version_id):
    version = _version(request, version_id)
    try:
        services.publish_version(version=version, by=request.membership)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Version published. It can no longer be changed."))
    return redirect("assessments:version_detail", request.tenant.slug, version.pk)


@require_POST
def version_delete(request, version_id):
    version = _version(request, version_id)
    try:
        services.delete_draft(version=version, by=request.membership)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("assessments:version_detail", request.tenant.slug, version.pk)
    messages.success(request, _("Draft deleted."))
    return redirect("assessments:model_list", request.tenant.slug)
