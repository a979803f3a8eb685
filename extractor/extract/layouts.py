"""The other layouts: two-sided summaries (01/04), economic blocks (06), single-row (09),
sectioned (10) and generic tables."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from extractor.definitions import Definitions, SectionDef, TableDef
from extractor.extract.coded import _code_cells, _level, map_function_coded
from extractor.extract.common import MapContext, cell_values, grid_width, make_table
from extractor.extract.meaning import assign_columns, assign_roles, to_columns
from extractor.layout.grid import (
    TOTAL_RE,
    HeaderColumn,
    cell,
    has_amounts,
    header_paths,
    is_amount_cell,
    is_code,
    is_label_word,
    is_lanci_row,
    is_row_number_column,
    label,
    lanci_numbers,
    norm,
    side_heads,
)
from extractor.model import (
    Column,
    Region,
    Row,
    Section,
    SourceRow,
    Table,
)
from extractor.numbers import small_int


@dataclass
class _SideBlock:
    """One header row of a two-sided table and the rows under it: the sides side by side
    (several starts in one header), or one side of sides stacked one below the other."""

    hdr: SourceRow
    top: SourceRow | None  # the heading row above it (收入 | 支出)
    starts: list[int]
    data: list[SourceRow]
    lanci_no: dict[int, str]


def _lanci_after(rows: Sequence[SourceRow], i: int) -> int | None:
    return next(
        (
            k
            for k in range(i + 1, min(i + 3, len(rows)))
            if norm(cell(rows[k], 0)).startswith("栏次") or is_lanci_row(rows[k])
        ),
        None,
    )


def _is_heading_row(row: SourceRow) -> bool:
    return len([t for t in row.texts if t.strip()]) == 1 and not has_amounts(row)


def _side_blocks(rows: Sequence[SourceRow], least: int = 2) -> list[_SideBlock]:
    """The header rows of a two-sided table: one with two side headings (项目 … 项目), or,
    with the sides stacked, one per side (收入 / 项目 行次 金额 … then 支出 / 项目 …)."""
    hdr_i = next((i for i, r in enumerate(rows) if len(side_heads(r)) >= 2), None)
    heads = [hdr_i] if hdr_i is not None else []
    if not heads:
        heads = [i for i, r in enumerate(rows) if side_heads(r) and not has_amounts(r)]
        if len(heads) < least:
            return []
    blocks: list[_SideBlock] = []
    for n, i in enumerate(heads):
        lanci_i = _lanci_after(rows, i)
        stop = heads[n + 1] if n + 1 < len(heads) else len(rows)
        if n + 1 < len(heads) and stop > 0 and _is_heading_row(rows[stop - 1]):
            stop -= 1  # the next side's heading row
        top = rows[i - 1] if i > 0 else None
        blocks.append(
            _SideBlock(
                hdr=rows[i],
                top=top,
                starts=side_heads(rows[i]),
                data=list(rows[(lanci_i if lanci_i is not None else i) + 1 : stop]),
                lanci_no=lanci_numbers(rows[lanci_i]) if lanci_i is not None else {},
            )
        )
    return blocks


def _roles_matched(rows: Sequence[Row], sdef: SectionDef, definitions: Definitions) -> int:
    trial = [r.model_copy() for r in rows]
    assign_roles(trial, sdef.rows, definitions)
    return sum(1 for r in trial if r.role)


def names_a_side(text: str, sdefs: Sequence[SectionDef], prefix: int = 0) -> bool:
    """``text`` is the heading of one of the sides ``sdefs`` (收入, 支出), after at most
    ``prefix`` characters of its own (本年支出, 财政拨款支出)."""
    lead = rf"[\u4e00-\u9fff]{{0,{prefix}}}?" if prefix else ""
    return any(re.fullmatch(f"{lead}(?:{p})", text) for d in sdefs for p in d.names)


def _drop_next_side_heading(block: _SideBlock, sdefs: Sequence[SectionDef]) -> None:
    """Stacked sides split over pages: the next side's heading (支出) can close the page of
    the side before, its header following on the next page. That heading is no row."""
    last = block.data[-1] if block.data else None
    if last is None or not _is_heading_row(last):
        return
    if names_a_side(norm(next(t for t in last.texts if t.strip())), sdefs):
        block.data.pop()


def map_two_sided(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    # a region identified as two-sided may hold one side only (a page part of stacked sides)
    blocks = _side_blocks(region.rows, 1 if tdef is not None and tdef.sections else 2)
    if not blocks:
        return map_generic(region, tdef, ctx)
    width = grid_width(region.rows)
    sdefs = tdef.sections if tdef else []
    _drop_next_side_heading(blocks[-1], sdefs)
    sections: list[Section] = []
    for block in blocks:
        label_from = 0  # a row's label may sit left of the header's 项目 (unruled jitter)
        for s, start in enumerate(block.starts):
            end = block.starts[s + 1] if s + 1 < len(block.starts) else width
            section, label_from = _read_side(
                block, start, end, label_from, sdefs, sections, ctx.definitions
            )
            if section.key is not None:
                sdef = next(d for d in sdefs if d.key == section.key)
                assign_roles(section.rows, sdef.rows, ctx.definitions)
            sections.append(section)
    return make_table(region, tdef, "two_sided", sections=sections)


def _read_side(
    block: _SideBlock,
    start: int,
    end: int,
    label_from: int,
    sdefs: Sequence[SectionDef],
    sections: Sequence[Section],
    definitions: Definitions,
) -> tuple[Section, int]:
    """One side (columns start..end of a header block) as a section, and where the next
    side's labels may begin."""
    hdr, data, lanci_no = block.hdr, block.data, block.lanci_no
    rowno_pos = next((j for j in range(start + 1, end) if label(cell(hdr, j)) == "行次"), None)
    if rowno_pos is None:  # 行次 printed without its heading: numbers 1, 2, 3 … down
        rowno_pos = next((j for j in range(start + 1, end) if is_row_number_column(data, j)), None)
    value_pos = [
        j for j in range(start + 1, end) if j != rowno_pos and (norm(cell(hdr, j)) or j in lanci_no)
    ]
    header = [HeaderColumn(j, (norm(cell(hdr, j)),), lanci_no.get(j)) for j in value_pos]
    top = block.top
    title = norm(cell(top, start)) if top is not None else ""
    if not title and top is not None and _is_heading_row(top):
        title = norm(next(t for t in top.texts if t.strip()))  # a stacked side's heading
    head = label(cell(hdr, start))
    taken = {sec.key for sec in sections}
    free = [d for d in sdefs if d.key not in taken]
    sdef = next(
        (d for d in free for t in (title, head) if t and any(re.search(p, t) for p in d.names)),
        None,
    )
    s = len(sections)
    out_rows: list[Row] = []
    first_value = min(value_pos, default=end)
    label_pos = [j for j in range(min(label_from, start), first_value) if j != rowno_pos]
    for r in data:
        name = norm(cell(r, start)) or (
            norm("".join(cell(r, j) for j in label_pos if not is_amount_cell(cell(r, j)))) or None
        )
        rn = norm(cell(r, rowno_pos)) if rowno_pos is not None else ""
        row_no = small_int(rn)
        vals, cells_out = cell_values(r, value_pos)
        if name is None and row_no is None and all(v is None for v in vals):
            continue
        out_rows.append(
            Row(row_no=row_no, name=name, values=vals, line=r.line, page=r.page, cells=cells_out)
        )
    while out_rows and _other_sides_heading(out_rows[-1], sdef, sdefs):
        out_rows.pop()  # the next side's heading, printed last on the page before it
    if sdef is None and len(free) > 1 and title == "":
        # no heading (a page part printing one side): the side whose rows its names name
        sdef = max(free, key=lambda d: _roles_matched(out_rows, d, definitions))
    elif sdef is None and s < len(sdefs) and sdefs[s].key not in taken:
        sdef = sdefs[s]
    keys = assign_columns(header, sdef.columns) if sdef else {}
    section = Section(
        section=title or (sdef.names[0] if sdef else f"section {s + 1}"),
        key=sdef.key if sdef else None,
        columns=to_columns(header, keys),
        rows=out_rows,
    )
    return section, max(value_pos, default=start) + 1


