"""The report's own 目录: where a table prints no number (附件N), its place in the 目录 says
which one it is (SPEC.md §3: 004 prints 附件10, 13, 14, 17 and 18 without a label)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from extractor.layout.tables import title_key
from extractor.model import Table
from extractor.numbers import normalize_text

_TOC_HEAD = re.compile(r"^目\s*录$")
_ENTRY = re.compile(r"^[-•·*\s]*(?:附件|附表)?\s*(\d{1,2})\s*[.、．:：]\s*(\S.{1,60}?)\s*$")
_NUMBER = re.compile(r"(?:附件|附表)\s*(\d{1,2})")
_DASHES = re.compile(r"[-－—–~～]+")


def read_toc(lines: Sequence[str]) -> dict[int, str]:
    """Numbered table entries of the 目录 (number -> title); empty when none is printed."""
    start = next((i for i, x in enumerate(lines[:400]) if _TOC_HEAD.match(x.strip())), None)
    if start is None:
        return {}
    out: dict[int, str] = {}
    for line in lines[start + 1 : start + 300]:
        m = _ENTRY.match(normalize_text(line).strip())
        if m and "表" in m.group(2):
            out.setdefault(int(m.group(1)), m.group(2))
    return out


def _key(title: str) -> str:
    return _DASHES.sub("-", title_key(title))


def place_tables(tables: Sequence[Table], toc: dict[int, str]) -> None:
    """Set ``toc_no`` on each table: its printed number, or the 目录 entry its title matches
    best among those no other table took (in order)."""
    if not toc:
        return
    used: set[int] = set()
    for t in tables:
        m = _NUMBER.fullmatch(t.table_id or "")
        if m and int(m.group(1)) in toc:
            t.toc_no = int(m.group(1))
            used.add(t.toc_no)
    last = 0
    for t in tables:
        if t.toc_no is not None:
            last = t.toc_no
            continue
        key = _key(t.title)
        best: tuple[float, int] | None = None
        for n, title in toc.items():
            if n in used or n < last:
                continue
            ratio = difflib.SequenceMatcher(None, key, _key(title)).ratio()
            if best is None or ratio > best[0]:
                best = (ratio, n)
        if best is not None and best[0] >= 0.7:
            t.toc_no = best[1]
            used.add(best[1])
            last = best[1]
