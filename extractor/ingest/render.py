"""Source pages as images for the review page: PDF pages through ingest/pdf.py (pymupdf),
PNG/JPEG/TIFF frames through PIL, as ingest/pages.py reads them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from extractor.errors import Code, InputError
from extractor.ingest.page_image import PageImage

__all__ = ["DEFAULT_IMAGE_DPI", "IMAGE_SUFFIXES", "PageImage", "page_images", "straighten"]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
# the resolution ingest assumes for an image without a dpi tag (OcrOptions.dpi's default)
DEFAULT_IMAGE_DPI = 200


def page_images(
    path: Path,
    pages: list[int],
    *,
    dpi: int = 110,
    quality: int = 60,
    ocr_pages: frozenset[int] = frozenset(),
) -> list[PageImage]:
    """The pages ``pages`` (1-based) of a PDF or image file as JPEGs at about ``dpi``. OCR'd
    pages (``ocr_pages``; every frame of an image) are deskewed as OCR deskewed them: the
    cell boxes are in that frame."""
    data = path.read_bytes()
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _image_frames(data, pages, dpi, quality)
    from extractor.ingest.pdf import render_jpeg

    return render_jpeg(data, pages, dpi, quality, straighten, ocr_pages)


def straighten(gray: Any) -> Any:
    """A grey page image deskewed the way ``ingest.pages.ocr_rows`` deskews it."""
    from extractor.layout.scan import deskew, estimate_skew

    return deskew(gray, estimate_skew(gray))


def _image_frames(data: bytes, pages: list[int], dpi: int, quality: int) -> list[PageImage]:
    from PIL import Image, UnidentifiedImageError

    try:
        return _encode_frames(Image.open(io.BytesIO(data)), pages, dpi, quality)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise InputError(f"not a readable image: {exc}", code=Code.INPUT_CORRUPT) from exc


def _encode_frames(img: Any, pages: list[int], dpi: int, quality: int) -> list[PageImage]:
    import numpy as np
    from PIL import Image, ImageSequence

    out = []
    with img:
        for i, frame in enumerate(ImageSequence.Iterator(img)):
            if i + 1 not in pages:
                continue
            own = float(frame.info.get("dpi", (DEFAULT_IMAGE_DPI,))[0] or DEFAULT_IMAGE_DPI)
            # OCR read the frame grey and deskewed at its own resolution: so is it shown
            gray = Image.fromarray(straighten(np.asarray(frame.convert("L"), dtype=np.uint8)))
            # cell boxes are in points: the frame's own resolution says how many
            w_pt, h_pt = gray.width * 72.0 / own, gray.height * 72.0 / own
            if own > dpi:
                size = (round(w_pt * dpi / 72.0), round(h_pt * dpi / 72.0))
                gray = gray.resize(size, Image.Resampling.LANCZOS)
            buf = io.BytesIO()
            gray.save(buf, "JPEG", quality=quality, optimize=True)
            out.append(PageImage(i + 1, w_pt, h_pt, buf.getvalue()))
    return out


def page_lines(path: Path, pages: list[int]) -> dict[int, list[str]]:
    """The text-layer lines of PDF pages (images and text files give none)."""
    if path.suffix.lower() != ".pdf":
        return {}
    from extractor.ingest.pdf import page_text_lines

    return page_text_lines(path.read_bytes(), pages)
