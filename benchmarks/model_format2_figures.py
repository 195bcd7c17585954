"""Format-2 models at size: importing 1,000 leaves with 5,000 level cells, the tree page of a 49-
and a 490-leaf model, and scoring 490 leaves against a bare loop over the same ratings."""

import random
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from assessments import scoring
from assessments.model_format import dump_model, load_model
from assessments.model_format.loader import (
    DomainNode,
    EvidenceNode,
    ItemNode,
    LevelCell,
    LevelDefinition,
    LocalizedText,
    ModelDocument,
    RequirementNode,
)
from assessments.services import library
from benchmarks.timing import paired_ms
from tenants.models import Membership, Tenant, User
from tenants.roles import Role

TOP = 5
RATINGS = ("met",) * 7 + ("partially_met", "not_met", "not_applicable")


def _text(en, zh):
    return LocalizedText(en, zh)


def _leaf(code, number):
    requirements, cells = [], []
    for level in range(1, TOP + 1):
        if level == 1:
            cells.append(
                LevelCell(1, description=_text(f"Initial state {number}", f"初始 {number}"))
            )
            continue
        for n in (1, 2) if level in (3, 4) else (1,):
            requirements.append(
                RequirementNode(
                    f"{code}.L{level}.{n}",
                    level,
                    _text(f"Requirement {number}.{level}.{n}", f"要求 {number}.{level}.{n}"),
                )
            )
        evidence = (
            (EvidenceNode(f"{code}-E{level}", "document", _text("A document", "文档")),)
            if level == 2
            else ()
        )
        cells.append(LevelCell(level, evidence=evidence, includes_lower_evidence=level == 4))
    return ItemNode(
        code,
        _text(f"Sub-item {number}", f"能力子项 {number}"),
        tuple(requirements),
        items=(),
        cells=tuple(cells),
    )


def synthetic_format_2(code, domains, items, leaves, *, one_requirement_per_cell=False):
    """Part P → `domains` domains → `items` items each → `leaves` sub-items each, 5 cells a leaf."""
    counter = 0
    built = []
    for d in range(domains):
        item_nodes = []
        for i in range(items):
            children = []
            for _ in range(leaves):
                counter += 1
                leaf_code = f"P.D{d}.I{i}.S{counter}"
                leaf = _leaf(leaf_code, counter)
                if one_requirement_per_cell:
                    leaf = ItemNode(
                        leaf.code,
                        leaf.name,
                        tuple(
                            RequirementNode(
                                f"{leaf_code}.L{level}", level, _text(f"R {level}", f"要求 {level}")
                            )
                            for level in range(1, TOP + 1)
                        ),
                        cells=tuple(LevelCell(level) for level in range(1, TOP + 1)),
                    )
                children.append(leaf)
            item_nodes.append(
                ItemNode(
                    f"P.D{d}.I{i}",
                    _text(f"Item {d}.{i}", f"能力项 {d}.{i}"),
                    (),
                    items=tuple(children),
                )
            )
        built.append(
            DomainNode(f"P.D{d}", _text(f"Domain {d}", f"能力子域 {d}"), items=tuple(item_nodes))
        )
    return ModelDocument(
        code=code,
        version="1.0",
        name=_text("Synthetic format-2 model", "合成模型（格式2）"),
        levels=tuple(
            LevelDefinition(n, _text(f"Level {n}", f"第{n}级")) for n in range(1, TOP + 1)
        ),
        domains=(DomainNode("P", _text("Part", "能力域"), domains=tuple(built)),),
        format=2,
        layers=(
            _text("Domain", "能力域"),
            _text("Sub-domain", "能力子域"),
            _text("Item", "能力项"),
            _text("Sub-item", "能力子项"),
        ),
    )


def _ratings(document, seed=11):
    chooser = random.Random(seed)
    return {r.code: chooser.choice(RATINGS) for r in document.all_requirements()}


MET = frozenset(("met", "not_applicable"))
PROGRESS = frozenset(("met", "partially_met"))


