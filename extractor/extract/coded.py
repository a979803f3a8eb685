"""Function-coded tables (02/03/05/07/08 and the like): code cells, header levels, 合计 rows
printed on the 栏次 line or merged over code and name, rows realigned by their arithmetic."""

from __future__ import annotations

from collections.abc import Sequence

from extractor.definitions import IdentityDef, TableDef
from extractor.extract.common import (
    MapContext,
    cell_values,
    grid_width,
    make_table,
    row_key,
    split_header,
)
from extractor.extract.meaning import assign_columns, to_columns
from extractor.layout.grid import (
    TOTAL_RE,
    HeaderColumn,
    cell,
    has_amounts,
    header_paths,
    is_amount_cell,
    is_code,
    is_code_part,
    is_label_word,
    is_lanci_row,
    label,
    lanci_numbers,
    norm,
)
from extractor.model import (
    Cell,
    Region,
    Row,
    SourceCell,
    SourceRow,
    Table,
)
from extractor.verify.rules import row_identity_holds


def _code_cells(row: SourceRow, label_count: int) -> tuple[str | None, str | None, str | None]:
    """(code, code_as_printed, name) from the label cells of a coded row."""
    labels = [cell(row, j).strip() for j in range(label_count)]
    parts = [t for t in labels if t and (is_code(t) or is_code_part(t))]
    names = [t for t in labels if t and not (is_code(t) or is_code_part(t))]
    name = norm(" ".join(names)) if names else None
    if not parts:
        return None, None, name
    if len(parts) == 1:
        return norm(parts[0]), None, name
    return "".join(norm(p) for p in parts), " ".join(norm(p) for p in parts), name


def _is_coded_data(row: SourceRow) -> bool:
    first = [t for t in row.texts[:4] if t.strip()]
    if not first or (not row.texts[0].strip() and not cell(row, 1).strip()):
        return has_amounts(row)  # an unlabelled row of values (its label sits on another line)
    f = norm(first[0])
    if is_code(f) or (is_code_part(f) and len(first) > 1 and is_code_part(first[1])):
        return True
    return bool(TOTAL_RE.match(f)) and has_amounts(row, 1)


def _level(code: str | None) -> str | None:
    return {3: "类", 5: "款", 7: "项"}.get(len(code)) if code else None


def _row_identity_score(
    values: list[str | None], keys: list[str | None], ids: Sequence[IdentityDef]
) -> int:
    """How many of the row identities hold exactly-or-within-rounding with these values."""
    col = {k: v for k, v in zip(keys, values, strict=False) if k}
    return sum(1 for i in ids if i.kind == "row" and row_identity_holds(i.expr, col))


def _align_values(
    row: SourceRow,
    first_value: int,
    header: Sequence[HeaderColumn],
    keys: list[str | None],
    ids: Sequence[IdentityDef],
) -> tuple[list[str | None], list[Cell], str | None]:
    """Values of a data row under the header; realigned by arithmetic when cells are off."""
    positions = [h.position for h in header]
    vals, cells = cell_values(row, positions)
    if (
        row.cells
        and row.cells[-1].text.strip()
        and len(row.cells) < (positions[-1] + 1 if positions else 0)
    ):
        # the last printed cell is not under the last column: a cell was lost on this row
        cells = [
            c.model_copy(update={"status": "short_row"}) if c.status == "ok" else c for c in cells
        ]
    extra = [j for j in range(len(row.cells)) if j >= first_value and j not in positions]
    has_extra_values = any(is_amount_cell(cell(row, j)) for j in extra)
    base = _row_identity_score(vals, keys, ids)
    n_ids = sum(1 for i in ids if i.kind == "row")
    if n_ids == 0 or (base == n_ids and not has_extra_values):
        return vals, cells, None
    best = (base, 0)
    for shift in (-1, 1, -2, 2):
        shifted = [
            p + shift if p + shift >= first_value - (1 if shift < 0 else 0) else None
            for p in positions
        ]
        cand_vals, _ = cell_values(row, shifted)
        # a shift may only move over empty cells: it must not drop a printed amount
        dropped = [
            j
            for j in range(first_value, len(row.cells))
            if j not in shifted and is_amount_cell(cell(row, j))
        ]
        if dropped:
            continue
        score = _row_identity_score(cand_vals, keys, ids)
        if score > best[0]:
            best = (score, shift)
    if best[1] == 0:
        return vals, cells, None
    shift = best[1]
    shifted = [p + shift for p in positions]
    vals, cells = cell_values(row, shifted)
    cells = [c.model_copy(update={"status": "realigned"}) for c in cells]
    note = f"realigned: cells shifted {shift:+d} against the header, so the row identities hold"
    return vals, cells, note


