"""Read and write capability models in Assay's YAML format (docs/model-format.md).

A model file is either accepted whole or refused whole: `load_model` collects every problem it
can find -- syntax, schema, duplicate codes, levels, gaps in an item's requirement levels -- and
raises one ModelFormatError listing them all, each with the line and the path of the offending
key, so an author fixes a file in one round instead of one error per upload. Nothing here touches
the database; `manage.py import_model` and the tenant admin's upload turn a ModelDocument into rows.

Untrusted input: tenant admins upload these files, so the loader guards against YAML bombs. It
refuses files over MAX_MODEL_BYTES, refuses anchors and aliases outright (they are the mechanism
of the "billion laughs" expansion, and a model has no use for them), limits nesting depth (a deep
document would exhaust the recursion of the composer and of the checks), and never constructs
arbitrary Python objects: it composes nodes with the safe loader and accepts only the core YAML
tags. Duplicate keys, which YAML loaders silently resolve to the last one, are reported instead.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

MAX_MODEL_BYTES = (
    2 * 1024 * 1024
)  # shipped models are ~60 kB; checking 2 MB takes ~4 s (jsonschema)
MAX_DEPTH = 64  # mappings and lists inside each other; a model needs about 12 plus 2 a sub-domain
LEVELS = (1, 2, 3, 4, 5)  # format 1: exactly these
MAX_LEVELS = 10  # format 2: a model declares 2 to 10 levels, numbered from 1

# libyaml when present: about ten times faster on large files, with the same nodes and marks.
_YAMLLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_LANGUAGES = {"en": "English", "zh": "Chinese"}

PathKey = tuple[str | int, ...]


# --- Problems -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a model file, said so that its author can find and fix it."""

    line: int  # 1-based line in the file
    path: str  # where in the document, e.g. "domains[2].items[0].requirements[3].level"
    message: str  # plain English

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.path}" if self.path else "")
        return f"{where}: {self.message}"


class ModelFormatError(ValueError):
    """The file was refused; `problems` lists everything found, ordered by line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"the model file has {count} problem{'s' if count != 1 else ''}:\n{lines}")


def format_path(path: PathKey) -> str:
    """("domains", 2, "items", 0, "code") -> "domains[2].items[0].code"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


# --- The document -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalizedText:
    """A name or text in English and Simplified Chinese.

    Format 1 requires both languages; format 2 requires at least one, and a missing one is ''.
    """

    en: str
    zh: str

    def get(self, language: str) -> str:
        """The text for a Django language code ("zh-hans" -> zh, others -> en), falling back to
        the other language when this one is missing, so that nothing shows blank."""
        if language.lower().startswith("zh"):
            return self.zh or self.en
        return self.en or self.zh


@dataclass(frozen=True)
class LevelDefinition:
    level: int
    name: LocalizedText


@dataclass(frozen=True)
class RequirementNode:
    code: str
    level: int
    text: LocalizedText
    # Where the node was read from, for messages; not part of its identity, so that a document
    # built from database rows compares equal to the one read from the file.
    path: str = field(default="", compare=False)


EVIDENCE_KINDS = ("document", "screenshot", "demonstration")


@dataclass(frozen=True)
class EvidenceNode:
    """Evidence an assessor expects for a level cell (format 2): a document, a screenshot or a
    demonstration, with its own code (e.g. CM-VC-VCS-L2-1) and what it should show."""

    code: str
    kind: str  # one of EVIDENCE_KINDS
    text: LocalizedText
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class LevelCell:
    """One level of a leaf item as the file lists it (format 2). Its requirements are in the
    item's `requirements` (with this level); the cell adds what is not a requirement: a
    description of the state at this level, the evidence expected, and whether applicants at
    this level also show the evidence of the level below."""

    level: int
    description: LocalizedText | None = None
    evidence: tuple[EvidenceNode, ...] = ()
    includes_lower_evidence: bool = False
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class ItemNode:
    code: str
    name: LocalizedText
    requirements: tuple[RequirementNode, ...]
    description: LocalizedText | None = None
    path: str = field(default="", compare=False)
    # Format 2: sub-items (rating happens at the leaves) and the level cells of a leaf.
    items: tuple[ItemNode, ...] = ()
    cells: tuple[LevelCell, ...] = ()
    tags: tuple[str, ...] = ()  # format 2: labels kept as data, e.g. implementation groups

    @property
    def is_leaf(self) -> bool:
        return not self.items

    def all_items(self) -> Iterator[ItemNode]:
        """This item, then its sub-items at any depth, parents before children."""
        yield self
        for child in self.items:
            yield from child.all_items()


@dataclass(frozen=True)
class DomainNode:
    code: str
    name: LocalizedText
    domains: tuple[DomainNode, ...] = ()
    items: tuple[ItemNode, ...] = ()
    path: str = field(default="", compare=False)

    def all_items(self) -> Iterator[ItemNode]:
        """Its items (with their sub-items), then those of its sub-domains at any depth."""
        for item in self.items:
            yield from item.all_items()
        for domain in self.domains:
            yield from domain.all_items()

    def all_leaves(self) -> Iterator[ItemNode]:
        """The items that are rated: those without sub-items."""
        return (item for item in self.all_items() if item.is_leaf)


