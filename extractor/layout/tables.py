"""Find the tables of a text report: titles, labels, department/unit/year lines, grid rows,
notes; and merge the page parts of a table that is split over pages."""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.model import Region, SourceCell, SourceRow
from extractor.numbers import fold_variants, normalize_text

_LABEL = r"(公开\s*\d+\s*表|附\s*件\s*\d+(?:\s*[-－—]\s*\d+)?|附\s*表\s*\d+)"
LABEL_RE = re.compile("^" + _LABEL)
_LABEL_ANY = re.compile(r"[（(]?" + _LABEL + r"[)）]?")
_CONTINUED = re.compile(r"[（(]\s*续\s*(?:表|前表)?\s*[)）]|续表$")
_DEPT_RE = re.compile(
    r"(?:部门名称|单位名称(?:（全称）|\(全称\))?|编制部门|编制单位|预算单位|部门|单位)\s*[:：]\s*"
    r"(?P<name>[^\t]*?)\s*(?=$|\t|金额单位|单位\s*[:：])"
)
_UNIT_RE = re.compile(r"(?:金额)?单位\s*[:：]\s*(?P<unit>万元|元|千元|亿元)")
_YEAR_RE = re.compile(r"^(?P<y>(?:19|20)\d{2})\s*年\s*度?$")
_NOTE_RE = re.compile(r"^(注|说明|备注|填报说明)\s*[:：0-9１-９]|本表|无数据|^\d+[.、．]\s*本")
_FOOTER_RE = re.compile(r"^[-—\s]*\d+\s*[-—\s]*$|^第\s*\d+\s*页|^共\s*\d+\s*页|^\d+\s*/\s*\d+$")
_SECTION_HEAD = re.compile(r"^[一二三四五六七八九十]+、\S{2,20}$")
_PART_RE = re.compile(r"^第[一二三四五六七八九十]+部分")
# a title ends in 表, or in 表 plus a short qualifier ("明细表-工资福利支出", "总表(分类)")
_TITLE_HINT = re.compile(r"表$|表\s*(?:[-－—–]+\s*[^-－—–]{2,16}|[(（][^)）]{1,8}[)）])$")
_YEAR_PREFIX = re.compile(r"^((?:19|20)\d{2}\s*年度?)")


def title_key(text: str) -> str:
    """Normalised title for matching: spaces and a leading year removed, quotes folded."""
    t = fold_variants(normalize_text(text).replace(" ", ""))
    t = _LABEL_ANY.sub("", t)
    t = _CONTINUED.sub("", t)
    t = _YEAR_PREFIX.sub("", t)
    return t.replace("“", '"').replace("”", '"').strip("：: ")


def is_title(text: str) -> bool:
    """A line that can be a table title (confirmed later by the grid that follows it)."""
    t = title_key(text)
    if not t or len(t) > 40 or "。" in t or "..." in text or "…" in text:
        return False
    if t[0] in "-•·" or re.match(r"^[一二三四五六七八九十]+、", t) or re.match(r"^\d+[.、]", t):
        return False
    return bool(_TITLE_HINT.search(t))


def _meta(region: Region, text: str) -> bool:
    """Read a label/department/unit/year line into the region; True if it was one."""
    found = False
    t = text.strip()
    norm = normalize_text(t)
    m = LABEL_RE.match(norm.replace(" ", ""))
    if m and len(norm.replace(" ", "")) <= len(m.group(0)) + 1:
        region.table_id = region.table_id or re.sub(r"\s+", "", m.group(0))
        found = True
    u = _UNIT_RE.search(t)
    if u:
        region.unit = region.unit or u.group("unit")
        found = True
    d = _DEPT_RE.search(t)
    if d and not d.group("name").startswith(("万元", "元")):
        name = normalize_text(d.group("name"))
        if name:
            region.department = region.department or name
            found = True
    y = _YEAR_RE.match(norm)
    if y:
        region.year = region.year or int(y.group("y"))
        found = True
    return found


def _row_number_only(row: SourceRow, last: SourceRow | None) -> SourceRow | None:
    """A plain line holding one number N that the last grid row has N-1 in some cell: a grid
    row that prints only its 行次, placed in that column (else None: a page number)."""
    filled = [c for c in row.cells if c.text.strip()]
    if row.tabbed or last is None or len(filled) != 1 or not filled[0].text.strip().isdigit():
        return None
    before = str(int(filled[0].text.strip()) - 1)
    j = next((k for k, c in enumerate(last.cells) if c.text.strip() == before), None)
    if j is None:
        return None
    cells = [SourceCell("", line=row.line, page=row.page) for _ in last.cells]
    cells[j] = filled[0]
    return SourceRow(tuple(cells), tabbed=True, line=row.line, page=row.page)


def _blank_cells(row: SourceRow) -> bool:
    """A TAB row of several cells, all blank."""
    return row.tabbed and len(row.cells) >= 2


def _row_text(row: SourceRow) -> str:
    return " ".join(c.text for c in row.cells if c.text.strip())