def _header_spill(r: SourceRow) -> tuple[SourceRow, SourceRow] | None:
    """Split a 合计 row holding header words into (header part, total row with blanks)."""
    texts = [t.strip() for t in r.texts]
    words = [j for j, t in enumerate(texts) if j >= 1 and t and not is_amount_cell(t)]
    if not TOTAL_RE.match(label(texts[0])) or not words:
        return None
    blank = SourceCell("", line=r.line, page=r.page)
    head = tuple(c if j in words else blank for j, c in enumerate(r.cells))
    data = tuple(blank if j in words else c for j, c in enumerate(r.cells))
    return (
        SourceRow(head, tabbed=True, line=r.line, page=r.page),
        SourceRow(data, tabbed=True, line=r.line, page=r.page),
    )


def _unmerge_total(r: SourceRow, first_value: int, n_values: int) -> SourceRow:
    """合计 printed as one merged cell over code and name (one-cell-per-line layout): give
    the row the empty label cells it lacks, so its values sit under their headers."""
    if (
        first_value < 2
        or not TOTAL_RE.match(label(cell(r, 0)))
        or (cell(r, 1).strip() and not (is_amount_cell(cell(r, 1))))
    ):
        return r
    # one cell per line keeps every cell (no trailing blanks trimmed), so there the count
    # tells; in a TAB row a blank second cell is the (empty) name cell
    one_per_line = len({c.line for c in r.cells}) > 1
    merged = is_amount_cell(cell(r, 1)) or (
        one_per_line and len(r.cells) == first_value - 1 + n_values
    )
    if not merged:
        return r
    pad = tuple(
        SourceCell("", line=r.cells[0].line, page=r.cells[0].page) for _ in range(first_value - 1)
    )
    return SourceRow(cells=(r.cells[0], *pad, *r.cells[1:]), tabbed=True, line=r.line, page=r.page)


def map_function_coded(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    rows = list(region.rows)
    first_data, lanci = split_header(rows, _is_coded_data, total_is_data=True)
    head_rows = [r for i, r in enumerate(rows[:first_data]) if i != lanci]
    if first_data < len(rows) and not has_amounts(rows[first_data]):
        # some templates print the lowest header level inside the 合计 row (合计/基本支出/项目支出
        # under 本年支出): those words are header, the row's values are blank
        spill = _header_spill(rows[first_data])
        if spill is not None:
            head_rows.append(spill[0])
            rows[first_data] = spill[1]
    width = max(grid_width(rows[: first_data + 1]), 1)
    paths = header_paths(head_rows, width)
    # label positions: leading positions whose header is a label word (项目/科目编码/类/款/项…)
    first_value = 0
    for j, p in enumerate(paths):
        if not p or all(is_label_word(x) for x in p):
            first_value = j + 1
            continue
        break
    first_value = max(first_value, 1)
    lanci_no = lanci_numbers(rows[lanci]) if lanci is not None else {}
    header = [
        HeaderColumn(j, paths[j], lanci_no.get(j))
        for j in range(first_value, width)
        if paths[j] or j in lanci_no
    ]
    keys_by_pos = assign_columns(header, tdef.columns) if tdef else {}
    keys = [keys_by_pos.get(h.position) for h in header]
    ids = tdef.identities if tdef else []
    out_rows: list[Row] = []
    pending_total: SourceRow | None = None
    if lanci is not None and TOTAL_RE.match(label(cell(rows[lanci], 0))):
        pending_total = rows[lanci]  # "合计" printed on the 栏次 line, values on the next line
    repeated = {row_key(h) for h in head_rows}
    for r in rows[first_data:]:
        if is_lanci_row(r) or row_key(r) in repeated:
            continue  # header rows repeated on a continuation page
        row_src = _unmerge_total(r, first_value, len(header))
        code, code_printed, name = _code_cells(row_src, first_value)
        level = _level(code)
        total_label = name if name and TOTAL_RE.match(name) else None
        if code is None and total_label is None:
            if pending_total is not None and not name and has_amounts(r):
                total_label = norm(cell(pending_total, 0))
                pending_total = None
            elif not name and not has_amounts(r):
                continue
        if total_label is not None:
            level = "total"
            name = total_label
        vals, cells_out, note = _align_values(row_src, first_value, header, keys, ids)
        out_rows.append(
            Row(
                code=code,
                code_as_printed=code_printed,
                level=level,
                name=name,
                values=vals,
                line=r.line,
                page=r.page,
                note=note,
                cells=cells_out,
            )
        )
    return make_table(
        region, tdef, "function_coded", columns=to_columns(header, keys_by_pos), rows=out_rows
    )


# ---------------------------------------------------------------- two-sided tables