@dataclass(frozen=True)
class StandardReference:
    """The published standard a model version paraphrases, e.g. YD/T 3763.3-2021, current."""

    identifier: str
    status: str = ""


@dataclass(frozen=True)
class RatingValueDefinition:
    """A rating value a model adds to the default scale (format 2)."""

    value: str
    name: LocalizedText
    counts_as_met: bool
    progress: bool  # counts towards "N-" (partially meets the next level)


@dataclass(frozen=True)
class AggregationRule:
    """How leaf levels add up: the minimum, or the minimum with a tolerance of k leaves that may
    be one level lower (assessments/scoring.py)."""

    rule: str = "minimum"  # or "minimum_with_tolerance"
    tolerance: int = 0


AGGREGATION_RULES = ("minimum", "minimum_with_tolerance")


@dataclass(frozen=True)
class ModelDocument:
    code: str
    version: str
    name: LocalizedText
    levels: tuple[LevelDefinition, ...]  # levels 1..N in order (format 1: exactly 1..5)
    domains: tuple[DomainNode, ...]
    description: LocalizedText | None = None
    notice: LocalizedText | None = None
    format: int = 1
    layers: tuple[LocalizedText, ...] = ()  # names of the tree's layers, outermost first
    standard: StandardReference | None = None
    rating_scale: tuple[RatingValueDefinition, ...] = ()  # added to the default values
    aggregation: AggregationRule = AggregationRule()
    # The optional registration form and assessor-days formula, as plain data in the file's
    # shape with defaults filled in (read by assessments/application_form.py).
    application: dict[str, Any] | None = field(default=None, hash=False)
    # What the author should look at but that does not refuse the file (gaps in levels).
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def top_level(self) -> int:
        return max(definition.level for definition in self.levels)

    def level_name(self, level: int) -> LocalizedText:
        return next(definition.name for definition in self.levels if definition.level == level)

    def all_domains(self) -> Iterator[DomainNode]:
        """Every domain, parents before their sub-domains, in file order."""

        def walk(domains: tuple[DomainNode, ...]) -> Iterator[DomainNode]:
            for domain in domains:
                yield domain
                yield from walk(domain.domains)

        return walk(self.domains)

    def all_items(self) -> Iterator[ItemNode]:
        """Every item and sub-item, parents before children."""
        for domain in self.domains:
            yield from domain.all_items()

    def all_leaves(self) -> Iterator[ItemNode]:
        for domain in self.domains:
            yield from domain.all_leaves()

    def all_requirements(self) -> Iterator[RequirementNode]:
        for item in self.all_items():
            yield from item.requirements

    def all_evidence(self) -> Iterator[EvidenceNode]:
        for item in self.all_items():
            for cell in item.cells:
                yield from cell.evidence


# --- Loading ------------------------------------------------------------------------------------


