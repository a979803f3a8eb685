"""Classify failed checks (extraction error or source inconsistency) and write findings.

SPEC.md §3: on text input and text-layer PDFs a value found verbatim in the cell its header
names is faithful, so a failure whose terms are all faithful is a source inconsistency, even
when a one-digit change would make it hold. Where a term is uncertain (OCR, LLM, a realigned
row, low confidence) the evidence decides: a residual equal to a neighbouring cell, or a
single OCR confusion of one uncertain term that makes the identity hold, marks an
extraction error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from extractor.barrier import Barrier, or_reraise
from extractor.model import CellRef, Check, Classification, Finding, Row, Table
from extractor.numbers import AmountKind, parse_amount

# OCR confusions between digits (both directions)
CONFUSIONS: dict[str, str] = {
    "6": "8",
    "8": "63",
    "1": "7",
    "7": "1",
    "3": "8",
    "0": "8",
    "5": "6",
    "9": "8",
}


_AMOUNT_END = re.compile(r"(?<![\d.])\d{1,3}(?:,?\d{3})*\.\d{1,4}$")


def _row_of(tables: Sequence[Table], ref: CellRef) -> Row | None:
    """The row a cell reference points at (in its section for two-sided tables)."""
    if not 0 <= ref.table_index < len(tables):
        return None  # the prose or an annex: no table row
    table = tables[ref.table_index]
    rows = table.rows
    if table.sections:
        rows = next((s.rows for s in table.sections if (s.key or s.section) == ref.section), rows)
    return rows[ref.row_index] if 0 <= ref.row_index < len(rows) else None


def _uncertain(tables: Sequence[Table], check: Check) -> list[tuple[int, bool, bool]]:
    """(index into check.cells, digits uncertain, blank on a scan) of terms whose reading is
    not certain: an OCR'd, LLM-read or low-confidence cell may hold misread digits; a blank
    cell of an OCR'd page may be a printed value the OCR dropped; a realigned or short row's
    cell was read verbatim, only its column is in doubt."""
    out: list[tuple[int, bool, bool]] = []
    for k, ref in enumerate(check.cells):
        row = _row_of(tables, ref)
        if row is None:
            continue
        cells = row.cells
        cell = cells[ref.col_index] if ref.col_index < len(cells) else None
        if cell is None:
            continue
        digits = cell.source in ("ocr", "llm") or cell.status == "low_confidence"
        dropped = cell.source == "ocr" and not (cell.raw or "").strip()
        if digits or dropped or cell.status in ("realigned", "short_row"):
            out.append((k, digits, dropped))
    return out


def _digit_variants(text: str) -> list[Decimal]:
    out: list[Decimal] = []
    for i, ch in enumerate(text):
        for alt in CONFUSIONS.get(ch, ""):
            a = parse_amount(text[:i] + alt + text[i + 1 :])
            if a is not None and a.value is not None:
                out.append(a.value)
    if "." in text:  # a dropped decimal point
        a = parse_amount(text.replace(".", ""))
        if a is not None and a.value is not None:
            out.append(a.value)
    return out


def _neighbours(tables: Sequence[Table], ref: CellRef) -> list[Decimal]:
    """Values printed next to a cell in its row (one column either side)."""
    row = _row_of(tables, ref)
    if row is None:
        return []
    values = row.values
    out: list[Decimal] = []
    for j in (ref.col_index - 1, ref.col_index + 1):
        if 0 <= j < len(values) and values[j] is not None:
            a = parse_amount(values[j] or "")
            if a is not None and a.value is not None and a.value != 0:
                out.append(a.value)
    return out


def _moved(tables: Sequence[Table], ref: CellRef) -> bool:
    """The term's row has an amount under its name column ("2112.86" read as the 科目名称):
    the row's values moved columns, so its cells are not where the header says."""
    row = _row_of(tables, ref)
    if row is None or not row.name:
        return False
    if _AMOUNT_END.search(row.name):  # "一般公共服务支出2112.86": a name and an amount
        return True
    a = parse_amount(row.name)
    return a is not None and a.kind is AmountKind.NUMBER and not row.name.strip().isdigit()


def classify(tables: Sequence[Table], check: Check) -> Classification:
    """'extraction_error' or 'source_inconsistency' for a failed hard check (SPEC.md §3)."""
    if any(_moved(tables, ref) for ref in check.cells):
        # even a text layer read verbatim: a value under a name column is a misread grid
        return "extraction_error"
    uncertain = _uncertain(tables, check)
    if not uncertain or check.delta is None or check.tolerance is None:
        return "source_inconsistency"
    delta = Decimal(check.delta)
    tol = Decimal(check.tolerance)
    for k, digits, dropped in uncertain:
        ref = check.cells[k]
        side = 1 if k < check.lhs_terms else -1
        # a blank term on a scan whose printed value, had OCR kept it, would close the gap
        # with a positive amount: the cell was dropped (ingest already read the crop again)
        if dropped and -delta * side * ref.sign > 0:
            return "extraction_error"
        if digits and ref.value is not None:
            a = parse_amount(ref.value)
            old = a.value if a is not None and a.value is not None else Decimal(0)
            # one OCR confusion of this term makes the identity hold
            for new in _digit_variants(ref.value):
                if abs(delta + side * ref.sign * (new - old)) <= tol:
                    return "extraction_error"
        # the residual is a value printed beside this term: a cell shifted one column
        if any(abs(abs(delta) - abs(v)) <= tol for v in _neighbours(tables, ref)):
            return "extraction_error"
    return "source_inconsistency"


def findings_for(
    tables: Sequence[Table], checks: list[Check], barrier: Barrier | None = None
) -> list[Finding]:
    """Classify failed checks in place and list what a reader must know. Under ``barrier``
    a check whose classification raises is an extraction error (``internal.findings``): the
    source is not blamed on evidence nobody weighed."""
    out: list[Finding] = []
    for i, c in enumerate(checks):
        if c.status == "fail":
            # a soft check that fails (a narrative claim) comes classified by its checker
            cls: Classification = "extraction_error"
            with or_reraise(barrier).guard("findings", f"the classification of {c.id}"):
                cls = c.classification or classify(tables, c)
            checks[i] = c = c.model_copy(update={"classification": cls})
            out.append(
                Finding(
                    kind=cls,
                    check=c.id,
                    message=c.message,
                    printed=c.actual,
                    computed=c.expected,
                    cells=c.cells,
                )
            )
        elif c.status == "suspect":
            out.append(
                Finding(
                    kind="suspect",
                    check=c.id,
                    message="within tolerance but beyond rounding: " + c.message,
                    printed=c.actual,
                    computed=c.expected,
                    cells=c.cells,
                )
            )
        elif c.status == "warn":
            out.append(
                Finding(
                    kind="warning",
                    check=c.id,
                    message=c.message,
                    printed=c.actual,
                    computed=c.expected,
                    cells=c.cells,
                )
            )
    return out