def _other_sides_heading(row: Row, sdef: SectionDef | None, sdefs: Sequence[SectionDef]) -> bool:
    """A row that is only the heading of another side (本年支出 under the last income row,
    when the sides are stacked and the expense side starts on the next page): no value, no
    行次, a name that is a short prefix and another side's name (收入, 支出)."""
    if sdef is None or not row.name or row.row_no is not None:
        return False  # a side not yet known could be the one the heading names
    if any(v is not None for v in row.values):
        return False
    return names_a_side(row.name, [d for d in sdefs if d.key != sdef.key], prefix=4)


# ---------------------------------------------------------------- economic blocks (06)


# a block's code heading; "科目代码 科目名称" in one cell when the rule between them is missing
_BLOCK_HEAD = re.compile(r"(编码|代码)(?:科目名称|名称)?$")
_INNER_CODE = re.compile(r"(?<![\d.])(3\d{2}(?:\d{2})?)(?![\d.])")
_CODE_NAME = re.compile(r"^(\d{3}(?:\d{2}){0,2})\s*(.*)$")


def _code_and_name(texts: list[str]) -> tuple[str | None, str | None]:
    """(code, name) from a block's label cells, splitting "301 工资福利支出" when the code and
    name cells came out as one."""
    parts = [norm(t) for t in texts if t.strip()]
    if not parts:
        return None, None
    m = _CODE_NAME.match(" ".join(t.strip() for t in texts if t.strip()))
    if m and (len(parts) > 1 or m.group(2)):
        return m.group(1), norm(m.group(2)) or None
    if is_code(parts[0]):
        return parts[0], norm("".join(parts[1:])) or None
    # a wrapped name whose lines straddle the code ("机关事业单位基本养30108老保险缴费")
    joined = "".join(parts)
    inner = _INNER_CODE.search(joined)
    if inner:
        return inner.group(1), norm(joined[: inner.start()] + joined[inner.end() :]) or None
    return None, norm(joined) or None


