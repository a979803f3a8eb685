"""A rendered source page (ingest/pdf.py renders PDF pages, ingest/render.py image frames)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageImage:
    """A rendered page: its number, its size in PDF points and the encoded image."""

    page: int
    width_pt: float
    height_pt: float
    data: bytes
    mime: str = "image/jpeg"
