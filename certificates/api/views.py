"""API of certificates and reports, and the public verification API."""

import json
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    parser_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from assessments.api.engagements import VisibleEngagementField, visible_engagements
from certificates import openbadges, selectors, services, trust, verification
from certificates.models import Certificate, ProgrammeVisit, Report
from certificates.services import particulars, programme
from portal.addresses import ClientAddressRateThrottle
from portal.api import FilterSet, ModelChoiceFilter
from portal.errors import Conflict
from portal.storage import TamperedFile, open_verified
from tenants.access import require_capability
from tenants.models import Tenant
from tenants.roles import Capability


class CertificateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "engagement",
            "organization",
            "organization_name",
            "model_version",
            "level",
            "level_name_en",
            "level_name_zh",
            "scope",
            "base_number",
            "revision",
            "original_issued_on",
            "issued_on",
            "expires_on",
            "status",
            "status_reason",
            "suspended_until",
            "status_changed_at",
            "sha256",
            "signer_fingerprint",
            "supersedes",
            "created_at",
            "rendered_at",
        ]
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    engagement = VisibleEngagementField()
    supersede = serializers.PrimaryKeyRelatedField(
        queryset=Certificate.objects.none(), required=False, allow_null=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["supersede"].queryset = selectors.certificates_visible_to(
                request.membership
            )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class SuspendSerializer(ReasonSerializer):
    deadline = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The day the suspension ends at the latest (default: the body's longest).",
    )


def _organizations(request):
    from tenants.selectors import organizations_visible_to

    if request is None:
        return Certificate.objects.none()
    return organizations_visible_to(request.membership)


def _visible_certificates(request):
    if request is None:
        return Certificate.objects.none()
    return selectors.certificates_visible_to(request.membership)


# Foreign-key filters resolve their choices per request, inside the tenant scope and the
# caller's visibility (see assessments/api/engagements.py).


# Class creation inspects the default managers, outside any scope; the choices of each foreign-
# key filter come from a callable run per request, inside the tenant scope.
with scopes_disabled():

    class CertificateFilter(FilterSet):
        engagement = ModelChoiceFilter(queryset=visible_engagements)
        organization = ModelChoiceFilter(queryset=_organizations)

        class Meta:
            model = Certificate
            fields = ["status", "engagement", "organization", "level"]

    class ReportFilter(FilterSet):
        engagement = ModelChoiceFilter(queryset=visible_engagements)

        class Meta:
            model = Report
            fields = ["engagement", "status"]


def _pdf(row, filename):
    if not row.pdf:
        raise Conflict("The PDF is not ready yet.")
    try:
        handle = open_verified(row.pdf, row.sha256)
    except TamperedFile as error:
        raise Conflict(str(error)) from error
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Certificates. POST /certificates/issue/ {"engagement": id} issues (idempotent); the
    PDF is rendered and signed by a worker: poll the certificate until `status` is active."""

    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    search_fields = ["number", "organization_name"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Certificate.objects.none()
        return selectors.certificates_visible_to(self.request.membership)

    @extend_schema(request=IssueSerializer, responses=CertificateSerializer)
    @action(detail=False, methods=["post"])
    def issue(self, request):
        payload = IssueSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        certificate = services.issue_certificate(
            engagement=payload.validated_data["engagement"],
            by=request.membership,
            supersede=payload.validated_data.get("supersede"),
        )
        return Response(self.get_serializer(certificate).data, status=status.HTTP_201_CREATED)

    def _change(self, request, change):
        certificate = self.get_object()  # 404 before any 400
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        certificate = change(
            certificate=certificate, by=request.membership, reason=payload.validated_data["reason"]
        )
        return Response(self.get_serializer(certificate).data)

    @extend_schema(request=SuspendSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        certificate = self.get_object()
        payload = SuspendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        certificate = services.suspend(
            certificate=certificate,
            by=request.membership,
            reason=payload.validated_data["reason"],
            deadline=payload.validated_data.get("deadline"),
        )
        return Response(self.get_serializer(certificate).data)

    @extend_schema(request=ReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"], url_path="request-suspension")
    def request_suspension(self, request, pk=None):
        """The certified organization's administrator asks for a suspension (at once)."""
        return self._change(request, services.request_suspension)

    @extend_schema(request=ReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        return self._change(request, services.reinstate)

    @extend_schema(request=ReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._change(request, services.withdraw)

    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        certificate = self.get_object()
        return _pdf(certificate, f"{certificate.number}.pdf")


class ProgrammeVisitSerializer(serializers.ModelSerializer):
    certificate_number = serializers.CharField(source="certificate.number", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = ProgrammeVisit
        fields = [
            "id",
            "certificate",
            "certificate_number",
            "kind",
            "sequence",
            "due_on",
            "opens_on",
            "status",
            "engagement",
            "overdue",
            "overdue_since",
            "outcome",
            "outcome_reason",
            "concluded_at",
        ]
        read_only_fields = fields


class ConcludeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["maintain", "suspend", "reduce"])
    reason = serializers.CharField(max_length=2000)
    level = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=5)
    domains = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )


with scopes_disabled():

    class ProgrammeVisitFilter(FilterSet):
        certificate = ModelChoiceFilter(queryset=_visible_certificates)

        class Meta:
            model = ProgrammeVisit
            fields = ["status", "kind", "certificate"]


class ProgrammeVisitViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The programme of each certificate you may see: surveillances and the recertification,
    opened by the daily task. POST /programme/{id}/conclude/ ends a surveillance (the
    certification officer, once its engagement has a decision): maintain, suspend or reduce."""

    serializer_class = ProgrammeVisitSerializer
    filterset_class = ProgrammeVisitFilter
    ordering = ["due_on", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProgrammeVisit.objects.none()
        return selectors.visits_visible_to(self.request.membership)

    @extend_schema(request=ConcludeSerializer, responses=ProgrammeVisitSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        visit = self.get_object()
        payload = ConcludeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        visit = programme.conclude(
            visit=visit,
            by=request.membership,
            outcome=data["outcome"],
            reason=data["reason"],
            level=data.get("level"),
            domains=data["domains"],
        )
        return Response(self.get_serializer(visit).data)


class ReportSerializer(serializers.ModelSerializer):
    engagement = VisibleEngagementField()

    class Meta:
        model = Report
        fields = [
            "id",
            "engagement",
            "version",
            "status",
            "sha256",
            "signer_fingerprint",
            "page_count",
            "created_at",
            "rendered_at",
        ]
        read_only_fields = [
            "id",
            "version",
            "status",
            "sha256",
            "signer_fingerprint",
            "page_count",
            "created_at",
            "rendered_at",
        ]


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Assessment report versions. POST {"engagement": id} makes a new version (rendered and
    signed by a worker); earlier versions are kept."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    ordering = ["engagement", "-version"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return selectors.reports_visible_to(self.request.membership)

    def perform_create(self, serializer):
        serializer.instance = services.request_report(
            engagement=serializer.validated_data["engagement"], by=self.request.membership
        )

    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        report = self.get_object()
        return _pdf(report, f"{report.engagement.reference}-report-v{report.version}.pdf")


VERDICT_FIELDS = {
    "verdict": serializers.ChoiceField(choices=[o.value for o in verification.Outcome]),
    "headline": serializers.CharField(),
    "tone": serializers.ChoiceField(choices=[t.value for t in verification.Tone]),
    "message": serializers.CharField(),
}

VERIFIED_REPORT = inline_serializer(
    "VerifiedReport",
    {
        "engagement": serializers.CharField(),
        "organization": serializers.CharField(),
        "body": serializers.CharField(),
        "model": serializers.CharField(),
        "version": serializers.IntegerField(),
        "issued_at": serializers.DateTimeField(),
        "pages": serializers.IntegerField(allow_null=True),
        "latest": serializers.BooleanField(
            help_text="False once a later version of the report has been issued."
        ),
    },
    allow_null=True,
    help_text="An uploaded report that is genuine: what it is (verdict `report`).",
)

PUBLIC_FACTS = inline_serializer(
    "PublicCertificate",
    {
        **VERDICT_FIELDS,
        "number": serializers.CharField(),
        "status": serializers.CharField(),
        "organization": serializers.CharField(),
        "level": serializers.IntegerField(),
        "issued_on": serializers.DateField(),
        "expires_on": serializers.DateField(),
    },
)


def _verdict_head(verdict):
    return {
        "verdict": verdict.code,
        "headline": verdict.headline,
        "tone": verdict.tone,
        "message": verdict.message,
    }


@extend_schema(responses=PUBLIC_FACTS)
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([ClientAddressRateThrottle])
def verify_number(request, number):
    """Public: the verdict (valid, suspended, withdrawn, expired, superseded) and the facts of
    a certificate by its number (no login)."""
    certificate = selectors.public_certificate(number)
    if not verification.is_published(certificate):
        verdict = verification.unknown_number(number)
        return Response(
            {**_verdict_head(verdict), "detail": verdict.message}, status=status.HTTP_404_NOT_FOUND
        )
    verdict = verification.verify_certificate(certificate)
    return Response({**verdict.certificate, **_verdict_head(verdict)})


verify_number.cls.throttle_scope = "public"


@extend_schema(
    request={
        "multipart/form-data": inline_serializer("VerifyUpload", {"pdf": serializers.FileField()})
    },
    responses=inline_serializer(
        "VerifyVerdict",
        {
            **VERDICT_FIELDS,
            "genuine": serializers.BooleanField(),
            "certificate": serializers.DictField(allow_null=True),
            "report": VERIFIED_REPORT,
            "checks": serializers.DictField(),
        },
    ),
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([ClientAddressRateThrottle])
@parser_classes([MultiPartParser])
def verify_upload(request):
    """Public: the verdict on an uploaded PDF — the status of the certificate it is, exactly as
    issued; "report" for an assessment report exactly as issued; or "altered" / "not_ours". A
    file that is not a readable PDF is a 400 on `pdf`."""
    upload = request.FILES.get("pdf")
    skipped = (getattr(request._request, "upload_errors", None) or {}).get("pdf")
    data = verification.check_upload(upload, skipped_reason=skipped)
    return Response(verification.verify_upload(data).as_json())


verify_upload.cls.throttle_scope = "public"


@extend_schema(
    responses=inline_serializer(
        "PublicCredential",
        {
            "number": serializers.CharField(),
            "media_type": serializers.CharField(),
            "credential": serializers.CharField(help_text="The VC-JWT (compact JWS)."),
            "claims": serializers.DictField(help_text="Its payload: the OpenBadgeCredential."),
        },
    )
)
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([ClientAddressRateThrottle])
def verify_credential_of(request, number):
    """Public: the Open Badges 3.0 credential of a certificate (a VC-JWT signed with its
    body's key), and its claims. 404 for a number without a published credential."""
    certificate = selectors.public_certificate(number)
    if not verification.is_published(certificate) or not certificate.credential:
        return Response(
            {"detail": verification.unknown_number(number).message},
            status=status.HTTP_404_NOT_FOUND,
        )
    return Response(
        {
            "number": certificate.number,
            "media_type": openbadges.MEDIA_TYPE,
            "credential": certificate.credential,
            "claims": openbadges.unverified_payload(certificate.credential),
        }
    )


verify_credential_of.cls.throttle_scope = "public"


@extend_schema(
    request={
        "multipart/form-data": inline_serializer(
            "VerifyCredentialUpload", {"credential": serializers.FileField()}
        ),
        "application/json": inline_serializer(
            "VerifyCredentialText",
            {"credential": serializers.CharField(help_text="A VC-JWT, or a JSON credential.")},
        ),
    },
    responses=inline_serializer(
        "VerifyCredentialVerdict",
        {
            **VERDICT_FIELDS,
            "genuine": serializers.BooleanField(),
            "certificate": serializers.DictField(allow_null=True),
            "report": VERIFIED_REPORT,
            "checks": serializers.DictField(),
        },
    ),
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([ClientAddressRateThrottle])
@parser_classes([MultiPartParser, JSONParser])
def verify_credential(request):
    """Public: the verdict on an Open Badges credential — a file `credential` (multipart) or
    the text `credential` (JSON: the JWT, or the JSON credential as a string or an object).
    Not a readable credential: a 400 on `credential`."""
    upload = request.FILES.get("credential")
    text = "" if upload is not None else request.data.get("credential", "")
    if isinstance(text, dict):
        text = json.dumps(text)
    elif not isinstance(text, str):
        raise ValidationError({"credential": [_("Send the credential as text or a file.")]})
    skipped = (getattr(request._request, "upload_errors", None) or {}).get("credential")
    text = verification.credential_text(upload, text, skipped_reason=skipped)
    return Response(verification.verify_credential(text).as_json())


verify_credential.cls.throttle_scope = "public"


@extend_schema(
    responses=inline_serializer(
        "TrustRoots",
        {
            "roots": inline_serializer(
                "TrustRoot",
                {
                    "subject": serializers.CharField(),
                    "sha256": serializers.CharField(help_text="Of the DER certificate, in hex."),
                    "not_after": serializers.DateTimeField(),
                    "pem": serializers.CharField(),
                },
                many=True,
            ),
            "roots_pem_url": serializers.URLField(help_text="The same certificates, one PEM."),
            "openssl_check_url": serializers.URLField(
                help_text="A check of a signed PDF with OpenSSL alone, at its timestamp's time."
            ),
        },
    )
)
@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([ClientAddressRateThrottle])
def verify_trust(request):
    """Public: the CA certificates this portal trusts, and where to get the OpenSSL check, for
    checking a certificate's or report's PDF without the portal."""
    return Response(
        {
            "roots": [asdict(root) for root in trust.roots()],
            "roots_pem_url": request.build_absolute_uri(reverse("verify:trust_roots")),
            "openssl_check_url": request.build_absolute_uri(reverse("verify:openssl_check")),
        }
    )


verify_trust.cls.throttle_scope = "public"


class ParticularsSerializer(serializers.ModelSerializer):
    """What the body's certificates and reports print of the body (ISO/IEC 17021-1 8.2.2)."""

    # The texts as the model defines them, the images as uploads. Never saved itself:
    # certificates.services.particulars stores everything or nothing.

    logo = serializers.FileField(required=False, write_only=True, help_text="PNG, JPEG or SVG.")
    accreditation_mark = serializers.FileField(
        required=False, write_only=True, help_text="PNG, JPEG or SVG."
    )
    seal = serializers.FileField(required=False, write_only=True, help_text="PNG, JPEG or SVG.")
    clear = serializers.ListField(
        child=serializers.ChoiceField(choices=particulars.IMAGES),
        required=False,
        write_only=True,
        help_text="Images to remove.",
    )
    images = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        read_only=True,
        help_text="Each image's media type, or null when the body has none.",
    )

    class Meta:
        model = Tenant
        fields = ("name", *particulars.TEXTS, *particulars.IMAGES, "clear", "images")
        read_only_fields = ("name",)


def _particulars(tenant):
    return {
        "name": tenant.name,
        **{name: getattr(tenant, name) for name in particulars.TEXTS},
        "images": {name: particulars.stored_type(tenant, name) for name in particulars.IMAGES},
    }


@extend_schema(request=ParticularsSerializer, responses=ParticularsSerializer)
@api_view(["GET", "PATCH"])
@parser_classes([JSONParser, MultiPartParser, FormParser])
def body_particulars(request, **kwargs):
    """What the body's certificates and reports print of the body: Chinese name, address,
    accreditation, logo, accreditation mark and seal. PATCH (JSON, or multipart with image
    files) checks everything against a sample certificate before storing any of it. Tenant
    admins only; audited."""
    membership = request.membership
    require_capability(membership, Capability.MANAGE_SETTINGS)
    tenant = request.tenant
    if request.method == "PATCH":
        serializer = ParticularsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        tenant = particulars.update_particulars(
            tenant=tenant,
            by=membership,
            texts={name: data[name] for name in particulars.TEXTS if name in data},
            images={
                name: particulars.read_upload(data[name])
                for name in particulars.IMAGES
                if name in data
            },
            clear=data.get("clear", []),
        )
    return Response(_particulars(tenant))
