"""Render tables in the truth JSON shape back into report text that looks like the seeds.

The output is deterministic: the same tables and style always give the same text, so tests can
make layout variants (TAB rows, one cell per line, split pages, number formats) whose expected
cells are known from the truth file they were rendered from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_BLOCKS = re.compile(r"economic_(\d+)_blocks")
_DEFAULT_BLOCK_HEADER = ["科目代码", "科目名称", "决算数"]
_SPLIT_MIN_ROWS = 6
_FOOTER = re.compile(r"- \d+ -")


@dataclass(frozen=True)
class TextStyle:
    """How a table is printed.

    layout: "tab_rows" (one row per line, cells joined by TAB) or "cell_per_line" (each cell on
    its own line starting with a TAB, an empty line ends a row).
    thousands: insert thousands separators for amounts with |v| >= 1000.
    blank_zeros: print zero amounts as blank cells.
    split_pages: split tables with >= 6 body rows in two page parts, repeating the heading
    lines and header rows, with a page-footer line between the parts.
    spaced_digits: a space after each thousands comma and after the decimal point.
    side_heads: the label column heading of each side of a two-sided table: "项目" on both
    ("plain") or the side's name before it ("named": 收入项目, 支出项目).
    stacked_sides: print the sides of a two-sided table one below the other (收入 above 支出,
    each with its own heading row and header), not side by side.
    title_artefact: what a converter left on the title line: "bookmark" ("[bookmark:
    RANGE!A1:I34]" before the title; "bookmark_line": on the line above it), "bold"
    (markdown ``**title**``), "p" (``<p>title</p>``).
    label_line: where the 公开NN表 label goes: its own line after the title ("after_title"),
    before it ("before_title"), after the title padded far right ("padded_right"), or in the
    title line ("in_title": "公开01表 收入支出决算总表").
    split_min_rows: with split_pages, tables with at least this many body rows are split.
    repeat: what a continuation page repeats: heading lines and header rows ("all"), the
    heading lines only ("title"), nothing ("none": the rows go on after the page footer).
    title_after: the heading lines (title, label, 部门, 单位) come after the table's rows, as
    some PDF-to-text producers emit them.
    """

    layout: Literal["tab_rows", "cell_per_line"] = "tab_rows"
    thousands: bool = True
    blank_zeros: bool = False
    split_pages: bool = False
    spaced_digits: bool = False
    side_heads: Literal["plain", "named"] = "plain"
    stacked_sides: bool = False
    title_artefact: Literal["", "bookmark", "bookmark_line", "bold", "p"] = ""
    label_line: Literal["after_title", "before_title", "padded_right", "in_title"] = "after_title"
    split_min_rows: int = _SPLIT_MIN_ROWS
    repeat: Literal["all", "title", "none"] = "all"
    title_after: bool = False


@dataclass
class _Grid:
    """A table as cell rows; `merged` holds body-row indices whose first two cells merge."""

    header: list[list[str]]
    body: list[list[str]]
    merged: set[int]


def format_amount(value: str | None, style: TextStyle) -> str:
    """Print one value string of the truth format (None -> blank; non-numbers unchanged)."""
    if value is None:
        return ""
    if not _NUMBER.fullmatch(value):
        return value
    if style.blank_zeros and Decimal(value) == 0:
        return ""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    integer, dot, fraction = digits.partition(".")
    comma, point = (", ", ". ") if style.spaced_digits else (",", ".")
    if style.thousands and int(integer) >= 1000:
        integer = f"{int(integer):,}".replace(",", comma)
    return sign + integer + (point + fraction if dot else "")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _level_rows(names: list[str]) -> list[list[str]]:
    """Header rows from "/"-joined names: a segment is printed once over the columns it spans."""
    parts = [name.split("/") for name in names]
    depth = max((len(p) for p in parts), default=1)
    rows: list[list[str]] = []
    for level in range(depth):
        row: list[str] = []
        for i, segs in enumerate(parts):
            if level >= len(segs) or (i > 0 and parts[i - 1][: level + 1] == segs[: level + 1]):
                row.append("")
            else:
                row.append(segs[level])
        rows.append(row)
    return rows


def _col_nos(columns: list[dict[str, Any]]) -> list[str] | None:
    nos = [_text(c.get("col_no")) for c in columns]
    return nos if any(nos) else None


class _Value(str):
    """A printed value cell (a str, so every line renderer treats it as plain text).

    The builders mark value cells this way so that `table_cells` can tell them from labels
    (codes, names, 行次) and blank padding without a second description of each layout.
    """

    __slots__ = ()


def _values(row: dict[str, Any], style: TextStyle) -> list[str]:
    return [_Value(format_amount(v, style)) for v in row.get("values") or []]


def _function_coded(table: dict[str, Any], style: TextStyle) -> _Grid:
    columns: list[dict[str, Any]] = table.get("columns") or []
    levels = _level_rows([c["name"] for c in columns])
    header = [["项目", "", *levels[0]]]
    for depth, level in enumerate(levels[1:]):
        header.append(["科目编码", "科目名称", *level] if depth == 0 else ["", "", *level])
    nos = _col_nos(columns)
    if nos is not None:
        header.append(["栏次", "", *nos])
    body: list[list[str]] = []
    merged: set[int] = set()
    for row in table.get("rows") or []:
        code, name = row.get("code"), row.get("name")
        if code is None and (row.get("level") == "total" or name in ("合计", "总计")):
            merged.add(len(body))
            body.append([name or "合计", "", *_values(row, style)])
        else:
            body.append([_text(code), _text(name), *_values(row, style)])
    return _Grid(header, body, merged)


def _has_row_no(sections: list[dict[str, Any]]) -> bool:
    return any(r.get("row_no") is not None for s in sections for r in s.get("rows") or [])


def _side(row: dict[str, Any], with_no: bool, style: TextStyle) -> list[str]:
    first = [_text(row.get("name"))] + ([_text(row.get("row_no"))] if with_no else [])
    return first + _values(row, style)


def _two_sided(table: dict[str, Any], style: TextStyle) -> _Grid:
    sections: list[dict[str, Any]] = table["sections"]
    with_no = _has_row_no(sections)
    lead = ["项目", "行次"] if with_no else ["项目"]
    widths = [len(lead) + len(s["columns"]) for s in sections]
    top: list[str] = []
    names: list[str] = []
    nos_row: list[str] = []
    for section, width in zip(sections, widths, strict=True):
        top += [section["section"], *[""] * (width - 1)]
        head = section["section"] + lead[0] if style.side_heads == "named" else lead[0]
        names += [head, *lead[1:], *[c["name"] for c in section["columns"]]]
        nos_row += ["栏次", *[""] * (len(lead) - 1), *(_col_nos(section["columns"]) or [])]
    header = [top, names]
    if any(_col_nos(s["columns"]) for s in sections):
        header.append(nos_row)
    body: list[list[str]] = []
    for i in range(max((len(s.get("rows") or []) for s in sections), default=0)):
        line: list[str] = []
        for section, width in zip(sections, widths, strict=True):
            rows = section.get("rows") or []
            line += _side(rows[i], with_no, style) if i < len(rows) else [""] * width
        body.append(line)
    return _Grid(header, body, set())


def _block_range(block: Any) -> tuple[int, int]:
    bounds = [int(b) for b in str(block if block is not None else 1).split("-")]
    return bounds[0], bounds[-1]


def _economic_blocks(table: dict[str, Any], style: TextStyle) -> _Grid:
    rows: list[dict[str, Any]] = table.get("rows") or []
    match = _BLOCKS.fullmatch(table.get("layout") or "")
    printed = max((_block_range(r.get("block"))[1] for r in rows), default=1)
    n = max(int(match.group(1)) if match else 1, printed)
    block_header = table.get("block_headers")
    if not (isinstance(block_header, list) and len(block_header) == 3):
        block_header = _DEFAULT_BLOCK_HEADER
    header = [[str(h) for h in block_header] * n]
    blocks: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    footers: list[dict[str, Any]] = []
    for row in rows:
        if row.get("code") is None and _text(row.get("name")).endswith("合计"):
            footers.append(row)
        else:
            blocks[_block_range(row.get("block"))[0] - 1].append(row)
    body: list[list[str]] = []
    for i in range(max((len(b) for b in blocks), default=0)):
        line: list[str] = []
        for block in blocks:
            if i < len(block):
                vals = _values(block[i], style)
                line += [
                    _text(block[i].get("code")),
                    _text(block[i].get("name")),
                    vals[0] if vals else "",
                ]
            else:
                line += ["", "", ""]
        body.append(line)
    footer_lines: list[list[str]] = []
    for row in footers:
        start, end = _block_range(row.get("block"))
        name_at, value_at = 3 * (start - 1), 3 * (end - 1) + 2
        if not footer_lines or footer_lines[-1][name_at] or footer_lines[-1][value_at]:
            footer_lines.append([""] * (3 * n))
        vals = _values(row, style)
        footer_lines[-1][name_at] = _text(row.get("name"))
        footer_lines[-1][value_at] = vals[0] if vals else ""
    return _Grid(header, body + footer_lines, set())


def _single_row(table: dict[str, Any], style: TextStyle) -> _Grid:
    columns: list[dict[str, Any]] = table.get("columns") or []
    header = _level_rows([c["name"] for c in columns])
    nos = _col_nos(columns)
    if nos is not None:
        header.append(nos)
    return _Grid(header, [_values(r, style) for r in table.get("rows") or []], set())


def _sectioned(table: dict[str, Any], style: TextStyle) -> _Grid:
    sections: list[dict[str, Any]] = table["sections"]
    with_no = _has_row_no(sections)
    lead = ["项目", "行次"] if with_no else ["项目"]
    body: list[list[str]] = []
    for section in sections:
        names = [c["name"] for c in section["columns"]]
        body.append([section["section"], *[""] * (len(lead) + len(names) - 1)])
        body.append([*lead, *names])
        body += [_side(r, with_no, style) for r in section.get("rows") or []]
    return _Grid([], body, set())


def _generic(table: dict[str, Any], style: TextStyle) -> _Grid:
    if table.get("sections"):
        return _sectioned(table, style)
    rows: list[dict[str, Any]] = table.get("rows") or []
    with_code = any(r.get("code") is not None for r in rows)
    lead = ["科目编码", "项目"] if with_code else ["项目"]
    levels = _level_rows([c["name"] for c in table.get("columns") or []])
    header = [[*(lead if i == 0 else [""] * len(lead)), *lv] for i, lv in enumerate(levels)]
    body = [
        ([_text(r.get("code"))] if with_code else []) + [_text(r.get("name"))] + _values(r, style)
        for r in rows
    ]
    return _Grid(header, body, set())


def _grid(table: dict[str, Any], style: TextStyle) -> _Grid:
    layout = table.get("layout") or ""
    if layout == "function_coded":
        return _function_coded(table, style)
    if layout in ("two_sided", "three_sided") and len(table.get("sections") or []) >= 2:
        return _sectioned(table, style) if style.stacked_sides else _two_sided(table, style)
    if _BLOCKS.fullmatch(layout):
        return _economic_blocks(table, style)
    if layout == "single_row":
        return _single_row(table, style)
    if layout == "sectioned" and table.get("sections"):
        return _sectioned(table, style)
    return _generic(table, style)


CellKind = Literal["header", "col_no", "label", "value"]


@dataclass(frozen=True)
class GridCell:
    """One drawn cell of a table grid, anchored at its top-left grid position.

    kind: "header" (header rows, and sub-header rows inside the body of sectioned tables),
    "col_no" (the 栏次 row), "label" (codes, names, 行次, blank padding) or "value" (a printed
    amount, "——" or a blank amount cell).
    """

    row: int
    col: int
    text: str
    kind: CellKind
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class TableCells:
    """A table as a grid of printed cell texts, header rows first, with merged cells.

    rows: every grid row as cell texts ("" for a blank cell or a position covered by a span);
    header_rows: the number of leading header rows (including the 栏次 row);
    col_no_row: the index of the 栏次 row, or None when no 栏次 is printed;
    cells: the drawn cells; every grid position belongs to exactly one cell.
    """

    rows: list[list[str]]
    header_rows: int
    col_no_row: int | None
    cells: list[GridCell]

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def _header_cells(header: list[list[str]], col_no_row: int | None) -> list[GridCell]:
    """Spans of the header rows: a blank cell continues the cell above when the whole width of
    that cell is blank in this row (a leaf header over several levels), else the cell to its
    left within the same parent cell (a group title over several columns)."""
    n = max((len(r) for r in header), default=0)
    grid = [[*r, *[""] * (n - len(r))] for r in header]
    # cell boxes as [row, col, text, rowspan, colspan], owner[r][c] = box index
    boxes: list[list[Any]] = []
    owner: list[list[int]] = []
    for r, texts in enumerate(grid):
        own = [-1] * n
        started: set[int] = set()
        c = 0
        while c < n:
            if r == 0 or r == col_no_row:
                lo, hi = 0, n  # no parent cell: blanks join their left neighbour
            else:
                above = owner[r - 1][c]
                lo = c
                hi = c
                while hi < n and owner[r - 1][hi] == above:
                    hi += 1
                if all(texts[k] == "" for k in range(lo, hi)):
                    boxes[above][3] += 1
                    for k in range(lo, hi):
                        own[k] = above
                    c = hi
                    continue
            for k in range(lo, hi):
                left = own[k - 1] if k > lo else -1
                can_join = left in started and (r != col_no_row or boxes[left][2] == "栏次")
                if texts[k] == "" and can_join:
                    boxes[left][4] += 1
                    own[k] = left
                else:
                    started.add(len(boxes))
                    own[k] = len(boxes)
                    boxes.append([r, k, texts[k], 1, 1])
            c = hi
        owner.append(own)
    return [
        GridCell(
            row=b[0],
            col=b[1],
            text=b[2],
            kind="col_no" if b[0] == col_no_row else "header",
            rowspan=b[3],
            colspan=b[4],
        )
        for b in boxes
    ]


def _body_cells(body: list[list[str]], merged: set[int], first_row: int, n: int) -> list[GridCell]:
    cells: list[GridCell] = []
    for i, line in enumerate(body):
        r = first_row + i
        texts = [*line, *[""] * (n - len(line))]
        is_value = [isinstance(t, _Value) for t in texts]
        plain_blank = [t == "" and not v for t, v in zip(texts, is_value, strict=True)]
        if i in merged and n > 1 and plain_blank[1]:
            spans = [(0, 2)] + [(c, 1) for c in range(2, n)]
        elif n > 1 and texts[0] and not is_value[0] and all(plain_blank[1:]):
            spans = [(0, n)]  # a section title over the whole width
        else:
            spans = [(c, 1) for c in range(n)]
        sub_header = not any(is_value) and sum(1 for t in texts if t) >= 2
        for c, span in spans:
            kind: CellKind = "value" if is_value[c] else "header" if sub_header else "label"
            cells.append(GridCell(row=r, col=c, text=str(texts[c]), kind=kind, colspan=span))
    return cells


def table_cells(table: dict[str, Any], style: TextStyle | None = None) -> TableCells:
    """The grid `render_table` prints, as rows of cells with their merged spans.

    Header cells are merged as printed in report headers (a group title spans its columns, a
    leaf title spans down to the 栏次 row, "栏次" spans the label columns); in the body a 合计
    printed over code and name is one cell, and a section title spans the whole row.
    """
    style = style or TextStyle()
    grid = _grid(table, style)
    n = max((len(r) for r in [*grid.header, *grid.body]), default=0)
    nos = _col_nos(table.get("columns") or [])
    last = grid.header[-1] if grid.header else None
    col_no_row = (
        len(grid.header) - 1
        if last is not None and (last[0] == "栏次" or (nos is not None and last == nos))
        else None
    )
    cells = _header_cells(grid.header, col_no_row) + _body_cells(
        grid.body, grid.merged, len(grid.header), n
    )
    rows = [[str(t) for t in r] + [""] * (n - len(r)) for r in [*grid.header, *grid.body]]
    return TableCells(rows=rows, header_rows=len(grid.header), col_no_row=col_no_row, cells=cells)


def _row_lines(cells: list[str], merged: bool, style: TextStyle) -> list[str]:
    if style.layout == "tab_rows":
        return ["\t".join(cells)]
    shown = [cells[0], *cells[2:]] if merged else cells
    return [*("\t" + c for c in shown), ""]


_ARTEFACTS = {
    "": "{}",
    "bookmark": "[bookmark: RANGE!A1:I34]{}",
    "bookmark_line": "[bookmark: RANGE!A1:I34]\n{}",
    "bold": "**{}**",
    "p": "<p>{}</p>",
}


def _heading(table: dict[str, Any], style: TextStyle) -> list[str]:
    title, label = _text(table.get("title")), _text(table.get("table_id"))
    if label and style.label_line == "in_title":
        title, label = f"{label} {title}", ""
    lines = [*_ARTEFACTS[style.title_artefact].format(title).split("\n"), ""]
    if label and style.label_line == "before_title":
        lines = [label, "", *lines]
    elif label:
        pad = " " * 60 if style.label_line == "padded_right" else ""
        lines += [pad + label, ""]
    if table.get("department_as_printed"):
        lines += ["部门：" + str(table["department_as_printed"]), ""]
    if table.get("unit"):
        lines += ["单位：" + str(table["unit"]), ""]
    return lines


def _end_paragraph(lines: list[str]) -> None:
    if lines and lines[-1] != "":
        lines.append("")


def _page_ranges(n: int, style: TextStyle) -> list[tuple[int, int]]:
    if style.split_pages and n >= max(style.split_min_rows, 2):
        half = math.ceil(n / 2)
        return [(0, half), (half, n)]
    return [(0, n)]


def render_table(table: dict[str, Any], style: TextStyle, *, page: int = 1) -> list[str]:
    """Render one truth-format table as report lines (no trailing newlines).

    The lines are: title, table_id label, 部门 line, 单位 line (each followed by a blank line),
    the header rows, the body rows and the notes. With `style.split_pages` a table with at
    least 6 body rows is printed as two page parts; `page` numbers the page-footer line
    ("- 3 -") printed between them.
    """
    grid = _grid(table, style)
    header = [line for cells in grid.header for line in _row_lines(cells, False, style)]
    bodies = [
        [
            line
            for i, cells in enumerate(grid.body[start:stop], start)
            for line in _row_lines(cells, i in grid.merged, style)
        ]
        for start, stop in _page_ranges(len(grid.body), style)
    ]
    lines: list[str] = []
    heading = _heading(table, style)
    for part, body in enumerate(bodies):
        if part:
            _end_paragraph(lines)
            lines += [f"- {page + part - 1} -", ""]
        top = heading if not part or style.repeat != "none" else []
        head = header if not part or style.repeat == "all" else []
        _end_paragraph(lines)
        lines += head + body if style.title_after else top + head + body
        if style.title_after and part + 1 < len(bodies):
            _end_paragraph(lines)
            lines += top
    for note in table.get("notes") or []:
        _end_paragraph(lines)
        lines.append(str(note))
    if style.title_after:  # the grid, its notes, then its title lines
        _end_paragraph(lines)
        lines += heading
    while lines and lines[-1] == "" and style.layout == "tab_rows":
        lines.pop()
    return lines


def render_report(doc: dict[str, Any], style: TextStyle) -> str:
    """Render every table of a truth document ({"meta", "tables"}) as one report text.

    Tables are separated by a blank line; page-footer numbers run across the report. The text
    ends with a newline (in cell_per_line, a final empty line may end the last row).
    """
    lines: list[str] = []
    page = 1
    for table in doc.get("tables") or []:
        _end_paragraph(lines)
        table_lines = render_table(table, style, page=page)
        page += 1 + sum(1 for line in table_lines if _FOOTER.fullmatch(line))
        lines += table_lines
    return "\n".join(lines) + "\n"
