"""What the engagement page and its API show, in a constant number of queries."""

from dataclasses import dataclass

from django.db.models import Prefetch

from assessments import scoring
from assessments.models import (
    Decision,
    Evidence,
    Finding,
    Nonconformity,
    RequirementRating,
    Review,
    SelfRating,
)
from assessments.selectors.library import version_tree


@dataclass
class EngagementScore:
    tree: object
    result: scoring.ScoreResult
    scope_codes: set
    ratings: dict  # requirement code -> rating value

    @property
    def overall(self):
        return self.result.overall


def engagement_score(engagement, tree=None) -> EngagementScore:
    """Levels reached per item, per domain and overall, from the recorded ratings."""
    tree = tree or version_tree(engagement.model_version)
    scope_ids = set(engagement.scope_items.values_list("pk", flat=True))
    scope_codes = {node.code for pk, node in tree.items_by_pk.items() if pk in scope_ids}
    ratings = dict(
        RequirementRating.objects.filter(finding__engagement=engagement).values_list(
            "requirement__code", "rating"
        )
    )
    result = scoring.score(tree, scope_codes, ratings)
    return EngagementScore(tree=tree, result=result, scope_codes=scope_codes, ratings=ratings)


@dataclass
class ScoreRow:
    kind: str  # "domain", "group" (an item with sub-items) or "item" (a rated leaf)
    depth: int
    code: str
    name: str
    level: int | None
    pk: int | None = None
    finding: object = None
    display: str = ""  # the level as shown: "3", or "3-" when part of level 3 is met


def score_rows(score: EngagementScore, findings_by_item):
    """Rows of the score table: domains with their levels, their in-scope items, and (format 2)
    the items with sub-items above the in-scope leaves."""
    rows = []

    def walk_item(item, depth):
        if item.items:
            group = score.result.parents.get(item.code)
            if group is None or not any(c.code in score.scope_codes for c in item.all_items()):
                return
            rows.append(
                ScoreRow(
                    "group", depth, item.code, item.row.name, group.level, display=group.display
                )
            )
            for child in item.items:
                walk_item(child, depth + 1)
        elif item.code in score.scope_codes:
            leaf = score.result.items[item.code]
            rows.append(
                ScoreRow(
                    "item",
                    depth,
                    item.code,
                    item.row.name,
                    leaf.level,
                    item.pk,
                    findings_by_item.get(item.pk),
                    leaf.display,
                )
            )

    def walk(domains):
        for domain in domains:
            domain_score = score.result.domains.get(domain.code)
            if (
                domain_score is None
                or domain_score.level is None
                and not any(item.code in score.scope_codes for item in domain.all_items())
            ):
                continue
            rows.append(
                ScoreRow(
                    "domain",
                    domain.depth,
                    domain.code,
                    domain.row.name,
                    domain_score.level,
                    display=domain_score.display,
                )
            )
            for item in domain.items:
                walk_item(item, domain.depth + 1)
            walk(domain.domains)

    walk(score.tree.domains)
    return rows


@dataclass
class GapRow:
    pk: int
    code: str
    name: str
    self_level: int | None
    self_target: int | None
    assessed: int | None
    gap: int | None  # assessed minus self-rated: negative when the client rated itself higher
    self_display: str = ""  # the own level in the standard's notation ("3-")
    assessed_display: str = ""


def self_assessment_gap(engagement, score: EngagementScore | None = None) -> list[GapRow]:
    """Per in-scope leaf, in the model's order: the client's own level and target beside the
    level the assessors' ratings reach, and the gap between them (two queries plus the score)."""
    score = score or engagement_score(engagement)
    own = {r.item_id: r for r in SelfRating.objects.filter(engagement=engagement)}
    rows = []
    for pk, node in sorted(score.tree.items_by_pk.items(), key=lambda kv: kv[1].row.position):
        if node.code not in score.scope_codes:
            continue
        mine = own.get(pk)
        leaf = score.result.items.get(node.code)
        assessed = leaf.level if leaf else None
        self_level = mine.level if mine else None
        rows.append(
            GapRow(
                pk=pk,
                code=node.code,
                name=node.row.name,
                self_level=self_level,
                self_target=mine.target_level if mine else None,
                assessed=assessed,
                gap=(assessed - self_level)
                if assessed is not None and self_level is not None
                else None,
                self_display=mine.display if mine else "",
                assessed_display=leaf.display if leaf else "",
            )
        )
    return rows


