"""Deterministic mapper: a table region's grid -> a typed table, by header meaning.

Columns are matched to the definition by their header text (``ColumnDef.names``/``under``);
the printed 栏次 is only a tie-breaker. Value cells are placed by the header; a row whose
cells do not line up with the header (a lost or extra empty cell) is realigned when the
arithmetic of its row identities says so, and marked ``realigned`` (SPEC.md §3 layout traps).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from extractor.definitions import TableDef
from extractor.extract.coded import map_function_coded
from extractor.extract.common import MapContext
from extractor.extract.layout_names import Layout
from extractor.extract.layouts import (
    map_economic_blocks,
    map_generic,
    map_sectioned,
    map_single_row,
    map_two_sided,
)
from extractor.extract.listing import map_listing
from extractor.extract.meaning import assign_roles
from extractor.layout.grid import (
    cell,
    has_amounts,
    is_amount_cell,
    is_code,
    norm,
    side_heads,
)
from extractor.layout.tables import align_columns, content
from extractor.model import (
    Region,
    SourceRow,
    Table,
)

Mapper = Callable[[Region, TableDef | None, MapContext], Table]

# one mapper per layout name (extract/layout_names.py; tests/test_registry.py checks both match)
MAPPERS: Mapping[Layout, Mapper] = MappingProxyType(
    {
        "function_coded": map_function_coded,
        "two_sided": map_two_sided,
        "economic_blocks": map_economic_blocks,
        "single_row": map_single_row,
        "sectioned": map_sectioned,
        "listing": map_listing,
        "generic": map_generic,
    }
)


def _two_sided_header(rows: Sequence[SourceRow]) -> bool:
    return any(len(side_heads(r)) >= 2 for r in rows[:6])


def _single_row(rows: Sequence[SourceRow]) -> bool:
    data = [r for r in rows if has_amounts(r)]
    return 0 < len(data) <= 3 and all(is_amount_cell(cell(r, 0)) for r in data)


def _map_one(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    """Map one region with the mapper its definition's layout names; an unknown table by the
    structure it shows (coded rows, two sides, one row of values, or generic)."""
    if tdef is not None:
        return MAPPERS[tdef.layout](region, tdef, ctx)
    rows = region.rows
    if _two_sided_header(rows):
        return map_two_sided(region, None, ctx)
    if _single_row(rows):
        return map_single_row(region, None, ctx)
    coded_header = any(re.search(r"科目(编码|代码)$", norm(t)) for r in rows[:5] for t in r.texts)
    if coded_header or any(is_code(cell(r, 0)) for r in rows):
        return map_function_coded(region, None, ctx)
    return map_generic(region, None, ctx)


def map_region(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    """Map a table and its continuation parts (each against its own repeated header); the
    parts' rows follow the first part's, section by section."""
    if region.continuations and tdef is not None and tdef.layout == "economic_blocks":
        # blocks side by side read block by block across all pages: one grid, the parts'
        # repeated headers dropped
        header = {content(r) for r in region.rows[:8]}
        rows = list(region.rows)
        for part in region.continuations:
            i = 0
            while i < len(part.rows) and content(part.rows[i]) in header:
                i += 1
            rows.extend(align_columns(rows, part.rows[i:]))  # its page may grid otherwise
        region = replace(region, rows=rows, continuations=[])
    table = _map_one(region, tdef, ctx)
    for part in region.continuations:
        more = _map_one(part, tdef, ctx)
        table.rows.extend(more.rows)
        if table.layout == "sectioned":
            # a part opens in the middle of a section (no heading): it goes on with the last
            for sec in more.sections:
                if not sec.section and table.sections:
                    table.sections[-1].rows.extend(sec.rows)
                else:
                    table.sections.append(sec)
        else:  # the sides of a two-sided table: by key (a part may print one side), else in order
            keyed = {sec.key: sec for sec in table.sections if sec.key}
            if all(sec.key for sec in more.sections) and keyed:
                for sec in more.sections:
                    if sec.key in keyed:
                        keyed[sec.key].rows.extend(sec.rows)
                    else:
                        table.sections.append(sec)
            else:
                for mine, theirs in zip(table.sections, more.sections, strict=False):
                    mine.rows.extend(theirs.rows)
        table.source_lines.extend(more.source_lines)
    if region.continuations and tdef is not None:
        # a part mapped alone gave its rows the roles as if it were the whole table: the
        # roles are given again over the joined rows ("一般公共预算财政拨款" is inc1 on the
        # first page and the carry-over's first sub-row on the next)
        for sec in table.sections:
            sdef = next((d for d in tdef.sections if d.key == sec.key), None)
            role_defs = sdef.rows if sdef is not None else tdef.rows
            if role_defs:
                for row in sec.rows:
                    row.role = None
                assign_roles(sec.rows, role_defs, ctx.definitions)
    if region.continuations:
        has_data = any(v is not None for r in table.rows for v in r.values) or any(
            v is not None for s in table.sections for r in s.rows for v in r.values
        )
        table.empty = not has_data
    return table
