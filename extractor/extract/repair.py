"""Deterministic repair of OCR misreads that a failing identity locates (SPEC.md §3).

A hard identity that fails and is classified ``extraction_error`` is solved for one cell: the
repair is taken only when exactly one candidate edit makes it hold, the edit is a plausible OCR
confusion of the cell's raw reading (digit confusion sets, a dropped or doubled decimal point,
a comma read as a point) or a value shifted one column into a blank neighbour, and re-verifying
the whole document shows no check that passed before now failing.

Only cells read by OCR are candidates (source ``ocr``, or an LLM cell copied from an OCR
reading, which keeps its confidence). A faithful text or PDF-text cell is never repaired: a
failure over faithful cells is a source inconsistency and stays one. A repaired cell keeps its
``raw`` reading, gets source ``repair`` and status ``repaired``; a ``repair`` finding names the
checks it made pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from extractor.barrier import Barrier, or_reraise
from extractor.definitions import Definitions
from extractor.model import Cell, CellRef, CellSource, Check, Finding, Row, Table
from extractor.numbers import parse_amount
from extractor.verify.findings import findings_for
from extractor.verify.verifier import verify_tables

# digits OCR confuses, both ways
CONFUSION_SETS: tuple[str, ...] = ("0689", "17", "38", "56")
_ALTERNATIVES: dict[str, str] = {}
for _group in CONFUSION_SETS:
    for _d in _group:
        _ALTERNATIVES[_d] = _ALTERNATIVES.get(_d, "") + _group.replace(_d, "")

MAX_ROUNDS = 8  # repairs per document are few; each round re-verifies the document


@dataclass(frozen=True)
class Edit:
    """One candidate repair: new values for one or two cells of a row."""

    table_index: int
    section: str | None
    row_index: int
    changes: tuple[tuple[int, str | None], ...]  # (column index, new value)
    how: str  # "OCR confusion '3'→'8'", "shifted one column"


@dataclass
class RepairOutcome:
    tables: list[Table]
    checks: list[Check]
    findings: list[Finding]


def _hard_failures(checks: Sequence[Check]) -> set[str]:
    return {c.id for c in checks if c.severity == "hard" and c.status == "fail"}


def _rows(table: Table, section: str | None) -> list[Row]:
    if table.sections:
        for s in table.sections:
            if (s.key or s.section) == section:
                return s.rows
    return table.rows


def _cell(tables: Sequence[Table], ref: CellRef) -> tuple[Row, Cell] | None:
    """The row and cell a reference names; None for a place that is no table cell (the
    prose, an annex, the total of a table printed without rows: indexes of -1)."""
    if not 0 <= ref.table_index < len(tables) or ref.row_index < 0 or ref.col_index < 0:
        return None
    rows = _rows(tables[ref.table_index], ref.section)
    if ref.row_index >= len(rows):
        return None
    row = rows[ref.row_index]
    if ref.col_index >= len(row.cells):
        return None
    return row, row.cells[ref.col_index]


def ocr_reading(cell: Cell) -> bool:
    """The cell's digits were read by OCR (directly, or copied by the LLM from an OCR cell)."""
    if cell.source is CellSource.OCR:
        return True
    return cell.source is CellSource.LLM and cell.confidence is not None


def confusion_variants(raw: str, precision: int) -> Iterator[tuple[str, str]]:
    """(canonical value, how) for each single plausible OCR misreading of ``raw`` undone.
    The last printed decimal is left alone: a change there is rounding-sized, and the
    identity's tolerance, not a repair, is the judge of it."""
    last = len(raw.rstrip()) - 1 if "." in raw else -1
    for i, ch in enumerate(raw):
        if i == last:
            continue
        for alt in _ALTERNATIVES.get(ch, ""):
            yield raw[:i] + alt + raw[i + 1 :], f"OCR confusion {ch!r}→{alt!r}"
    if "." in raw:
        # a doubled or spurious point, and a thousands comma read as a point
        for i, ch in enumerate(raw):
            if ch == ".":
                yield raw[:i] + raw[i + 1 :], "a spurious decimal point removed"
                yield raw[:i] + "," + raw[i + 1 :], "a comma read as a point"
    else:
        digits = raw.strip()
        if precision > 0 and len(digits) > precision and digits[-precision:].isdigit():
            yield digits[:-precision] + "." + digits[-precision:], "a dropped decimal point"
    if "," in raw:
        for i, ch in enumerate(raw):
            if ch == ",":
                yield raw[:i] + "." + raw[i + 1 :], "a point read as a comma"


def _canonical(text: str) -> str | None:
    a = parse_amount(text)
    return a.text if a is not None and a.value is not None else None


