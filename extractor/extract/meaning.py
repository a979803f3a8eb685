"""Columns and rows by meaning: header paths matched to definition columns (栏次 only a
tie-breaker), row names to definition roles and 类 codes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from extractor.definitions import ColumnDef, Definitions, RowDef
from extractor.layout.grid import (
    HeaderColumn,
    label,
    strip_numbering,
)
from extractor.model import (
    Column,
    Row,
)
from extractor.numbers import fold_variants


def assign_columns(header: Sequence[HeaderColumn], defs: Sequence[ColumnDef]) -> dict[int, str]:
    """Header position -> definition column key, by meaning first and 栏次 second."""
    printed_nos = {h.col_no for h in header if h.col_no}
    if defs and all(d.col_no for d in defs) and {d.col_no for d in defs} <= printed_nos:
        # a 栏次 row names every column the definition has: it is part of the grid, while
        # header text can sit a cell off (a lost empty cell in a spanning header)
        by_no = {d.col_no: d.key for d in defs}
        return {h.position: by_no[h.col_no] for h in header if h.col_no in by_no}
    scored: list[tuple[float, int, int]] = []
    for hi, h in enumerate(header):
        for di, d in enumerate(defs):
            # the name may sit at any header level (Shanghai prints 预算数/决算数 below the
            # item); the leaf scores higher. ``under`` must match another level.
            path = [fold_variants(part) for part in h.path]
            hits = [k for k, part in enumerate(path) if any(re.search(p, part) for p in d.names)]
            name_k = hits[-1] if hits else None
            others = [part for k, part in enumerate(path) if k != name_k]
            under_ok = all(any(re.search(p, part) for part in others) for p in d.under)
            score = 0.0
            if name_k is not None and under_ok:
                score = 2.0 if name_k == len(h.path) - 1 else 1.5
                score += 1.0 if d.col_no is not None and d.col_no == h.col_no else 0.0
            elif d.col_no is not None and d.col_no == h.col_no:
                score = 0.5
            if score:
                scored.append((score, hi, di))
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_h: set[int] = set()
    used_d: set[int] = set()
    out: dict[int, str] = {}
    for _, hi, di in scored:
        if hi in used_h or di in used_d:
            continue
        used_h.add(hi)
        used_d.add(di)
        out[header[hi].position] = defs[di].key
    return out


def to_columns(header: Sequence[HeaderColumn], keys: dict[int, str]) -> list[Column]:
    return [Column(col_no=h.col_no, name=h.name, key=keys.get(h.position)) for h in header]


# ---------------------------------------------------------------- row roles


def class_code(name: str, definitions: Definitions) -> str | None:
    """The 类 code a printed class name stands for; OCR-damaged names ("卫生健康支支出")
    match the closest known name when it is close enough."""
    by_name = definitions.class_by_name
    code = by_name.get(name) or by_name.get(name + "支出")
    if code is not None or len(name) < 3:
        return code
    best = difflib.get_close_matches(name, list(by_name), n=1, cutoff=0.8)
    return by_name[best[0]] if best else None


def assign_roles(rows: list[Row], defs: Sequence[RowDef], definitions: Definitions) -> None:
    """Give each named row the first free role its name matches (in definition order)."""
    taken: set[str] = set()
    for row in rows:
        if not row.name:
            continue
        name = strip_numbering(label(row.name))
        for d in defs:
            if d.classes:
                code = class_code(re.sub(r"[（(]类[)）]", "", name), definitions)
                if code is not None:
                    row.role = f"{d.role}:{code}"
                    break
                continue
            if d.role in taken and not d.multi:
                continue
            if any(re.search(p, name) for p in d.names):
                row.role = d.role
                taken.add(d.role)
                break


# ---------------------------------------------------------------- header split
