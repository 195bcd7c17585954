"""Certificate and report pages of a tenant, and the public verification pages."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from assessments import policy as engagement_policy
from assessments.policy import Action
from assessments.selectors.engagements import visible_engagement_or_404
from certificates import openbadges, policy, selectors, services, trust, verification
from certificates.credentials import SigningNotConfigured
from certificates.forms import (
    BodyParticularsForm,
    ConcludeForm,
    IssueForm,
    ReasonForm,
    SuspendForm,
    VerifyCredentialForm,
    VerifyFileForm,
    VerifyNumberForm,
)
from certificates.models import Certificate, ProgrammeVisit, StatusList
from certificates.services import badges, particulars, programme
from portal import trail
from portal.errors import DomainError
from portal.forms import submitted, submitted_files
from portal.storage import TamperedFile, open_verified
from tenants.access import require_capability
from tenants.roles import Capability


def _error_text(error):
    return getattr(error, "message", None) or " ".join(getattr(error, "messages", [str(error)]))


def certificate_list(request):
    certificates = selectors.certificates_visible_to(request.membership).order_by("-created_at")
    return render(request, "certificates/list.html", {"certificates": certificates[:200]})


def certificate_detail(request, certificate_id):
    certificate = get_object_or_404(
        selectors.certificates_visible_to(request.membership), pk=certificate_id
    )
    events = selectors.public_events(certificate)
    names = trail.names_of(events, request.tenant)
    events = [(event, trail.certificate_sentence(event, names)) for event in events]
    may_manage = _may_manage(request, certificate)
    return render(
        request,
        "certificates/detail.html",
        {
            "certificate": certificate,
            "events": events,
            "may_manage": may_manage,
            "form": ReasonForm(),
            "suspend_form": SuspendForm(),
            "may_request_suspension": bool(
                policy.may_request_suspension(request.membership, certificate)
            )
            and certificate.status == Certificate.Status.ACTIVE,
            "verify_url": verification_url(certificate),
            "visits": selectors.visits_visible_to(request.membership).filter(
                certificate=certificate
            ),
            "conclude_form": ConcludeForm(),
        },
    )


@require_POST
def programme_conclude(request, visit_id):
    """The officer ends a surveillance: maintain, suspend or reduce (services.programme)."""
    visit = get_object_or_404(selectors.visits_visible_to(request.membership), pk=visit_id)
    form = ConcludeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            programme.conclude(
                visit=visit,
                by=request.membership,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                level=form.cleaned_data["level"],
                domains=form.domain_codes(),
            )
        except (ValidationError, DomainError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request,
                _("Surveillance concluded: %(outcome)s.")
                % {"outcome": ProgrammeVisit.Outcome(form.cleaned_data["outcome"]).label},
            )
    return redirect("certificates:detail", request.tenant.slug, visit.certificate_id)


def certificate_status(request, certificate_id):
    """JSON the detail page polls while the PDF is being made."""
    certificate = get_object_or_404(
        selectors.certificates_visible_to(request.membership), pk=certificate_id
    )
    return JsonResponse({"status": certificate.status, "ready": bool(certificate.pdf)})


def verification_url(certificate):
    from certificates.rendering import verify_url

    return verify_url(certificate)


def _may_manage(request, certificate):
    return bool(policy.can_manage(request.membership, certificate))


def certificate_issue(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    earlier = (
        selectors.certificates_visible_to(request.membership)
        .filter(
            organization=engagement.organization,
            status__in=[Certificate.Status.ACTIVE, Certificate.Status.SUSPENDED],
        )
        .exclude(engagement=engagement)
    )
    form = IssueForm(submitted(request), certificates=earlier)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.issue_certificate(
                engagement=engagement,
                by=request.membership,
                supersede=form.cleaned_data["supersede"],
            )
        except (ValidationError, DomainError) as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request,
                _("Certificate %(number)s is being issued.") % {"number": certificate.number},
            )
            return redirect("certificates:detail", request.tenant.slug, certificate.pk)
    return render(request, "certificates/issue.html", {"engagement": engagement, "form": form})


@require_POST
def certificate_change(request, certificate_id, action):
    certificate = get_object_or_404(
        selectors.certificates_visible_to(request.membership), pk=certificate_id
    )
    change = {
        "suspend": services.suspend,
        "reinstate": services.reinstate,
        "withdraw": services.withdraw,
        "request-suspension": services.request_suspension,
    }.get(action)
    if change is None:
        raise Http404
    form = (SuspendForm if action == "suspend" else ReasonForm)(request.POST)
    form.is_valid()
    extra = {"deadline": form.cleaned_data.get("deadline")} if action == "suspend" else {}
    if form.errors:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("certificates:detail", request.tenant.slug, certificate.pk)
    try:
        change(
            certificate=certificate,
            by=request.membership,
            reason=form.cleaned_data.get("reason", ""),
            **extra,
        )
    except (ValidationError, DomainError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Certificate updated; the verification page shows it."))
    return redirect("certificates:detail", request.tenant.slug, certificate.pk)


def certificate_download(request, certificate_id):
    certificate = get_object_or_404(
        selectors.certificates_visible_to(request.membership), pk=certificate_id
    )
    return _pdf_response(request, certificate, f"{certificate.number}.pdf")


def _pdf_response(request, row, filename):
    if not row.pdf:
        raise Http404(_("The PDF is not ready yet."))
    try:
        handle = open_verified(row.pdf, row.sha256)
    except TamperedFile as error:
        return render(
            request,
            "error.html",
            {"status": 409, "title": _("File altered"), "message": str(error)},
            status=409,
        )
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )


def report_list(request, engagement_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    engagement_policy.require(request.membership, Action.VIEW_REPORTS, engagement)
    reports = selectors.reports_visible_to(request.membership).filter(engagement=engagement)
    if request.method == "POST":
        try:
            services.request_report(engagement=engagement, by=request.membership)
        except (ValidationError, DomainError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("A new report version is being made."))
        return redirect("certificates:report_list", request.tenant.slug, engagement.pk)
    return render(
        request, "certificates/reports.html", {"engagement": engagement, "reports": reports}
    )


def report_download(request, engagement_id, report_id):
    engagement = visible_engagement_or_404(request.membership, engagement_id)
    report = get_object_or_404(
        selectors.reports_visible_to(request.membership), pk=report_id, engagement=engagement
    )
    return _pdf_response(request, report, f"{engagement.reference}-report-v{report.version}.pdf")


# --- Public verification (no login, no tenant in the address) ----------------------------------

RATE = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["public"]


def _limited(request):
    return render(
        request,
        "error.html",
        {
            "status": 429,
            "title": _("Too many requests"),
            "message": _("Too many verifications from your address; wait a minute and try again."),
        },
        status=429,
    )


@ratelimit(key="ip", rate=RATE, block=False)
def verify(request):
    if getattr(request, "limited", False):
        return _limited(request)
    number_form = VerifyNumberForm(
        request.GET if "number" in request.GET else None,
        own_hosts=verification.own_hosts(request),
    )
    if number_form.is_valid():
        return redirect("verify:number", number_form.cleaned_data["number"])
    # Two upload forms on one page: the button pressed says which one was sent.
    checks_credential = request.POST.get("check") == "credential"
    upload_errors = getattr(request, "upload_errors", None)
    file_form = VerifyFileForm(
        None if checks_credential else submitted(request),
        None if checks_credential else submitted_files(request),
        upload_errors=upload_errors,
    )
    credential_form = VerifyCredentialForm(
        submitted(request) if checks_credential else None,
        submitted_files(request) if checks_credential else None,
        upload_errors=upload_errors,
    )
    verdict = None
    if request.method == "POST" and checks_credential and credential_form.is_valid():
        try:
            text = verification.credential_text(
                credential_form.cleaned_data["credential"],
                credential_form.cleaned_data["credential_text"],
            )
            verdict = verification.verify_credential(text)
        except ValidationError as error:
            credential_form.add_error(None, error)
    elif request.method == "POST" and not checks_credential and file_form.is_valid():
        try:
            data = verification.check_upload(file_form.cleaned_data["pdf"])
            verdict = verification.verify_upload(data)
        except ValidationError as error:
            file_form.add_error(None, error)
    return render(
        request,
        "certificates/verify.html",
        {
            "number_form": number_form,
            "file_form": file_form,
            "credential_form": credential_form,
            "verdict": verdict,
        },
        status=400 if number_form.errors or file_form.errors or credential_form.errors else 200,
    )


@ratelimit(key="ip", rate=RATE, block=False)
def verify_number(request, number):
    if getattr(request, "limited", False):
        return _limited(request)
    certificate = selectors.public_certificate(number)
    if not verification.is_published(certificate):
        return render(
            request,
            "certificates/verify_unknown.html",
            {"number": number, "verdict": verification.unknown_number(number)},
            status=404,
        )
    verdict = verification.verify_certificate(certificate)
    complaint_url = reverse("complaints:new", args=[certificate.tenant.slug])
    return render(
        request,
        "certificates/verify_result.html",
        {
            "facts": verdict.certificate,
            "verdict": verdict,
            "complaint_url": f"{complaint_url}?certificate={certificate.number}",
        },
    )


# --- Open Badges credentials (docs/architecture.md, "Open Badges credentials") ------------------


@ratelimit(key="ip", rate=RATE, block=False)
def verify_credential_download(request, number):
    """The certificate's Open Badges credential (VC-JWT), as a file."""
    if getattr(request, "limited", False):
        return _limited(request)
    certificate = selectors.public_certificate(number)
    if not verification.is_published(certificate) or not certificate.credential:
        raise Http404(_("This certificate has no credential."))
    response = HttpResponse(certificate.credential, content_type=openbadges.MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.jwt"'
    return response


def _issuer_or_404(slug):
    tenant = selectors.public_issuer(slug)
    if tenant is None:
        raise Http404
    return tenant


def issuer_profile(request, slug):
    """The body's Open Badges Profile: the `issuer.id` of its credentials."""
    tenant = _issuer_or_404(slug)
    return JsonResponse(
        {
            "@context": openbadges.CONTEXTS,
            **openbadges.issuer_profile(tenant),
            "jwks_uri": openbadges.jwks_url(tenant),
        },
        json_dumps_params={"ensure_ascii": False},
    )


def issuer_jwks(request, slug):
    """The body's public signing key (JWKS), with its certificate chain."""
    tenant = _issuer_or_404(slug)
    try:
        key = openbadges.body_key(tenant)
    except SigningNotConfigured:
        raise Http404 from None
    return JsonResponse({"keys": [key.public_jwk()]})


def trust_roots_download(request):
    """The CA certificates this portal trusts, as one PEM file: for checking a PDF offline."""
    pem = trust.roots_pem()
    if not pem:
        raise Http404
    response = HttpResponse(pem, content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="assay-trust-roots.pem"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


def openssl_check_download(request):
    """The OpenSSL check (certificates/offline/openssl_check.py): Python's standard library only."""
    return FileResponse(
        trust.OPENSSL_CHECK.open("rb"),
        as_attachment=True,
        filename="openssl_check.py",
        content_type="text/x-python; charset=utf-8",
    )


def status_list(request, slug, purpose):
    """The body's Bitstring Status List credential for one purpose (VC-JWT), as stored."""
    tenant = _issuer_or_404(slug)
    if purpose not in StatusList.Purpose.values:
        raise Http404
    try:
        stored = badges.status_lists(tenant)[purpose]
    except SigningNotConfigured:
        raise Http404 from None
    response = HttpResponse(stored.credential, content_type=openbadges.MEDIA_TYPE)
    response["Cache-Control"] = "public, max-age=300"
    return response


def body_particulars(request):
    """What the body's certificates and reports print of the body: its Chinese name, address,
    accreditation and images (ISO/IEC 17021-1 8.2.2). Tenant admins only; audited."""
    require_capability(request.membership, Capability.MANAGE_SETTINGS)
    tenant = request.tenant
    form = BodyParticularsForm(
        submitted(request),
        submitted_files(request),
        initial={name: getattr(tenant, name) for name in particulars.TEXTS},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            particulars.update_particulars(
                tenant=tenant,
                by=request.membership,
                texts={name: data[name] for name in particulars.TEXTS},
                images={
                    name: particulars.read_upload(data[name])
                    for name in particulars.IMAGES
                    if data[name]
                },
                clear=[name for name in particulars.IMAGES if data[f"clear_{name}"]],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Body particulars saved."))
            return redirect("certificates:particulars", tenant.slug)
    images = [
        (name, form[name].label, particulars.stored_image(tenant, name))
        for name in particulars.IMAGES
    ]
    return render(
        request,
        "certificates/particulars.html",
        {"form": form, "images": images},
        status=400 if form.errors else 200,
    )
