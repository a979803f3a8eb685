"""Which report table a region is: by title (regex over the normalised title), then by
structure, with the printed number (公开NN表) only as a tie-breaker."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from extractor.definitions import Definitions, TableDef
from extractor.layout.tables import title_key
from extractor.model import Region
from extractor.numbers import fold_variants, normalize_text

_META = re.compile(r"[()?\[\]\\^$|*+]")


def _literal(pattern: str) -> str:
    return _META.sub("", re.sub(r"\([^)]*\)\?", "", pattern))


def _header_fit(region: Region, tdef: TableDef) -> float:
    """Share of the definition's columns whose names occur in the region's first rows."""
    cols = tdef.columns or [c for s in tdef.sections for c in s.columns]
    if not cols:
        return 0.0
    texts = [
        fold_variants(normalize_text(t).replace(" ", ""))
        for r in region.rows[:8]
        for t in r.texts
        if t.strip()
    ]
    hits = sum(1 for c in cols if any(re.search(p, t) for p in c.names for t in texts))
    return hits / len(cols)


def identify(
    region: Region,
    defs: Definitions,
    family: str | None = None,
    among: Sequence[TableDef] | None = None,
) -> TableDef | None:
    """The definition matching this region, or None (the table is then mapped generically);
    ``among`` narrows the search to these definitions (one definition file's set)."""
    key = title_key(region.title)
    pool = list(among) if among is not None else [
        t for f in defs.families if family in (None, f.family) for t in f.tables
    ]
    exact = [t for t in pool if any(p.fullmatch(key) for p in t.title_res)]
    if len(exact) > 1:
        by_label = [t for t in exact if t.label and t.label == region.table_id]
        exact = by_label or exact
    if len(exact) > 1:
        # two tables printed under one title (a 预算's 一般公共预算基本支出情况表 by function
        # and by economic class): the one whose columns the header names
        exact = sorted(exact, key=lambda t: -_header_fit(region, t))
    if exact:
        return exact[0]
    # a title printed after the department and year ("XX局2023年度收入决算表"): the longest
    # definition title the printed one ends with
    suffix: list[tuple[int, TableDef]] = []
    for t in pool:
        for pat in t.title_res:
            m = re.search(f"(?:{pat.pattern})$", key)
            if m and m.start() > 0 and len(key) - m.start() >= 4:
                suffix.append((len(key) - m.start(), t))
    if suffix:
        best_len = max(n for n, _ in suffix)
        cands = [t for n, t in suffix if n == best_len]
        by_label = [t for t in cands if t.label and t.label == region.table_id]
        return (by_label or cands)[0]
    # OCR-damaged titles: close to a definition's title, and the printed label agrees
    best: tuple[float, TableDef | None] = (0.0, None)
    for t in pool:
        for p in t.titles:
            ratio = difflib.SequenceMatcher(None, key, _literal(p)).ratio()
            if t.label and t.label == region.table_id:
                ratio += 0.1
            if ratio > best[0]:
                best = (ratio, t)
    return best[1] if best[0] >= 0.85 else None