def _title_of(row: SourceRow) -> str | None:
    """The title text if this row is a title line (a plain line, or a TAB row whose only
    non-empty cells are the title and a unit)."""
    texts = [c.text for c in row.cells if c.text.strip()]
    if not texts:
        return None
    if row.tabbed:
        rest = [
            x
            for x in texts[1:]
            if not _UNIT_RE.search(x) and not LABEL_RE.match(x.replace(" ", ""))
        ]
        if rest:
            return None
    return texts[0] if is_title(texts[0]) else None


def find_regions(rows: Sequence[SourceRow]) -> list[Region]:
    """Split the rows into table regions. A title (or a printed label directly before a title)
    starts a region; it is kept only if grid rows follow before the next title."""
    reader = _RegionReader()
    for row in rows:
        reader.read(row)
    reader.close()
    return merge_continuations(_titles_after(reader.orphans, reader.titled) or reader.regions)


class _RegionReader:
    """find_regions' state, one row at a time: the region being read and what came before."""

    def __init__(self) -> None:
        self.regions: list[Region] = []
        self.titled: list[Region] = []  # every titled region, also those no grid followed
        self.orphans: list[SourceRow] = []  # grid rows before the first title
        self.cur: Region | None = None
        self.grid_started = False
        self.notes_open = False
        self.pending_label: tuple[str, int | None] | None = None
        self.stray = 0  # unknown plain lines since the last grid row (a running header…)
        self.last_grid: SourceRow | None = None

    def close(self) -> None:
        if self.cur is not None:
            self.titled.append(self.cur)
            if self.cur.rows:
                self.regions.append(self.cur)
        self.cur = None

    def read(self, row: SourceRow) -> None:
        cur = self.cur
        if row.is_blank():
            if cur is not None and self.grid_started and not self.notes_open and _blank_cells(row):
                cur.rows.append(row)  # a printed row of blank cells (an empty table's row)
            return
        filled = [c for c in row.cells if c.text.strip()]
        if row.tabbed and len(filled) == 1 and LABEL_RE.match(normalize_text(filled[0].text)):
            # "附件19" alone in a TAB row is a label line like any other
            row = SourceRow(tuple(filled), tabbed=False, line=row.line, page=row.page)
        numbered = None
        if cur is not None and not self.notes_open:
            numbered = _row_number_only(row, self.last_grid)
        if numbered is not None:
            row = numbered  # a row printing only its 行次 (a padding row), not a page number
        title = _title_of(row)
        if title is not None:
            self._title(row, title)
        elif not row.tabbed:
            self._plain(row, _row_text(row))
        else:
            self._grid(row)

    def _title(self, row: SourceRow, title: str) -> None:
        self.close()
        cur = self.cur = Region(
            title=_CONTINUED.sub("", normalize_text(title).replace(" ", "")),
            start_line=row.line,
            end_line=row.line,
        )
        label = _LABEL_ANY.search(normalize_text(title).replace(" ", ""))
        if label is not None:
            cur.table_id = re.sub(r"\s+", "", label.group(1))
            cur.title = title_key(cur.title) if len(cur.title) > len(label.group(0)) else cur.title
        if self.pending_label is not None:
            cur.table_id = cur.table_id or self.pending_label[0]
            cur.start_line = self.pending_label[1]
            self.pending_label = None
        for c in row.cells[1:]:
            _meta(cur, c.text)
        self.grid_started = self.notes_open = False
        self.stray = 0

    def _label(self, row: SourceRow, norm: str) -> bool:
        """A printed table label line (公开01表, 附件3): True when it is taken."""
        label_m = LABEL_RE.match(norm)
        if not label_m or len(norm) > 8:
            return False
        cur = self.cur
        printed = re.sub(r"\s+", "", label_m.group(0))
        repeated = cur is not None and printed == cur.table_id
        if repeated and self.grid_started and not self.notes_open:
            return True  # the label repeated on a continuation page
        if cur is None or self.grid_started:
            self.close()  # a label printed before the title of the next table
            self.pending_label = (printed, row.line)
            return True
        return False

    def _plain(self, row: SourceRow, text: str) -> None:
        norm = normalize_text(text).replace(" ", "")
        if self._label(row, norm):
            return
        cur = self.cur
        if cur is None:
            return
        if _PART_RE.match(norm):
            self.close()
            return
        if not self.grid_started:
            if _SECTION_HEAD.match(norm) and not _meta(cur, text):
                # the first section heading of a sectioned table (一、政府采购情况)
                cur.rows.append(SourceRow(row.cells, tabbed=True, line=row.line, page=row.page))
                self.grid_started = True
                return
            _meta(cur, text)
            cur.end_line = row.line
            return
        if _FOOTER_RE.match(text.strip()):
            return
        if _NOTE_RE.search(norm) or (self.notes_open and re.match(r"^\d+[.、．]", norm)):
            cur.notes.append(text.strip())
            cur.end_line = row.line
            self.notes_open = True
            return
        if _meta(cur, text):
            return
        self.stray += 1
        if self.stray > 3 or self.notes_open:
            self.close()  # the text after the table (narrative): the table has ended

    def _grid(self, row: SourceRow) -> None:
        cur = self.cur
        if cur is None:
            if not self.titled:
                self.orphans.append(row)
            return
        if self.notes_open:
            # grid rows after the notes belong to something else (an untitled table)
            self.close()
            return
        if not self.grid_started and all(_meta(cur, c.text) for c in row.cells if c.text.strip()):
            return  # a TAB row holding only department/unit labels
        self.grid_started = True
        self.stray = 0
        self.last_grid = row
        cur.rows.append(row)
        cur.end_line = row.line
        if row.page is not None and row.page not in cur.pages:
            cur.pages.append(row.page)


