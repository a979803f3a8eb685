"""A document's tables as one Excel workbook (XlsxWriter): an index sheet, one sheet per table
(title, number, unit and pages above the header; amounts as numbers in their printed precision;
cells of failing checks filled and annotated) and a sheet of the checks that did not pass.

The bytes are the same for the same result (XlsxWriter's archive has fixed entry times and the
workbook a fixed creation date), like every other output file. Numbers are written as Excel
numbers (binary floating point, as Excel holds every number); the exact printed text stays in
the JSON and the CSVs."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from typing import Any

from extractor.model import Check, DocumentResult, Table, record_names
from extractor.numbers import parse_amount

_FIXED_DATE = datetime.datetime(2000, 1, 1)
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# what a cell's fill says, most serious first
_MARKS = {
    "extraction_error": ("FFC7CE", "misread? (extraction error)"),
    "source_inconsistency": ("FFD8A8", "the report does not add up (source inconsistency)"),
    "suspect": ("FFF2A8", "within tolerance but beyond rounding (suspect)"),
}
_KEYS = ("row_no", "code", "level", "name")


def _sheet_name(i: int, table: Table, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", f"{i:02d} {table.table_id or table.title}")[:31]
    name, k = base, 1
    while name.lower() in used:
        k += 1
        name = f"{base[:28]}~{k}"
    used.add(name.lower())
    return name


def _marks(checks: list[Check]) -> dict[tuple[int, str | None, int, int], tuple[str, str]]:
    """(table, section, row, column) -> (mark, messages) for cells of failing/suspect checks."""
    order = list(_MARKS)
    out: dict[tuple[int, str | None, int, int], tuple[str, str]] = {}
    for c in checks:
        mark: str
        if c.status == "fail" and c.classification:
            mark = c.classification
        elif c.status == "suspect":
            mark = "suspect"
        else:
            continue
        for ref in c.cells:
            if ref.table_index < 0 or ref.row_index < 0:
                continue
            key = (ref.table_index, ref.section, ref.row_index, ref.col_index)
            old = out.get(key)
            text = f"{c.id}: {c.message}"
            if old is None:
                out[key] = (mark, text)
            else:
                best = min(old[0], mark, key=order.index)
                out[key] = (best, old[1] + "\n" + text)
    return out


def _decimals(raw: str) -> int:
    digits = raw.replace(" ", "").replace(",", "")
    return len(digits.split(".", 1)[1]) if "." in digits else 0


def _rows(table: Table) -> Iterator[tuple[str | None, str | None, int, Any, list[str]]]:
    """(section, the key checks name it by, row index in it, row, column names)."""
    keys: list[str | None] = [s.key or s.section for s in table.sections] or [None]
    for key, (section, cols, rows) in zip(keys, table.row_groups(), strict=True):
        names = record_names(cols)
        for ri, row in enumerate(rows):
            yield section, key, ri, row, names


def _write_table(wb: Any, ws: Any, ti: int, table: Table, marks: dict[Any, Any]) -> None:
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True})
    ws.write(0, 0, table.title, wb.add_format({"bold": True, "font_size": 13}))
    facts = [
        f"表号 {table.table_id}" if table.table_id else "",
        f"单位：{table.unit}" if table.unit else "",
        f"页 {', '.join(map(str, table.pages))}" if table.pages else "",
        f"definition {table.definition}" if table.definition else "unmatched table",
    ]
    ws.write(1, 0, "   ".join(f for f in facts if f))
    groups = table.row_groups()
    rows = [r for _, _, rs in groups for r in rs]
    keys = [k for k in _KEYS if any(getattr(r, k) for r in rows)] or ["name"]
    names: list[str] = []
    for _, cols, _ in groups:
        names += [n for n in record_names(cols) if n not in names]
    lead = (["section"] if table.sections else []) + keys
    for j, h in enumerate(lead + names):
        ws.write(3, j, h, head)
    formats: dict[tuple[int, str | None], Any] = {}

    def fmt(decimals: int, mark: str | None) -> Any:
        if (decimals, mark) not in formats:
            spec: dict[str, Any] = {
                "num_format": "#,##0" + ("." + "0" * decimals if decimals else "")
            }
            if mark:
                spec["bg_color"] = "#" + _MARKS[mark][0]
            formats[(decimals, mark)] = wb.add_format(spec)
        return formats[(decimals, mark)]

    r = 4
    for section, key, ri, row, row_names in _rows(table):
        lead_values = ([section] if table.sections else []) + [getattr(row, k) for k in keys]
        for j, v in enumerate(lead_values):
            if v is not None:
                ws.write(r, j, v, bold if getattr(row, "role", None) else None)
        for ci, (name, raw) in enumerate(zip(row_names, row.values, strict=False)):
            col = len(lead) + names.index(name)
            mark, note = marks.get((ti, key, ri, ci), (None, None))
            amount = parse_amount(raw) if raw and raw.strip() else None
            if amount is not None and amount.value is not None:
                ws.write_number(r, col, float(amount.value), fmt(_decimals(raw or ""), mark))
            elif raw:
                ws.write_string(r, col, raw, fmt(0, mark) if mark else None)
            elif mark:
                ws.write_blank(r, col, None, fmt(0, mark))
            if note:
                ws.write_comment(r, col, note[:30000], {"x_scale": 3, "y_scale": 2})
        r += 1
    ws.freeze_panes(4, len(lead))
    ws.set_column(0, len(lead) - 1, 14)
    ws.set_column(len(lead), len(lead) + len(names), 12)


def _write_index(wb: Any, ws: Any, result: DocumentResult, sheets: list[str]) -> None:
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    doc = result.document
    ws.write(
        0,
        0,
        f"{doc.department or doc.source}  {doc.year or ''} {doc.kind or ''}".strip(),
        wb.add_format({"bold": True, "font_size": 13}),
    )
    ws.write(1, 0, f"status {result.status}; " + "; ".join(e.code for e in result.errors))
    ws.write(2, 0, "fill: " + "; ".join(f"{label}" for _, label in _MARKS.values()))
    for j, h in enumerate(["sheet", "table_id", "title", "definition", "unit", "pages", "rows"]):
        ws.write(4, j, h, head)
    for i, (name, t) in enumerate(zip(sheets, result.tables, strict=True)):
        ws.write_url(5 + i, 0, f"internal:'{name}'!A1", string=name)
        values = [
            t.table_id or "",
            t.title,
            t.definition or "",
            t.unit or "",
            ", ".join(map(str, t.pages)),
            sum(len(rs) for _, _, rs in t.row_groups()),
        ]
        for j, v in enumerate(values, 1):
            ws.write(5 + i, j, v)
    ws.set_column(0, 0, 24)
    ws.set_column(2, 2, 40)


def _write_checks(wb: Any, ws: Any, checks: list[Check]) -> None:
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    cols = ["status", "classification", "rule", "printed", "computed", "delta", "message", "id"]
    for j, h in enumerate(cols):
        ws.write(0, j, h, head)
    shown = [c for c in checks if c.status in ("fail", "suspect", "warn", "not_evaluated")]
    for i, c in enumerate(shown, 1):
        for j, v in enumerate(
            [
                c.status,
                c.classification or "",
                c.rule,
                c.actual or "",
                c.expected or "",
                c.delta or "",
                c.message,
                c.id,
            ]
        ):
            ws.write_string(i, j, str(v))
    ws.set_column(6, 6, 80)
    ws.freeze_panes(1, 0)


def workbook_bytes(result: DocumentResult) -> bytes:
    """The result's tables as an .xlsx workbook."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": _FIXED_DATE, "title": result.document.source})
    index = wb.add_worksheet("index")
    used = {"index", "checks"}
    sheets = [_sheet_name(i, t, used) for i, t in enumerate(result.tables, 1)]
    marks = _marks(result.checks)
    for ti, (name, table) in enumerate(zip(sheets, result.tables, strict=True)):
        _write_table(wb, wb.add_worksheet(name), ti, table, marks)
    _write_checks(wb, wb.add_worksheet("checks"), result.checks)
    _write_index(wb, index, result, sheets)
    wb.close()
    return buf.getvalue()