def engagement_sections(engagement, *, may):
    """The parts of the engagement page that `may` (assessments.policy.abilities) lets the
    reader see: score and findings, evidence, nonconformities, reviews and decision. What the
    reader may not see is not even read."""
    sections = {"evidence": [], "nonconformities": [], "reviews": [], "decision": None}
    if may["view_score"]:
        score = engagement_score(engagement)
        findings = {f.item_id: f for f in Finding.objects.filter(engagement=engagement)}
        # The chart shows the domains of each part (or the parts themselves when flat).
        sections.update(
            score=score,
            rows=score_rows(score, findings),
            domain_levels=[
                (domain.code, domain.row.name, score.result.domains[domain.code].level)
                for part in score.tree.domains
                for domain in (part.domains or [part])
                if score.result.domains.get(domain.code)
                and score.result.domains[domain.code].level is not None
            ],
            findings_final=sum(1 for f in findings.values() if f.status == Finding.Status.FINAL),
            items_in_scope=len(score.scope_codes),
        )
    if may["view_self_assessment"]:
        sections["self_ratings"] = {
            r.item_id: r for r in SelfRating.objects.filter(engagement=engagement)
        }
        if may["view_score"]:
            sections["gap"] = self_assessment_gap(engagement, sections["score"])
    if may["view_evidence"]:
        sections["evidence"] = list(
            Evidence.objects.filter(engagement=engagement)
            .select_related("uploaded_by", "superseded_by")
            .prefetch_related("items")
            .order_by("-uploaded_at")
        )
    if may["view_nonconformities"]:
        sections["nonconformities"] = list(
            Nonconformity.objects.filter(engagement=engagement).select_related("finding__item")
        )
    if may["view_reviews"]:
        sections["reviews"] = list(
            Review.objects.filter(engagement=engagement).select_related("reviewer")
        )
    if may["view_decision"]:
        sections["decision"] = (
            Decision.objects.filter(engagement=engagement).select_related("decided_by").first()
        )
    return sections


def finding_detail(engagement, item):
    finding = (
        Finding.objects.filter(engagement=engagement, item=item)
        .prefetch_related(
            Prefetch("ratings", queryset=RequirementRating.objects.select_related("requirement")),
            "evidence",
        )
        .first()
    )
    return finding


# The columns of a finding in the API's list, and of each of its ratings.
FINDING_LIST_COLUMNS = ("id", "engagement_id", "item_id", "narrative", "status", "updated_at")
RATING_LIST_COLUMNS = (
    "finding_id",
    "requirement_id",
    "requirement__code",
    "requirement__level",
    "rating",
    "note",
    "rated_at",
)


def finding_list_rows(findings: list[dict]) -> list[dict]:
    """A page of findings (rows of FINDING_LIST_COLUMNS) with their ratings and evidence ids, in
    two queries whatever the page's size.

    Plain rows, not model objects: the list of 351 findings with 1,755 ratings spent most of its
    141 ms building Finding, RequirementRating and LevelRequirement instances, a related manager
    per finding and the serializer fields of every row. Ratings come in id order and evidence
    newest first, as the prefetches of the finding serializer give them."""
    by_id = {row["id"]: {**row, "ratings": [], "evidence": []} for row in findings}
    if not by_id:
        return []
    ratings = (
        RequirementRating.objects.filter(finding_id__in=list(by_id))
        .order_by("id")
        .values_list(*RATING_LIST_COLUMNS)
    )
    for finding_id, *rating in ratings:
        by_id[finding_id]["ratings"].append(rating)
    links = (
        Finding.evidence.through.objects.filter(finding_id__in=list(by_id))
        .order_by("-evidence__uploaded_at", "-evidence_id")
        .values_list("finding_id", "evidence_id")
    )
    for finding_id, evidence_id in links:
        by_id[finding_id]["evidence"].append(evidence_id)
    return list(by_id.values())


@dataclass
class EvidenceLinks:
    """The engagement's current files (no superseded version) by what they are linked to."""

    by_item: dict  # item id -> [Evidence]
    by_requirement: dict  # requirement id -> [Evidence]

    def for_leaf(self, item_id, requirement_ids):
        """Files linked to the leaf or to any of its requirements, each once, newest first."""
        seen, files = set(), []
        for evidence in [
            *self.by_item.get(item_id, []),
            *(e for pk in requirement_ids for e in self.by_requirement.get(pk, [])),
        ]:
            if evidence.pk not in seen:
                seen.add(evidence.pk)
                files.append(evidence)
        return sorted(files, key=lambda e: (e.uploaded_at, e.pk), reverse=True)

    def for_requirements(self, requirement_ids):
        seen, files = set(), []
        for pk in requirement_ids:
            for evidence in self.by_requirement.get(pk, []):
                if evidence.pk not in seen:
                    seen.add(evidence.pk)
                    files.append(evidence)
        return files


def evidence_links(engagement, *, item_ids=None) -> EvidenceLinks:
    """Which current file of the engagement supports which item and requirement (three queries
    whatever the number of files and links), for the rating rows of the grid and the finding
    page: a row shows only the evidence linked to its leaf or its requirements."""
    files = {
        e.pk: e
        for e in Evidence.objects.filter(engagement=engagement, superseded_by__isnull=True).only(
            "pk", "original_name", "status", "uploaded_at", "engagement_id"
        )
    }
    item_links = Evidence.items.through.objects.filter(evidence_id__in=list(files))
    requirement_links = Evidence.requirements.through.objects.filter(evidence_id__in=list(files))
    if item_ids is not None:
        item_links = item_links.filter(capabilityitem_id__in=list(item_ids))
        requirement_links = requirement_links.filter(levelrequirement__item_id__in=list(item_ids))
    by_item, by_requirement = {}, {}
    for item_id, evidence_id in item_links.values_list("capabilityitem_id", "evidence_id"):
        by_item.setdefault(item_id, []).append(files[evidence_id])
    for requirement_id, evidence_id in requirement_links.values_list(
        "levelrequirement_id", "evidence_id"
    ):
        by_requirement.setdefault(requirement_id, []).append(files[evidence_id])
    return EvidenceLinks(by_item, by_requirement)
