"""Function-coded tables (02/03/05/07/08 and the like): code cells, header levels, 合计 rows
printed on the 栏次 line or merged over code and name, rows realigned by their arithmetic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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

_CODE_AND_NAME = re.compile(r"^(\d{3}(?:\d{2}){0,2})\s+(\D.*)$")
LabelKind = str  # "label" (code parts or name), "unit_code", "unit_name"


def label_kinds(paths: Sequence[tuple[str, ...]], first_value: int) -> list[LabelKind]:
    """What each label column holds, by its header: the 单位代码 and 单位名称 of per-unit rows,
    or a code/name label."""
    out: list[LabelKind] = []
    for j in range(first_value):
        text = "".join(paths[j]) if j < len(paths) else ""
        out.append(
            "unit_code" if "单位代码" in text else "unit_name" if "单位名称" in text else "label"
        )
    if "label" not in out:
        # only unit columns (部门收入总表): they are the row's code and name
        out = ["label"] * len(out)
    return out


@dataclass(frozen=True)
class RowLabels:
    code: str | None = None
    code_as_printed: str | None = None
    name: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None


def _code_cells(row: SourceRow, kinds: Sequence[LabelKind] | int) -> RowLabels:
    """Code, printed code, name and unit fields from the label cells of a coded row."""
    if isinstance(kinds, int):
        kinds = ["label"] * kinds
    labels = [cell(row, j).strip() for j, k in enumerate(kinds) if k == "label"]
    unit_code = next((norm(cell(row, j)) for j, k in enumerate(kinds) if k == "unit_code"), None)
    unit_name = next((norm(cell(row, j)) for j, k in enumerate(kinds) if k == "unit_name"), None)
    joined = _CODE_AND_NAME.match(labels[0]) if labels else None
    if joined is not None:
        # code and name in one cell ("2130104 事业运行"): their rule was not printed. The
        # label cells after it hold no code or name; an amount there is a value moved into
        # the name column (the row lacks that cell), never part of the name or the code
        rest = [t for t in labels[1:] if not is_amount_cell(t)]
        labels = [joined.group(1), joined.group(2), *rest]
    parts = [t for t in labels if t and (is_code(t) or is_code_part(t))]
    names = [t for t in labels if t and not (is_code(t) or is_code_part(t))]
    name = norm(" ".join(names)) if names else None
    code = printed = None
    if len(parts) == 1:
        code = norm(parts[0])
    elif parts:
        code, printed = "".join(norm(p) for p in parts), " ".join(norm(p) for p in parts)
    return RowLabels(code, printed, name, unit_code or None, unit_name or None)


def _is_coded_data(row: SourceRow) -> bool:
    first = [t for t in row.texts[:4] if t.strip()]
    if not first or (not row.texts[0].strip() and not cell(row, 1).strip()):
        return has_amounts(row)  # an unlabelled row of values (its label sits on another line)
    f = norm(first[0])
    if is_code(f) or (is_code_part(f) and len(first) > 1 and is_code_part(first[1])):
        return True
    if _CODE_AND_NAME.match(first[0].strip()):
        return True
    return bool(TOTAL_RE.match(f)) and has_amounts(row, 1)


def _printed_as_none(row: SourceRow, first_value: int) -> bool:
    labels = [norm(cell(row, j)) for j in range(min(first_value + 1, len(row.cells)))]
    return "无" in labels and not has_amounts(row, first_value + 1)


def _level(code: str | None) -> str | None:
    return {3: "类", 5: "款", 7: "项"}.get(len(code)) if code else None


def _row_identity_score(
    values: list[str | None], keys: list[str | None], ids: Sequence[IdentityDef]
) -> int:
    """How many of the row identities hold exactly-or-within-rounding with these values."""
    col = {k: v for k, v in zip(keys, values, strict=False) if k}
    return sum(1 for i in ids if i.kind == "row" and row_identity_holds(i.expr, col))


def _label_end(row: SourceRow) -> int | None:
    """Index of the last label (text) cell before the row's first amount; None if none.
    Code cells before the name ("208" "28" "50", a 单位代码) are labels, not amounts."""
    last = None
    for j, c in enumerate(row.cells):
        t = c.text.strip()
        if not t:
            continue
        if is_amount_cell(t):
            if last is None and (is_code(t) or is_code_part(t)):
                continue  # a code part, before the name
            break
        last = j
    return last


def _label_overflow(rows: Sequence[SourceRow], first_value: int) -> int:
    """How far every labelled data row's labels reach past the header's label columns (a
    header printed one cell left of its grid); 0 unless all such rows agree."""
    reach = {
        end - (first_value - 1)
        for r in rows
        if has_amounts(r) and (end := _label_end(r)) is not None
    }
    if len(reach) == 1:
        d = reach.pop()
        return d if 0 < d <= 2 else 0
    return 0


def _drop_leading(row: SourceRow, first_value: int) -> tuple[SourceRow, int]:
    """A row printed with extra empty cells before its labels, whose labels therefore reach
    into the value columns: those leading cells dropped, and how many."""
    end = _label_end(row)
    if end is None or end < first_value or not has_amounts(row):
        return row, 0
    k = end - (first_value - 1)
    if any(c.text.strip() for c in row.cells[:k]):
        return row, 0
    return SourceRow(row.cells[k:], tabbed=True, line=row.line, page=row.page), k


def _insert_blank(row: SourceRow, at: int) -> SourceRow:
    blank = SourceCell("", line=row.line, page=row.page)
    cells = (*row.cells[:at], blank, *row.cells[at:])
    return SourceRow(cells, tabbed=True, line=row.line, page=row.page)


def _align_values(
    row: SourceRow,
    first_value: int,
    header: Sequence[HeaderColumn],
    keys: list[str | None],
    ids: Sequence[IdentityDef],
    width: int = 0,
    dropped: int = 0,
) -> tuple[list[str | None], list[Cell], str | None]:
    """Values of a data row under the header; realigned by arithmetic when cells are off.

    A row shorter than the grid lost empty cells: one empty cell is put back inside a run of
    empty cells where the row identities then hold (the earliest such place on a tie). A row
    that had ``dropped`` extra leading cells removed gets them back that way in any case."""
    positions = [h.position for h in header]
    vals, cells = cell_values(row, positions)
    expected = max(width, positions[-1] + 1 if positions else 0)
    n_ids = sum(1 for i in ids if i.kind == "row")
    base = _row_identity_score(vals, keys, ids)
    if len(row.cells) < expected and (dropped or (n_ids and base < n_ids)):
        best: tuple[int, int] | None = None
        for at in range(first_value, len(row.cells) + 1):
            # a lost cell was an empty one: only inside or beside a run of empty cells
            if not (
                (at < len(row.cells) and not cell(row, at).strip())
                or (at > first_value and not cell(row, at - 1).strip())
            ):
                continue
            cand_vals, _ = cell_values(_insert_blank(row, at), positions)
            score = _row_identity_score(cand_vals, keys, ids)
            if best is None or score > best[0]:
                best = (score, at)
        if best is not None and (dropped or best[0] > base):
            fixed = _insert_blank(row, best[1])
            new_vals, new_cells = cell_values(fixed, positions)
            if new_vals != vals or dropped:
                new_cells = [c.model_copy(update={"status": "realigned"}) for c in new_cells]
                what = f"{dropped} extra leading cell(s) dropped and " if dropped else ""
                note = (
                    f"realigned: {what}one lost empty cell restored before cell {best[1] + 1}"
                    " (header and row arithmetic)"
                )
                return new_vals, new_cells, note
            return vals, cells, None
    if dropped:
        cells = [c.model_copy(update={"status": "realigned"}) for c in cells]
        return vals, cells, f"realigned: {dropped} extra leading cell(s) dropped"
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
    if n_ids == 0 or (base == n_ids and not has_extra_values):
        return vals, cells, None
    best_shift = (base, 0)
    for shift in (-1, 1, -2, 2):
        shifted = [
            p + shift if p + shift >= first_value - (1 if shift < 0 else 0) else None
            for p in positions
        ]
        cand_vals, _ = cell_values(row, shifted)
        # a shift may only move over empty cells: it must not drop a printed amount
        dropped_amounts = [
            j
            for j in range(first_value, len(row.cells))
            if j not in shifted and is_amount_cell(cell(row, j))
        ]
        if dropped_amounts:
            continue
        score = _row_identity_score(cand_vals, keys, ids)
        if score > best_shift[0]:
            best_shift = (score, shift)
    if best_shift[1] == 0:
        return vals, cells, None
    shift = best_shift[1]
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
    # the grid's width as the header rows print it (a data row may carry an extra cell)
    header_width = grid_width(rows[:first_data]) if first_data else width
    kinds = label_kinds(paths, first_value)
    if lanci is None:
        # no 栏次 row anchors the header: when every data row's labels reach into its first
        # value column, the header was printed left of its grid
        d = _label_overflow(rows[first_data:], first_value)
        if d:
            header = [HeaderColumn(h.position + d, h.path, h.col_no) for h in header]
            kinds = [*kinds, *(["label"] * d)]
            first_value += d
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
        row_src, dropped = _drop_leading(row_src, first_value)
        labels = _code_cells(row_src, kinds)
        code, code_printed, name = labels.code, labels.code_as_printed, labels.name
        if _printed_as_none(row_src, first_value):
            continue  # "无" in the label cells and no value: the table has no data
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
        vals, cells_out, note = _align_values(
            row_src, first_value, header, keys, ids, width=header_width, dropped=dropped
        )
        out_rows.append(
            Row(
                code=code,
                code_as_printed=code_printed,
                level=level,
                name=name,
                unit_code=labels.unit_code,
                unit_name=labels.unit_name,
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