def bare_loop(document, ratings):
    """What scoring computes, written as plainly as possible over the same model document and
    the same ratings: each leaf's level, its "N-" and the requirements blocking its next level;
    each node's level (the lowest of its leaves), its "N-" and the leaves holding it down; the
    overall level. No checks, no result objects: dicts and tuples."""
    get = ratings.get
    leaves = {}
    nodes = {}

    def leaf(item):
        requirements = item.requirements
        lowest = TOP + 1
        for requirement in requirements:
            if requirement.level < lowest and get(requirement.code) not in MET:
                lowest = requirement.level
        level = lowest - 1
        partial, blocking = False, []
        if level < TOP:
            for requirement in requirements:
                if requirement.level == lowest:
                    value = get(requirement.code)
                    if value in PROGRESS:
                        partial = True
                    if value not in MET:
                        blocking.append(requirement.code)
            blocking.sort()
        leaves[item.code] = (level, partial, blocking)
        return [item.code]

    def node(code, beneath):
        level = min(leaves[leaf_code][0] for leaf_code in beneath)
        partial = level < TOP and any(
            leaves[c][0] > level or (leaves[c][1] and leaves[c][0] == level) for c in beneath
        )
        nodes[code] = (level, partial, [c for c in beneath if leaves[c][0] <= level])
        return beneath

    def item(entry):
        if not entry.items:
            return leaf(entry)
        return node(entry.code, [code for child in entry.items for code in item(child)])

    def domain(entry):
        beneath = [code for child in entry.items for code in item(child)]
        beneath += [code for child in entry.domains for code in domain(child)]
        return node(entry.code, beneath)

    node("", [code for entry in document.domains for code in domain(entry)])
    return leaves, nodes


def figures():
    with scopes_disabled():
        tenant, _ = Tenant.objects.get_or_create(
            slug="bench-f2", defaults={"name": "Bench Format 2", "certificate_prefix": "BF2"}
        )
        user, _ = User.objects.get_or_create(email="bench-f2@bench.test")
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": Role.ASSESSOR})

    # Importing: 10 domains × 10 items × 10 sub-items = 1,000 leaves, 5 cells each, read from
    # the YAML file and stored.
    big = synthetic_format_2("synthetic-f2-1000", 10, 10, 10, one_requirement_per_cell=True)
    text = dump_model(big)
    assert sum(len(leaf.cells) for leaf in big.all_leaves()) == 5000
    started = time.perf_counter()
    document = load_model(text)
    with CaptureQueriesContext(connection) as queries, scopes_disabled():
        library.import_model_document(document=document)
    yield "model_import_1000_leaves_s", time.perf_counter() - started, "s"
    yield "model_import_1000_leaves_queries", len(queries), "queries"

    # The tree page: 49 leaves (7 × 1 × 7) and 490 (7 × 10 × 7).
    client = Client()
    client.force_login(user)
    for leaves, items in ((49, 1), (490, 10)):
        doc = synthetic_format_2(f"synthetic-f2-{leaves}", 7, items, 7)
        with scopes_disabled():
            version = library.publish_version(version=library.import_model_document(document=doc))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/t/bench-f2/models/versions/{version.pk}/")
        assert response.status_code == 200
        yield f"model_tree_queries_{leaves}", len(queries), "queries"

    # Scoring 490 leaves, and the bare loop over the same ratings in the same run.
    doc = synthetic_format_2("synthetic-f2-score", 7, 10, 7)
    ratings = _ratings(doc)
    result = scoring.score(doc, None, ratings)
    leaf_scores, node_scores = bare_loop(doc, ratings)
    assert {code: score.level for code, score in result.items.items()} == {
        code: level for code, (level, _, _) in leaf_scores.items()
    }
    assert result.overall == node_scores[""][0]
    score_ms, bare_ms, ratio = paired_ms(
        lambda: scoring.score(doc, None, ratings), lambda: bare_loop(doc, ratings), runs=100
    )
    yield "score_ms_490", score_ms, "ms"
    yield "score_bare_loop_ms_490", bare_ms, "ms"
    yield "score_vs_bare_ratio", ratio, "x"
