"""One entry point for every model file Assay reads: its own format (load_model) and CISO
Assistant framework libraries (load_ciso_assistant), told apart by their content."""

from __future__ import annotations

from assessments.model_format.ciso_assistant import load_ciso_assistant, looks_like_ciso_assistant
from assessments.model_format.loader import ModelDocument, ModelFormatError, _decode, _Refused
from assessments.model_format.loader import load_model as load_assay

FILE_FORMATS = ("assay", "ciso-assistant")


def detect_format(source: str | bytes) -> str:
    """ "ciso-assistant" for a CISO Assistant library, else "assay" (whose loader then says
    precisely what is wrong with a file that is neither)."""
    try:
        text = _decode(source)
    except _Refused:
        return "assay"  # too large or not UTF-8: load_model says so
    return "ciso-assistant" if looks_like_ciso_assistant(text) else "assay"


def read_model_file(source: str | bytes, file_format: str | None = None) -> ModelDocument:
    """The model document of a file in any supported format (detected from the content unless
    `file_format` names one); ModelFormatError with every problem otherwise."""
    if file_format is None:
        file_format = detect_format(source)
    if file_format == "ciso-assistant":
        return load_ciso_assistant(source)
    if file_format == "assay":
        return load_assay(source)
    raise ValueError(f"unknown model file format {file_format!r}")


__all__ = ["FILE_FORMATS", "ModelFormatError", "detect_format", "read_model_file"]
