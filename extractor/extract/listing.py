"""Listing tables: one row per unit, project or spending direction, a few amount columns and
text columns beside them (绩效申报表, 绩效目标表, 项目支出明细 of some regions). The
definition names the amount columns; label columns (单位名称, 项目名称, 专项名称) come from the
header; everything else is text, kept in ``texts``."""

from __future__ import annotations

import re

from extractor.definitions import TableDef
from extractor.extract.common import MapContext, cell_values, grid_width, make_table
from extractor.extract.meaning import assign_columns, to_columns
from extractor.layout.grid import (
    TOTAL_RE,
    HeaderColumn,
    cell,
    header_paths,
    is_amount_cell,
    is_lanci_row,
    label,
    norm,
)
from extractor.model import Region, Row, SourceRow, Table

_LABEL_COLUMN = re.compile(r"(单位|项目|专项|支出|资金)名称$|^名称$")


def _is_total(row: SourceRow, first: int) -> bool:
    return any(TOTAL_RE.match(label(cell(row, j))) for j in range(first))


def map_listing(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    rows = [r for r in region.rows if not is_lanci_row(r)]
    width = max(grid_width(rows), 1)
    # the header: rows before the first row that prints an amount or a 合计 label
    first_data = next(
        (
            i
            for i, r in enumerate(rows)
            if i > 0 and (any(is_amount_cell(t) for t in r.texts) or _is_total(r, 1))
        ),
        len(rows),
    )
    paths = header_paths(rows[:first_data], width)
    header = [HeaderColumn(j, paths[j], None) for j in range(width) if paths[j]]
    keys = assign_columns(header, tdef.columns) if tdef else {}
    values = [h for h in header if h.position in keys]
    labels = [
        h.position
        for h in header
        if h.position not in keys and _LABEL_COLUMN.search(h.leaf)
    ]
    texts = [h for h in header if h.position not in keys and h.position not in labels]
    name_pos = labels[-1] if labels else 0
    unit_pos = next((j for j in labels if "单位名称" in "".join(paths[j])), None)
    out_rows: list[Row] = []
    for r in rows[first_data:]:
        if r.is_blank():
            continue
        first_value = min((h.position for h in values), default=width)
        if _is_total(r, max(name_pos + 1, 1)) or _is_total(r, first_value):
            name: str | None = "合计" if "合计" in "".join(r.texts[:first_value]) else "总计"
            level: str | None = "total"
            unit = None
        else:
            name = norm(cell(r, name_pos)) or None
            level = None
            unit = norm(cell(r, unit_pos)) or None if unit_pos is not None else None
        vals, cells_out = cell_values(r, [h.position for h in values])
        row_texts = [norm(cell(r, h.position)) or None for h in texts]
        if name is None and all(v is None for v in vals) and not any(row_texts):
            continue
        out_rows.append(
            Row(
                name=name,
                level=level,
                unit_name=unit,
                values=vals,
                texts=row_texts if any(row_texts) else None,
                line=r.line,
                page=r.page,
                cells=cells_out,
            )
        )
    return make_table(region, tdef, "listing", columns=to_columns(values, keys), rows=out_rows)
