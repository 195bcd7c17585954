"""Read CISO Assistant framework libraries into Assay's format 2 (docs/model-format.md,
"Importing CISO Assistant libraries").

A CISO Assistant library is a YAML file whose `objects.framework.requirement_nodes` is a flat
list of nodes (`urn`, `parent_urn`, `depth`, `assessable`, `ref_id`, `name`, `description`,
`annotation`, `typical_evidence`, `implementation_groups`, `translations`). The tree they form
becomes one model of two levels, "Not compliant" and "Compliant":

- the framework itself is the top domain;
- a node that is not assessable and has no assessable ancestor is a domain;
- an assessable node is a capability item: without sub-nodes it is a leaf whose level-2 cell holds
  one requirement (its text) and its typical evidence; with sub-nodes it is an item whose first
  sub-item `<code>.req` is the leaf for its own requirement, followed by its sub-nodes;
- a node that is not assessable but sits under an item groups sub-items;
- a node that is neither assessable nor has anything assessable beneath it is informational text:
  it is left out, with a warning.

Codes are the nodes' URNs without the framework prefix (unique by construction); the publisher's
`ref_id` is shown in the names where it differs from the code. Implementation groups become the
items' tags. The same guarantees as load_model: the file is accepted whole or refused whole with
every problem found, each with its line and the path in the CISO Assistant file; the document
built is checked by load_model itself (a second opinion on every rule of the format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from assessments.model_format.loader import (
    DomainNode,
    EvidenceNode,
    ItemNode,
    LevelCell,
    LevelDefinition,
    LocalizedText,
    ModelDocument,
    ModelFormatError,
    PathKey,
    Problem,
    RequirementNode,
    StandardReference,
    _compose,
    _decode,
    _kind,
    _Reading,
    _Refused,
    dump_model,
    format_path,
    load_model,
)

NODES: PathKey = ("objects", "framework", "requirement_nodes")
NAME_LIMIT = 255
TEXT_LIMIT = 4000
CODE_LIMIT = 60
TITLE_LIMIT = 120  # a name made from the first line of a description

COMPLIANCE_LEVELS = (
    LevelDefinition(1, LocalizedText("Not compliant", "不符合")),
    LevelDefinition(2, LocalizedText("Compliant", "符合")),
)

_CODE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def looks_like_ciso_assistant(text: str) -> bool:
    """Whether a decoded YAML text is a CISO Assistant library: a top-level `urn:` and a
    top-level `objects:` mapping (Assay's own files have neither)."""
    return bool(
        re.search(r"^urn:\s*\S", text, re.MULTILINE) and re.search(r"^objects:", text, re.MULTILINE)
    )


def _slug(text: str, *, dots: bool = True) -> str:
    pattern = _CODE_CHARS if dots else re.compile(r"[^A-Za-z0-9_-]+")
    slug = pattern.sub("-", text).strip("-._")
    return slug[:CODE_LIMIT].rstrip("-._")


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class _Node:
    index: int
    urn: str
    parent: str | None
    assessable: bool
    ref_id: str
    texts: dict[str, LocalizedText]  # name, description, annotation, typical_evidence
    groups: tuple[str, ...]
    depth: int = 1
    children: list[_Node] = field(default_factory=list)
    code: str = ""

    @property
    def path(self) -> PathKey:
        return (*NODES, self.index)

    def has_assessable(self) -> bool:
        return self.assessable or any(child.has_assessable() for child in self.children)


class _Converter:
    def __init__(self, reading: _Reading, data: dict[str, Any]):
        self.reading = reading
        self.data = data
        self.codes: set[str] = set()
        # format-2 path of each generated node -> the CISO path it came from, to put the
        # problems load_model might still find on the line of the file the person has.
        self.origins: dict[str, PathKey] = {}
        self.language: str | None = None  # of the library's own texts: en, zh or another
        self.fw: dict[str, Any] = {}

    # --- reading values ---

    def report(self, path: PathKey, message: str) -> None:
        self.reading.report(path, message, at_key=path not in self.reading.value_lines)

    def text_value(self, mapping: dict[str, Any], key: str, path: PathKey) -> str:
        """A text field; numbers (ref_id: 1.10) are read as written in the file."""
        value = mapping.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.report((*path, key), f"must be text, not {_kind(value)}")
            return ""
        if not isinstance(value, str):
            return self.reading.raw_scalars.get((*path, key), str(value))
        return value.strip()

    def localized(self, mapping: dict[str, Any], key: str, path: PathKey) -> LocalizedText:
        """The English and Chinese texts of a field: the library's own language and its
        translations (`translations: {zh: {name: …}}`)."""
        primary = self.text_value(mapping, key, path)
        texts = {"en": "", "zh": ""}
        own = self.language
        if own in texts:
            texts[own] = primary
        translated = mapping.get("translations")
        if isinstance(translated, dict):
            for language, values in translated.items():
                target = _language(language)
                if target in texts and not texts[target] and isinstance(values, dict):
                    texts[target] = self.text_value(values, key, (*path, "translations", language))
        return LocalizedText(texts["en"], texts["zh"])

    # --- the library ---

    def convert(self) -> ModelDocument:
        framework = self.framework()
        nodes = self.nodes()
        if self.reading.problems:
            raise ModelFormatError(self.reading.problems)
        code, version = self.identity()
        name = self.localized(framework, "name", ("objects", "framework"))
        if not (name.en or name.zh):
            name = self.localized(self.data, "name", ())
        if not (name.en or name.zh):
            self.report(("objects", "framework", "name"), "the framework needs a name")
        roots = [node for node in nodes if node.parent is None]
        self.codes.add(code)
        root_path = ("domains", 0)
        self.origins[format_path(root_path)] = ("objects", "framework")
        domains, items = self.children(roots, root_path, under_item=False)
        if not domains and not items:
            self.report(NODES, "no node is assessable: there is nothing to rate")
        if self.reading.problems:
            raise ModelFormatError(self.reading.problems)
        self.warn_unimported(framework)
        description = self.localized(framework, "description", ("objects", "framework"))
        ref_id = self.text_value(framework, "ref_id", ("objects", "framework")) or (
            self.text_value(self.data, "ref_id", ())
        )
        document = ModelDocument(
            code=code,
            version=version,
            name=_limited(name, NAME_LIMIT),
            levels=COMPLIANCE_LEVELS,
            domains=(
                DomainNode(
                    code=code,
                    name=_limited(name, NAME_LIMIT),
                    domains=tuple(domains),
                    items=tuple(items),
                ),
            ),
            description=self.description(description),
            notice=self.notice(),
            format=2,
            standard=StandardReference(_shorten(ref_id, 100)) if ref_id else None,
        )
        return self.checked(document)

    def warn_unimported(self, framework: dict[str, Any]) -> None:
        """Name what a maturity model cannot hold instead of dropping it silently: the library's
        other objects (reference controls, threats, risk matrices…) and the framework's score
        scale (a model is rated against its levels, here Not compliant / Compliant)."""
        objects = self.data.get("objects") or {}
        for key, value in objects.items():
            if key == "framework":
                continue
            count = len(value) if isinstance(value, list | dict) else 1
            self.reading.warn(
                ("objects", key),
                f"objects.{key} ({count}) is not part of a maturity model and was not imported",
            )
        if "scores_definition" in framework:
            self.reading.warn(
                ("objects", "framework", "scores_definition"),
                "the framework's scores_definition (a score scale per requirement) was not "
                "imported: the model rates each requirement against Not compliant / Compliant",
            )

    def framework(self) -> dict[str, Any]:
        objects = self.data.get("objects")
        if not isinstance(objects, dict):
            self.report(("objects",), "must be a mapping holding the framework")
            return {}
        framework = objects.get("framework")
        if isinstance(framework, list) and len(framework) == 1:
            framework = framework[0]  # some libraries list their one framework
        if not isinstance(framework, dict):
            self.report(
                ("objects", "framework"),
                "this library holds no framework (objects.framework); only framework libraries "
                "can be imported as models",
            )
            return {}
        if not isinstance(framework.get("requirement_nodes"), list):
            self.report(NODES, "the framework needs a list of requirement_nodes")
        self.fw = framework
        return framework

    def identity(self) -> tuple[str, str]:
        urn = self.text_value(self.data, "urn", ())
        code = _slug(urn.rsplit(":", 1)[-1], dots=False) if urn else ""
        if not code:
            self.report(("urn",), "the library needs a urn such as urn:intuitem:risk:library:x")
        version = self.text_value(self.data, "version", ()) or "1"
        version = _slug(version)[:32] or "1"
        return code, version

    def notice(self) -> LocalizedText | None:
        parts = [
            self.text_value(self.data, key, ())
            for key in ("copyright", "provider", "packager", "urn")
        ]
        copyright_, provider, packager, urn = parts
        english = " ".join(
            part
            for part in (
                copyright_,
                f"Published by {provider}." if provider else "",
                f"Imported from the CISO Assistant library {urn}"
                + (f" (packaged by {packager})." if packager else "."),
            )
            if part
        )
        chinese = " ".join(
            part
            for part in (
                copyright_,
                f"发布者：{provider}。" if provider else "",
                f"导入自 CISO Assistant 库 {urn}"
                + (f"（打包者：{packager}）。" if packager else "。"),
            )
            if part
        )
        return LocalizedText(_shorten(english, TEXT_LIMIT), _shorten(chinese, TEXT_LIMIT))

    def description(self, description: LocalizedText) -> LocalizedText | None:
        groups = self.data_groups()
        if groups:
            listing_en = "; ".join(f"{ref} — {name.en or name.zh}" for ref, name in groups)
            listing_zh = "；".join(f"{ref} — {name.zh or name.en}" for ref, name in groups)
            description = LocalizedText(
                (description.en + "\n\n" if description.en else "")
                + f"Implementation groups (item tags): {listing_en}",
                (description.zh + "\n\n" if description.zh else "")
                + f"实施组（条目标签）：{listing_zh}",
            )
        if not (description.en or description.zh):
            return None
        return _limited(description, TEXT_LIMIT)

    def data_groups(self) -> list[tuple[str, LocalizedText]]:
        definitions = self.fw.get("implementation_groups_definition")
        path = ("objects", "framework", "implementation_groups_definition")
        groups = []
        if isinstance(definitions, list):
            for index, entry in enumerate(definitions):
                if isinstance(entry, dict):
                    ref = self.text_value(entry, "ref_id", (*path, index))
                    if ref:
                        groups.append((ref, self.localized(entry, "name", (*path, index))))
        return groups

    # --- the nodes ---

    def nodes(self) -> list[_Node]:
        self.language = _language(self.text_value(self.data, "locale", ()) or "en")
        if self.language not in ("en", "zh") and not self._has_en_or_zh_translation():
            locale = self.text_value(self.data, "locale", ())
            self.report(
                ("locale",),
                f"the library is in {locale!r} and has no English or Chinese translation; Assay "
                "models hold English and Chinese texts",
            )
            return []
        entries = self.fw.get("requirement_nodes")
        if not isinstance(entries, list):
            return []
        by_urn: dict[str, _Node] = {}
        nodes = []
        for index, entry in enumerate(entries):
            path = (*NODES, index)
            if not isinstance(entry, dict):
                self.report(path, f"a requirement node must be a mapping, not {_kind(entry)}")
                continue
            node = self.node(entry, index, by_urn)
            if node is None:
                continue
            by_urn[node.urn] = node
            nodes.append(node)
            if node.parent is not None:
                by_urn[node.parent].children.append(node)
        return nodes

    def _has_en_or_zh_translation(self) -> bool:
        translations = self.data.get("translations")
        return isinstance(translations, dict) and any(
            _language(language) in ("en", "zh") for language in translations
        )

    def node(self, entry: dict[str, Any], index: int, by_urn: dict[str, _Node]) -> _Node | None:
        path = (*NODES, index)
        urn = self.text_value(entry, "urn", path)
        if not urn:
            self.report((*path, "urn"), "every requirement node needs its urn")
            return None
        if urn in by_urn:
            first = by_urn[urn].path
            self.report(
                (*path, "urn"),
                f"the urn {urn!r} is already used by {format_path(first)} (line "
                f"{self.reading.line_of_value(first)}); every node needs its own",
            )
            return None
        parent = self.text_value(entry, "parent_urn", path) or None
        if parent is not None and parent not in by_urn:
            self.report(
                (*path, "parent_urn"),
                f"the parent {parent!r} is not a node listed before this one",
            )
            return None
        assessable = entry.get("assessable", False)
        if not isinstance(assessable, bool):
            self.report((*path, "assessable"), f"must be true or false, not {_kind(assessable)}")
            return None
        depth = entry.get("depth")
        if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)):
            self.report((*path, "depth"), f"must be a whole number, not {_kind(depth)}")
        expected = 1 if parent is None else by_urn[parent].depth + 1
        if isinstance(depth, int) and not isinstance(depth, bool) and depth != expected:
            self.report(
                (*path, "depth"),
                f"the depth is {depth}, but the node sits at depth {expected} under its parent",
            )
        groups = entry.get("implementation_groups") or []
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list) or not all(isinstance(g, str | int) for g in groups):
            self.report((*path, "implementation_groups"), "must be a list of group references")
            groups = []
        texts = {
            key: self.localized(entry, key, path)
            for key in ("name", "description", "annotation", "typical_evidence")
        }
        node = _Node(
            index=index,
            urn=urn,
            parent=parent,
            assessable=assessable,
            ref_id=self.text_value(entry, "ref_id", path),
            texts=texts,
            groups=tuple(str(group) for group in groups),
        )
        node.depth = expected
        return node

    def claim(self, wanted: str, fallback: str) -> str:
        code = _slug(wanted) or _slug(fallback) or "node"
        if code in self.codes:
            base = code[: CODE_LIMIT - 4]
            number = 2
            while f"{base}-{number}" in self.codes:
                number += 1
            code = f"{base}-{number}"
        self.codes.add(code)
        return code

    def node_code(self, node: _Node) -> str:
        tail = node.urn.split(":", 5)[-1] if node.urn.count(":") >= 5 else node.urn
        return self.claim(tail, node.ref_id)

    def title(self, node: _Node, code: str) -> LocalizedText:
        """A name: the node's name, else the first line of its description, else its ref_id,
        prefixed with the ref_id where the code does not already show it."""
        name, description = node.texts["name"], node.texts["description"]
        titles = {}
        for language in ("en", "zh"):
            lines = getattr(description, language).strip().splitlines()
            titles[language] = getattr(name, language) or (
                _shorten(lines[0], TITLE_LIMIT) if lines else ""
            )
        if not titles["en"] and not titles["zh"]:
            titles["en"] = node.ref_id or code
        prefix = node.ref_id if node.ref_id and node.ref_id.lower() != code.lower() else ""
        for language, title in titles.items():
            if title and prefix and not title.startswith(prefix):
                titles[language] = f"{prefix} {title}"
        return LocalizedText(_shorten(titles["en"], NAME_LIMIT), _shorten(titles["zh"], NAME_LIMIT))

    def children(
        self, nodes: list[_Node], path: PathKey, *, under_item: bool, first_item: int = 0
    ) -> tuple[list[DomainNode], list[ItemNode]]:
        domains: list[DomainNode] = []
        items: list[ItemNode] = []
        for node in nodes:
            if not node.has_assessable():
                self.reading.warn(
                    node.path,
                    "this node is not assessable and has nothing assessable beneath it: it is "
                    "informational text and was left out",
                )
                continue
            if not node.assessable and not under_item:
                domain_path = (*path, "domains", len(domains))
                domains.append(self.domain(node, domain_path))
            else:
                item_path = (*path, "items", first_item + len(items))
                items.append(self.item(node, item_path))
        return domains, items

    def domain(self, node: _Node, path: PathKey) -> DomainNode:
        self.origins[format_path(path)] = node.path
        code = self.node_code(node)
        name = self.title(node, code)
        description = node.texts["description"]
        if node.texts["name"].en or node.texts["name"].zh:
            # A domain has no description of its own: "Requirement 1 — Install and maintain …".
            name = LocalizedText(
                *(
                    _shorten(f"{own} — {extra}" if own and extra else own, NAME_LIMIT)
                    for own, extra in ((name.en, description.en), (name.zh, description.zh))
                )
            )
        domains, items = self.children(node.children, path, under_item=False)
        return DomainNode(code=code, name=name, domains=tuple(domains), items=tuple(items))

    def item(self, node: _Node, path: PathKey) -> ItemNode:
        self.origins[format_path(path)] = node.path
        code = self.node_code(node)
        name = self.title(node, code)
        if not any(child.has_assessable() for child in node.children):
            return self.leaf(node, code, name, path)
        own = []
        if node.assessable:
            # Its own requirement is rated as the first sub-item, beside its sub-nodes.
            own_path = (*path, "items", 0)
            self.origins[format_path(own_path)] = node.path
            own.append(self.leaf(node, self.claim(f"{code}.req", code), name, own_path))
        _, children = self.children(node.children, path, under_item=True, first_item=len(own))
        description = node.texts["description"]
        return ItemNode(
            code=code,
            name=name,
            requirements=(),
            description=(
                self.checked_text(node, description)
                if not node.assessable and (description.en or description.zh)
                else None
            ),
            items=(*own, *children),
            tags=node.groups,
        )

    def checked_text(self, node: _Node, text: LocalizedText) -> LocalizedText:
        if max(len(text.en), len(text.zh)) > TEXT_LIMIT:
            self.report(
                (*node.path, "description"),
                f"is too long: {max(len(text.en), len(text.zh)):,} characters; Assay keeps texts "
                f"of at most {TEXT_LIMIT:,}",
            )
        return text

    def leaf(self, node: _Node, code: str, name: LocalizedText, path: PathKey) -> ItemNode:
        description, annotation = node.texts["description"], node.texts["annotation"]
        text = description if (description.en or description.zh) else node.texts["name"]
        if not (text.en or text.zh):
            text = LocalizedText(node.ref_id or code, "")
        self.checked_text(node, text)
        evidence = ()
        typical = node.texts["typical_evidence"]
        if typical.en or typical.zh:
            self.checked_text(node, typical)
            evidence = (EvidenceNode(self.claim(f"{code}.E", code), "document", typical),)
        if annotation.en or annotation.zh:
            self.checked_text(node, annotation)
        return ItemNode(
            code=code,
            name=name,
            requirements=(RequirementNode(self.claim(f"{code}.L2", code), 2, text),),
            description=annotation if (annotation.en or annotation.zh) else None,
            cells=(LevelCell(1), LevelCell(2, evidence=evidence)),
            tags=node.groups,
        )

    # --- the second opinion ---

    def checked(self, document: ModelDocument) -> ModelDocument:
        """load_model's verdict on the document built, its problems put back on the lines of the
        CISO Assistant file."""
        try:
            return load_model(dump_model(document))
        except ModelFormatError as error:
            for problem in error.problems:
                origin = self._origin(problem.path)
                line = self.reading.line_of_value(origin)
                self.reading.problems.append(Problem(line, format_path(origin), problem.message))
            raise ModelFormatError(self.reading.problems) from None

    def _origin(self, path: str) -> PathKey:
        best = ""
        for key in self.origins:
            if (path == key or path.startswith(key + ".") or path.startswith(key + "[")) and len(
                key
            ) > len(best):
                best = key
        return self.origins.get(best, ())


def _language(code: Any) -> str | None:
    text = str(code).lower()
    if text.startswith("zh"):
        return "zh"
    if text.startswith("en"):
        return "en"
    return text


def _limited(text: LocalizedText, limit: int) -> LocalizedText:
    return LocalizedText(
        text.en if len(text.en) <= limit else text.en[: limit - 1] + "…",
        text.zh if len(text.zh) <= limit else text.zh[: limit - 1] + "…",
    )


def load_ciso_assistant(source: str | bytes) -> ModelDocument:
    """Read a CISO Assistant framework library as a format-2 model document; raise
    ModelFormatError listing every problem (line, path in the library, message) otherwise."""
    reading = _Reading()
    try:
        text = _decode(source)
        node = _compose(text)
    except _Refused as refused:
        raise ModelFormatError(refused.problems) from None
    data = reading.to_python(node, ())
    if reading.problems:
        raise ModelFormatError(reading.problems)
    if not isinstance(data, dict):
        reading.report((), f"the file must hold a CISO Assistant library, not {_kind(data)}")
        raise ModelFormatError(reading.problems)
    converter = _Converter(reading, data)
    document = converter.convert()
    warnings = tuple(sorted({*reading.warnings, *document.warnings}))
    return replace(document, warnings=warnings)
