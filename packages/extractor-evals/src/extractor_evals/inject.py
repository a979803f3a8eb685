"""Labeled damage for generated reports: source inconsistencies and OCR-like misreadings.

Two families, each labeled with the cell it touches and what a correct pipeline must call it:

- ``source.*`` change the DOCUMENT: the printed report itself does not add up, so the changed
  document is the truth of the case and the finding is a source inconsistency.
  ``source.total`` changes a total (合计 of 02/03/05, 本年收入合计/本年支出合计/总计 of 01/04),
  ``source.leaf`` a 项 cell of 02/03/05, ``source.cross_table`` one side of a cross-table
  equality only (a 06 economic item, its 类 and its 人员/公用经费合计 move together, so 06 still
  adds up but no longer equals 05 合计 基本支出).
- ``ocr.*`` change the TEXT only, as a bad OCR would, and the original document stays the
  truth: a digit from a confusion set (6↔8, 1↔7, 3↔8, 0↔8), a dropped or doubled decimal
  point, a thousands comma read as a point ("3,676.35" -> "3.676.35"), a value shifted one
  column into an empty neighbour, a dropped cell (the row loses one TAB cell).

Every injected cell takes part in a hard identity and moves it by at least 0.05 (source
kinds) or 0.20 (digit confusions, which never touch the hundredths digit), beyond any
tolerance of the short identities the cell is in; changes that leave text unreadable
(doubled point, comma read as point) make the identities that need the cell not evaluable.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeGuard

from extractor_evals.generate import generate_final_report
from extractor_evals.render_text import TextStyle, render_report

__all__ = [
    "KINDS",
    "OCR_KINDS",
    "SOURCE_KINDS",
    "Injection",
    "inject_ocr",
    "inject_source",
    "make_case",
]

SOURCE_KINDS = ("source.total", "source.leaf", "source.cross_table")
OCR_KINDS = (
    "ocr.digit",
    "ocr.decimal_point",
    "ocr.comma_as_point",
    "ocr.shift",
    "ocr.drop_cell",
)
KINDS = SOURCE_KINDS + OCR_KINDS

_CODED = ("公开02表", "公开03表", "公开05表")
_SUMMARY = ("公开01表", "公开04表")
_SUMMARY_TOTALS = ("本年收入合计", "本年支出合计", "总计")
_LEVELS = ("total", "类", "款", "项")
_ECON_TABLE = "公开06表"
# 06 items a 09 (三公) D check compares with: left alone so soft checks stay quiet
_THREE_PUBLIC_ECON = ("30212", "30217", "30231", "31013")
# OCR digit confusions (SPEC.md §3), both directions
_CONFUSIONS = {"6": "8", "8": "630", "1": "7", "7": "1", "3": "8", "0": "8"}
_MIN_CHANGE = Decimal("0.05")


@dataclass(frozen=True)
class Injection:
    """One labeled change. ``row``/``col`` index the truth table's rows (the section's rows
    for two-sided tables) and values; ``line`` is the row's line in the rendered text."""

    kind: str
    expected: str  # "source_inconsistency" | "extraction_error"
    table_id: str
    section: str | None
    row: int
    col: int
    line: int | None
    before: str | None
    after: str | None


@dataclass(frozen=True)
class _Cell:
    table: int
    section: int | None
    row: int
    col: int


def _table_rows(table: dict[str, Any], section: int | None) -> list[dict[str, Any]]:
    if section is None:
        rows: list[dict[str, Any]] = table.get("rows") or []
        return rows
    srows: list[dict[str, Any]] = table["sections"][section]["rows"]
    return srows


def _row(doc: dict[str, Any], cell: _Cell) -> dict[str, Any]:
    return _table_rows(doc["tables"][cell.table], cell.section)[cell.row]


def _value(doc: dict[str, Any], cell: _Cell) -> str | None:
    v: str | None = _row(doc, cell)["values"][cell.col]
    return v


def _is_amount(v: str | None) -> TypeGuard[str]:
    if v is None or v == "——":
        return False
    try:
        Decimal(v)
    except ArithmeticError:
        return False
    return True


