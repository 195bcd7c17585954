"""The self-assessment spreadsheet (xlsx) in the layout of CAICT's sheet, both ways.

CAICT's self-assessment sheet for the DevOps model (能力成熟度自评表) has a title row, a row for
the project name and the target level, a header row — one column per layer of the tree (能力域,
能力子域, 能力项, 能力子项), one per level ("3级（全面级：…）"), then 自评 (the self-rating), the
gap to the target level and notes — and one row per rated sub-item, the ancestors merged over
their rows. `write_self_assessment_sheet` writes a model in that layout (with the assessed level
of an engagement when given, and the leaf's code in a last column so that a filled-in export
reads back exactly); `read_self_assessment_sheet` reads a client's filled-in sheet — an export,
or CAICT's own sheet, matched by the names of the sub-items — as {leaf code: level or "N-"}.

Pure functions over a ModelDocument (a ModelVersion is turned into one with five queries); no
writes: storing a client's self-assessment belongs to the self-assessment feature's service.
Sheets come from clients, so the file's size and its unpacked size are bounded before openpyxl
reads it, and every problem is reported with its row instead of a traceback.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from assessments.model_format import ItemNode, LocalizedText, ModelDocument

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_SHEET_BYTES = 10 * 1024 * 1024  # the file as uploaded
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # its parts once unzipped: a few MB for a 1,000-row sheet
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 10

_WORDS = {
    "zh": {
        "title": "{name}-能力成熟度自评表",
        "project": "项目名称",
        "project_hint": "请填写：XX公司XX项目",
        "target": "目标级别",
        "target_hint": "请填写：X级，如3级",
        "level": "{level}级\n（{name}）",
        "self": "自评",
        "gap": "和X级要求的差距\nX级为参评单位预期要达到的能力级别",
        "notes": "问题记录与改进思路\n请记录针对标准的疑问和针对不足的改进思路",
        "assessed": "评估结果",
        "code": "编码",
        "none": "无",
        "layer": "层级{n}",
        "target_value": "{level}级",
    },
    "en": {
        "title": "{name} — capability maturity self-assessment",
        "project": "Project",
        "project_hint": "Fill in: company and project",
        "target": "Target level",
        "target_hint": "Fill in: the level aimed at, e.g. 3",
        "level": "Level {level}\n({name})",
        "self": "Self-rating",
        "gap": "Gap to the target level",
        "notes": "Questions and improvement ideas",
        "assessed": "Assessed level",
        "code": "Code",
        "none": "None",
        "layer": "Layer {n}",
        "target_value": "Level {level}",
    },
}
_SELF_HEADERS = {"自评", "self-rating", "self rating"}
_CODE_HEADERS = {"编码", "code"}
_LEVEL_HEADER = re.compile(r"^\s*(?:(\d+)\s*级|level\s*(\d+))", re.IGNORECASE)
_RATING = re.compile(r"^(?:level\s*)?(\d+)\s*(?:级)?\s*([-－−–])?\s*(?:级)?$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class SheetProblem:
    row: int  # 1-based row of the sheet (0: the workbook as a whole)
    column: str  # column letter, "" for the whole row or workbook
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "the workbook"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class SheetError(ValueError):
    """The sheet was refused; `problems` lists everything found, ordered by row."""

    def __init__(self, problems: list[SheetProblem]):
        self.problems = sorted(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"the self-assessment sheet has {len(self.problems)} problem(s):\n{lines}")


def _document(version: Any) -> ModelDocument:
    if isinstance(version, ModelDocument):
        return version
    from assessments.services.library import version_document

    return version_document(version)


def _leaf_paths(document: ModelDocument) -> list[tuple[list[Any], ItemNode]]:
    """Every leaf with the nodes above it (domains, then items), in model order."""
    found: list[tuple[list[Any], ItemNode]] = []

    def walk_item(item: ItemNode, above: list[Any]) -> None:
        if item.is_leaf:
            found.append((above, item))
        for child in item.items:
            walk_item(child, [*above, item])

    def walk(domain: Any, above: list[Any]) -> None:
        for item in domain.items:
            walk_item(item, [*above, domain])
        for child in domain.domains:
            walk(child, [*above, domain])

    for domain in document.domains:
        walk(domain, [])
    return found


def _text(text: LocalizedText | None, language: str) -> str:
    return text.get(language) if text is not None else ""


def _level_cell(item: ItemNode, level: int, language: str, none: str) -> str:
    requirements = [r for r in item.requirements if r.level == level]
    if len(requirements) > 1:
        return "\n".join(
            f"{number}) {_text(r.text, language)}" for number, r in enumerate(requirements, 1)
        )
    if requirements:
        return _text(requirements[0].text, language)
    cell = next((cell for cell in item.cells if cell.level == level), None)
    if cell is not None and cell.description is not None:
        return _text(cell.description, language)
    return none


def write_self_assessment_sheet(
    version: Any,
    *,
    language: str = "zh",
    assessed: dict[str, str] | None = None,
    project: str = "",
    target_level: int | None = None,
    self_ratings: dict[str, str] | None = None,
) -> bytes:
    """The model version as an xlsx self-assessment sheet in CAICT's layout.

    `assessed` ({leaf code: "3" or "3-"}) adds an assessed-level column (an engagement's
    levels); `project` and `target_level` fill the second row; `self_ratings` ({leaf code:
    "3" or "3-"}) fills the 自评 column (a client's ratings so far)."""
    document = _document(version)
    words = _WORDS["zh" if language.lower().startswith("zh") else "en"]
    language = "zh-hans" if words is _WORDS["zh"] else "en"
    leaves = _leaf_paths(document)
    depth = max((len(above) + 1 for above, _ in leaves), default=1)
    levels = [d.level for d in document.levels]

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = words["self"]
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(wrap_text=True, vertical="center", horizontal="center")
    header_fill = PatternFill("solid", fgColor="DDEBF7")

    layer_columns = depth
    first_level = layer_columns + 1
    self_column = first_level + len(levels)
    columns = [
        *(
            _text(document.layers[n], language)
            if n < len(document.layers)
            else words["layer"].format(n=n + 1)
            for n in range(layer_columns)
        ),
        *(
            words["level"].format(level=level, name=_text(document.level_name(level), language))
            for level in levels
        ),
        words["self"],
        words["gap"],
        words["notes"],
        *([words["assessed"]] if assessed is not None else []),
        words["code"],
    ]
    width = len(columns)

    sheet.cell(row=1, column=1, value=words["title"].format(name=_text(document.name, language)))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.cell(row=1, column=1).alignment = centre
    sheet.merge_cells(start_row=1, end_row=1, start_column=1, end_column=width)
    sheet.cell(row=2, column=1, value=words["project"]).font = bold
    sheet.cell(row=2, column=2, value=project or words["project_hint"])
    if first_level - 1 > 2:
        sheet.merge_cells(start_row=2, end_row=2, start_column=2, end_column=first_level + 1)
    target_at = max(first_level + 2, 3)
    sheet.cell(row=2, column=target_at, value=words["target"]).font = bold
    sheet.cell(
        row=2,
        column=target_at + 1,
        value=words["target_value"].format(level=target_level)
        if target_level
        else words["target_hint"],
    )
    for number, title in enumerate(columns, 1):
        cell = sheet.cell(row=3, column=number, value=title)
        cell.font, cell.alignment, cell.fill = bold, centre, header_fill

    row = 4
    previous: list[Any] = []
    starts: dict[int, int] = {}  # column -> first row of the node shown there
    for above, leaf in leaves:
        names = [None] * layer_columns
        for index, node in enumerate(above):
            names[index] = node
        names[layer_columns - 1] = leaf
        for column in range(layer_columns - 1):
            node = names[column]
            same = column < len(previous) and previous[column] is node and node is not None
            if not same:
                _merge(sheet, column + 1, starts.get(column + 1), row - 1)
                starts[column + 1] = row
                if node is not None:
                    sheet.cell(row=row, column=column + 1, value=_text(node.name, language))
        sheet.cell(row=row, column=layer_columns, value=_text(leaf.name, language))
        for offset, level in enumerate(levels):
            sheet.cell(
                row=row,
                column=first_level + offset,
                value=_level_cell(leaf, level, language, words["none"]),
            )
        if self_ratings and leaf.code in self_ratings:
            sheet.cell(row=row, column=self_column, value=self_ratings[leaf.code])
        if assessed is not None:
            sheet.cell(row=row, column=width - 1, value=assessed.get(leaf.code, ""))
        sheet.cell(row=row, column=width, value=leaf.code)
        for column in range(1, width + 1):
            sheet.cell(row=row, column=column).alignment = wrap
        previous = names
        row += 1
    for column in range(layer_columns - 1):
        _merge(sheet, column + 1, starts.get(column + 1), row - 1)

    choices = ["0", *(str(level) for level in levels), *(f"{level}-" for level in levels[1:])]
    validation = DataValidation(type="list", formula1=f'"{",".join(choices)}"', allow_blank=True)
    sheet.add_data_validation(validation)
    if row > 4:
        letter = get_column_letter(self_column)
        validation.add(f"{letter}4:{letter}{row - 1}")
    for number in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(number)].width = (
            14 if number <= layer_columns else 36 if number < self_column else 12
        )
    sheet.freeze_panes = sheet.cell(row=4, column=layer_columns + 1)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _merge(sheet: Any, column: int, start: int | None, end: int) -> None:
    if start is not None and end > start:
        sheet.merge_cells(start_row=start, end_row=end, start_column=column, end_column=column)