def map_economic_blocks(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    rows = region.rows
    hdr_i = next(
        (
            i
            for i, r in enumerate(rows)
            if sum(1 for t in r.texts if _BLOCK_HEAD.search(norm(t))) >= 2
        ),
        None,
    )
    if hdr_i is None:
        return map_function_coded(region, tdef, ctx)
    hdr = rows[hdr_i]
    starts = [j for j, t in enumerate(hdr.texts) if _BLOCK_HEAD.search(norm(t))]
    widths = [b - a for a, b in itertools.pairwise(starts)]
    widest = max(widths, default=3)
    # the last block runs to the end of the grid (its columns can be more than the others'
    # when their code and name cells came out as one)
    last = max(len([c for c in hdr.cells]), widest + starts[-1])
    value_name = norm(cell(hdr, starts[0] + (widths[0] if widths else 3) - 1)) or "决算数"
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
                vals, cells_out = cell_values(r, [vj])
                b = max((bi for bi, s in enumerate(starts) if s <= j), default=0) + 1
                # the last label (公用经费合计) covers its block and every block after it
                last_label = k + 1 == len(labels)
                block: int | str = f"{b}-{len(starts)}" if last_label and b < len(starts) else b
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
            # a block runs to the next block's start: its last cell is the value, the cells
            # before it code and name (one cell "301 工资福利支出" when their rule is missing)
            e = starts[bi + 1] if bi + 1 < len(starts) else min(s + max(widest, 3), last)
            code, item = _code_and_name([cell(r, j) for j in range(s, e - 1)])
            vals, cells_out = cell_values(r, [e - 1])
            if code is None and item is None and vals[0] is None and not cell(r, e - 1).strip():
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
    return make_table(region, tdef, layout, columns=cols, rows=out_rows)


# ---------------------------------------------------------------- single row (09)


def _blank_data_row(rows: Sequence[SourceRow], width: int) -> list[SourceRow]:
    """An empty table printed with its data row blank: that row (after every printed row,
    as wide as the header), else nothing."""
    last = rows[-1] if rows else None
    if last is None or width == 0 or not last.is_blank() or len(last.cells) < width:
        return []
    return [last]


def map_single_row(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    rows = region.rows
    lanci = next((i for i, r in enumerate(rows) if is_lanci_row(r)), None)
    if lanci is not None:
        head_rows, data = list(rows[:lanci]), rows[lanci + 1 :]
    else:
        first = next((i for i, r in enumerate(rows) if has_amounts(r)), len(rows))
        head_rows, data = list(rows[:first]), rows[first:]
    width = max(grid_width(rows), 1)
    paths = header_paths(head_rows, width)
    lanci_no = lanci_numbers(rows[lanci]) if lanci is not None else {}
    # leading label columns (单位名称 of a per-unit 三公 table) are not values
    first = 0
    while first < width and paths[first] and all(is_label_word(x) for x in paths[first]):
        first += 1
    header = [
        HeaderColumn(j, paths[j], lanci_no.get(j))
        for j in range(first, width)
        if paths[j] or j in lanci_no
    ]
    keys = assign_columns(header, tdef.columns) if tdef else {}
    out_rows: list[Row] = []
    printed = [r for r in data if has_amounts(r) or any(t.strip() for t in r.texts)]
    for r in printed or _blank_data_row(rows, len(header)):
        vals, cells_out = cell_values(r, [h.position for h in header])
        name = norm("".join(cell(r, j) for j in range(first))) or None
        out_rows.append(Row(name=name, values=vals, line=r.line, page=r.page, cells=cells_out))
    return make_table(region, tdef, "single_row", columns=to_columns(header, keys), rows=out_rows)


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
            # "行次" may come out wrapped, its first character on the line above
            rowno_pos = next((j for j, t in enumerate(texts) if t in ("行次", "次")), -1)
            value_pos = [j for j, t in enumerate(texts) if t and j not in (name_pos, rowno_pos)]
            header = [HeaderColumn(j, (norm(cell(r, j)),), None) for j in value_pos]
            if cur is not None:
                cur.columns = to_columns(
                    header, assign_columns(header, tdef.columns) if tdef else {}
                )
            continue
        if cur is None:
            cur = Section(section="", columns=[], rows=[])
            sections.append(cur)
        if not cur.columns and header:
            cur.columns = to_columns(header, assign_columns(header, tdef.columns) if tdef else {})
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
        vals, cells_out = cell_values(r, value_pos)
        cur.rows.append(
            Row(
                row_no=small_int(rn),
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
    return make_table(region, tdef, "sectioned", sections=sections)


# ---------------------------------------------------------------- generic tables


def map_generic(region: Region, tdef: TableDef | None, ctx: MapContext) -> Table:
    """Any table: header rows until the first row with amounts; a name column and values
    (texts beside them for text cells)."""
    rows = region.rows
    first = next(
        (i for i, r in enumerate(rows) if has_amounts(r, 1) and not is_lanci_row(r)), len(rows)
    )
    head = [r for r in rows[:first] if not is_lanci_row(r)]
    width = max(grid_width(rows), 1)
    paths = header_paths(head, width) if head else [() for _ in range(width)]
    code_col = any(is_code(cell(r, 0)) for r in rows[first:])
    label_count = 2 if code_col else 1
    body = [r for r in rows[first:] if not is_lanci_row(r) and not r.is_blank()]
    # a 行次 column (1, 2, 3 … down) is a row number, never an amount column
    numbers = [j for j in range(label_count, width) if is_row_number_column(body, j)]
    header = [
        HeaderColumn(j, paths[j] or (f"col{j + 1}",), None)
        for j in range(label_count, width)
        if j not in numbers
    ]
    out_rows: list[Row] = []
    for r in rows[first:]:
        if is_lanci_row(r) or r.is_blank():
            continue
        if code_col:
            labels = _code_cells(r, label_count)
            code, name = labels.code, labels.name
        else:
            code, name = None, norm(cell(r, 0)) or None
        vals, cells_out = cell_values(r, [h.position for h in header])
        texts = [
            norm(cell(r, h.position)) if cell(r, h.position).strip() and v is None else None
            for h, v in zip(header, vals, strict=True)
        ]
        cells_out = [
            c.model_copy(update={"status": "ok"}) if c.status == "unparsed" else c
            for c in cells_out
        ]
        level = "total" if name and TOTAL_RE.match(name) else _level(code)
        row_no = next((int(norm(cell(r, j))) for j in numbers if norm(cell(r, j))), None)
        out_rows.append(
            Row(
                code=code,
                level=level,
                name=name,
                row_no=row_no,
                values=vals,
                texts=texts if any(texts) else None,
                line=r.line,
                page=r.page,
                cells=cells_out,
            )
        )
    return make_table(region, tdef, "generic", columns=to_columns(header, {}), rows=out_rows)


# ---------------------------------------------------------------- dispatch