def _cells(doc: dict[str, Any], where: str) -> list[_Cell]:
    """Cells that take part in a hard identity and hold a non-zero amount.

    where: "total" (合计 rows of 02/03/05, totals of 01/04), "leaf" (项 rows of 02/03/05),
    "coded" (every coded and 合计 row of 02/03/05), "any" (coded + totals).
    """
    out: list[_Cell] = []
    for ti, table in enumerate(doc["tables"]):
        tid = table.get("table_id")
        if tid in _CODED:
            for ri, row in enumerate(table.get("rows") or []):
                wanted = {"total": ("total",), "leaf": ("项",)}.get(where, _LEVELS)
                if row.get("level") not in wanted:
                    continue
                out += [
                    _Cell(ti, None, ri, ci)
                    for ci, v in enumerate(row["values"])
                    if _is_amount(v) and Decimal(v) != 0
                ]
        elif tid in _SUMMARY and where in ("total", "any"):
            for si, section in enumerate(table["sections"]):
                for ri, row in enumerate(section["rows"]):
                    if row.get("name") not in _SUMMARY_TOTALS:
                        continue
                    out += [
                        _Cell(ti, si, ri, ci)
                        for ci, v in enumerate(row["values"])
                        if _is_amount(v) and Decimal(v) != 0
                    ]
    return out


def _cents(v: str | None) -> int:
    return int(Decimal(v) * 100) if _is_amount(v) else 0


def _money(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _delta(rng: random.Random) -> int:
    """A change in cents: >= 0.05, from cents to hundreds of 万元."""
    r = rng.random()
    if r < 0.3:
        return rng.randint(5, 99)
    if r < 0.8:
        return rng.randint(100, 9999)
    return rng.randint(10000, 99999)


def _signed(rng: random.Random, value: int, delta: int) -> int:
    """+delta, or -delta when the value stays positive."""
    return -delta if value > delta and rng.random() < 0.5 else delta


def _label(
    doc: dict[str, Any],
    cell: _Cell,
    kind: str,
    expected: str,
    before: str | None,
    after: str | None,
) -> Injection:
    table = doc["tables"][cell.table]
    section = None if cell.section is None else str(table["sections"][cell.section]["section"])
    return Injection(
        kind=kind,
        expected=expected,
        table_id=str(table["table_id"]),
        section=section,
        row=cell.row,
        col=cell.col,
        line=_row(doc, cell).get("line"),
        before=before,
        after=after,
    )


# ------------------------------------------------------------------ source inconsistencies


def inject_source(
    doc: dict[str, Any], rng: random.Random, kind: str
) -> tuple[dict[str, Any], Injection]:
    """Make the printed report itself inconsistent; returns the changed copy and the label."""
    if kind not in SOURCE_KINDS:
        raise ValueError(f"not a source kind: {kind!r}")
    out = copy.deepcopy(doc)
    if kind == "source.cross_table":
        return _cross_table(out, rng)
    cands = _cells(out, "total" if kind == "source.total" else "leaf")
    if not cands:
        raise ValueError(f"no cell for {kind} in this report")
    cell = rng.choice(cands)
    row = _row(out, cell)
    before = row["values"][cell.col]
    old = _cents(before)
    after = _money(old + _signed(rng, old, _delta(rng)))
    row["values"][cell.col] = after
    return out, _label(out, cell, kind, "source_inconsistency", before, after)


def _cross_table(doc: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], Injection]:
    """Move a 06 item, its 类 and its 经费合计 footer together: 06 adds up, 05 = 06 does not."""
    ti = next(i for i, t in enumerate(doc["tables"]) if t.get("table_id") == _ECON_TABLE)
    rows: list[dict[str, Any]] = doc["tables"][ti]["rows"]
    items = [
        i
        for i, r in enumerate(rows)
        if r.get("code") and len(r["code"]) == 5 and r["code"] not in _THREE_PUBLIC_ECON
    ]
    item = rows[rng.choice(items)]
    code = str(item["code"])
    parent = next(r for r in rows if r.get("code") == code[:3])
    footer_name = "人员经费合计" if code[:3] in ("301", "303") else "公用经费合计"
    fi = next(i for i, r in enumerate(rows) if r.get("name") == footer_name and not r.get("code"))
    footer = rows[fi]
    old = _cents(item["values"][0])
    change = _signed(rng, old, _delta(rng))
    before = footer["values"][0]
    for r in (item, parent, footer):
        r["values"][0] = _money(_cents(r["values"][0]) + change)
    return doc, _label(
        doc,
        _Cell(ti, None, fi, 0),
        "source.cross_table",
        "source_inconsistency",
        before,
        footer["values"][0],
    )


