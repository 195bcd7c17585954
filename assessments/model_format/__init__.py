"""Assay's YAML format for capability models: load, validate, dump (docs/model-format.md).

Plain Python, no Django, so the format can be checked by tests, management commands and the
upload form alike; the JSON Schema of the format is schema.json next to this file.
"""

from assessments.model_format.loader import (
    AGGREGATION_RULES,
    DEFAULT_RATING_VALUES,
    EVIDENCE_KINDS,
    MAX_LEVELS,
    MAX_MODEL_BYTES,
    AggregationRule,
    DomainNode,
    EvidenceNode,
    ItemNode,
    LevelCell,
    LevelDefinition,
    LocalizedText,
    ModelDocument,
    ModelFormatError,
    Problem,
    RatingValueDefinition,
    RequirementNode,
    StandardReference,
    dump_model,
    json_schema,
    load_model,
)
from assessments.model_format.readers import FILE_FORMATS, detect_format, read_model_file

__all__ = [
    "AGGREGATION_RULES",
    "FILE_FORMATS",
    "DEFAULT_RATING_VALUES",
    "EVIDENCE_KINDS",
    "MAX_LEVELS",
    "MAX_MODEL_BYTES",
    "AggregationRule",
    "DomainNode",
    "EvidenceNode",
    "ItemNode",
    "LevelCell",
    "LevelDefinition",
    "LocalizedText",
    "ModelDocument",
    "ModelFormatError",
    "Problem",
    "RatingValueDefinition",
    "RequirementNode",
    "StandardReference",
    "detect_format",
    "dump_model",
    "json_schema",
    "load_model",
    "read_model_file",
]
