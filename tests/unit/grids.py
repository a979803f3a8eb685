"""Small grids built by hand for the unit tests: one TAB-separated string per row."""

from __future__ import annotations

from extractor.model import Region, SourceCell, SourceRow


def row(text: str, line: int = 1, page: int | None = None) -> SourceRow:
    """One grid row; cells split on TAB, every cell on ``line``."""
    cells = tuple(SourceCell(t, line=line, page=page) for t in text.split("\t"))
    return SourceRow(cells, tabbed=True, line=line, page=page)


def rows(*lines: str, first_line: int = 1) -> list[SourceRow]:
    """Consecutive grid rows, numbered from ``first_line``."""
    return [row(t, line=first_line + i) for i, t in enumerate(lines)]


def region(title: str, *lines: str, table_id: str | None = None, first_line: int = 1) -> Region:
    """A table region of these rows under this title, its rows numbered from ``first_line``."""
    grid = rows(*lines, first_line=first_line)
    return Region(
        title=title,
        start_line=first_line,
        end_line=first_line + len(grid) - 1,
        table_id=table_id,
        rows=grid,
    )