def _titles_after(orphans: list[SourceRow], titled: list[Region]) -> list[Region] | None:
    """The regions of a report whose producer put each title after its table, else None.
    Read in order, each title then opens on the next table's grid: the first grid has no
    title before it and the last title no grid after it. Each title gets the grid (and
    notes) printed before it."""
    if len(orphans) < 2 or len(titled) < 2 or titled[-1].rows:
        return None
    if any(not r.rows for r in titled[:-1]):
        return None
    grids = [(orphans, list[str]()), *((r.rows, r.notes) for r in titled[:-1])]
    out: list[Region] = []
    for region, (rows, notes) in zip(titled, grids, strict=True):
        pages = list(dict.fromkeys(r.page for r in rows if r.page is not None))
        lines = [x for x in (*(r.line for r in rows), region.start_line, region.end_line) if x]
        start, end = (min(lines), max(lines)) if lines else (None, None)
        out.append(
            Region(
                title=region.title,
                table_id=region.table_id,
                department=region.department,
                unit=region.unit,
                year=region.year,
                start_line=start,
                end_line=end,
                rows=list(rows),
                notes=list(notes),
                pages=pages,
            )
        )
    return out


def content(row: SourceRow) -> tuple[str, ...]:
    """A row's printed texts in order, empty cells left out (column positions can differ
    from page to page when they come from geometry)."""
    return tuple(normalize_text(t).replace(" ", "") for t in row.texts if t.strip())


def _column_spans(rows: Sequence[SourceRow]) -> list[tuple[float, float]] | None:
    """Each grid column's horizontal extent over the rows' printed cells (PDF geometry),
    or None when a column has no placed cell or the rows carry no positions."""
    width = max((len(r.cells) for r in rows), default=0)
    spans: list[tuple[float, float] | None] = [None] * width
    for r in rows:
        for j, c in enumerate(r.cells):
            if c.bbox is None or not c.text.strip():
                continue
            lo, hi = spans[j] or (c.bbox[0], c.bbox[2])
            spans[j] = (min(lo, c.bbox[0]), max(hi, c.bbox[2]))
    if not width or any(s is None for s in spans):
        return None
    return [s for s in spans if s is not None]


def align_columns(before: Sequence[SourceRow], rows: Sequence[SourceRow]) -> list[SourceRow]:
    """Rows of a page part printed without the header, re-gridded to the columns of the part
    before when their page's geometry gave them another number of columns: each printed
    cell goes to the column its centre falls in (or is nearest to). Unchanged when the widths
    agree, the rows carry no positions, or two cells would share a column."""
    width = max((len(r.cells) for r in before), default=0)
    if not rows or all(len(r.cells) == width for r in rows):
        return list(rows)
    spans = _column_spans([r for r in before if len(r.cells) == width])
    if spans is None:
        return list(rows)
    out: list[SourceRow] = []
    for r in rows:
        placed: dict[int, SourceCell] = {}
        for c in r.cells:
            if not c.text.strip():
                continue
            if c.bbox is None:
                return list(rows)
            mid = (c.bbox[0] + c.bbox[2]) / 2
            j = min(range(width), key=lambda k: max(spans[k][0] - mid, mid - spans[k][1], 0))
            if j in placed:
                return list(rows)
            placed[j] = c
        cells = tuple(placed.get(j, SourceCell("", page=r.page)) for j in range(width))
        out.append(SourceRow(cells, tabbed=r.tabbed, line=r.line, page=r.page))
    return out


def merge_continuations(regions: list[Region]) -> list[Region]:
    """Join consecutive regions of the same table (split over pages, headers repeated). A
    part that repeats the header keeps it and is mapped on its own (its columns may sit
    elsewhere on its page); a part without one continues the rows of the part before."""
    out: list[Region] = []
    for reg in regions:
        prev = out[-1] if out else None
        if (
            prev is not None
            and title_key(prev.title) == title_key(reg.title)
            and (reg.table_id is None or prev.table_id in (None, reg.table_id))
        ):
            header = {content(r) for r in prev.rows[:8]}
            if reg.rows and content(reg.rows[0]) in header:
                prev.continuations.append(reg)
            else:
                prev.rows.extend(align_columns(prev.rows, reg.rows))
            prev.notes.extend(n for n in reg.notes if n not in prev.notes)
            prev.end_line = reg.end_line
            prev.parts += 1
            prev.pages.extend(p for p in reg.pages if p not in prev.pages)
            continue
        out.append(reg)
    return out
