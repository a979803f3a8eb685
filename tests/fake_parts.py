"""The fake model's answers for tables printed in parts (two-sided, economic blocks,
sectioned), read from the grid the way a model would: by the printed headings and headers.

The definition comes from the system message (``describe_shaped``'s line); the grid from the
fenced chunk. Side headers are the rows holding a label word (项目, 名称…): several in one row
are sides side by side, one per row are sides one below the other; a side's key is its printed
heading (收入/支出) matched to the definition's names, else the next side in definition order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fake_openai import Grid, _is_amount, map_columns

_SHAPED = re.compile(
    r"^- (\S+) \((.*?)\) (.*?): (two_sided|economic_blocks|sectioned) parts: (.*)$"
)
_SIDE = re.compile(r"^(\w+) \((.*?)\) columns (.*)$")
_COLS = re.compile(r"^(c\d+) = (.+?)(?: \[栏次 (\S+)\])?$")
_LABEL = re.compile(r"^(项目|.*名称|科目|收入项目|支出项目|指标)$")
_BLOCK = re.compile(r"(编码|代码|经济分类)")
_CODE = re.compile(r"^\d{3}(\d{2}){0,2}$")
_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
_TOTAL = re.compile(r"(合计|总计)")


@dataclass
class PartDef:
    key: str
    names: list[str]
    columns: list[tuple[str, list[str], str | None]]  # key, header names, 栏次


@dataclass
class ShapedDef:
    id: str
    layout: str
    parts: list[PartDef]  # the sides; for blocks and sections one entry: the columns


def _columns(text: str) -> list[tuple[str, list[str], str | None]]:
    out = []
    for part in text.split("; "):
        m = _COLS.match(part)
        if m:
            out.append((m.group(1), m.group(2).split(" or "), m.group(3)))
    return out


def parse_shaped(system: str) -> ShapedDef | None:
    for line in system.split("\n"):
        m = _SHAPED.match(line)
        if m is None:
            continue
        layout, rest = m.group(4), m.group(5)
        if layout == "two_sided":
            parts = []
            for side in rest.split(" | "):
                sm = _SIDE.match(side)
                if sm:
                    parts.append(
                        PartDef(sm.group(1), sm.group(2).split(" or "), _columns(sm.group(3)))
                    )
            return ShapedDef(m.group(1), layout, parts)
        cols = rest.split(" columns ", 1)[1] if " columns " in rest else ""
        return ShapedDef(m.group(1), layout, [PartDef("", [], _columns(cols))])
    return None


def _cell(r: list[str], j: int) -> str:
    return r[j].strip() if j < len(r) else ""


def _has_amounts(r: list[str]) -> bool:
    return any(_is_amount(t.strip()) for t in r)


def parts_answer(grid: Grid, sdef: ShapedDef) -> dict[str, Any]:
    rows: list[tuple[str | None, list[str]]] = [(None, h) for h in grid.header] + [
        (rid, r) for rid, r in grid.rows
    ]
    if sdef.layout == "economic_blocks":
        return _blocks(grid, rows, sdef)
    if sdef.layout == "sectioned":
        return _sections(grid, rows, sdef)
    return _sides(grid, rows, sdef)


def _answer(
    sdef: ShapedDef, parts: list[dict[str, Any]], out_rows: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"definition": sdef.id, "parts": parts, "rows": out_rows}


def _lanci(rows: list[tuple[str | None, list[str]]]) -> dict[int, str]:
    row = next((r for _, r in rows if _cell(r, 0) == "栏次"), None)
    return {j: t.strip() for j, t in enumerate(row or []) if t.strip().isdigit()}


def _sides(grid: Grid, rows: list[tuple[str | None, list[str]]], sdef: ShapedDef) -> dict[str, Any]:
    heads = [
        i
        for i, (_, r) in enumerate(rows)
        if not _has_amounts(r) and any(_LABEL.match(t.strip()) for t in r)
    ]
    lanci = _lanci(rows)
    free = list(sdef.parts)
    parts: list[dict[str, Any]] = []
    out_rows: list[dict[str, Any]] = []
    for n, i in enumerate(heads):
        hdr = rows[i][1]
        stop = heads[n + 1] if n + 1 < len(heads) else len(rows)
        starts = [j for j, t in enumerate(hdr) if _LABEL.match(t.strip())]
        above = rows[i - 1][1] if i > 0 else []
        for s, start in enumerate(starts):
            end = starts[s + 1] if s + 1 < len(starts) else grid.width
            heading = _cell(above, start) or " ".join(t.strip() for t in above if t.strip())
            pdef = next(
                (p for p in free if any(nm in heading for nm in p.names)), free[0] if free else None
            )
            if pdef is None:
                continue
            free.remove(pdef)
            names = {j: _cell(hdr, j) for j in range(start + 1, end)}
            row_no = next((j for j, t in names.items() if t == "行次"), None)
            cols = [j for j, t in names.items() if t and j != row_no]
            mapping = map_columns(names, cols, pdef.columns, lanci)
            parts.append(
                {
                    "part": pdef.key,
                    "row_no": f"g{row_no}" if row_no is not None else None,
                    "columns": [
                        {"key": k, "source": f"g{j}", "name": names[j]} for k, j in mapping.items()
                    ],
                }
            )
            for rid, r in rows[i + 1 : stop]:
                name = _cell(r, start)
                if rid is None or _cell(r, 0) == "栏次":
                    continue
                values = {
                    k: (_cell(r, j) if _is_amount(_cell(r, j)) else None)
                    for k, j in mapping.items()
                }
                if not name and not any(values.values()):
                    continue
                out_rows.append(
                    {
                        "source": rid,
                        "part": pdef.key,
                        "name": name or None,
                        "total": bool(_TOTAL.search(name)),
                        "values": values,
                    }
                )
    return _answer(sdef, parts, out_rows)


def _blocks(
    grid: Grid, rows: list[tuple[str | None, list[str]]], sdef: ShapedDef
) -> dict[str, Any]:
    hi = next(i for i, (_, r) in enumerate(rows) if sum(1 for t in r if _BLOCK.search(t)) >= 2)
    hdr = rows[hi][1]
    starts = [j for j, t in enumerate(hdr) if _BLOCK.search(t)]
    ends = [*starts[1:], grid.width]
    value_cols = [e - 1 for e in ends]
    key = sdef.parts[0].columns[0][0]
    parts = [
        {
            "part": f"b{b}",
            "row_no": None,
            "columns": [{"key": key, "source": f"g{v}", "name": _cell(hdr, v)}],
        }
        for b, v in enumerate(value_cols, start=1)
    ]
    out_rows: list[dict[str, Any]] = []
    for rid, r in rows[hi + 1 :]:
        if rid is None:
            continue
        labels = [j for j, t in enumerate(r) if _TOTAL.search(t.strip())]
        if labels:  # 人员经费合计 / 公用经费合计: the value after each label, in its block
            for j in labels:
                v = next((x for x in range(j + 1, len(r)) if _cell(r, x)), None)
                if v in value_cols:
                    b = value_cols.index(v) + 1
                    out_rows.append(
                        {
                            "source": rid,
                            "part": f"b{b}",
                            "name": _cell(r, j),
                            "total": True,
                            "values": {key: _cell(r, v)},
                        }
                    )
            continue
        for b, (s, v) in enumerate(zip(starts, value_cols, strict=True), start=1):
            code = _cell(r, s) if _CODE.match(_cell(r, s)) else None
            name = _cell(r, s + 1) or None
            value = _cell(r, v) if _is_amount(_cell(r, v)) else None
            if code or name or value:
                out_rows.append(
                    {
                        "source": rid,
                        "part": f"b{b}",
                        "code": code,
                        "name": name,
                        "values": {key: value},
                    }
                )
    return _answer(sdef, parts, out_rows)


def _sections(
    grid: Grid, rows: list[tuple[str | None, list[str]]], sdef: ShapedDef
) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    out_rows: list[dict[str, Any]] = []
    mapping: dict[str, int] = {}
    row_no: int | None = None
    current: str | None = None
    for rid, r in rows:
        texts = [t.strip() for t in r]
        filled = [t for t in texts if t]
        if len(filled) == 1 and _HEADING.match(filled[0]) and not _has_amounts(r):
            current = filled[0]
            parts.append({"part": current, "row_no": None, "columns": []})
            continue
        if not _has_amounts(r) and any(_LABEL.match(t) for t in texts):
            names = dict(enumerate(texts))
            row_no = next((j for j, t in names.items() if t == "行次"), None)
            label = next(j for j, t in names.items() if _LABEL.match(t))
            cols = [j for j, t in names.items() if t and j not in (label, row_no)]
            mapping = map_columns(names, cols, sdef.parts[0].columns, {})
        if current is None or rid is None or not mapping:
            continue
        part = parts[-1]
        if not part["columns"]:
            part["row_no"] = f"g{row_no}" if row_no is not None else None
            part["columns"] = [
                {"key": k, "source": f"g{j}", "name": texts[j] if j < len(texts) else ""}
                for k, j in mapping.items()
            ]
        name = next((t for t in texts if t and not _is_amount(t) and t != "行次"), None)
        values = {k: (_cell(r, j) if _is_amount(_cell(r, j)) else None) for k, j in mapping.items()}
        if name is not None and _LABEL.match(name):
            continue  # the section's header row
        if name or any(values.values()):
            out_rows.append({"source": rid, "part": current, "name": name, "values": values})
    return _answer(sdef, [p for p in parts if p["columns"]], out_rows)