@cache
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the format, as shipped in schema.json."""
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _is_integer(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 3.0 as an integer; a level of 3.0 is a typo in a model file.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


class _Refused(Exception):
    """Stops reading at a problem after which nothing further can be checked."""

    def __init__(self, *problems: Problem):
        self.problems = list(problems)


class _Reading:
    """The document as plain data, with the line of every key and value, and problems so far."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.value_lines: dict[PathKey, int] = {}
        self.key_lines: dict[PathKey, int] = {}
        self.raw_scalars: dict[PathKey, str] = {}
        self.unreadable: set[PathKey] = set()  # already reported; the schema stays silent on them
        self._constructor = SafeConstructor()

    def report(self, path: PathKey, message: str, *, at_key: bool = False) -> None:
        line = self.line_of_key(path) if at_key else self.line_of_value(path)
        self.problems.append(Problem(line, format_path(path), message))

    def warn(self, path: PathKey, message: str) -> None:
        self.warnings.append(Problem(self.line_of_key(path), format_path(path), message))

    def line_of_value(self, path: PathKey) -> int:
        """The line of the value at `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.value_lines:
                return self.value_lines[path]
            path = path[:-1]
        return self.value_lines.get((), 1)

    def line_of_key(self, path: PathKey) -> int:
        """The line of the key (for mappings) or of the value (for list entries) at `path`.

        For a key that is missing, that is the line of the mapping that lacks it.
        """
        while path:
            if path in self.key_lines:
                return self.key_lines[path]
            if path in self.value_lines:
                return self.value_lines[path]
            path = path[:-1]
        return self.value_lines.get((), 1)

    def to_python(self, node: Any, path: PathKey) -> Any:
        self.value_lines[path] = node.start_mark.line + 1
        if node.tag not in _CORE_TAGS:
            self.unreadable.add(path)
            if node.tag == "tag:yaml.org,2002:merge":
                self.report(path, "merge keys (<<) are not allowed; write each key out")
            else:
                self.report(path, f"the YAML tag {node.tag!r} is not allowed in a model file")
            return None
        if isinstance(node, ScalarNode):
            self.raw_scalars[path] = node.value
            try:
                return self._constructor.construct_object(node, deep=True)
            except (ValueError, yaml.YAMLError) as error:
                # e.g. an impossible date (2026-13-45) or a number with thousands of digits
                self.unreadable.add(path)
                self.report(path, f"cannot read the value {node.value!r}: {error}")
                return None
        if isinstance(node, SequenceNode):
            return [self.to_python(child, (*path, index)) for index, child in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            key = None
            if isinstance(key_node, ScalarNode) and key_node.tag in _CORE_TAGS:
                try:
                    key = self._constructor.construct_object(key_node, deep=True)
                except (ValueError, yaml.YAMLError):
                    key = None
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(
                    Problem(key_line, format_path(path), "merge keys (<<) are not allowed")
                )
                continue
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a list or mapping"
                self.problems.append(
                    Problem(key_line, format_path(path), f"keys must be text; found {shown!r}")
                )
                continue
            child = (*path, key)
            if key in mapping:
                self.problems.append(
                    Problem(
                        key_line,
                        format_path(child),
                        f"the key {key!r} appears twice in this mapping"
                        f" (first on line {self.key_lines[child]}); keep one",
                    )
                )
                continue
            self.key_lines[child] = key_line
            mapping[key] = self.to_python(value_node, child)
        return mapping


def _decode(source: str | bytes) -> str:
    size = len(source.encode("utf-8")) if isinstance(source, str) else len(source)
    if size > MAX_MODEL_BYTES:
        raise _Refused(
            Problem(
                1,
                "",
                f"the file is {size:,} bytes; model files may be at most {MAX_MODEL_BYTES:,} bytes",
            )
        )
    if isinstance(source, str):
        return source
    try:
        return source.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = source[: error.start].count(b"\n") + 1
        raise _Refused(
            Problem(line, "", f"the file is not UTF-8 text (byte {source[error.start]:#04x})")
        ) from None


def _syntax_problem(error: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        line = mark.line + 1
    elif isinstance(error, yaml.reader.ReaderError):
        line = text[: error.position].count("\n") + 1
    else:
        line = 1
    if isinstance(error, yaml.composer.ComposerError) and error.problem == (
        "but found another document"
    ):
        what = "a model file holds one YAML document, but a second one starts here"
    elif isinstance(error, yaml.MarkedYAMLError):
        what = error.problem or error.context or "unreadable YAML"
        context = getattr(error, "context", None)
        context_mark = getattr(error, "context_mark", None)
        if context and context != what:
            what += f" ({context}" + (
                f" from line {context_mark.line + 1})" if context_mark is not None else ")"
            )
    elif isinstance(error, yaml.reader.ReaderError):
        character = error.character
        shown = repr(chr(character) if isinstance(character, int) else character)
        what = f"the character {shown} is not allowed ({error.reason})"
    else:
        what = str(error)
    return Problem(line, "", f"YAML syntax error: {what}")


def _compose(text: str) -> Any:
    """The YAML node tree, after refusing aliases, anchors and excessive nesting."""
    problems = []
    depth = 0
    try:
        # A first pass over the parser's events costs little and sees every anchor and alias
        # before anything is composed, so none of them is ever expanded.
        for event in yaml.parse(text, Loader=_YAMLLoader):
            line = event.start_mark.line + 1
            if isinstance(event, AliasEvent):
                problems.append(
                    Problem(
                        line,
                        "",
                        f"YAML aliases (*{event.anchor}) are not allowed; write the value out",
                    )
                )
            elif getattr(event, "anchor", None) is not None:
                problems.append(
                    Problem(line, "", f"YAML anchors (&{event.anchor}) are not allowed")
                )
            if isinstance(event, MappingStartEvent | SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    problems.append(
                        Problem(line, "", f"lists and mappings nest more than {MAX_DEPTH} deep")
                    )
                    raise _Refused(*problems)
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                depth -= 1
        if problems:
            raise _Refused(*problems)
        node = yaml.compose(text, Loader=_YAMLLoader)
    except yaml.YAMLError as error:
        raise _Refused(*problems, _syntax_problem(error, text)) from None
    if node is None:
        raise _Refused(Problem(1, "", "the file is empty; it should hold one model"))
    return node


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "number": "a number",
    "boolean": "true or false",
}
_LIST_ENTRY_WORDS = {
    "domains": "domain",
    "items": "capability item",
    "requirements": "requirement",
    "levels": "level",
    "evidence": "expected evidence",
    "layers": "layer name",
    "tags": "tag",
    "rating_scale": "rating value",
    "questions": "question",
    "choices": "choice",
}
_LOCALIZED_TITLES = (
    "Localized name",
    "Localized text",
    "Localized name (format 2)",
    "Localized text (format 2)",
)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, datetime.date):
        return "a date"
    if value is None:
        return "empty (null)"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _schema_problems(data: Any, reading: _Reading, version: int) -> None:
    """Turn JSON Schema errors into problems in plain words, at the right path and line."""
    for error in _Validator(json_schema()).iter_errors(data):
        path: PathKey = tuple(error.absolute_path)
        if any(path[: len(bad)] == bad for bad in reading.unreadable):
            continue
        keyword = error.validator
        instance = error.instance
        title = error.schema.get("title") if isinstance(error.schema, dict) else None
        last = path[-1] if path else None
        if keyword == "required":
            for key in error.validator_value:
                if isinstance(instance, dict) and key not in instance:
                    if key in _LANGUAGES:
                        message = f"the {_LANGUAGES[key]} ({key}) text is missing"
                    else:
                        message = f"the required key {key!r} is missing"
                    reading.report((*path, key), message, at_key=True)
        elif keyword == "additionalProperties":
            allowed = ", ".join(error.schema.get("properties", {}))
            for key in instance:
                if key not in error.schema.get("properties", {}):
                    reading.report(
                        (*path, key), f"unknown key {key!r}; allowed here: {allowed}", at_key=True
                    )
        elif keyword == "anyOf" and title == "Domain":
            reading.report(
                path,
                "a domain needs sub-domains ('domains') or capability items ('items'), or both",
                at_key=True,
            )
        elif keyword == "minProperties" and title in _LOCALIZED_TITLES:
            reading.report(path, "needs an English (en) or a Chinese (zh) text, or both")
        elif keyword == "const" and last == "format":
            reading.report(path, f"the format is 1 or 2, not {instance!r}")
        elif keyword == "enum":
            allowed = ", ".join(map(str, error.validator_value))
            reading.report(path, f"{instance!r} is not one of: {allowed}")
        elif keyword == "type":
            if title in _LOCALIZED_TITLES and version == 2:
                message = f"must be a mapping with 'en' and/or 'zh' texts, not {_kind(instance)}"
            elif title in _LOCALIZED_TITLES:
                message = f"must be a mapping with 'en' and 'zh' texts, not {_kind(instance)}"
            else:
                expected = _TYPE_WORDS.get(error.validator_value, error.validator_value)
                message = f"must be {expected}, not {_kind(instance)}"
                raw = reading.raw_scalars.get(path)
                if error.validator_value == "string" and raw is not None and raw.strip():
                    message += f"; put it in quotes ('{raw}') so that YAML reads it as text"
            reading.report(path, message)
        elif keyword == "pattern" and last in _LANGUAGES and version == 2:
            reading.report(
                path,
                f"the {_LANGUAGES[last]} ({last}) text is empty; write it, or leave the key out "
                "and give the text in the other language",
            )
        elif keyword == "pattern" and last in _LANGUAGES:
            reading.report(
                path,
                f"the {_LANGUAGES[last]} ({last}) text is empty; every name and text needs both "
                "English and Chinese",
            )
        elif keyword == "pattern":
            allowed = "'_' and '-'" if path == ("code",) else "'.', '_' and '-'"
            reading.report(
                path,
                f"{instance!r} is not a valid {last}: use letters, digits, {allowed}, "
                "starting with a letter or digit",
            )
        elif keyword in ("minimum", "maximum") and title == "Level":
            reading.report(path, f"levels are 1 to 5, not {instance}")
        elif keyword in ("minimum", "maximum") and title == "Level (format 2)":
            reading.report(path, f"levels are 1 to {MAX_LEVELS}, not {instance}")
        elif keyword in ("minItems", "maxItems") and path == ("levels",) and version == 2:
            reading.report(
                path, f"a model declares 2 to {MAX_LEVELS} levels, not {len(instance)}", at_key=True
            )
        elif keyword in ("minItems", "maxItems") and path == ("levels",):
            continue  # _check_levels says precisely which levels are missing or repeated
        elif keyword == "minItems":
            entry = _LIST_ENTRY_WORDS.get(str(last), "entry")
            reading.report(path, f"must list at least one {entry}")
        elif keyword == "maxLength":
            reading.report(
                path, f"is too long: {len(instance)} characters, at most {error.validator_value}"
            )
        else:
            reading.report(path, error.message)


def _valid_level(entry: Any, allowed: Any = LEVELS) -> int | None:
    level = entry.get("level") if isinstance(entry, dict) else None
    return level if type(level) is int and level in allowed else None


def _check_levels(data: dict[str, Any], reading: _Reading, version: int) -> None:
    levels = data.get("levels")
    if not isinstance(levels, list):
        return
    if version == 2:
        _check_levels_2(levels, reading)
        return
    found = [_valid_level(entry) for entry in levels]
    if None in found:
        return  # the schema has reported that entry; counting around it would only add noise
    missing = [level for level in LEVELS if level not in found]
    repeated = sorted({level for level in found if found.count(level) > 1})
    if missing or repeated or len(levels) != len(LEVELS):
        details = "".join(
            [
                f"; missing: {', '.join(map(str, missing))}" if missing else "",
                f"; listed more than once: {', '.join(map(str, repeated))}" if repeated else "",
            ]
        )
        reading.report(
            ("levels",),
            f"levels must name each of the levels 1 to 5 exactly once{details}",
            at_key=True,
        )


def _check_levels_2(levels: list[Any], reading: _Reading) -> None:
    """Format 2: the declared levels are numbered 1 to N (2 <= N <= 10), each once."""
    found = [_valid_level(entry, range(1, MAX_LEVELS + 1)) for entry in levels]
    if None in found or not 2 <= len(levels) <= MAX_LEVELS:
        return  # reported by the schema
    expected = range(1, len(levels) + 1)
    missing = [level for level in expected if level not in found]
    repeated = sorted({level for level in found if found.count(level) > 1})
    if missing or repeated:
        details = "".join(
            [
                f"; missing: {', '.join(map(str, missing))}" if missing else "",
                f"; listed more than once: {', '.join(map(str, repeated))}" if repeated else "",
            ]
        )
        reading.report(
            ("levels",),
            f"levels must be numbered 1 to {len(levels)}, each exactly once{details}",
            at_key=True,
        )


def _walk_domains(domains: Any, path: PathKey) -> Iterator[tuple[dict[str, Any], PathKey]]:
    if not isinstance(domains, list):
        return
    for index, domain in enumerate(domains):
        if isinstance(domain, dict):
            yield domain, (*path, index)
            yield from _walk_domains(domain.get("domains"), (*path, index, "domains"))


def _entries(value: Any, path: PathKey) -> Iterator[tuple[dict[str, Any], PathKey]]:
    if isinstance(value, list):
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                yield entry, (*path, index)


def _check_tree(data: dict[str, Any], reading: _Reading, version: int = 1) -> None:
    """Unique codes and contiguous requirement levels: what the schema cannot express."""
    first_use: dict[str, PathKey] = {}

    def claim(entry: dict[str, Any], path: PathKey) -> None:
        code = entry.get("code")
        if not isinstance(code, str):
            return
        if code in first_use:
            earlier = first_use[code]
            reading.report(
                (*path, "code"),
                f"the code {code!r} is already used by {format_path(earlier)} (line "
                f"{reading.line_of_value((*earlier, 'code'))}); every code in a model must be "
                "unique",
            )
        else:
            first_use[code] = path

    if version == 2:
        _claim_codes_2(data, claim)
        _check_model_2(data, reading)
        return
    for domain, domain_path in _walk_domains(data.get("domains"), ("domains",)):
        claim(domain, domain_path)
        for item, item_path in _entries(domain.get("items"), (*domain_path, "items")):
            claim(item, item_path)
            requirements = list(_entries(item.get("requirements"), (*item_path, "requirements")))
            for requirement, requirement_path in requirements:
                claim(requirement, requirement_path)
            found = [_valid_level(requirement) for requirement, _ in requirements]
            if None in found or not found:
                continue  # a bad level was reported already; a "gap" around it would be noise
            levels = set(found)
            if skipped := [n for n in range(1, max(levels)) if n not in levels]:
                reading.report(
                    (*item_path, "requirements"),
                    f"the requirements skip level {', '.join(map(str, skipped))} (found levels "
                    f"{', '.join(map(str, sorted(levels)))}); an item needs requirements at every "
                    "level from 1 up to its highest",
                    at_key=True,
                )


DEFAULT_RATING_VALUES = ("met", "partially_met", "not_met", "not_applicable")


def _check_model_2(data: dict[str, Any], reading: _Reading) -> None:
    """Format 2: the rules between keys -- aggregation, rating scale, items and their cells."""
    aggregation = data.get("aggregation")
    if isinstance(aggregation, dict):
        rule, tolerance = aggregation.get("rule"), aggregation.get("tolerance")
        if rule == "minimum_with_tolerance" and tolerance is None:
            reading.report(
                ("aggregation", "tolerance"),
                "the rule minimum_with_tolerance needs a tolerance: how many leaves may be one "
                "level lower",
                at_key=True,
            )
        elif rule == "minimum" and tolerance is not None:
            reading.report(
                ("aggregation", "tolerance"),
                "a tolerance belongs to the rule minimum_with_tolerance, not minimum",
                at_key=True,
            )
    seen_values: set[str] = set()
    for entry, path in _entries(data.get("rating_scale"), ("rating_scale",)):
        value = entry.get("value")
        if not isinstance(value, str):
            continue
        if value in DEFAULT_RATING_VALUES:
            reading.report(
                (*path, "value"),
                f"{value!r} is a default rating value already; a model adds values of its own",
            )
        elif value in seen_values:
            reading.report((*path, "value"), f"the rating value {value!r} is listed twice")
        seen_values.add(value)
    levels = data.get("levels")
    top = MAX_LEVELS
    if isinstance(levels, list) and all(_valid_level(e, range(1, 11)) for e in levels):
        top = len(levels)
    for domain, domain_path in _walk_domains(data.get("domains"), ("domains",)):
        for item, item_path in _entries(domain.get("items"), (*domain_path, "items")):
            _check_item_2(item, item_path, top, reading)


def _check_item_2(item: dict[str, Any], path: PathKey, top: int, reading: _Reading) -> None:
    has_items, has_levels = "items" in item, "levels" in item
    if has_items and has_levels:
        reading.report(
            path,
            "an item has either sub-items ('items') or level cells ('levels'), not both; "
            "ratings happen at the leaves",
            at_key=True,
        )
    elif not has_items and not has_levels:
        reading.report(
            path,
            "an item needs sub-items ('items') or, when it is rated itself, level cells ('levels')",
            at_key=True,
        )
    for child, child_path in _entries(item.get("items"), (*path, "items")):
        _check_item_2(child, child_path, top, reading)
    cells = list(_entries(item.get("levels"), (*path, "levels")))
    first_cell: dict[int, PathKey] = {}
    with_requirements = []
    for cell, cell_path in cells:
        level = _valid_level(cell, range(1, MAX_LEVELS + 1))
        if level is None:
            continue
        if level > top:
            reading.report(
                (*cell_path, "level"), f"the model declares levels 1 to {top}, not {level}"
            )
        elif level in first_cell:
            reading.report(
                (*cell_path, "level"),
                f"level {level} is listed twice for this item (first at "
                f"{format_path(first_cell[level])}); put everything of a level in one cell",
            )
        else:
            first_cell[level] = cell_path
        if cell.get("requirements"):
            with_requirements.append(level)
    if not has_levels or has_items or not cells:
        return
    if not with_requirements:
        reading.warn(
            (*path, "levels"),
            "no level of this item has a requirement; it reaches every level without being "
            "assessed",
        )
        return
    if gaps := [n for n in range(1, max(with_requirements)) if n not in first_cell]:
        reading.warn(
            (*path, "levels"),
            f"no cell for level {', '.join(map(str, gaps))} below the highest level with "
            "requirements; such a level is satisfied without assessment (list the level, even "
            "empty, if that is intended)",
        )


def _claim_codes_2(data: dict[str, Any], claim: Any) -> None:
    def item_codes(item: dict[str, Any], path: PathKey) -> None:
        claim(item, path)
        for child, child_path in _entries(item.get("items"), (*path, "items")):
            item_codes(child, child_path)
        for cell, cell_path in _entries(item.get("levels"), (*path, "levels")):
            for entry, entry_path in _entries(
                cell.get("requirements"), (*cell_path, "requirements")
            ):
                claim(entry, entry_path)
            for entry, entry_path in _entries(cell.get("evidence"), (*cell_path, "evidence")):
                claim(entry, entry_path)

    for domain, domain_path in _walk_domains(data.get("domains"), ("domains",)):
        claim(domain, domain_path)
        for item, item_path in _entries(domain.get("items"), (*domain_path, "items")):
            item_codes(item, item_path)


def _text(value: dict[str, str] | None) -> LocalizedText | None:
    return None if value is None else LocalizedText(en=value.get("en", ""), zh=value.get("zh", ""))


def _build_item_2(data: dict[str, Any], path: PathKey) -> ItemNode:
    requirements = []
    cells = []
    for index, cell in enumerate(data.get("levels", ())):
        cell_path = (*path, "levels", index)
        for number, requirement in enumerate(cell.get("requirements", ())):
            requirements.append(
                RequirementNode(
                    code=requirement["code"],
                    level=cell["level"],
                    text=_text(requirement["text"]),
                    path=format_path((*cell_path, "requirements", number)),
                )
            )
        cells.append(
            LevelCell(
                level=cell["level"],
                description=_text(cell.get("description")),
                evidence=tuple(
                    EvidenceNode(
                        code=entry["code"],
                        kind=entry["kind"],
                        text=_text(entry["text"]),
                        path=format_path((*cell_path, "evidence", number)),
                    )
                    for number, entry in enumerate(cell.get("evidence", ()))
                ),
                includes_lower_evidence=cell.get("includes_lower_evidence", False),
                path=format_path(cell_path),
            )
        )
    return ItemNode(
        code=data["code"],
        name=_text(data["name"]),
        requirements=tuple(requirements),
        description=_text(data.get("description")),
        path=format_path(path),
        items=tuple(
            _build_item_2(child, (*path, "items", index))
            for index, child in enumerate(data.get("items", ()))
        ),
        cells=tuple(cells),
        tags=tuple(data.get("tags", ())),
    )


def _build_domain_2(data: dict[str, Any], path: PathKey) -> DomainNode:
    return DomainNode(
        code=data["code"],
        name=_text(data["name"]),
        domains=tuple(
            _build_domain_2(child, (*path, "domains", index))
            for index, child in enumerate(data.get("domains", ()))
        ),
        items=tuple(
            _build_item_2(item, (*path, "items", index))
            for index, item in enumerate(data.get("items", ()))
        ),
        path=format_path(path),
    )


def _build_domain(data: dict[str, Any], path: PathKey) -> DomainNode:
    items = []
    for index, item in enumerate(data.get("items", ())):
        item_path = (*path, "items", index)
        requirements = tuple(
            RequirementNode(
                code=requirement["code"],
                level=requirement["level"],
                text=_text(requirement["text"]),
                path=format_path((*item_path, "requirements", number)),
            )
            for number, requirement in enumerate(item["requirements"])
        )
        items.append(
            ItemNode(
                code=item["code"],
                name=_text(item["name"]),
                requirements=requirements,
                description=_text(item.get("description")),
                path=format_path(item_path),
            )
        )
    return DomainNode(
        code=data["code"],
        name=_text(data["name"]),
        domains=tuple(
            _build_domain(child, (*path, "domains", index))
            for index, child in enumerate(data.get("domains", ()))
        ),
        items=tuple(items),
        path=format_path(path),
    )


def _check_application(data: dict[str, Any], reading: _Reading) -> None:
    """The application form: question keys unique, choices exactly for choice questions, and
    the formula's factors naming choice questions and their values."""
    application = data.get("application")
    if not isinstance(application, dict):
        return
    choices_of: dict[str, set[str]] = {}
    seen: set[str] = set()
    for question, path in _entries(application.get("questions"), ("application", "questions")):
        key = question.get("key")
        if isinstance(key, str):
            if key in seen:
                reading.report((*path, "key"), f"the question {key!r} is listed twice")
            seen.add(key)
        kind, choices = question.get("type"), question.get("choices")
        if kind == "choice" and choices is None:
            reading.report(path, "a choice question lists its choices", at_key=True)
        elif kind != "choice" and choices is not None:
            reading.report((*path, "choices"), "only a choice question has choices", at_key=True)
        values: set[str] = set()
        for choice, choice_path in _entries(choices, (*path, "choices")):
            value = choice.get("value")
            if isinstance(value, str) and value in values:
                reading.report((*choice_path, "value"), f"the choice {value!r} is listed twice")
            values.add(value)
        if kind == "choice" and isinstance(key, str):
            choices_of[key] = values
    formula = application.get("assessor_days")
    if not isinstance(formula, dict):
        return
    for factor, path in _entries(
        formula.get("factors"), ("application", "assessor_days", "factors")
    ):
        name = factor.get("question")
        if name not in choices_of:
            reading.report((*path, "question"), f"{name!r} is not a choice question of the form")
            continue
        values = factor.get("values")
        for value in values if isinstance(values, dict) else ():
            if value not in choices_of[name]:
                reading.report(
                    (*path, "values", value), f"{value!r} is not a choice of {name!r}", at_key=True
                )