# ------------------------------------------------------------------ OCR damage on the text


def _offset(table: dict[str, Any], cell: _Cell) -> int:
    """TAB position of a value cell in a TextStyle() row of the table."""
    layout = table.get("layout")
    if layout == "function_coded":
        return 2 + cell.col
    if layout == "two_sided":
        sections = table["sections"]
        with_no = any(r.get("row_no") is not None for s in sections for r in s["rows"])
        lead = 2 if with_no else 1
        start = sum(lead + len(s["columns"]) for s in sections[: cell.section])
        return start + lead + cell.col
    raise ValueError(f"no OCR injection into a {layout} table")


def _signature(table: dict[str, Any], cell: _Cell, row: dict[str, Any]) -> tuple[int, list[str]]:
    """(TAB position, the label cells printed there) that identify the row's line."""
    if table.get("layout") == "function_coded":
        return 0, [str(row.get("code") or row.get("name") or "合计")]
    start = _offset(table, cell) - cell.col - 2
    return start, [str(row.get("name") or ""), str(row.get("row_no"))]


def _matches(line: str, at: int, labels: list[str]) -> bool:
    cells = line.split("\t")
    return cells[at : at + len(labels)] == labels


def _locate(lines: list[str], doc: dict[str, Any], cell: _Cell) -> int:
    """0-based index of the row's line: the row's recorded line if it holds the row's code or
    name, else the first line holding them inside the table's part of the text."""
    table = doc["tables"][cell.table]
    row = _row(doc, cell)
    at, labels = _signature(table, cell, row)
    recorded = row.get("line")
    if (
        isinstance(recorded, int)
        and 0 < recorded <= len(lines)
        and _matches(lines[recorded - 1], at, labels)
    ):
        return recorded - 1
    tid = str(table["table_id"])
    others = {str(t["table_id"]) for t in doc["tables"] if t.get("table_id") != tid}
    start = next((i for i, x in enumerate(lines) if x.strip() == tid), None)
    if start is None:
        raise ValueError(f"{tid} is not in the text")
    for i in range(start + 1, len(lines)):
        if lines[i].strip() in others:
            break
        if _matches(lines[i], at, labels):
            return i
    raise ValueError(f"row {labels} of {tid} is not in the text")


def _plain(raw: str) -> str:
    return raw.replace(",", "").replace(" ", "")


def _digit(raw: str, rng: random.Random) -> str | None:
    """One confusable digit changed, never the last decimal (a change there is rounding-size)."""
    point = raw.find(".")
    last = len(raw) - 1 if point >= 0 else -1
    first_digit = next(i for i, ch in enumerate(raw) if ch.isdigit())
    options: list[str] = []
    for i, ch in enumerate(raw):
        if ch not in _CONFUSIONS or i == last:
            continue
        for alt in _CONFUSIONS[ch]:
            leading_zero = i == first_digit and alt == "0" and (point < 0 or point > 1)
            if not leading_zero:
                options.append(raw[:i] + alt + raw[i + 1 :])
    return rng.choice(options) if options else None


