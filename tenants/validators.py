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


# Emoji and pictographs: a legal name printed on a certificate is set in the certificate's
# fonts, which hold no emoji (docs/architecture.md, "PDF layout and fonts"). Refused at the
# form, with the character named, rather than when a certificate is issued.
_PICTOGRAPHS = (
    (0x2190, 0x21FF),  # arrows
    (0x2300, 0x23FF),  # miscellaneous technical (⌚ ⏰ …)
    (0x2460, 0x24FF),  # enclosed alphanumerics
    (0x25A0, 0x27BF),  # geometric shapes, miscellaneous symbols, dingbats
    (0x2900, 0x297F),
    (0x2B00, 0x2BFF),  # miscellaneous symbols and arrows (⭐ …)
    (0x1F000, 0x1FAFF),  # mahjong to symbols and pictographs extended-A, flags
    (0xE0000, 0xE007F),  # tags (subdivision flags)
)
_EMOJI_FORMAT = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}  # joiner, variation selectors, keycap


def unprintable_in_name(value: str) -> list[str]:
    """The emoji, pictographs, private-use and unassigned characters of ``value``."""
    import unicodedata

    found = []
    for ch in value or "":
        cp = ord(ch)
        if (
            ch in _EMOJI_FORMAT
            or any(start <= cp <= end for start, end in _PICTOGRAPHS)
            or unicodedata.category(ch) in ("Co", "Cn", "Cs")
        ) and ch not in found:
            found.append(ch)
    return found


def validate_printable_name(value: str) -> None:
    """A ValidationError naming each emoji or pictograph of a name, e.g. 🚀 (U+1F680)."""
    import unicodedata

    bad = unprintable_in_name(value)
    if bad:
        named = ", ".join(
            f"{ch} (U+{ord(ch):04X} {unicodedata.name(ch, '')})".replace(" )", ")") for ch in bad
        )
        raise ValidationError(
            _("Emoji and pictographs cannot be printed on certificates; remove %(characters)s.")
            % {"characters": named},
            code="unprintable",
        )