def _candidates(tables: Sequence[Table], check: Check) -> list[Edit]:
    """Edits of one OCR-read term that make ``check`` hold arithmetically."""
    if check.delta is None or check.tolerance is None:
        return []
    delta, tol = Decimal(check.delta), Decimal(check.tolerance)
    out: list[Edit] = []
    for k, ref in enumerate(check.cells):
        got = _cell(tables, ref)
        if got is None:
            continue
        row, cell = got
        if not ocr_reading(cell) or cell.raw is None:
            continue
        side = 1 if k < check.lhs_terms else -1
        old_amount = parse_amount(ref.value or "")
        old = old_amount.value if old_amount and old_amount.value is not None else Decimal(0)
        precision = max((a.precision for a in [old_amount] if a is not None), default=0)
        precision = max(precision, 2)

        def holds(new: Decimal, side: int = side, sign: int = ref.sign, old: Decimal = old) -> bool:
            return abs(delta + side * sign * (new - old)) <= tol

        seen: set[str] = set()
        for text, how in confusion_variants(cell.raw.strip(), precision):
            canon = _canonical(text)
            if canon is None or canon in seen or canon == ref.value:
                continue
            seen.add(canon)
            if holds(Decimal(canon)):
                out.append(
                    Edit(
                        ref.table_index, ref.section, ref.row_index, ((ref.col_index, canon),), how
                    )
                )
        # a value shifted into a blank neighbour (or out of this blank cell into one)
        for j in (ref.col_index - 1, ref.col_index + 1):
            if not 0 <= j < len(row.values) or j >= len(row.cells):
                continue
            mine, theirs = row.values[ref.col_index], row.values[j]
            if not ocr_reading(row.cells[j]) and row.cells[j].raw is not None:
                continue
            if mine is not None and theirs is None and holds(Decimal(0)):
                out.append(
                    Edit(
                        ref.table_index,
                        ref.section,
                        ref.row_index,
                        ((ref.col_index, None), (j, mine)),
                        "a value shifted one column",
                    )
                )
            elif mine is None and theirs is not None:
                a = parse_amount(theirs)
                if a is not None and a.value is not None and holds(a.value):
                    out.append(
                        Edit(
                            ref.table_index,
                            ref.section,
                            ref.row_index,
                            ((j, None), (ref.col_index, theirs)),
                            "a value shifted one column",
                        )
                    )
    unique: dict[tuple[object, ...], Edit] = {}
    for e in out:
        unique.setdefault((e.table_index, e.section, e.row_index, frozenset(e.changes)), e)
    return list(unique.values())


def _apply(tables: list[Table], edit: Edit) -> list[Table]:
    """A copy of ``tables`` with ``edit`` applied (the row and table copied, others shared)."""
    table = tables[edit.table_index].model_copy(deep=True)
    row = _rows(table, edit.section)[edit.row_index]
    for ci, value in edit.changes:
        row.values[ci] = value
        row.cells[ci] = row.cells[ci].model_copy(
            update={"source": CellSource.REPAIR, "status": "repaired"}
        )
    out = list(tables)
    out[edit.table_index] = table
    return out


def _classified(definitions: Definitions, tables: Sequence[Table], barrier: Barrier) -> list[Check]:
    checks = verify_tables(definitions, tables, barrier)
    findings_for(tables, checks, barrier)  # classifies failed checks in place
    return checks


def repair_tables(
    definitions: Definitions,
    tables: list[Table],
    checks: list[Check] | None = None,
    barrier: Barrier | None = None,
) -> RepairOutcome:
    """Repair what failing extraction-error identities locate; re-verify after each repair.
    Under ``barrier`` a failure whose repair raises is left as it is (``internal.repair``)."""
    guard = or_reraise(barrier)
    if checks is None:
        checks = _classified(definitions, tables, guard)
    findings: list[Finding] = []
    tried: set[str] = set()
    for _ in range(MAX_ROUNDS):
        failing = _hard_failures(checks)
        target = next(
            (
                c
                for c in checks
                if c.id in failing and c.classification == "extraction_error" and c.id not in tried
            ),
            None,
        )
        if target is None:
            break
        tried.add(target.id)
        accepted: list[tuple[Edit, list[Table], list[Check]]] = []
        where = target.cells[0] if target.cells else None
        with guard.guard(
            "repair",
            f"the repair of {target.id}",
            line=where.line if where else None,
            page=where.page if where else None,
            undo=accepted,  # an interrupted search proves nothing: no repair
        ):
            for edit in _candidates(tables, target):
                new_tables = _apply(tables, edit)
                new_checks = _classified(definitions, new_tables, guard)
                now_failing = _hard_failures(new_checks)
                if target.id not in now_failing and now_failing <= failing:
                    accepted.append((edit, new_tables, new_checks))
        if len(accepted) != 1:
            continue  # none, or ambiguous: leave it to the LLM re-ask or report it
        edit, tables, new_checks = accepted[0]
        fixed = sorted(failing - _hard_failures(new_checks))
        refs = [c for c in target.cells if c.row_index == edit.row_index] or target.cells[:1]
        before = {
            ci: ref.value
            for ref in target.cells
            for ci, _ in edit.changes
            if ref.row_index == edit.row_index and ref.col_index == ci
        }
        row = _rows(tables[edit.table_index], edit.section)[edit.row_index]
        raws = ", ".join(repr(row.cells[ci].raw) for ci, _ in edit.changes)
        news = ", ".join(str(v) for _, v in edit.changes)
        findings.append(
            Finding(
                kind="repair",
                check=target.id,
                message=f"{edit.how}: read {raws}, repaired to {news}; "
                f"makes pass: {', '.join(fixed)}",
                printed=next((v for v in before.values() if v is not None), None),
                computed=next((v for _, v in edit.changes if v is not None), None),
                cells=refs,
            )
        )
        checks = new_checks
        tried.clear()  # a repair can make another failure solvable
        tried.update(c for c in fixed)
    return RepairOutcome(tables=tables, checks=checks, findings=findings)