def _clean(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _first_line(value: Any) -> str:
    lines = [line.strip() for line in str(value or "").splitlines() if line.strip()]
    return lines[0] if lines else ""


def _open(file: IO[bytes] | bytes) -> Any:
    data = file if isinstance(file, bytes) else file.read(MAX_SHEET_BYTES + 1)
    if len(data) > MAX_SHEET_BYTES:
        raise SheetError([SheetProblem(0, "", f"the file is over {MAX_SHEET_BYTES:,} bytes")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetError(
            [SheetProblem(0, "", "the file is not an Excel workbook (.xlsx)")]
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetError(
            [
                SheetProblem(
                    0,
                    "",
                    f"the workbook unpacks to {unpacked:,} bytes, too large for a "
                    f"self-assessment sheet (at most {MAX_UNPACKED_BYTES:,})",
                )
            ]
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetError(
            [SheetProblem(0, "", f"the file is not a readable Excel workbook (.xlsx): {error}")]
        ) from None


def read_self_assessment_sheet(file: IO[bytes] | bytes, version: Any) -> dict[str, int | str]:
    """A client's filled-in self-assessment sheet as {leaf code: level (int) or "N-" (text)}.

    Rows are matched to the model's leaves by the code column of an exported sheet, else by the
    names of the tree columns (CAICT's own sheet; merged ancestors and notes under a name are
    understood). Leaves left blank are absent. Raises SheetError listing every problem with its
    row (and column): a value that is not a level of the model, a row naming no leaf, a leaf
    rated twice, a sheet without a self-rating column."""
    document = _document(version)
    workbook = _open(file)
    sheet = workbook.active
    top = document.top_level
    header_row, columns = _header(sheet)
    self_column, code_column, layer_count = columns
    leaves = _leaf_paths(document)
    by_code = {leaf.code: leaf for _, leaf in leaves}
    by_path: dict[tuple[str, ...], str] = {}
    by_name: dict[str, list[str]] = {}
    for above, leaf in leaves:
        for language in ("en", "zh-hans"):
            names = tuple(_clean(node.name.get(language)) for node in [*above, leaf])
            by_path.setdefault(names, leaf.code)
            by_name.setdefault(names[-1], [])
            if leaf.code not in by_name[names[-1]]:
                by_name[names[-1]].append(leaf.code)

    problems: list[SheetProblem] = []
    ratings: dict[str, int | str] = {}
    rated_on: dict[str, int] = {}
    merged = _merged_values(sheet)
    carried: list[str] = [""] * layer_count
    self_letter = get_column_letter(self_column)
    for number, row in enumerate(
        sheet.iter_rows(min_row=header_row + 1, max_row=sheet.max_row, values_only=True),
        header_row + 1,
    ):
        if number - header_row > MAX_ROWS:
            problems.append(SheetProblem(number, "", f"more than {MAX_ROWS:,} rows; stop here"))
            break
        cells = list(row)
        for column in range(layer_count):
            if (number, column + 1) in merged:
                continue  # inside a merged range: the name of the rows above goes on
            value = cells[column] if column < len(cells) else None
            if _first_line(value):
                carried[column] = _clean(_first_line(value))
                for deeper in range(column + 1, layer_count):
                    carried[deeper] = ""
        raw = cells[self_column - 1] if self_column - 1 < len(cells) else None
        code_value = (
            _clean(cells[code_column - 1])
            if code_column is not None and code_column - 1 < len(cells)
            else ""
        )
        if not any(_clean(cell) for cell in cells):
            continue
        leaf_code = _which_leaf(number, code_value, carried, by_code, by_path, by_name, problems)
        if _clean(raw) == "":
            continue
        value = _rating(raw, top)
        if value is None:
            problems.append(
                SheetProblem(
                    number,
                    self_letter,
                    f"{_clean(raw)!r} is not a level of this model: write a level from 1 to "
                    f"{top}, or N- (partially meets level N) for N from 2 to {top}",
                )
            )
            continue
        if leaf_code is None:
            continue
        if leaf_code in rated_on:
            problems.append(
                SheetProblem(
                    number,
                    "",
                    f"{leaf_code} is rated already on row {rated_on[leaf_code]}; rate each "
                    "sub-item once",
                )
            )
            continue
        rated_on[leaf_code] = number
        ratings[leaf_code] = value
    if problems:
        raise SheetError(problems)
    return ratings


def _header(sheet: Any) -> tuple[int, tuple[int, int | None, int]]:
    """The header row: its number, the self-rating and code columns, and how many tree columns
    come before the first level column."""
    for number, row in enumerate(
        sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), 1
    ):
        titles = [_first_line(cell).lower() for cell in row]
        if not any(title in _SELF_HEADERS for title in titles):
            continue
        self_column = next(i for i, t in enumerate(titles, 1) if t in _SELF_HEADERS)
        code_column = next((i for i, t in enumerate(titles, 1) if t in _CODE_HEADERS), None)
        first_level = next(
            (i for i, t in enumerate(titles, 1) if _LEVEL_HEADER.match(t)), self_column
        )
        return number, (self_column, code_column, max(first_level - 1, 1))
    raise SheetError(
        [
            SheetProblem(
                0,
                "",
                f"no header row with a 自评 (self-rating) column in the first "
                f"{HEADER_SEARCH_ROWS} rows; use the sheet exported from Assay or CAICT's "
                "self-assessment sheet",
            )
        ]
    )


def _merged_values(sheet: Any) -> set[tuple[int, int]]:
    """The cells inside merged ranges, but their first (where openpyxl keeps the value)."""
    inside = set()
    for cell_range in sheet.merged_cells.ranges:
        for row in range(cell_range.min_row, cell_range.max_row + 1):
            for column in range(cell_range.min_col, cell_range.max_col + 1):
                if (row, column) != (cell_range.min_row, cell_range.min_col):
                    inside.add((row, column))
    return inside


def _which_leaf(
    number: int,
    code: str,
    carried: list[str],
    by_code: dict[str, ItemNode],
    by_path: dict[tuple[str, ...], str],
    by_name: dict[str, list[str]],
    problems: list[SheetProblem],
) -> str | None:
    if code:
        if code in by_code:
            return code
        problems.append(
            SheetProblem(number, "", f"the code {code!r} is not a rated sub-item of this model")
        )
        return None
    path = tuple(name for name in carried if name)
    if not path:
        problems.append(SheetProblem(number, "", "this row names no sub-item"))
        return None
    for start in range(len(path)):
        if path[start:] in by_path:
            return by_path[path[start:]]
    candidates = by_name.get(path[-1], [])
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        problems.append(
            SheetProblem(
                number,
                "",
                f"{path[-1]!r} names more than one sub-item of this model "
                f"({', '.join(candidates)}); keep the names of the rows above it as exported",
            )
        )
        return None
    problems.append(
        SheetProblem(number, "", f"{' / '.join(path)!r} is not a sub-item of this model")
    )
    return None


def _rating(raw: Any, top: int) -> int | str | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        if float(raw).is_integer() and 0 <= int(raw) <= top:
            return int(raw)
        return None
    match = _RATING.match(_clean(raw))
    if match is None:
        return None
    level = int(match.group(1))
    if match.group(2):
        return f"{level}-" if 2 <= level <= top else None
    return level if 0 <= level <= top else None


def export_engagement_sheet(engagement: Any, *, language: str = "zh") -> bytes:
    """The sheet of an engagement's model version with its organization, target level and the
    level each in-scope sub-item reaches from the recorded ratings ("3", or "3-")."""
    from assessments.selectors.work import engagement_score

    result = engagement_score(engagement).result
    return write_self_assessment_sheet(
        engagement.model_version,
        language=language,
        assessed={code: score.display for code, score in result.items.items()},
        project=engagement.organization.legal_name,
        target_level=engagement.target_level,
    )


def self_assessment_sheet_response(engagement: Any, *, language: str = "zh") -> Any:
    """The engagement's sheet as a download (the page and the API both serve it)."""
    from django.http import HttpResponse

    data, filename = export_self_assessment_sheet(engagement, language=language)
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_self_assessment_sheet(engagement: Any, *, language: str = "zh") -> tuple[bytes, str]:
    """The sheet a client fills in for an engagement: its model version, organization and
    target level, with the self-ratings recorded so far in the 自评 column; and its file name."""
    from assessments.models import SelfRating

    own = {
        r.item.code: r.display
        for r in SelfRating.objects.filter(engagement=engagement).select_related("item")
    }
    data = write_self_assessment_sheet(
        engagement.model_version,
        language=language,
        project=engagement.organization.legal_name,
        target_level=engagement.target_level,
        self_ratings=own,
    )
    suffix = "zh" if language.lower().startswith("zh") else "en"
    return data, f"{engagement.reference}-self-assessment-{suffix}.xlsx"
