"""Render truth documents ({"meta", "tables"}) as text-layer PDFs that look like report tables.

Each table starts on a new A4 page: title centred, the 公开NN表 label on the right, the 部门 line
left and the 单位 line right, then the grid (the cells of `evals.render_text.table_cells`: merged
header cells, the 栏次 row, data rows), then the notes. Long tables continue on further pages
with the heading lines and header rows repeated. Amounts are right-aligned with thousands
separators, labels left-aligned, headers centred. Text is real text in the built-in CJK font
(Droid Sans Fallback, subset-embedded), so `page.get_text("words")` reads every cell.

The output is deterministic: the same document, style and seed give byte-identical PDFs.
`render_pdf_with_layout` also returns the geometry drawn (cell rectangles and texts per page).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pymupdf

from extractor_evals.render_text import TableCells, TextStyle, table_cells

_FONT_NAME = "cjk"
_FONT = pymupdf.Font(_FONT_NAME)
_ASC = float(_FONT.ascender)
_DESC = -float(_FONT.descender)
_A4 = (595.0, 842.0)
_NUMBER = re.compile(r"-?[\d,]+(?:\.\d+)?")
_TOKEN = re.compile(r"[0-9A-Za-z.,%\-]+|\s+|.")
_FIXED_DATE = "D:20240101000000+08'00'"
_MIN_FONT = 4.5

TextRole = Literal["title", "label", "department", "unit", "note", "footer"]
Rules = Literal["", "all", "none", "horizontal", "header_total", "alternate", "frame"]
RULES: tuple[Rules, ...] = ("all", "none", "horizontal", "header_total", "alternate", "frame")
_TOTAL = re.compile(r"^\s*(?:[一二三四五六七八九十]+、)?\s*(?:本年)?.{0,6}(?:合\s*计|总\s*计)")


@dataclass(frozen=True)
class PdfStyle:
    """How the report pages look.

    landscape: A4 landscape instead of portrait. ruled: draw every cell border.
    font_size: body text size in points (the title is 1.6 times larger; a table that does not
    fit the page width at this size is set smaller). wrap_headers: header texts are set on 2-3
    lines in narrow columns instead of widening their columns. col_width_jitter: relative
    random variation (seeded) of the natural column widths, 0..0.3. grid: the text style
    whose table grid is drawn (two-sided headings named or sides stacked, number formats).
    rules: which lines are drawn, overriding ``ruled`` ("" follows it: every border or none):
    "horizontal" (row borders only), "header_total" (the header cells boxed and the lines
    above and below the 合计/总计 rows), "alternate" (every other body row boxed, the header
    boxed), "frame" (the outer border of the table only). header_lines: with wrap_headers,
    the number of lines (2 or 3) a long header text is narrowed to (0: 2 up to 8 characters,
    3 beyond). header_balance: wrapped header cells get even lines (True) or are filled
    greedily, line by line (False).
    """

    name: str
    landscape: bool
    ruled: bool
    font_size: float
    wrap_headers: bool
    col_width_jitter: float
    grid: TextStyle = field(default_factory=TextStyle)
    rules: Rules = ""
    header_lines: int = 0
    header_balance: bool = True

    @property
    def drawn_rules(self) -> Rules:
        """The rules actually drawn."""
        return self.rules or ("all" if self.ruled else "none")


STYLES: dict[str, PdfStyle] = {
    s.name: s
    for s in (
        PdfStyle("ruled_portrait", False, True, 9.0, False, 0.1),
        PdfStyle("ruled_landscape_wrapped", True, True, 10.0, True, 0.2),
        PdfStyle("unruled_compact", False, False, 7.5, False, 0.0),
        PdfStyle("unruled_landscape_jitter", True, False, 8.5, True, 0.3),
    )
}


@dataclass(frozen=True)
class CellBox:
    """A drawn grid cell: its rectangle (points, page coordinates) and printed text.

    row/col index `TableCells.rows` of the table (header rows first); lines holds the text as
    wrapped on the page (one entry unless the text was wrapped).
    """

    row: int
    col: int
    rowspan: int
    colspan: int
    kind: str
    text: str
    bbox: tuple[float, float, float, float]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class TextBox:
    """A text line outside the grid (title, label, 部门/单位 lines, notes, page footer)."""

    role: TextRole
    text: str
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class PageLayout:
    """What one page holds: page (0-based page index) shows part `part` (0-based) of table
    `table` (index in doc["tables"]), set at font_size (smaller than the style's when the
    table did not fit the page width)."""

    page: int
    width: float
    height: float
    table: int
    part: int
    font_size: float
    cells: tuple[CellBox, ...]
    texts: tuple[TextBox, ...]


@dataclass
class _Cell:
    row: int
    col: int
    rowspan: int
    colspan: int
    kind: str
    text: str
    lines: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    font_size: float
    pad: float
    vpad: float
    pitch: float
    widths: list[float]
    heights: list[float]
    cells: list[_Cell]
    header_rows: int
    centred_cols: set[int] = field(default_factory=set)
    totals: set[int] = field(default_factory=set)  # body rows of 合计/总计 lines


_ADVANCE: dict[str, float] = {}
_NO_LINE_START = set("）)，,。.、；;：:”’》」』】%")


def _advance(ch: str) -> float:
    adv = _ADVANCE.get(ch)
    if adv is None:
        adv = _ADVANCE[ch] = float(_FONT.glyph_advance(ord(ch)))
    return adv


def _width(text: str, size: float) -> float:
    """Advance width of one line (same as Font.text_length, with a per-character cache)."""
    return size * sum(_advance(ch) for ch in text)


def _wrap(text: str, width: float, size: float, *, balanced: bool = False) -> list[str]:
    """Line breaking between CJK characters, never inside a run of digits/letters unless the
    run alone is wider than the line, never with closing punctuation at a line start.
    balanced: use the narrowest width that gives the same number of lines (even lines)."""
    lines = _wrap_greedy(text, width, size)
    if balanced and len(lines) > 1:
        lo, hi = 0.0, width
        for _ in range(12):
            mid = (lo + hi) / 2
            if len(_wrap_greedy(text, mid, size)) <= len(lines):
                hi = mid
            else:
                lo = mid
        lines = _wrap_greedy(text, hi, size)
    return lines


def _wrap_greedy(text: str, width: float, size: float) -> list[str]:
    if not text:
        return [""]
    if _width(text, size) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if _width(line + token, size) <= width or not line.strip():
            if line.strip() or not token.isspace():
                line += token
        else:
            lines.append(line.rstrip())
            line = "" if token.isspace() else token
        while _width(line, size) > width and len(line) > 1:
            cut = len(line) - 1
            while cut > 1 and _width(line[:cut], size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    for i in range(1, len(lines)):
        while lines[i] and lines[i][0] in _NO_LINE_START and len(lines[i - 1]) > 1:
            lines[i] = lines[i - 1][-1] + lines[i]
            lines[i - 1] = lines[i - 1][:-1]
    return lines or [""]


def _min_token(text: str, size: float) -> float:
    """Width of the widest unbreakable run (digits, latin letters) in the text."""
    return max((_width(t, size) for t in _TOKEN.findall(text) if not t.isspace()), default=0.0)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


def _cells_of(tc: TableCells) -> list[_Cell]:
    ordered = sorted(tc.cells, key=lambda c: (c.row, c.col))
    return [_Cell(c.row, c.col, c.rowspan, c.colspan, c.kind, c.text) for c in ordered]


def _mergeable(cells: list[_Cell]) -> dict[tuple[int, int], _Cell]:
    return {(c.row, c.col): c for c in cells}


def _overflow_candidates(cells: list[_Cell]) -> set[tuple[int, int]]:
    """Body labels followed by a blank label cell: they may run into it instead of wrapping."""
    at = _mergeable(cells)
    found: set[tuple[int, int]] = set()
    for c in cells:
        nxt = at.get((c.row, c.col + c.colspan))
        if (
            c.kind == "label"
            and c.text
            and c.rowspan == 1
            and nxt is not None
            and nxt.kind == "label"
            and not nxt.text
            and nxt.rowspan == 1
        ):
            found.add((c.row, c.col))
    return found


def _plan(tc: TableCells, style: PdfStyle, size: float, avail: float, jitter: list[float]) -> _Plan:
    """Column widths, merges, wrapped lines and row heights at one font size (may not fit)."""
    n = tc.n_cols
    pad = 0.5 * size  # >= 1 em between neighbouring texts, or MuPDF joins them into one word
    vpad = 0.3 * size if style.ruled else 0.15 * size
    pitch = 1.35 * size
    cells = _cells_of(tc)
    overflow = _overflow_candidates(cells)
    natural = [2 * size + 2 * pad] * n
    minimum = [1.2 * size + 2 * pad] * n
    label_cols = [0] * n
    for c in cells:
        if c.colspan != 1 or not c.text:
            continue
        w = _width(c.text, size) + 2 * pad
        if c.kind in ("value", "col_no"):
            minimum[c.col] = max(minimum[c.col], w)
            natural[c.col] = max(natural[c.col], w + 0.6 * size)
        elif c.kind == "header":
            chars = len(c.text)
            lines = _header_lines(style, chars)
            natural[c.col] = max(natural[c.col], w / lines + (size if lines > 1 else 0))
            minimum[c.col] = max(minimum[c.col], _min_token(c.text, size) + 2 * pad, 2 * size)
        else:
            if not c.text.isdigit():
                label_cols[c.col] += 1  # name columns take the spare width
            minimum[c.col] = max(minimum[c.col], _min_token(c.text, size) + 2 * pad)
            if (c.row, c.col) not in overflow:
                natural[c.col] = max(natural[c.col], w)
                minimum[c.col] = max(minimum[c.col], min(w, 4 * size + 2 * pad))
    natural = [max(m, w * j) for m, w, j in zip(minimum, natural, jitter, strict=True)]
    total = sum(natural)
    if total <= avail:
        grow = [w if k else 0.0 for w, k in zip(natural, label_cols, strict=True)]
        weights = grow if any(grow) else natural
        extra = avail - total
        widths = [w + extra * g / sum(weights) for w, g in zip(natural, weights, strict=True)]
    else:
        slack = [w - m for w, m in zip(natural, minimum, strict=True)]
        room = avail - sum(minimum)
        if room < 0:
            return _Plan(size, pad, vpad, pitch, [], [], cells, tc.header_rows)
        # (no room: the caller retries at a smaller size)
        widths = [m + s * room / sum(slack) for m, s in zip(minimum, slack, strict=True)]
    # merge overflowing labels into the blank label cells to their right
    at = _mergeable(cells)
    dropped: set[int] = set()
    for c in cells:
        if (c.row, c.col) not in overflow:
            continue
        while _width(c.text, size) + 2 * pad > sum(widths[c.col : c.col + c.colspan]):
            nxt = at.get((c.row, c.col + c.colspan))
            if nxt is None or nxt.kind != "label" or nxt.text or nxt.rowspan != 1:
                break
            dropped.add(id(nxt))
            c.colspan += nxt.colspan
    cells = [c for c in cells if id(c) not in dropped]
    for c in cells:
        inner = sum(widths[c.col : c.col + c.colspan]) - 2 * pad
        if c.kind == "value":
            c.lines = [c.text]
        else:
            balanced = c.kind == "col_no" or (c.kind == "header" and style.header_balance)
            c.lines = _wrap(c.text, inner, size, balanced=balanced)
    heights = [pitch + 2 * vpad] * len(tc.rows)
    for c in sorted(cells, key=lambda c: c.rowspan):
        need = len(c.lines) * pitch + 2 * vpad
        span = range(c.row, c.row + c.rowspan)
        have = sum(heights[r] for r in span)
        if need > have:
            heights[c.row + c.rowspan - 1] += need - have
    centred = {c.col for c in cells if c.text == "行次" and c.colspan == 1}
    totals = {c.row for c in cells if c.row >= tc.header_rows and _TOTAL.match(c.text)}
    return _Plan(size, pad, vpad, pitch, widths, heights, cells, tc.header_rows, centred, totals)


def _header_lines(style: PdfStyle, chars: int) -> int:
    """How many lines a header text of ``chars`` characters is planned on."""
    if not style.wrap_headers or chars <= 4:
        return 1
    if style.header_lines:
        return min(style.header_lines, (chars + 1) // 2)
    return 2 if chars <= 8 else 3


def _fit(tc: TableCells, style: PdfStyle, avail: float, rng: random.Random) -> _Plan:
    jitter = [1.0 + rng.uniform(-1.0, 1.0) * style.col_width_jitter for _ in range(tc.n_cols)]
    size = style.font_size
    while True:
        plan = _plan(tc, style, size, avail, jitter)
        if plan.widths or size <= _MIN_FONT or not tc.n_cols:
            if not plan.widths:
                plan.widths = [avail / max(tc.n_cols, 1)] * tc.n_cols
            return plan
        size = max(_MIN_FONT, round(size * 0.92, 2))


class _Writer:
    """Draws onto pymupdf pages and records what it drew."""

    def __init__(self, doc: pymupdf.Document, style: PdfStyle) -> None:
        self.doc = doc
        self.style = style
        self.width, self.height = (_A4[1], _A4[0]) if style.landscape else _A4
        self.margin = 30.0 if style.font_size < 8 else 40.0
        self.layouts: list[PageLayout] = []

    def text(
        self,
        shape: pymupdf.Shape,
        x: float,
        top: float,
        text: str,
        size: float,
        *,
        bold: bool = False,
    ) -> tuple[float, float, float, float]:
        """Set one line whose glyph box starts at (x, top); returns the box."""
        baseline = top + _ASC * size
        if bold:
            shape.insert_text(
                (x, baseline),
                text,
                fontname=_FONT_NAME,
                fontsize=size,
                render_mode=2,
                border_width=0.03,
                color=(0, 0, 0),
                fill=(0, 0, 0),
            )
        else:
            shape.insert_text((x, baseline), text, fontname=_FONT_NAME, fontsize=size)
        return (x, top, x + _width(text, size), top + (_ASC + _DESC) * size)

    def new_page(self) -> tuple[pymupdf.Page, pymupdf.Shape, pymupdf.Shape]:
        page = self.doc.new_page(width=self.width, height=self.height)
        page.insert_font(fontname=_FONT_NAME, fontbuffer=_FONT.buffer)
        return page, page.new_shape(), page.new_shape()

    def table(self, index: int, table: dict[str, Any], rng: random.Random) -> None:
        tc = table_cells(table, self.style.grid)
        avail = self.width - 2 * self.margin
        plan = _fit(tc, self.style, avail, rng)
        size = plan.font_size
        table_w = sum(plan.widths)
        left = self.margin + (avail - table_w) / 2
        xs = [left + sum(plan.widths[:i]) for i in range(tc.n_cols + 1)]
        bottom = self.height - self.margin
        body = list(range(plan.header_rows, len(tc.rows)))
        by_row: dict[int, list[_Cell]] = {}
        for c in plan.cells:
            by_row.setdefault(c.row, []).append(c)
        note_lines = [
            line for note in table.get("notes") or [] for line in _wrap(str(note), table_w, size)
        ]
        part = 0
        pos = 0
        notes_done = False
        while pos < len(body) or not notes_done:
            page, shape, rules = self.new_page()
            texts: list[TextBox] = []
            boxes: list[CellBox] = []
            y = self._heading(shape, table, texts, left, table_w, size)
            grid_top = y
            if pos < len(body) or part == 0:
                y = self._rows(shape, rules, plan, by_row, range(plan.header_rows), xs, y, boxes)
            first = pos
            pos = self._fit_rows(plan, body, first, y, bottom)
            y = self._rows(shape, rules, plan, by_row, body[first:pos], xs, y, boxes)
            if self.style.drawn_rules == "frame" and y > grid_top:
                rules.draw_rect(pymupdf.Rect(xs[0], grid_top, xs[-1], y))
            if pos >= len(body):
                y += 0.6 * size
                if y + len(note_lines) * plan.pitch <= bottom or not boxes:
                    for line in note_lines:
                        box = self.text(shape, left, y, line, size)
                        texts.append(TextBox("note", line, box))
                        y += plan.pitch
                    notes_done = True
            rules.finish(width=0.6, color=(0, 0, 0))
            rules.commit()
            footer = f"- {page.number + 1} -"
            fsize = 0.9 * size
            fx = (self.width - _width(footer, fsize)) / 2
            texts.append(
                TextBox("footer", footer, self.text(shape, fx, bottom + 0.6 * fsize, footer, fsize))
            )
            shape.commit()
            self.layouts.append(
                PageLayout(
                    page=page.number,
                    width=self.width,
                    height=self.height,
                    table=index,
                    part=part,
                    font_size=size,
                    cells=tuple(boxes),
                    texts=tuple(texts),
                )
            )
            part += 1

    def _fit_rows(self, plan: _Plan, body: list[int], first: int, y: float, bottom: float) -> int:
        pos = first
        used = 0.0
        while pos < len(body):
            h = plan.heights[body[pos]]
            if y + used + h > bottom and pos > first:
                break
            used += h
            pos += 1
        return pos

    def _heading(
        self,
        shape: pymupdf.Shape,
        table: dict[str, Any],
        texts: list[TextBox],
        left: float,
        table_w: float,
        size: float,
    ) -> float:
        y = self.margin
        title = str(table.get("title") or "")
        tsize = 1.6 * max(size, self.style.font_size * 0.9)
        for line in _wrap(title, self.width - 2 * self.margin, tsize):
            x = (self.width - _width(line, tsize)) / 2
            texts.append(TextBox("title", line, self.text(shape, x, y, line, tsize, bold=True)))
            y += 1.3 * tsize
        y += 0.3 * size
        right = left + table_w
        if table.get("table_id"):
            label = str(table["table_id"])
            x = right - _width(label, size)
            texts.append(TextBox("label", label, self.text(shape, x, y, label, size)))
            y += 1.5 * size
        dept = table.get("department_as_printed")
        unit = table.get("unit")
        if dept or unit:
            if dept:
                name = str(table.get("department_label") or "部门").rstrip("：:")
                line = f"{name}：{dept}"
                texts.append(TextBox("department", line, self.text(shape, left, y, line, size)))
            if unit:
                line = f"单位：{unit}"
                x = right - _width(line, size)
                texts.append(TextBox("unit", line, self.text(shape, x, y, line, size)))
            y += 1.6 * size
        return y + 0.2 * size

    def _rows(
        self,
        shape: pymupdf.Shape,
        rules: pymupdf.Shape,
        plan: _Plan,
        by_row: dict[int, list[_Cell]],
        rows: range | list[int],
        xs: list[float],
        y: float,
        boxes: list[CellBox],
    ) -> float:
        """Draw the given consecutive rows from height y; returns the y below them."""
        rows = list(rows)
        if not rows:
            return y
        tops = {r: y + sum(plan.heights[rows[0] : r]) for r in rows}
        last = rows[-1]
        for r in rows:
            for c in by_row.get(r, []):
                end = min(c.row + c.rowspan - 1, last)
                rect = pymupdf.Rect(
                    xs[c.col], tops[r], xs[c.col + c.colspan], tops[end] + plan.heights[end]
                )
                self._rule(rules, plan, c, rect)
                self._cell_text(shape, plan, c, rect)
                boxes.append(
                    CellBox(
                        row=c.row,
                        col=c.col,
                        rowspan=end - c.row + 1,
                        colspan=c.colspan,
                        kind=c.kind,
                        text=c.text,
                        bbox=(rect.x0, rect.y0, rect.x1, rect.y1),
                        lines=tuple(c.lines),
                    )
                )
        return tops[last] + plan.heights[last]

    def _rule(self, rules: pymupdf.Shape, plan: _Plan, c: _Cell, rect: pymupdf.Rect) -> None:
        """The borders of one cell that the style draws (the outer frame: `table`)."""
        kind = self.style.drawn_rules
        header = c.row < plan.header_rows
        boxed = header or (kind == "alternate" and (c.row - plan.header_rows) % 2 == 0)
        if kind == "all" or (kind in ("alternate", "header_total") and boxed):
            rules.draw_rect(rect)
        elif kind == "horizontal" or (kind == "header_total" and c.row in plan.totals):
            rules.draw_line(rect.tl, rect.tr)
            rules.draw_line(rect.bl, rect.br)

    def _cell_text(self, shape: pymupdf.Shape, plan: _Plan, c: _Cell, rect: pymupdf.Rect) -> None:
        size = plan.font_size
        lines = [ln for ln in c.lines if ln]
        if not lines:
            return
        glyph_h = (_ASC + _DESC) * size
        block = (len(lines) - 1) * plan.pitch + glyph_h
        top = rect.y0 + (rect.height - block) / 2
        for i, line in enumerate(lines):
            w = _width(line, size)
            if c.kind == "value" and _is_number(line):
                x = rect.x1 - plan.pad - w
            elif c.kind == "label" and c.col not in plan.centred_cols:
                x = rect.x0 + plan.pad
            else:
                x = rect.x0 + (rect.width - w) / 2
            self.text(shape, x, top + i * plan.pitch, line, size)


def render_pdf_with_layout(
    doc: dict[str, Any], style: PdfStyle, *, seed: int = 0
) -> tuple[bytes, list[PageLayout]]:
    """Render every table of a truth document; returns the PDF and what each page holds."""
    pdf = pymupdf.open()
    writer = _Writer(pdf, style)
    for index, table in enumerate(doc.get("tables") or []):
        writer.table(index, table, random.Random(seed * 10007 + index))
    meta = doc.get("meta") or {}
    pdf.set_metadata(
        {
            "title": str(meta.get("department") or meta.get("doc") or ""),
            "author": "",
            "subject": "",
            "keywords": "",
            "creator": "evals.render_pdf",
            "producer": "evals.render_pdf",
            "creationDate": _FIXED_DATE,
            "modDate": _FIXED_DATE,
        }
    )
    pdf.subset_fonts()
    data: bytes = pdf.tobytes(garbage=3, deflate=True, no_new_id=True)
    pdf.close()
    return data, writer.layouts


def render_pdf(doc: dict[str, Any], style: PdfStyle, *, seed: int = 0) -> bytes:
    """Render every table of a truth document as a text-layer PDF (deterministic)."""
    return render_pdf_with_layout(doc, style, seed=seed)[0]


__all__ = [
    "RULES",
    "STYLES",
    "CellBox",
    "PageLayout",
    "PdfStyle",
    "TextBox",
    "render_pdf",
    "render_pdf_with_layout",
]
