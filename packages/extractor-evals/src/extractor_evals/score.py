"""Cell-by-cell comparison of a document result with a truth file.

Tables are paired by printed number (table_id), else by title, else by 目录 order
(``toc_no``); rows are paired in order within a table or section. A cell counts as equal only
when its value string is identical (blank ``None`` vs ``"0.00"`` differ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CellMismatch:
    table: str
    row: int
    col: int
    line: int | None
    expected: Any
    got: Any
    what: str = "value"


@dataclass
class TableScore:
    table: str
    found: bool
    cells: int = 0
    equal: int = 0
    rows_expected: int = 0
    rows_got: int = 0
    mismatches: list[CellMismatch] = field(default_factory=list)


def _rows(t: dict[str, Any]) -> list[dict[str, Any]]:
    if t.get("sections"):
        return [r for s in t["sections"] for r in s["rows"]]
    return list(t.get("rows") or [])


def _key(t: dict[str, Any]) -> str:
    return str(t.get("table_id") or t.get("title"))


def match_tables(
    got: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Pair each truth table with an extracted one (or None)."""
    used: set[int] = set()
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for tt in truth:
        idx = None
        for i, t in enumerate(got):
            if i in used:
                continue
            if tt.get("table_id") and t.get("table_id") == tt["table_id"]:
                idx = i
                break
        if idx is None:
            idx = next(
                (
                    i
                    for i, t in enumerate(got)
                    if i not in used and t.get("title") == tt.get("title")
                ),
                None,
            )
        if idx is not None:
            used.add(idx)
        pairs.append((tt, got[idx] if idx is not None else None))
    return pairs


def score_document(
    result: dict[str, Any], truth: dict[str, Any], *, check_names: bool = True
) -> list[TableScore]:
    """Scores per truth table of ``result`` (a DocumentResult as JSON-like dict)."""
    out: list[TableScore] = []
    for tt, t in match_tables(result.get("tables", []), truth.get("tables", [])):
        ts = TableScore(table=_key(tt), found=t is not None)
        trows = _rows(tt)
        ts.rows_expected = len(trows)
        if t is None:
            ts.cells = sum(len(r["values"]) for r in trows)
            out.append(ts)
            continue
        grows = _rows(t)
        ts.rows_got = len(grows)
        for ri, a in enumerate(trows):
            b = grows[ri] if ri < len(grows) else None
            for ci, v in enumerate(a["values"]):
                ts.cells += 1
                got = b["values"][ci] if b is not None and ci < len(b["values"]) else "<missing>"
                if got == v:
                    ts.equal += 1
                else:
                    ts.mismatches.append(CellMismatch(ts.table, ri, ci, a.get("line"), v, got))
            if b is None or not check_names:
                continue
            for k in ("code", "name", "row_no"):
                if k in a and a.get(k) != b.get(k):
                    ts.mismatches.append(
                        CellMismatch(ts.table, ri, -1, a.get("line"), a.get(k), b.get(k), k)
                    )
        out.append(ts)
    return out