def _damage_value(kind: str, raw: str, rng: random.Random) -> str | None:
    if kind == "ocr.digit":
        return _digit(raw, rng)
    if kind == "ocr.decimal_point":
        if "." not in raw or "," in raw or raw.startswith("0"):
            return None
        if rng.random() < 0.7:
            return raw.replace(".", "", 1)  # dropped: 12.34 -> 1234
        return raw.replace(".", "..", 1)  # doubled: 12.34 -> 12..34
    if kind == "ocr.comma_as_point":
        return raw.replace(",", ".") if "," in raw else None
    raise ValueError(kind)


def _blank_or_zero(raw: str) -> bool:
    return raw == "" or (_is_amount(_plain(raw)) and Decimal(_plain(raw)) == 0)


def inject_ocr(
    text: str, doc: dict[str, Any], rng: random.Random, kind: str
) -> tuple[str, Injection]:
    """Damage one value cell of ``text`` (rendered from ``doc`` with TextStyle() TAB rows) as
    a bad OCR would; the truth stays ``doc``. Returns the damaged text and the label."""
    if kind not in OCR_KINDS:
        raise ValueError(f"not an OCR kind: {kind!r}")
    lines = text.split("\n")
    where = "coded" if kind in ("ocr.shift", "ocr.drop_cell") else "any"
    cands = _cells(doc, where)
    rng.shuffle(cands)
    for cell in cands:
        table = doc["tables"][cell.table]
        li = _locate(lines, doc, cell)
        cells = lines[li].split("\t")
        pos = _offset(table, cell)
        raw = cells[pos] if pos < len(cells) else ""
        if _plain(raw) != _value(doc, cell):
            continue  # printed otherwise (a blank zero, another style): not this cell
        if abs(Decimal(_plain(raw))) < _MIN_CHANGE:
            continue  # moving or losing 0.01 is within rounding tolerance
        after: str | None
        if kind == "ocr.shift":
            # to an empty neighbour among the value cells (after code and name); never out
            # of the first value cell (本年收入/支出合计 or 小计): a row printed with that cell
            # blank reads as a row that lost a leading cell, which is another damage
            first = 2
            sides = [d for d in (1, -1) if first <= pos + d < len(cells) and pos > first]
            targets = [pos + d for d in sides if _blank_or_zero(cells[pos + d])]
            if not targets:
                continue
            to = rng.choice(targets)
            cells[to], cells[pos] = raw, ""
            after = ""
        elif kind == "ocr.drop_cell":
            # the cells after it move left: this column now reads its right neighbour
            moved_in = _plain(cells[pos + 1]) if pos + 1 < len(cells) else ""
            now = Decimal(moved_in) if _is_amount(moved_in) else Decimal(0)
            if abs(now - Decimal(_plain(raw))) < _MIN_CHANGE:
                continue
            del cells[pos]
            after = None
        else:
            damaged = _damage_value(kind, raw, rng)
            if damaged is None:
                continue
            cells[pos] = after = damaged
        lines[li] = "\t".join(cells)
        label = replace(_label(doc, cell, kind, "extraction_error", raw, after), line=li + 1)
        return "\n".join(lines), label
    raise ValueError(f"no cell of this report can take {kind}")


# ------------------------------------------------------------------ cases


def make_case(seed: int, kind: str | None) -> tuple[str, dict[str, Any], list[Injection]]:
    """(report text, truth document, injections) for a generated report; kind None = clean.

    The text is ``render_report(truth-or-original, TextStyle())``; for ``source.*`` kinds the
    truth is the changed document (the report prints the inconsistency), for ``ocr.*`` kinds
    it is the generated one (the text was misread). Deterministic from (seed, kind).
    """
    doc = generate_final_report(seed)
    style = TextStyle()
    if kind is None:
        return render_report(doc, style), doc, []
    rng = random.Random(f"inject:{seed}:{kind}")
    if kind in SOURCE_KINDS:
        changed, injection = inject_source(doc, rng, kind)
        return render_report(changed, style), changed, [injection]
    if kind in OCR_KINDS:
        damaged, injection = inject_ocr(render_report(doc, style), doc, rng, kind)
        return damaged, doc, [injection]
    raise ValueError(f"unknown injection kind {kind!r}; one of {', '.join(KINDS)}")
