"""What one LLM request sees: one table (continuation pages merged), or a row range of a long
table with its header repeated; the whole page only when no table region is known.

The grid goes compactly, one line per row, cells joined by TAB, with a row id first (``h1``
for header rows, ``r1`` for body rows) and a line of column ids (``g0 g1 ...``): the model
answers with ids, and every value it returns is checked against the cell those ids name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from extractor.extract.common import split_header
from extractor.layout.grid import has_amounts, is_lanci_row
from extractor.layout.tables import content
from extractor.model import Region, SourceCell, SourceRow


@dataclass(frozen=True)
class Chunk:
    """One request's worth of a table: header rows, body rows with ids, and where it came from."""

    title: str
    table_id: str | None
    unit: str | None
    header: tuple[SourceRow, ...]
    rows: tuple[tuple[str, SourceRow], ...]  # (row id, source row)
    width: int
    part: int = 1
    parts: int = 1
    whole_page: bool = False

    def row(self, row_id: str) -> SourceRow | None:
        return next((r for rid, r in self.rows if rid == row_id), None)

    def cell(self, row_id: str, col_id: str) -> SourceCell | None:
        row = self.row(row_id)
        j = column_index(col_id)
        if row is None or j is None or j >= len(row.cells):
            return None
        return row.cells[j]

    def render(self) -> str:
        """The compact text of the chunk (what is fenced as data in the prompt)."""
        lines = [
            f"title: {_clean(self.title)}",
            f"table number: {_clean(self.table_id or '')}",
            f"unit: {_clean(self.unit or '')}",
        ]
        if self.parts > 1:
            lines.append(f"part {self.part} of {self.parts} (header repeated)")
        if self.whole_page:
            lines.append("no table region was found: these are all lines of the page")
        lines.append("columns\t" + "\t".join(f"g{j}" for j in range(self.width)))
        for i, r in enumerate(self.header, start=1):
            lines.append(f"h{i}\t" + "\t".join(_clean(t) for t in r.texts))
        for rid, r in self.rows:
            lines.append(f"{rid}\t" + "\t".join(_clean(t) for t in r.texts))
        return "\n".join(lines)


def column_index(col_id: str) -> int | None:
    if len(col_id) > 1 and col_id[0] == "g" and col_id[1:].isdigit():
        return int(col_id[1:])
    return None


def _clean(text: str) -> str:
    # nothing in the data may close the fence or break the one-line-per-row grid
    return " ".join(text.replace("`", "'").split())


def _is_data(row: SourceRow) -> bool:
    return has_amounts(row, 1) or has_amounts(row)


def merged_rows(region: Region) -> tuple[list[SourceRow], list[SourceRow]]:
    """(header rows, body rows) of a table with its continuation parts merged: a part's
    repeated header rows are dropped."""
    rows = list(region.rows)
    first, _lanci = split_header(rows, _is_data)
    header, body = rows[:first], rows[first:]
    seen = {content(r) for r in header}
    for part in region.continuations:
        for r in part.rows:
            if content(r) in seen or is_lanci_row(r):
                continue
            body.append(r)
    body = [r for r in body if not r.is_blank()]
    return header, body


def table_chunks(region: Region, max_rows: int) -> list[Chunk]:
    """One chunk per table, or per range of ``max_rows`` body rows with the header repeated."""
    header, body = merged_rows(region)
    width = max((len(r.cells) for r in header + body), default=0)
    ids = [(f"r{i}", r) for i, r in enumerate(body, start=1)]
    ranges = [ids[i : i + max_rows] for i in range(0, len(ids), max_rows)] or [[]]
    return [
        Chunk(
            title=region.title,
            table_id=region.table_id,
            unit=region.unit,
            header=tuple(header),
            rows=tuple(part),
            width=width,
            part=k,
            parts=len(ranges),
        )
        for k, part in enumerate(ranges, start=1)
    ]


def page_chunks(rows: Sequence[SourceRow], max_rows: int) -> list[Chunk]:
    """Whole pages (or runs of ``max_rows`` lines of a text) when no table region is known."""
    pages: dict[int | None, list[SourceRow]] = {}
    for r in rows:
        if not r.is_blank():
            pages.setdefault(r.page, []).append(r)
    out: list[Chunk] = []
    for page_rows in pages.values():
        for i in range(0, len(page_rows), max_rows):
            part = page_rows[i : i + max_rows]
            out.append(
                Chunk(
                    title="",
                    table_id=None,
                    unit=None,
                    header=(),
                    rows=tuple((f"r{i + k}", r) for k, r in enumerate(part, start=1)),
                    width=max(len(r.cells) for r in part),
                    whole_page=True,
                )
            )
    return out