def _application(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The form with its defaults filled in (required: false; no factors), so that the stored
    form and the exported file say the same thing."""
    if data is None:
        return None
    questions = []
    for question in data["questions"]:
        entry: dict[str, Any] = {
            "key": question["key"],
            "label": dict(question["label"]),
            "type": question["type"],
            "required": bool(question.get("required", False)),
        }
        if "help" in question:
            entry["help"] = dict(question["help"])
        if "choices" in question:
            entry["choices"] = [
                {"value": c["value"], "label": dict(c["label"])} for c in question["choices"]
            ]
        questions.append(entry)
    application: dict[str, Any] = {"questions": questions}
    formula = data.get("assessor_days")
    if formula is not None:
        application["assessor_days"] = {
            "base": formula["base"],
            "per_item": formula.get("per_item", 0),
            "per_project": formula.get("per_project", 0),
            "minimum": formula.get("minimum", 0),
            "factors": [
                {"question": f["question"], "values": dict(f["values"])}
                for f in formula.get("factors", ())
            ],
        }
    return application


def load_model(source: str | bytes) -> ModelDocument:
    """Read a model file; raise ModelFormatError listing every problem if it is not acceptable.

    Bytes must be UTF-8 (a byte-order mark is allowed). YAML syntax errors stop the reading at the
    first one (the parser cannot go on); otherwise all problems are found in one pass.
    """
    reading = _Reading()
    try:
        text = _decode(source)
        node = _compose(text)
    except _Refused as refused:
        raise ModelFormatError(refused.problems) from None
    data = reading.to_python(node, ())
    if not isinstance(data, dict):
        reading.report((), f"the file must hold a mapping with the model's keys, not {_kind(data)}")
        raise ModelFormatError(reading.problems)
    version = 2 if data.get("format") == 2 else 1
    _schema_problems(data, reading, version)
    _check_levels(data, reading, version)
    _check_tree(data, reading, version)
    _check_application(data, reading)
    if reading.problems:
        raise ModelFormatError(reading.problems)
    if version == 2:
        return _build_document_2(data, tuple(sorted(reading.warnings)))
    return ModelDocument(
        code=data["code"],
        version=data["version"],
        name=_text(data["name"]),
        levels=tuple(
            LevelDefinition(level=entry["level"], name=_text(entry["name"]))
            for entry in sorted(data["levels"], key=lambda entry: entry["level"])
        ),
        domains=tuple(
            _build_domain(domain, ("domains", index))
            for index, domain in enumerate(data["domains"])
        ),
        description=_text(data.get("description")),
        notice=_text(data.get("notice")),
        application=_application(data.get("application")),
    )


def _build_document_2(data: dict[str, Any], warnings: tuple[Problem, ...]) -> ModelDocument:
    standard = data.get("standard")
    aggregation = data.get("aggregation") or {}
    return ModelDocument(
        code=data["code"],
        version=data["version"],
        name=_text(data["name"]),
        levels=tuple(
            LevelDefinition(level=entry["level"], name=_text(entry["name"]))
            for entry in sorted(data["levels"], key=lambda entry: entry["level"])
        ),
        domains=tuple(
            _build_domain_2(domain, ("domains", index))
            for index, domain in enumerate(data["domains"])
        ),
        description=_text(data.get("description")),
        notice=_text(data.get("notice")),
        format=2,
        layers=tuple(_text(layer) for layer in data.get("layers", ())),
        standard=(
            None
            if standard is None
            else StandardReference(standard["identifier"], standard.get("status", ""))
        ),
        rating_scale=tuple(
            RatingValueDefinition(
                value=entry["value"],
                name=_text(entry["name"]),
                counts_as_met=entry["counts_as_met"],
                progress=entry.get("progress", entry["counts_as_met"]),
            )
            for entry in data.get("rating_scale", ())
        ),
        aggregation=AggregationRule(
            aggregation.get("rule", "minimum"), aggregation.get("tolerance", 0)
        ),
        application=_application(data.get("application")),
        warnings=warnings,
    )


# --- Writing ------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the loader refuses aliases, so never write one

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list entries under their key, as people write YAML by hand.
        return super().increase_indent(flow, False)


def _text_data(text: LocalizedText) -> dict[str, str]:
    # Format 2 lets one language be missing (''); format 1 always has both.
    return {key: value for key, value in (("en", text.en), ("zh", text.zh)) if value}


def _item_data_2(item: ItemNode) -> dict[str, Any]:
    data: dict[str, Any] = {"code": item.code, "name": _text_data(item.name)}
    if item.description is not None:
        data["description"] = _text_data(item.description)
    if item.tags:
        data["tags"] = list(item.tags)
    if item.items:
        data["items"] = [_item_data_2(child) for child in item.items]
        return data
    cells = []
    for cell in item.cells:
        entry: dict[str, Any] = {"level": cell.level}
        if cell.description is not None:
            entry["description"] = _text_data(cell.description)
        requirements = [
            {"code": r.code, "text": _text_data(r.text)}
            for r in item.requirements
            if r.level == cell.level
        ]
        if requirements:
            entry["requirements"] = requirements
        if cell.evidence:
            entry["evidence"] = [
                {"code": e.code, "kind": e.kind, "text": _text_data(e.text)} for e in cell.evidence
            ]
        if cell.includes_lower_evidence:
            entry["includes_lower_evidence"] = True
        cells.append(entry)
    data["levels"] = cells
    return data


def _item_data(item: ItemNode) -> dict[str, Any]:
    data: dict[str, Any] = {"code": item.code, "name": _text_data(item.name)}
    if item.description is not None:
        data["description"] = _text_data(item.description)
    data["requirements"] = [
        {"code": r.code, "level": r.level, "text": _text_data(r.text)} for r in item.requirements
    ]
    return data


def _domain_data(domain: DomainNode, version: int = 1) -> dict[str, Any]:
    data: dict[str, Any] = {"code": domain.code, "name": _text_data(domain.name)}
    if domain.domains:
        data["domains"] = [_domain_data(child, version) for child in domain.domains]
    if domain.items:
        item_data = _item_data_2 if version == 2 else _item_data
        data["items"] = [item_data(item) for item in domain.items]
    return data


def dump_model(doc: ModelDocument) -> str:
    """The document as YAML in the format `load_model` reads, keys in the documented order.

    Chinese is written as is (not escaped) and each text stays on one line, so exported files
    read and diff well. load_model(dump_model(doc)) == doc for every document load_model returns.
    """
    data: dict[str, Any] = {"format": 2} if doc.format == 2 else {}
    data.update(code=doc.code, version=doc.version, name=_text_data(doc.name))
    if doc.description is not None:
        data["description"] = _text_data(doc.description)
    if doc.notice is not None:
        data["notice"] = _text_data(doc.notice)
    if doc.format == 2:
        if doc.standard is not None:
            data["standard"] = {"identifier": doc.standard.identifier}
            if doc.standard.status:
                data["standard"]["status"] = doc.standard.status
        if doc.layers:
            data["layers"] = [_text_data(layer) for layer in doc.layers]
    data["levels"] = [
        {"level": definition.level, "name": _text_data(definition.name)}
        for definition in doc.levels
    ]
    if doc.format == 2:
        if doc.rating_scale:
            data["rating_scale"] = [
                {
                    "value": value.value,
                    "name": _text_data(value.name),
                    "counts_as_met": value.counts_as_met,
                    "progress": value.progress,
                }
                for value in doc.rating_scale
            ]
        if doc.aggregation != AggregationRule():
            data["aggregation"] = {"rule": doc.aggregation.rule}
            if doc.aggregation.rule == "minimum_with_tolerance":
                data["aggregation"]["tolerance"] = doc.aggregation.tolerance
    if doc.application is not None:
        data["application"] = doc.application
    data["domains"] = [_domain_data(domain, doc.format) for domain in doc.domains]
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
