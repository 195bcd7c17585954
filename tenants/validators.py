"""Validation of registration ids of client organizations."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> None:
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d.")
            % {"n": len(code)},
            code="uscc_length",
        )
    bad = sorted({ch for ch in code if ch not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _("A unified social credit code cannot contain %(chars)s.") % {"chars": " ".join(bad)},
            code="uscc_characters",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong."),
            code="uscc_checksum",
        )


def validate_registration_id(registration_type: str, registration_id: str) -> None:
    """Raise a ValidationError on the `registration_id` field when it is malformed."""
    if registration_type == "uscc":
        try:
            validate_uscc(registration_id or "")
        except ValidationError as error:
            raise ValidationError({"registration_id": error.messages}) from error
    elif not (registration_id or "").strip():
        raise ValidationError({"registration_id": _("A registration id is required.")})
