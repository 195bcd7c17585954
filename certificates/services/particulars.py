"""What an assessment body's certificates and reports print of the body itself (ISO/IEC 17021-1
8.2.2): its Chinese name, address, accreditation, and its logo, accreditation mark and seal.
Set by the body's tenant admins, in the browser and through the API (docs/architecture.md,
"Body particulars"): checked first, stored all together or not at all, audited."""

import mimetypes
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsed only after DOCTYPE/ENTITY are refused
from dataclasses import replace

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from certificates.pdf.render import LayoutOverflow, UnprintableText
from certificates.pdf.sample import SampleCertificate, certificate_html
from certificates.rendering import check_certificate_html_fits, data_url, inline_image
from portal import audit
from tenants.access import require_capability
from tenants.models import Tenant
from tenants.roles import Capability

TEXTS = ("name_zh", "address", "accreditation_body", "accreditation_number")
IMAGES = ("logo", "accreditation_mark", "seal")
MAX_IMAGE_BYTES = 2 * 1024 * 1024  # what the renderer reads of an image (certificates.rendering)
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}
_SVG_FORBIDDEN = re.compile(rb"<!DOCTYPE|<!ENTITY|<script|<foreignObject|\son\w+\s*=", re.I)


def image_type(data: bytes) -> str | None:
    """The media type of an image the certificate may print (PNG, JPEG, SVG), from its bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096]:
        return "image/svg+xml"
    return None


def check_image(data: bytes) -> str:
    """The media type of ``data``, or a ValidationError saying why it cannot be printed."""
    if not data:
        raise ValidationError(_("The file is empty."))
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("An image is at most %(limit)s MB.") % {"limit": MAX_IMAGE_BYTES // (1024 * 1024)}
        )
    kind = image_type(data)
    if kind is None:
        raise ValidationError(_("Use a PNG, JPEG or SVG image."))
    if kind == "image/svg+xml":
        if _SVG_FORBIDDEN.search(data):
            raise ValidationError(
                _("This SVG contains scripts, event handlers or a document type: not accepted.")
            )
        try:
            root = ET.fromstring(data)  # noqa: S314 - DOCTYPE and entities refused above
        except ET.ParseError:
            raise ValidationError(_("This SVG is not well-formed XML.")) from None
        if not root.tag.endswith("svg"):
            raise ValidationError(_("Use a PNG, JPEG or SVG image."))
    return kind


def read_upload(upload) -> bytes:
    """An uploaded image's bytes, read no further than one byte past the limit."""
    return upload.read(MAX_IMAGE_BYTES + 1)


def stored_image(tenant: Tenant, name: str) -> str:
    """The body's stored image ``name`` as a data: URL ("" when there is none)."""
    return inline_image(getattr(tenant, name))


def stored_type(tenant: Tenant, name: str) -> str | None:
    """The media type of the body's stored image ``name`` (None when there is none), from the
    extension it was stored under after its bytes were checked: the file is not read."""
    field = getattr(tenant, name)
    return mimetypes.guess_type(field.name)[0] if field else None


def check_certificate_fits(tenant: Tenant, texts: dict, images: dict) -> None:
    """A typical certificate of the body, laid out with these particulars, must fit its page
    and print every character: the refusal comes now, not at the next certificate's issue."""
    sample = replace(
        SampleCertificate(),
        issuer_en=tenant.name,
        issuer_zh=texts.get("name_zh", tenant.name_zh),
        issuer_address=texts.get("address", tenant.address),
        accreditation_body=texts.get("accreditation_body", tenant.accreditation_body),
        accreditation_number=texts.get("accreditation_number", tenant.accreditation_number),
        seal=images.get("seal", stored_image(tenant, "seal")),
        logo=images.get("logo", stored_image(tenant, "logo")),
        accreditation_mark=images.get(
            "accreditation_mark", stored_image(tenant, "accreditation_mark")
        ),
    )
    try:
        check_certificate_html_fits(certificate_html(sample))
    except UnprintableText as error:
        raise ValidationError(
            _("Certificates cannot print this: %(reason)s") % {"reason": error}
        ) from None
    except LayoutOverflow:
        raise ValidationError(
            _(
                "With these particulars a certificate no longer fits its page: shorten the "
                "address or the names, or use smaller images."
            )
        ) from None


def update_particulars(*, tenant: Tenant, by, texts: dict, images: dict, clear=()) -> Tenant:
    """Set the body's particulars: ``texts`` (of TEXTS), ``images`` ({field: bytes}) and the
    image fields in ``clear`` removed. Everything is checked before anything is stored."""
    require_capability(by, Capability.MANAGE_SETTINGS)
    texts = {name: (value or "").strip() for name, value in texts.items() if name in TEXTS}
    errors, kinds = {}, {}
    for name, data in images.items():
        try:
            kinds[name] = check_image(data)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    previews = {name: data_url(data, kinds[name]) for name, data in images.items()}
    previews.update({name: "" for name in clear if name in IMAGES and name not in images})
    check_certificate_fits(tenant, texts, previews)
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        changes = audit.diff(tenant, TEXTS, texts)
        for name, value in texts.items():
            setattr(tenant, name, value)
        replaced = []  # files no certificate needs any more: each one inlined what it printed
        for name, data in images.items():
            field = getattr(tenant, name)
            changes[name] = ["image" if field else "", f"{len(data)} bytes"]
            if field:
                replaced.append(field.name)
            field.save(
                f"{tenant.slug}-{name}.{EXTENSIONS[kinds[name]]}", ContentFile(data), save=False
            )
        for name in clear:
            field = getattr(tenant, name)
            if name in IMAGES and name not in images and field:
                replaced.append(field.name)
                setattr(tenant, name, "")
                changes[name] = ["image", ""]
        storage = getattr(tenant, IMAGES[0]).storage
        transaction.on_commit(lambda: [storage.delete(old) for old in replaced])
        if changes:
            tenant.save(update_fields=[*TEXTS, *IMAGES])
            audit.record(
                verb="tenant.particulars", obj=tenant, actor=by, tenant=tenant, changes=changes
            )
    return tenant
