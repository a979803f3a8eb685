"""One page's layout: the words and ruling lines ingest read from it (a text layer, or OCR of
the page image) to grid rows. The pipeline hands ``lay_out`` to ingest, which calls it page by
page while the page is at hand: an OCR'd page's cells left empty are read again from its image
(``PageContent.reread``), and the image is freed before the next page is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from extractor.layout.geometry import Rule, Word, page_rows
from extractor.model import SourceRow


@dataclass
class PageContent:
    """What ingest read on one page: words and ruling lines in PDF points, where they came
    from (``pdf``: the text layer; ``ocr``), and for an OCR'd page how to read the cells the
    layout leaves empty again from the page image."""

    page_no: int
    words: list[Word]
    rules: list[Rule]
    origin: Literal["pdf", "ocr"]
    reread: Callable[[list[SourceRow]], list[SourceRow]] | None = None


LayOut = Callable[[PageContent], list[SourceRow]]


def lay_out(page: PageContent) -> list[SourceRow]:
    """The page's grid rows (cells keep page and bbox)."""
    rows = page_rows(page.words, page.rules, page.page_no, origin=page.origin)
    return page.reread(rows) if page.reread is not None else rows
