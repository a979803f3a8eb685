"""Page geometry -> grid rows. Words (from a PDF text layer or OCR boxes) and ruling lines
become the same ``SourceRow`` grid the text path produces, so one mapper serves all inputs.

Ruled tables: column and row boundaries from the ruling lines; a cell spanning several columns
(no vertical rule inside it in that row) puts its text in its first column, like a TAB row.
Unruled tables: rows from word lines, columns from vertical gaps that every data line shares.
Everything else on the page becomes plain one-cell rows in reading order (top to bottom).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from extractor.model import SourceCell, SourceRow
from extractor.numbers import AmountKind, parse_amount

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    confidence: float | None = None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True, slots=True)
class Rule:
    """A ruling line: horizontal (``pos`` = y, from ``start`` to ``end`` in x) or vertical."""

    orientation: Literal["h", "v"]
    pos: float
    start: float
    end: float


def _merge_positions(values: Sequence[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            out[-1] = (out[-1] + v) / 2
        else:
            out.append(v)
    return out


def _join(words: list[Word]) -> str:
    """Text of a cell: its lines top to bottom (wrapped text joined without a separator),
    words of one line left to right separated by a space (CJK spacing is folded later)."""
    if not words:
        return ""
    blocks = _side_by_side(words)
    if len(blocks) > 1:  # a wrapped code beside its name: each block's lines joined
        return " ".join(_join(b) for b in blocks)
    lines = _lines(words)
    parts = [" ".join(w.text for w in sorted(line, key=lambda w: w.x0)) for line in lines]
    out = parts[0]
    for p in parts[1:]:
        # a line break inside a word: CJK text, or the digits of a code set on two lines
        code = out.rsplit(" ", 1)[-1] + p.split(" ", 1)[0]
        inside = _CJK.search(out[-1:] + p[:1]) or (out[-1:].isdigit() and _CODE_WORD.match(code))
        sep = "" if inside else " "
        out += sep + p
    return out


def _side_by_side(words: Sequence[Word]) -> list[list[Word]]:
    """The words of a cell of several lines as blocks set apart horizontally by a clear gap
    (a code wrapped onto two lines left of its name: "208020" / "1" beside "行政运行"), left
    to right; one block when its lines overlap or it holds one line."""
    if len(_lines(words)) < 2:
        return [list(words)]
    height = max(w.height for w in words)
    blocks: list[list[Word]] = []
    right = 0.0
    for w in sorted(words, key=lambda w: w.x0):
        if blocks and w.x0 < right + 0.4 * height:
            blocks[-1].append(w)
            right = max(right, w.x1)
        else:
            blocks.append([w])
            right = w.x1
    return blocks if all(len(_lines(b)) < len(_lines(words)) for b in blocks) else [list(words)]


def _lines(words: Sequence[Word]) -> list[list[Word]]:
    """Group words into visual lines by vertical overlap."""
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        if lines:
            last = lines[-1]
            ref_y = sum(x.cy for x in last) / len(last)
            ref_h = max(x.height for x in last)
            if abs(w.cy - ref_y) <= 0.5 * max(ref_h, w.height):
                last.append(w)
                continue
        lines.append([w])
    return lines


def _bbox(words: Sequence[Word]) -> tuple[float, float, float, float]:
    return (
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def _cell(
    text: str,
    words: Sequence[Word],
    page: int,
    origin: Literal["pdf", "ocr"],
    bbox: tuple[float, float, float, float] | None = None,
) -> SourceCell:
    confs = [w.confidence for w in words if w.confidence is not None]
    return SourceCell(
        text=text,
        page=page,
        bbox=bbox if bbox is not None else (_bbox(words) if words else None),
        confidence=min(confs) if confs else None,
        origin=origin,
    )


# ---------------------------------------------------------------- ruled tables


def _rule_groups(rules: Sequence[Rule], tol: float = 2.0) -> list[list[Rule]]:
    """Connected groups of ruling lines (lines that touch or cross)."""
    n = len(rules)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def touches(a: Rule, b: Rule) -> bool:
        if a.orientation == b.orientation:
            return abs(a.pos - b.pos) <= tol and a.start <= b.end + tol and b.start <= a.end + tol
        h, v = (a, b) if a.orientation == "h" else (b, a)
        return h.start - tol <= v.pos <= h.end + tol and v.start - tol <= h.pos <= v.end + tol

    for i in range(n):
        for j in range(i + 1, n):
            if touches(rules[i], rules[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list[Rule]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(rules[i])
    return [
        g
        for g in groups.values()
        if sum(r.orientation == "v" for r in g) >= 2 and sum(r.orientation == "h" for r in g) >= 2
    ]


def _ruled_rows(
    group: list[Rule], words: list[Word], page: int, origin: Literal["pdf", "ocr"]
) -> list[tuple[float, SourceRow]]:
    """Rebuild the cells of a ruled grid as rectangles: a cell extends right while no vertical
    rule separates it and down while no horizontal rule does. Its text (wrapped lines joined)
    goes in its top-left grid position with ``colspan``; positions it covers are empty with
    ``colspan`` 0, like the empty cells after a spanning header in a TAB row."""
    xs = _merge_positions([r.pos for r in group if r.orientation == "v"], 2.0)
    ys = _merge_positions([r.pos for r in group if r.orientation == "h"], 2.0)
    vs = [r for r in group if r.orientation == "v"]
    hs = [r for r in group if r.orientation == "h"]
    ncol, nrow = len(xs) - 1, len(ys) - 1
    if ncol < 1 or nrow < 1:
        return []

    def v_drawn(i: int, r: int) -> bool:  # boundary xs[i] drawn across row band r
        mid = (ys[r] + ys[r + 1]) / 2
        return any(abs(v.pos - xs[i]) <= 2.0 and v.start - 1 <= mid <= v.end + 1 for v in vs)

    def h_drawn(j: int, c: int) -> bool:  # boundary ys[j] drawn across column band c
        mid = (xs[c] + xs[c + 1]) / 2
        return any(abs(h.pos - ys[j]) <= 2.0 and h.start - 1 <= mid <= h.end + 1 for h in hs)

    grid: list[list[SourceCell | None]] = [[None] * ncol for _ in range(nrow)]
    for r in range(nrow):
        for c in range(ncol):
            if grid[r][c] is not None:
                continue
            c_end = c
            while c_end + 1 < ncol and not v_drawn(c_end + 1, r):
                c_end += 1
            r_end = r
            while r_end + 1 < nrow and not h_drawn(r_end + 1, c):
                r_end += 1
            box = (xs[c], ys[r], xs[c_end + 1], ys[r_end + 1])
            inside = [w for w in words if box[0] <= w.cx < box[2] and box[1] <= w.cy < box[3]]
            head = _cell(_join(inside), inside, page, origin, box)
            grid[r][c] = SourceCell(
                head.text,
                page=page,
                bbox=box,
                confidence=head.confidence,
                origin=origin,
                colspan=c_end - c + 1,
            )
            for rr in range(r, r_end + 1):
                for cc in range(c, c_end + 1):
                    if (rr, cc) != (r, c):
                        grid[rr][cc] = SourceCell("", page=page, bbox=box, origin=origin, colspan=0)
    rows: list[tuple[float, SourceRow]] = []
    for r in range(nrow):
        cells = tuple(
            c if c is not None else SourceCell("", page=page, origin=origin) for c in grid[r]
        )
        if all(not c.text for c in cells):
            continue
        rows.append((ys[r], SourceRow(cells, tabbed=True, page=page)))
    return rows


# ---------------------------------------------------------------- unruled tables


def _is_number(text: str) -> bool:
    a = parse_amount(text)
    return a is not None and a.kind is AmountKind.NUMBER


_TOTAL_LABEL = re.compile(r"[合总小]\s*计$")
_CODE_WORD = re.compile(r"^\d{3}(?:\d{2}){0,2}$")
_CODE_IN = re.compile(r"(?<!\d)\d{3}(?:\d{2}){0,2}(?!\d)")


def _word_kind(w: Word, first: bool) -> str:
    """How a word is aligned in its cell: amounts to the right, codes and text to the left,
    small integers (行次, 栏次) centred."""
    t = w.text.strip()
    if _CODE_WORD.match(t):
        return "left"
    if re.fullmatch(r"\d{1,2}", t):
        return "center"
    if _is_number(t) and not first:
        return "right"
    return "left"


def _visual_rows(lines: list[list[Word]]) -> list[list[Word]]:
    """Join the lines of one table row: a cell's wrapped text is centred on its row, so its
    lines touch or overlap the row's other line (a gap far below the gap between rows)."""
    if len(lines) < 2:
        return lines
    height = sorted(w.height for ln in lines for w in ln)[len([w for ln in lines for w in ln]) // 2]
    out: list[list[Word]] = [list(lines[0])]
    for ln in lines[1:]:
        gap = min(w.y0 for w in ln) - max(w.y1 for w in out[-1])
        if gap < 0.12 * height:
            out[-1].extend(ln)
        else:
            out.append(list(ln))
    return out


def _columns(rows: list[list[Word]], height: float) -> list[tuple[float, float]]:
    """Column x-ranges of an unruled table: words clustered by the edge they align on."""
    tol = 0.7 * height
    groups: list[tuple[str, float, list[Word]]] = []  # (kind, anchor, words)
    for row in rows:
        ordered = sorted(row, key=lambda w: w.x0)
        for k, w in enumerate(ordered):
            kind = _word_kind(w, k == 0)
            anchor = {"right": w.x1, "center": w.cx, "left": w.x0}[kind]
            for i, (gk, ga, gw) in enumerate(groups):
                if gk == kind and abs(ga - anchor) <= tol:
                    gw.append(w)
                    groups[i] = (gk, (ga * (len(gw) - 1) + anchor) / len(gw), gw)
                    break
            else:
                groups.append((kind, anchor, [w]))
    ranges = sorted((min(w.x0 for w in g), max(w.x1 for w in g)) for _, _, g in groups)
    merged: list[tuple[float, float]] = []
    for a, b in ranges:
        if merged and a < merged[-1][1] - 0.2 * height:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _centred_span(
    w: Word,
    over: list[int],
    row: Sequence[Word],
    below: Sequence[Word],
    cols: Sequence[tuple[float, float]],
) -> list[int]:
    """The columns a group title spans: it is printed centred over its span, which can be
    wider than the title. Neighbouring columns that are named in the level below, have no
    title of their own in this row and lie nearer this title than any other are added."""

    bottom = max((v.y1 for v in below), default=w.y1)

    def named_below(i: int) -> bool:
        a, b = cols[i]
        own = [
            v
            for v in below
            if v.x0 < b and v.x1 > a and sum(1 for c, d in cols if v.x0 < d and v.x1 > c) == 1
        ]
        if not own:
            return any(v.x0 < b and v.x1 > a for v in below)
        # a cell centred on more levels than those below this title reaches up to its level
        # (合计 beside 公务用车购置及运行维护费 over 小计 | 购置费 | 运行维护费): not in its group
        centre = (min(v.y0 for v in own) + max(v.y1 for v in own)) / 2
        return 2 * centre - bottom >= w.cy

    def titled(i: int) -> bool:
        a, b = cols[i]
        return any(v is not w and v.x0 < b and v.x1 > a for v in row)

    # the other titles of this row (a cell of one column centred on the levels, with
    # nothing printed under it, claims its own column only)
    others = [
        v
        for v in row
        if v is not w and any(u.x0 < v.x1 and u.x1 > v.x0 and u.y0 >= v.y1 for u in below)
    ]

    def nearest_is_w(i: int) -> bool:
        mid = (cols[i][0] + cols[i][1]) / 2
        return all(abs(mid - w.cx) < abs(mid - v.cx) for v in others)

    lo, hi = min(over), max(over)
    while lo > 0 and named_below(lo - 1) and not titled(lo - 1) and nearest_is_w(lo - 1):
        lo -= 1
    while (
        hi + 1 < len(cols) and named_below(hi + 1) and not titled(hi + 1) and nearest_is_w(hi + 1)
    ):
        hi += 1
    # keep the title centred: extend only as far as it stays over the middle of its span
    while (
        hi > lo
        and abs((cols[lo][0] + cols[hi][1]) / 2 - w.cx)
        > abs((cols[lo][0] + cols[hi - 1][1]) / 2 - w.cx)
        and hi > max(over)
    ):
        hi -= 1
    while (
        hi > lo
        and abs((cols[lo][0] + cols[hi][1]) / 2 - w.cx)
        > abs((cols[lo + 1][0] + cols[hi][1]) / 2 - w.cx)
        and lo < min(over)
    ):
        lo += 1
    return list(range(lo, hi + 1))


def _merge_intervals(
    intervals: Sequence[tuple[float, float]], height: float
) -> list[tuple[float, float]]:
    """Overlapping or nearly touching x-ranges joined: the columns they make."""
    cols: list[tuple[float, float]] = []
    for a, b in intervals:
        if cols and a < cols[-1][1] + 0.4 * height:
            cols[-1] = (cols[-1][0], max(cols[-1][1], b))
        else:
            cols.append((a, b))
    return cols


def _pair_heads(
    cols: list[tuple[float, float]], heads: Sequence[Word], cells: Sequence[Word]
) -> list[tuple[float, float]]:
    """A column holding only a header word next to one holding only data (a centred heading
    beside the right-aligned amounts of a table of one or two rows) is one column."""

    def has(ws: Sequence[Word], c: tuple[float, float]) -> bool:
        return any(w.x0 < c[1] and w.x1 > c[0] for w in ws)

    out: list[tuple[float, float]] = []
    for c in cols:
        if out:
            p = out[-1]
            kinds = {(has(heads, x), has(cells, x)) for x in (p, c)}
            if kinds == {(True, False), (False, True)}:
                out[-1] = (p[0], max(p[1], c[1]))
                continue
        out.append(c)
    return out


def _split_at_lanci(
    cols: list[tuple[float, float]], lanci: Sequence[Word], words: Sequence[Word]
) -> list[tuple[float, float]]:
    """A column holding two 栏次 numbers is two columns whose words came too close to part
    (narrow columns, jittered widths): each word goes with the number nearer its centre,
    and the columns part between the two groups."""
    out: list[tuple[float, float]] = []
    for a, b in cols:
        nums = sorted((w for w in lanci if a <= w.cx <= b), key=lambda w: w.cx)
        start = a
        for left, right in itertools.pairwise(nums):
            near = [w for w in words if a <= w.cx <= b and left.cx - 1 <= w.cx <= right.cx + 1]
            lo = [w.x1 for w in near if w.cx - left.cx <= right.cx - w.cx]
            hi = [w.x0 for w in near if w.cx - left.cx > right.cx - w.cx]
            cut = (max(lo, default=left.x1) + min(hi, default=right.x0)) / 2
            out.append((start, cut))
            start = cut
        out.append((start, b))
    return out


def _join_to_lanci(
    cols: list[tuple[float, float]],
    lanci: Sequence[Word],
    head: Sequence[Word],
    data: Sequence[Word],
) -> list[tuple[float, float]]:
    """A column holding only amounts (no header word, no 栏次 number over it) is the right
    part of the numbered column beside it: amounts sit right, 栏次 numbers centred, and an
    all-zero row ("0.00" under every column) leaves a gap between them."""

    def has(ws: Sequence[Word], c: tuple[float, float]) -> bool:
        return any(w.x0 < c[1] and w.x1 > c[0] for w in ws)

    numbered = [i for i, c in enumerate(cols) if has(lanci, c)]
    if not numbered:
        return cols
    out = list(cols)
    for i in reversed(range(len(cols))):
        c = cols[i]
        inside = [w for w in data if w.x0 < c[1] and w.x1 > c[0]]
        if has(lanci, c) or has(head, c) or not all(_is_number(w.text) for w in inside):
            continue
        mid = (c[0] + c[1]) / 2
        near = min(numbered, key=lambda k: abs((cols[k][0] + cols[k][1]) / 2 - mid))
        if inside and i - 1 in numbered and _left_of_next(cols, i, inside, lanci):
            near = i - 1
        if near != i - 1:
            continue
        a, b = min(out[near][0], c[0]), max(out[near][1], c[1])
        out[near] = (a, b)
        out[i] = (a, b)
    merged: list[tuple[float, float]] = []
    for c in out:
        if not merged or merged[-1] != c:
            merged.append(c)
    return merged


def _left_of_next(
    cols: Sequence[tuple[float, float]], i: int, inside: Sequence[Word], lanci: Sequence[Word]
) -> bool:
    """The amounts of column ``i`` end left of the centre of the next numbered column (its
    栏次 number is centred): an amount set right in a column ends right of that column's
    centre, so these belong to the column before."""
    nxt = next(
        (
            [w for w in lanci if w.x0 < c[1] and w.x1 > c[0]]
            for c in cols[i + 1 :]
            if any(w.x0 < c[1] and w.x1 > c[0] for w in lanci)
        ),
        None,
    )
    return not nxt or max(w.x1 for w in inside) < min(w.cx for w in nxt)


def _under(v: Word, w: Word, height: float) -> bool:
    """``v`` is printed below ``w``, overlapping it horizontally."""
    return v is not w and v.y0 >= w.y1 - 0.2 * height and v.x0 < w.x1 and v.x1 > w.x0


def _group_titles(head: Sequence[Sequence[Word]], height: float) -> set[int]:
    """Header words that title a group of columns printed below them, set apart from
    them by a cell's padding (the lines of one wrapped cell follow each other closely). A
    group title is centred over its group and can be narrower than it: it may lie over the
    gap between two columns, or over one column of several."""
    words = [w for r in head for w in r if not _is_number(w.text)]
    out: set[int] = set()
    for w in words:
        under = [v.y0 for v in words if _under(v, w, height)]
        if under and min(under) - w.y1 >= 0.2 * height:
            out.add(id(w))
    return out


def _blank_total(row: Sequence[Word]) -> bool:
    """A 合计 row with every value blank (an empty table's): a data row, not a header level."""
    return len(row) == 1 and row[0].text.replace(" ", "") in ("合计", "总计")


_OF_WHICH = re.compile(r"^其中\s*[:：]?$")


def _titles_between(
    head: Sequence[Sequence[Word]], data: Sequence[Word], titles: set[int], height: float
) -> set[int]:
    """Top-level header words (and 其中 at any level) over no lower header word and no
    data word, with lower header words on either side: the title of a group of wide
    columns, centred over the gap between them (项目 over 科目编码 and 科目名称). The header
    of a column blank in every row sits lower, centred on the levels."""
    words = [w for r in head for w in r if not _is_number(w.text)]
    if not words:
        return set()
    top = min(w.y0 for w in words)
    out: set[int] = set()
    for w in words:
        # 其中 ("of which") titles the columns it breaks its total into, at any level
        if id(w) in titles or (w.y0 > top + 0.3 * height and not _OF_WHICH.match(w.text)):
            continue
        lower = [v for v in words if v.y0 >= w.y1 - 0.2 * height]
        if any(v.x0 < w.x1 and v.x1 > w.x0 for v in [*lower, *data]):
            continue
        if any(v.x1 <= w.x0 for v in lower) and any(v.x0 >= w.x1 for v in lower):
            out.add(id(w))
    return out


def _split_levels(
    row: list[Word], cols: Sequence[tuple[float, float]], height: float, titles: set[int]
) -> list[list[Word]]:
    """A header visual row holding two levels (a cell spanning columns, and below it the
    wrapped cells of the level under it): split at the spanning cell's bottom edge."""
    if any(_CODE_IN.search(w.text) or _is_number(w.text) for w in row):
        return [row]  # codes or amounts: a data row whose cells wrap, not two header levels
    spanning = [
        w for w in row if id(w) in titles or sum(1 for a, b in cols if w.x0 < b and w.x1 > a) >= 2
    ]
    for w in spanning:
        # a title over the gap between its columns has no word right under it
        below = [
            v
            for v in row
            if _under(v, w, height) or (id(w) in titles and v.y0 >= w.y1 - 0.2 * height)
        ]
        if below:
            cut = w.y1 - 0.2 * height
            lower = [v for v in row if v.y0 >= cut]
            # the first line of a wrapped cell whose next line sits below the cut goes down
            # with it: one cell, not two levels
            wrapped = [
                v
                for v in row
                if v.y0 < cut
                and v is not w
                and sum(1 for a, b in cols if v.x0 < b and v.x1 > a) <= 1
                and any(
                    0 <= u.y0 - v.y1 < 0.3 * height and u.x0 < v.x1 and u.x1 > v.x0 for u in lower
                )
            ]
            lower = [*wrapped, *lower]
            upper = [v for v in row if v.y0 < cut and v not in wrapped]
            return [
                *_split_levels(upper, cols, height, titles),
                *_split_levels(lower, cols, height, titles),
            ]
    return [row]


def _unruled_rows(
    lines: list[list[Word]], page: int, origin: Literal["pdf", "ocr"]
) -> list[tuple[float, SourceRow]]:
    """Rows of an unruled table. Columns come from the data rows (rows with an amount);
    a header word over several columns spans them (``colspan``), like a ruled header."""
    all_words = [w for ln in lines for w in ln]
    height = sorted(w.height for w in all_words)[len(all_words) // 2]
    rows = _visual_rows(lines)
    # the data rows: from the first row holding an amount on (rows above are the header)
    first = next(
        (i for i, r in enumerate(rows) if any(_word_kind(w, False) == "right" for w in r)),
        len(rows),
    )
    data = rows[first:]
    head = rows[:first]
    leaf = max(head, key=len, default=[])
    lanci = [r for r in head if sum(bool(re.fullmatch(r"\d{1,2}", w.text)) for w in r) >= 2]
    names = [r for r in head if r not in lanci]  # the 栏次 row numbers, it names nothing
    titles = _group_titles(names, height)
    titles |= _titles_between(names, [w for r in data for w in r], titles, height)
    # columns are the x-ranges that the words of the data rows, the lowest header row and the
    # 栏次 row cover; they are separated by the white gaps every one of those rows leaves
    # the upper line of a wrapped header cell, or a cell spanning the columns of the level
    # printed below it on the same visual row, does not make a column: the words below do
    leaf_words = [
        w
        for w in leaf
        if id(w) not in titles
        and not any(
            v.y0 >= w.y1 - 0.2 * height and v.x0 < w.x1 and v.x1 > w.x0 for v in leaf if v is not w
        )
    ]
    data_words = [w for r in data for w in r]
    # a total label printed over the code and name columns (人员经费合计) does not join them
    totals = {id(w) for w in all_words if _TOTAL_LABEL.search(w.text)}
    cols = _merge_intervals(
        sorted(
            [
                *((w.x0, w.x1) for r in [*data, *lanci] for w in r if id(w) not in totals),
                *((w.x0, w.x1) for w in leaf_words),
            ]
        ),
        height,
    )
    spill = [(w.x0, w.x1) for r in data for w in r if id(w) in totals]
    if spill:
        cols = _merge_intervals(
            sorted([*cols, *(s for s in spill if not any(s[0] < b and s[1] > a for a, b in cols))]),
            height,
        )
    if len(data) <= 2:  # too few rows to place the columns by their own words
        cols = _pair_heads(cols, leaf_words, [w for r in [*data, *lanci] for w in r])
    # a column blank in every row and named only by an upper header level
    for row in head:
        for w in row:
            if id(w) not in titles and not any(w.x0 < b and w.x1 > a for a, b in cols):
                cols.append((w.x0, w.x1))
    cols.sort()
    if lanci:
        cols = _split_at_lanci(cols, [w for r in lanci for w in r], [*leaf_words, *data_words])
        cols = _join_to_lanci(
            cols,
            [w for r in lanci for w in r],
            leaf_words,
            [w for r in data for w in r],
        )
    split_head = [part for r in head for part in _split_levels(r, cols, height, titles)]
    rows = [*split_head, *data]
    out: list[tuple[float, SourceRow]] = []
    for ri, row in enumerate(rows):
        buckets: list[list[Word]] = [[] for _ in cols]
        spans = [1] * len(cols)
        # every header level below this one (a title of the top level spans the groups of
        # the level under it and the columns named on the lowest level alone)
        lower = [
            w for r in split_head[ri + 1 :] if r not in lanci and not _blank_total(r) for w in r
        ]
        below = lower if ri + 1 < len(split_head) else None
        for w in row:
            pad = 0.1 * height
            over = [i for i, (a, b) in enumerate(cols) if w.x0 < b - pad and w.x1 > a + pad]
            if not over:  # between columns: the nearest one
                over = [
                    min(
                        range(len(cols)),
                        key=lambda i: min(abs(w.cx - cols[i][0]), abs(w.cx - cols[i][1])),
                    )
                ]
            if below is not None and (len(over) >= 2 or id(w) in titles):
                over = _centred_span(w, over, row, below, cols)
            buckets[over[0]].append(w)
            spans[over[0]] = max(spans[over[0]], len(over)) if row not in data else 1
        cells: list[SourceCell] = []
        covered = 0
        for i, bucket in enumerate(buckets):
            if covered:
                covered -= 1
                cells.append(SourceCell("", page=page, origin=origin, colspan=0))
                continue
            span = spans[i] if bucket else 1
            covered = span - 1
            cell = (
                _cell(_join(bucket), bucket, page, origin)
                if bucket
                else SourceCell("", page=page, origin=origin)
            )
            cells.append(
                SourceCell(
                    cell.text,
                    page=page,
                    bbox=cell.bbox,
                    confidence=cell.confidence,
                    origin=origin,
                    colspan=span,
                )
            )
        out.append((min(w.y0 for w in row), SourceRow(tuple(cells), tabbed=True, page=page)))
    return out


_META_WORD = re.compile(r"^(部门|单位|编制部门|编制单位|部门名称|单位名称|金额单位)\s*[:：]")


def _looks_tabular(line: list[Word], height: float) -> bool:
    if any(_META_WORD.match(w.text) for w in line):
        return False
    if min(line, key=lambda w: w.x0).text.replace(" ", "") in ("合计", "总计"):
        return True  # a 合计 row printed with every value blank
    if len(line) < 2:
        return False
    ws = sorted(line, key=lambda w: w.x0)
    if _CODE_WORD.match(ws[0].text) and not _is_number(ws[1].text):
        return True  # a coded row whose values are all blank ("30301 离休费")
    gaps = [b.x0 - a.x1 for a, b in itertools.pairwise(ws)]
    return max(gaps) >= 1.5 * height or sum(_is_number(w.text) for w in ws) >= 2


# ---------------------------------------------------------------- page


_LABEL_LINE = re.compile(r"^(公开\s*\d+\s*表|附\s*[件表]\s*\d+.*)$")


def _header_above(line: list[Word], block: list[list[Word]], height: float) -> bool:
    """A short line right above an unruled table's first tabular line that is part of its
    header: touching it, inside its width, not a 部门/单位 line, a label or prose."""
    below = block[0]
    gap = min(w.y0 for w in below) - max(w.y1 for w in line)
    if gap > 0.8 * height:
        return False
    text = "".join(w.text for w in line).replace(" ", "")
    if any(_META_WORD.match(w.text) for w in line) or _LABEL_LINE.match(text) or "。" in text:
        return False
    x0 = min(w.x0 for ln in block for w in ln)
    x1 = max(w.x1 for ln in block for w in ln)
    return all(x0 - height <= w.x0 and w.x1 <= x1 + height for w in line)


def _lone_row(line: list[Word], height: float) -> bool:
    """A table row standing alone (the last row of a table split over pages, 总计 on a page
    of its own after padding rows that print only their 行次): a label, then amounts set
    apart by column gaps."""
    ws = sorted(line, key=lambda w: w.x0)
    amounts = sum(_word_kind(w, k == 0) == "right" for k, w in enumerate(ws))
    return amounts >= 1 and not _is_number(ws[0].text) and _looks_tabular(ws, height)


def _header_block(
    lines: list[list[Word]], block: tuple[int, int, int], k: int, j: int, height: float
) -> bool:
    """The table found right above (lines ``block[0]:k``) is the top of the header of the
    one at ``k:j``: it holds no amount, touches it and lies within its width. Narrow columns
    set their header one or two characters a line, and the lines above the other headers
    look like a table of their own (two columns of single characters)."""
    above = [w for ln in lines[block[0] : k] for w in ln]
    if any(_word_kind(w, False) == "right" for w in above):
        return False
    gap = min(w.y0 for w in lines[k]) - max(w.y1 for w in lines[k - 1])
    x0 = min(w.x0 for ln in lines[k:j] for w in ln)
    x1 = max(w.x1 for ln in lines[k:j] for w in ln)
    return gap <= 0.8 * height and all(x0 - height <= w.x0 and w.x1 <= x1 + height for w in above)


def _table_block_end(lines: list[list[Word]], i: int, height: float) -> int:
    """End (exclusive) of the unruled table starting at line ``i``: tabular lines, and the
    short lines between them (wrapped header or name text), while the lines stay close; ``i``
    itself when no table starts there."""
    if not _looks_tabular(lines[i], height):
        return i
    x0 = min(w.x0 for w in lines[i])
    x1 = max(w.x1 for w in lines[i])
    j, tabular = i + 1, 1
    while j < len(lines):
        ln = lines[j]
        gap = min(w.y0 for w in ln) - max(w.y1 for w in lines[j - 1])
        if gap > 2.0 * height:
            break
        if _looks_tabular(ln, height):
            tabular += 1
        else:
            width = max(w.x1 for w in ln) - min(w.x0 for w in ln)
            prose = any("。" in w.text or "；" in w.text for w in ln) or width > 0.6 * (x1 - x0)
            if prose or any(_META_WORD.match(w.text) for w in ln):
                break
        x0 = min(x0, *(w.x0 for w in ln))
        x1 = max(x1, *(w.x1 for w in ln))
        j += 1
    # trailing short lines belong to what follows, not to the table, unless they touch the
    # line above (the wrapped end of a cell of the last row, centred on it)
    while j > i + 1 and not _looks_tabular(lines[j - 1], height):
        if min(w.y0 for w in lines[j - 1]) - max(w.y1 for w in lines[j - 2]) < 0.12 * height:
            break
        j -= 1
    return j if tabular >= 2 else i


def _group_box(group: list[Rule]) -> tuple[float, float, float, float]:
    return (
        min(r.pos for r in group if r.orientation == "v"),
        min(r.pos for r in group if r.orientation == "h"),
        max(r.pos for r in group if r.orientation == "v"),
        max(r.pos for r in group if r.orientation == "h"),
    )


def _in_box(w: Word, box: tuple[float, float, float, float]) -> bool:
    return box[0] - 1 <= w.cx <= box[2] + 1 and box[1] - 1 <= w.cy <= box[3] + 1


def _rows_per_band(group: list[Rule], inside: list[Word]) -> int:
    """The most lines holding two numbers between two neighbouring horizontal rules, or
    within one cell between two neighbouring vertical rules too: a drawn cell holds one
    amount on a line and one table row (a wrapped code adds a line with one), so more means
    rules on some lines only (an outer frame)."""
    xs = _merge_positions([r.pos for r in group if r.orientation == "v"], 2.0)
    ys = _merge_positions([r.pos for r in group if r.orientation == "h"], 2.0)
    most = 0
    for top, bottom in itertools.pairwise(ys):
        band = [w for w in inside if top <= w.cy < bottom]
        rows = [ln for ln in _lines(band) if sum(_is_number(w.text) for w in ln) >= 2]
        most = max(most, len(rows))
        for left, right in itertools.pairwise(xs):
            cell = [w for w in band if left <= w.cx < right]
            if any(sum(_is_number(w.text) for w in ln) >= 2 for ln in _lines(cell)):
                return 2
    return most


def _framed(group: list[Rule], inside: list[Word], height: float) -> bool:
    """A group of one column (an outer frame, or rules across the page only) around lines
    set out in columns: a table drawn with its frame only, not a grid of one cell."""
    xs = _merge_positions([r.pos for r in group if r.orientation == "v"], 2.0)
    return len(xs) <= 2 and any(_looks_tabular(ln, height) for ln in _lines(inside))


def _one_band(group: list[Rule], inside: list[Word]) -> bool:
    """Only one band between two horizontal rules holds words: one boxed row."""
    ys = _merge_positions([r.pos for r in group if r.orientation == "h"], 2.0)
    return sum(any(a <= w.cy < b for w in inside) for a, b in itertools.pairwise(ys)) <= 1


def _continues_unruled(
    box: tuple[float, float, float, float], free: list[Word], height: float, one_band: bool
) -> bool:
    """A tabular line of words outside every grid right above or below the grid, within
    its width: the table goes on without rules (only some of its lines are ruled). Above or
    below one boxed row (every other row boxed), any line of the table will do: a padding
    row printing only its 行次 is not tabular by itself."""
    near = [
        w
        for w in free
        if box[0] - height <= w.x0
        and w.x1 <= box[2] + height
        and (0 <= box[1] - w.y1 <= 1.5 * height or 0 <= w.y0 - box[3] <= 1.5 * height)
    ]
    lines = _lines(near)
    if one_band and any(not _prose(ln) for ln in lines):
        return True
    return any(_looks_tabular(ln, height) for ln in lines)


def _prose(line: list[Word]) -> bool:
    text = "".join(w.text for w in line)
    return "。" in text or text.startswith(("注", "说明")) or bool(_META_WORD.match(text))


def _grids(words: list[Word], groups: list[list[Rule]]) -> list[tuple[list[Rule], list[Word]]]:
    """The rule groups that are whole grids, with the words inside each. A group is not a
    grid when a band between two rules holds several table rows or when the table goes on
    unruled right above or below it: its words are read as an unruled table."""
    if not words:
        return []
    height = sorted(w.height for w in words)[len(words) // 2]
    found = [(g, [w for w in words if _in_box(w, _group_box(g))]) for g in groups]
    found = [
        (g, ws)
        for g, ws in found
        if ws and _rows_per_band(g, ws) <= 1 and not _framed(g, ws, height)
    ]
    while True:
        taken = {id(w) for _, ws in found for w in ws}
        free = [w for w in words if id(w) not in taken]
        kept = [
            (g, ws)
            for g, ws in found
            if not _continues_unruled(_group_box(g), free, height, _one_band(g, ws))
        ]
        if len(kept) == len(found):
            return kept
        found = kept


@dataclass
class _LinePlacer:
    """Places the lines of a page outside its grids: unruled tables and plain lines."""

    lines: list[list[Word]]
    page: int
    origin: Literal["pdf", "ocr"]
    height: float
    placed: list[tuple[float, SourceRow]] = field(default_factory=list)
    plain: list[int] = field(default_factory=list)  # plain lines right before the current one
    block: tuple[int, int, int] | None = None  # the last table: its lines and rows placed

    def run(self) -> list[tuple[float, SourceRow]]:
        i = 0
        while i < len(self.lines):
            j = _table_block_end(self.lines, i, self.height)
            if j - i >= 2:
                self._table(i, j)
                i = j
            elif _lone_row(self.lines[i], self.height):
                self.placed.extend(_unruled_rows([self.lines[i]], self.page, self.origin))
                self.plain.clear()
                i += 1
            else:
                ln = sorted(self.lines[i], key=lambda w: w.x0)
                row = SourceRow(
                    (_cell(_join(ln), ln, self.page, self.origin),), tabbed=False, page=self.page
                )
                self.placed.append((min(w.y0 for w in ln), row))
                self.plain.append(i)
                i += 1
        return self.placed

    def _table(self, i: int, j: int) -> None:
        """The unruled table of lines ``i:j``, with the header lines printed above its first
        tabular line (a level spanning the columns, a label centred over two levels, the top
        of a header set one character a line)."""
        lines, k = self.lines, i
        while (
            self.plain
            and self.plain[-1] == k - 1
            and _header_above(lines[k - 1], lines[k:j], self.height)
        ):
            k -= 1
            self.plain.pop()
            self.placed.pop()
        block = self.block
        if block is not None and block[1] == k and _header_block(lines, block, k, j, self.height):
            del self.placed[len(self.placed) - block[2] :]
            k = block[0]
        rows = _unruled_rows(lines[k:j], self.page, self.origin)
        self.placed.extend(rows)
        self.block = (k, j, len(rows))
        self.plain.clear()


def page_rows(
    words: Sequence[Word], rules: Sequence[Rule], page: int, origin: Literal["pdf", "ocr"] = "pdf"
) -> list[SourceRow]:
    """All rows of one page in reading order: table rows (ruled or not) and plain lines."""
    words = [w for w in words if w.text.strip()]
    placed: list[tuple[float, SourceRow]] = []
    free = list(words)
    for group, inside in _grids(words, _rule_groups([r for r in rules if r.end - r.start >= 4.0])):
        placed.extend(_ruled_rows(group, inside, page, origin))
        ids = {id(w) for w in inside}
        free = [w for w in free if id(w) not in ids]
    lines = _lines(free)
    if lines:
        height = sorted(w.height for w in free)[len(free) // 2]
        placed.extend(_LinePlacer(lines, page, origin, height).run())
    placed.sort(key=lambda t: t[0])
    return [r for _, r in placed]
