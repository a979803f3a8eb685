"""Deterministic mapper: a table region's grid -> a typed table, by header meaning.

Columns are matched to the definition by their header text (``ColumnDef.names``/``under``);
the printed 栏次 is only a tie-breaker. Value cells are placed by the header; a row whose
cells do not line up with the header (a lost or extra empty cell) is realigned when the
arithmetic of its row identities says so, and marked ``realigned`` (SPEC.md §3 layout traps).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from extractor.definitions import ColumnDef, Definitions, IdentityDef, RowDef, TableDef
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
    source_cell,
    strip_numbering,
)
from extractor.model import (
    Cell,
    CellSource,
    Column,
    Region,
    Row,
    Section,
    SourceCell,
    SourceRow,
    Table,
)
from extractor.numbers import AmountKind, fold_variants, parse_amount

LOW_CONFIDENCE = 0.8  # OCR confidence below which a cell is flagged for review
_ORIGIN = {"text": CellSource.TEXT, "pdf": CellSource.PDF, "ocr": CellSource.OCR}
_EMPTY_NOTE = re.compile(r"无数据|本表为空|^无$|没有.*(收入|支出|数据)")


@dataclass
class MapContext:
    definitions: Definitions


# ---------------------------------------------------------------- cells and values


_NOT_PRINTED = {"无", "无数据", "/", "／"}


def _value_and_cell(row: SourceRow, j: int | None) -> tuple[str | None, Cell]:
    """The value of one cell and its provenance. Text that is not an amount in a value cell
    keeps value None and is marked ``unparsed`` (never silently a blank)."""
    sc = source_cell(row, j) if j is not None else None
    if sc is None:
        return None, Cell(raw=None, line=row.line, page=row.page)
    amount = parse_amount(sc.text)
    status: Literal["ok", "low_confidence", "unparsed"] = "ok"
    if amount is None:
        value: str | None = None
        if norm(sc.text) not in _NOT_PRINTED:
            status = "unparsed"
    elif amount.kind is AmountKind.BLANK:
        value = None
    else:
        value = amount.text
    if status == "ok" and sc.confidence is not None and sc.confidence < LOW_CONFIDENCE:
        status = "low_confidence"
    return value, Cell(
        raw=sc.text,
        line=sc.line,
        page=sc.page,
        bbox=sc.bbox,
        source=_ORIGIN.get(sc.origin, CellSource.TEXT),
        confidence=sc.confidence,
        status=status,
    )


def _values(row: SourceRow, positions: Sequence[int | None]) -> tuple[list[str | None], list[Cell]]:
    vals: list[str | None] = []
    cells: list[Cell] = []
    for j in positions:
        v, c = _value_and_cell(row, j)
        vals.append(v)
        cells.append(c)
    return vals, cells


# ---------------------------------------------------------------- columns


def assign_columns(header: Sequence[HeaderColumn], defs: Sequence[ColumnDef]) -> dict[int, str]:
    """Header position -> definition column key, by meaning first and 栏次 second."""
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


def _columns(header: Sequence[HeaderColumn], keys: dict[int, str]) -> list[Column]:
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


def split_header(
    rows: Sequence[SourceRow], is_data: Callable[[SourceRow], bool], *, total_is_data: bool = False
) -> tuple[int, int | None]:
    """Index of the first data row and of the 栏次 row (None if none) among ``rows``.
    With ``total_is_data`` a row labelled 合计 is data even with no amount in it."""
    lanci: int | None = None
    for i, r in enumerate(rows):
        if is_lanci_row(r):
            lanci = i
            continue
        if is_data(r):
            return i, lanci
        if (lanci is not None or total_is_data) and TOTAL_RE.match(label(cell(r, 0))):
            return i, lanci  # a 合计 row printed with every value blank
    return len(rows), lanci


def _width(rows: Sequence[SourceRow]) -> int:
    return max((len(r.cells) for r in rows), default=0)


# ---------------------------------------------------------------- function-coded tables


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
    from extractor.verify.rules import row_identity_holds

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
    vals, cells = _values(row, positions)
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
        cand_vals, _ = _values(row, shifted)
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
    vals, cells = _values(row, shifted)
    cells = [c.model_copy(update={"status": "realigned"}) for c in cells]
    note = f"realigned: cells shifted {shift:+d} against the header, so the row identities hold"
    return vals, cells, note


def _row_key(r: SourceRow) -> tuple[str, ...]:
    texts = [norm(t) for t in r.texts]
    while texts and not texts[-1]:
        texts.pop()
    return tuple(texts)


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
    width = max(_width(rows[: first_data + 1]), 1)
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
    repeated = {_row_key(h) for h in head_rows}
    for r in rows[first_data:]:
        if is_lanci_row(r) or _row_key(r) in repeated:
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
    return _table(
        region, tdef, "function_coded", columns=_columns(header, keys_by_pos), rows=out_rows
    )


# ---------------------------------------------------------------- two-sided tables


def map_two_sided(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    rows = region.rows
    hdr_i = next(
        (
            i
            for i, r in enumerate(rows)
            if sum(1 for t in r.texts if norm(t) in ("项目", "项目(科目)")) >= 2
        ),
        None,
    )
    if hdr_i is None:
        return map_generic(region, tdef, ctx)
    hdr = rows[hdr_i]
    starts = [j for j, t in enumerate(hdr.texts) if norm(t) in ("项目", "项目(科目)")]
    width = _width(rows)
    top = rows[hdr_i - 1] if hdr_i > 0 else None
    lanci_i = next(
        (
            i
            for i in range(hdr_i + 1, min(hdr_i + 3, len(rows)))
            if norm(cell(rows[i], 0)).startswith("栏次") or is_lanci_row(rows[i])
        ),
        None,
    )
    lanci_no = lanci_numbers(rows[lanci_i]) if lanci_i is not None else {}
    data = rows[(lanci_i if lanci_i is not None else hdr_i) + 1 :]
    sdefs = tdef.sections if tdef else []
    sections: list[Section] = []
    for s, start in enumerate(starts):
        end = starts[s + 1] if s + 1 < len(starts) else width
        rowno_pos = next((j for j in range(start + 1, end) if norm(cell(hdr, j)) == "行次"), None)
        value_pos = [
            j
            for j in range(start + 1, end)
            if j != rowno_pos and (norm(cell(hdr, j)) or j in lanci_no)
        ]
        header = [HeaderColumn(j, (norm(cell(hdr, j)),), lanci_no.get(j)) for j in value_pos]
        title = norm(cell(top, start)) if top is not None else ""
        sdef = next((d for d in sdefs if title and any(re.search(p, title) for p in d.names)), None)
        if sdef is None and s < len(sdefs):
            sdef = sdefs[s]
        keys = assign_columns(header, sdef.columns) if sdef else {}
        out_rows: list[Row] = []
        for r in data:
            name = norm(cell(r, start)) or None
            rn = norm(cell(r, rowno_pos)) if rowno_pos is not None else ""
            row_no = int(rn) if rn.isdigit() else None
            vals, cells_out = _values(r, value_pos)
            if name is None and row_no is None and all(v is None for v in vals):
                continue
            out_rows.append(
                Row(
                    row_no=row_no, name=name, values=vals, line=r.line, page=r.page, cells=cells_out
                )
            )
        if sdef is not None:
            assign_roles(out_rows, sdef.rows, ctx.definitions)
        sections.append(
            Section(
                section=title or (sdef.names[0] if sdef else f"section {s + 1}"),
                key=sdef.key if sdef else None,
                columns=_columns(header, keys),
                rows=out_rows,
            )
        )
    return _table(region, tdef, "two_sided", sections=sections)


# ---------------------------------------------------------------- economic blocks (06)


def map_economic_blocks(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    rows = region.rows
    hdr_i = next(
        (
            i
            for i, r in enumerate(rows)
            if sum(1 for t in r.texts if re.search(r"(编码|代码)$", norm(t))) >= 2
        ),
        None,
    )
    if hdr_i is None:
        return map_function_coded(region, tdef, ctx)
    hdr = rows[hdr_i]
    starts = [j for j, t in enumerate(hdr.texts) if re.search(r"(编码|代码)$", norm(t))]
    bw = starts[1] - starts[0] if len(starts) > 1 else 3
    value_name = norm(cell(hdr, starts[0] + bw - 1)) or "决算数"
    role_defs = tdef.rows if tdef else []
    blocks: list[list[Row]] = [[] for _ in starts]
    totals: list[Row] = []
    for r in rows[hdr_i + 1 :]:
        labels = [
            (j, norm(t))
            for j, t in enumerate(r.texts)
            if norm(t) and any(re.search(p, norm(t)) for d in role_defs for p in d.names)
        ]
        if labels:
            for k, (j, name) in enumerate(labels):
                stop = labels[k + 1][0] if k + 1 < len(labels) else len(r.cells)
                vj = next((x for x in range(j + 1, stop) if cell(r, x).strip()), None)
                vals, cells_out = _values(r, [vj])
                b = max((bi for bi, s in enumerate(starts) if s <= j), default=0) + 1
                block: int | str = (
                    b if k + 1 < len(labels) or b == len(starts) else f"{b}-{len(starts)}"
                )
                if k + 1 == len(labels) and b < len(starts):
                    block = f"{b}-{len(starts)}"
                totals.append(
                    Row(
                        name=name,
                        values=vals,
                        block=block,
                        line=r.line,
                        page=r.page,
                        cells=cells_out,
                    )
                )
            continue
        for bi, s in enumerate(starts):
            code = norm(cell(r, s)) or None
            item = norm(cell(r, s + 1)) or None
            vals, cells_out = _values(r, [s + bw - 1])
            if (
                code is None
                and item is None
                and vals[0] is None
                and not cell(r, s + bw - 1).strip()
            ):
                continue
            blocks[bi].append(
                Row(
                    code=code,
                    name=item,
                    values=vals,
                    block=bi + 1,
                    line=r.line,
                    page=r.page,
                    cells=cells_out,
                )
            )
    out_rows = [row for b in blocks for row in b] + totals
    if role_defs:
        assign_roles(totals, role_defs, ctx.definitions)
    cols = [
        Column(
            col_no=None, name=value_name, key=tdef.columns[0].key if tdef and tdef.columns else None
        )
    ]
    layout = f"economic_{len(starts)}_blocks" if len(starts) > 1 else "economic_coded"
    return _table(region, tdef, layout, columns=cols, rows=out_rows)


# ---------------------------------------------------------------- single row (09)


def map_single_row(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    rows = region.rows
    lanci = next((i for i, r in enumerate(rows) if is_lanci_row(r)), None)
    if lanci is not None:
        head_rows, data = list(rows[:lanci]), rows[lanci + 1 :]
    else:
        first = next((i for i, r in enumerate(rows) if has_amounts(r)), len(rows))
        head_rows, data = list(rows[:first]), rows[first:]
    width = max(_width(rows), 1)
    paths = header_paths(head_rows, width)
    lanci_no = lanci_numbers(rows[lanci]) if lanci is not None else {}
    header = [
        HeaderColumn(j, paths[j], lanci_no.get(j))
        for j in range(width)
        if paths[j] or j in lanci_no
    ]
    keys = assign_columns(header, tdef.columns) if tdef else {}
    out_rows: list[Row] = []
    for r in data:
        if not has_amounts(r) and not any(t.strip() for t in r.texts):
            continue
        vals, cells_out = _values(r, [h.position for h in header])
        out_rows.append(Row(values=vals, line=r.line, page=r.page, cells=cells_out))
    return _table(region, tdef, "single_row", columns=_columns(header, keys), rows=out_rows)


# ---------------------------------------------------------------- sectioned (10)

_SECTION_RE = re.compile(r"^[一二三四五六七八九十]+、")


def map_sectioned(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    """Sections headed "一、…", each with a 项目/行次/统计数 header (or the previous one's)."""
    sections: list[Section] = []
    name_pos, rowno_pos, value_pos = 0, 1, [2]
    header: list[HeaderColumn] = []
    cur: Section | None = None
    for r in region.rows:
        texts = [label(t) for t in r.texts]
        nonempty = [t for t in texts if t]
        if not nonempty:
            continue
        if len(nonempty) == 1 and _SECTION_RE.match(nonempty[0]) and not has_amounts(r):
            cur = Section(section=norm(next(t for t in r.texts if t.strip())), columns=[], rows=[])
            sections.append(cur)
            continue
        if not has_amounts(r) and any(t in ("项目", "指标") for t in texts):
            # the header may sit one column off the data (a centred 项目 over a narrow column)
            name_pos = texts.index("项目") if "项目" in texts else texts.index("指标")
            rowno_pos = texts.index("行次") if "行次" in texts else -1
            value_pos = [j for j, t in enumerate(texts) if t and j not in (name_pos, rowno_pos)]
            header = [HeaderColumn(j, (norm(cell(r, j)),), None) for j in value_pos]
            if cur is not None:
                cur.columns = _columns(header, assign_columns(header, tdef.columns) if tdef else {})
            continue
        if cur is None:
            cur = Section(section="", columns=[], rows=[])
            sections.append(cur)
        if not cur.columns and header:
            cur.columns = _columns(header, assign_columns(header, tdef.columns) if tdef else {})
        first_value = min(value_pos, default=len(texts))
        labels = [
            (j, t)
            for j, t in enumerate(r.texts[:first_value])
            if t.strip() and j != rowno_pos and not re.fullmatch(r"\d{1,3}", t.strip())
        ]
        numbers = [
            t.strip()
            for j, t in enumerate(r.texts[:first_value])
            if re.fullmatch(r"\d{1,3}", t.strip())
        ]
        rn = norm(cell(r, rowno_pos)) if rowno_pos >= 0 else ""
        if not rn.isdigit() and numbers:
            rn = numbers[-1]
        vals, cells_out = _values(r, value_pos)
        cur.rows.append(
            Row(
                row_no=int(rn) if rn.isdigit() else None,
                name=norm(" ".join(t for _, t in labels)) or None if labels else None,
                values=vals,
                line=r.line,
                page=r.page,
                cells=cells_out,
            )
        )
    if tdef is not None:
        for sec in sections:
            assign_roles(sec.rows, tdef.rows, ctx.definitions)
    return _table(region, tdef, "sectioned", sections=sections)


# ---------------------------------------------------------------- generic tables


def map_generic(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    """Any table: header rows until the first row with amounts; a name column and values
    (texts beside them for text cells)."""
    rows = region.rows
    first = next(
        (i for i, r in enumerate(rows) if has_amounts(r, 1) and not is_lanci_row(r)), len(rows)
    )
    head = [r for r in rows[:first] if not is_lanci_row(r)]
    width = max(_width(rows), 1)
    paths = header_paths(head, width) if head else [() for _ in range(width)]
    code_col = any(is_code(cell(r, 0)) for r in rows[first:])
    label_count = 2 if code_col else 1
    header = [
        HeaderColumn(j, paths[j] or (f"col{j + 1}",), None) for j in range(label_count, width)
    ]
    out_rows: list[Row] = []
    for r in rows[first:]:
        if is_lanci_row(r) or r.is_blank():
            continue
        code, _, name = (
            _code_cells(r, label_count) if code_col else (None, None, norm(cell(r, 0)) or None)
        )
        vals, cells_out = _values(r, [h.position for h in header])
        texts = [
            norm(cell(r, h.position)) if cell(r, h.position).strip() and v is None else None
            for h, v in zip(header, vals, strict=True)
        ]
        cells_out = [
            c.model_copy(update={"status": "ok"}) if c.status == "unparsed" else c
            for c in cells_out
        ]
        level = "total" if name and TOTAL_RE.match(name) else _level(code)
        out_rows.append(
            Row(
                code=code,
                level=level,
                name=name,
                values=vals,
                texts=texts if any(texts) else None,
                line=r.line,
                page=r.page,
                cells=cells_out,
            )
        )
    return _table(region, tdef, "generic", columns=_columns(header, {}), rows=out_rows)


# ---------------------------------------------------------------- dispatch


def _table(
    region: Region,
    tdef: TableDef | None,
    layout: str,
    *,
    columns: list[Column] | None = None,
    rows: list[Row] | None = None,
    sections: list[Section] | None = None,
) -> Table:
    rows = rows or []
    sections = sections or []
    all_rows = rows + [r for s in sections for r in s.rows]
    has_data = any(v is not None for r in all_rows for v in r.values)
    # a table with no value printed anywhere is empty (blank template, 本表无数据): a real table
    # of zeros, kept with its rows
    empty = not has_data
    return Table(
        table_id=region.table_id,
        definition=tdef.id if tdef else None,
        title=region.title,
        department_as_printed=region.department,
        unit=region.unit,
        year=region.year,
        layout=layout,
        columns=columns or [],
        rows=rows,
        sections=sections,
        empty=empty,
        notes=region.notes,
        source_lines=[(region.start_line, region.end_line)]
        if region.start_line is not None and region.end_line is not None
        else [],
        pages=region.pages,
        parts=region.parts,
    )


_MAPPERS = {
    "function_coded": map_function_coded,
    "two_sided": map_two_sided,
    "economic_blocks": map_economic_blocks,
    "single_row": map_single_row,
    "sectioned": map_sectioned,
    "generic": map_generic,
}


def _two_sided_header(rows: Sequence[SourceRow]) -> bool:
    return any(sum(1 for t in r.texts if norm(t) in ("项目", "项目(科目)")) >= 2 for r in rows[:6])


def _single_row(rows: Sequence[SourceRow]) -> bool:
    data = [r for r in rows if has_amounts(r)]
    return 0 < len(data) <= 3 and all(is_amount_cell(cell(r, 0)) for r in data)


def map_region(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    """Map one region with the mapper its definition's layout names; an unknown table by the
    structure it shows (coded rows, two sides, one row of values, or generic)."""
    if tdef is not None:
        return _MAPPERS[tdef.layout](region, tdef, ctx)
    rows = region.rows
    if _two_sided_header(rows):
        return map_two_sided(region, None, ctx)
    if _single_row(rows):
        return map_single_row(region, None, ctx)
    coded_header = any(re.search(r"科目(编码|代码)$", norm(t)) for r in rows[:5] for t in r.texts)
    if coded_header or any(is_code(cell(r, 0)) for r in rows):
        return map_function_coded(region, None, ctx)
    return map_generic(region, None, ctx)
