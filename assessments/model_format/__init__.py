"""Assay's YAML format for capability models: load, validate, dump (docs/model-format.md).

Plain Python, no Django, so the format can be checked by tests, management commands and the
upload form alike; the JSON Schema of the format is schema.json next to this file.
"""

from assessments.model_format.loader import (
    MAX_MODEL_BYTES,
    DomainNode,
    ItemNode,
    LevelDefinition,
    LocalizedText,
    ModelDocument,
    ModelFormatError,
    Problem,
    RequirementNode,
    dump_model,
    json_schema,
    load_model,
)

__all__ = [
    "MAX_MODEL_BYTES",
    "DomainNode",
    "ItemNode",
    "LevelDefinition",
    "LocalizedText",
    "ModelDocument",
    "ModelFormatError",
    "Problem",
    "RequirementNode",
    "dump_model",
    "json_schema",
    "load_model",
]
