"""PDF and image documents -> grid rows, page by page: the text layer where it is usable,
OCR of the rendered (deskewed) page where it is not. Per-page problems are errors of that
page; the other pages go on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extractor.config import ExtractConfig
from extractor.errors import ConfigError, InputError, OcrError
from extractor.layout.geometry import Word, page_rows
from extractor.model import ErrorInfo, SourceCell, SourceRow
from extractor.ocr.base import OcrEngine


@dataclass
class PagedDocument:
    rows: list[SourceRow]
    pages: int
    ocr_pages: list[int] = field(default_factory=list)
    errors: list[ErrorInfo] = field(default_factory=list)


EngineProvider = Callable[[], OcrEngine]


def ocr_rows(gray: Any, scale: float, page_no: int, engine: OcrEngine) -> list[SourceRow]:
    """OCR one page image: deskew, ruling lines, boxes -> rows (coordinates in PDF points)."""
    from extractor.layout.scan import deskew, estimate_skew, image_rules

    if gray.size == 0 or int(gray.min()) == int(gray.max()):
        return []  # a blank page (or frame) holds no words: no detector pass for it
    angle = estimate_skew(gray)
    straight = deskew(gray, angle)
    rules = image_rules(straight, scale)
    words = [
        Word(b.x0 / scale, b.y0 / scale, b.x1 / scale, b.y1 / scale, b.text, b.confidence)
        for b in engine.recognize(straight)
    ]
    return _dashes(page_rows(words, rules, page_no, origin="ocr"), straight, scale)


def _dashes(rows: list[SourceRow], gray: Any, scale: float) -> list[SourceRow]:
    """Cells OCR left empty that hold a printed "——" (a text detector skips a lone stroke):
    one long, thin, dark horizontal run in the middle of the cell."""
    import numpy as np

    out: list[SourceRow] = []
    for row in rows:
        cells = list(row.cells)
        changed = False
        for k, c in enumerate(cells):
            if c.text or c.bbox is None or c.colspan not in (None, 1):
                continue
            x0, y0, x1, y1 = (int(v * scale) for v in c.bbox)
            w, h = x1 - x0, y1 - y0
            if w < 8 or h < 6:
                continue
            crop = gray[y0 + h // 5 : y1 - h // 5, x0 + w // 6 : x1 - w // 6]
            if crop.size == 0:
                continue
            # a blurred, JPEG'd stroke is grey, not black: the threshold sits halfway between
            # the cell's background and its darkest pixel, when they differ enough
            floor, background = int(crop.min()), int(np.median(crop))
            if background - floor < 60:
                continue
            dark = crop < min((floor + background) // 2, 160)
            dark_rows = np.flatnonzero(dark.sum(axis=1) >= 3)
            if not len(dark_rows) or len(dark_rows) > max(2, crop.shape[0] // 4):
                continue
            longest = 0
            for r in dark_rows:
                run = best = 0
                for v in dark[r]:
                    run = run + 1 if v else 0
                    best = max(best, run)
                longest = max(longest, best)
            if longest >= 0.2 * crop.shape[1]:
                cells[k] = SourceCell(
                    "——", page=c.page, bbox=c.bbox, confidence=0.5, origin="ocr", colspan=c.colspan
                )
                changed = True
        out.append(SourceRow(tuple(cells), tabbed=row.tabbed, page=row.page) if changed else row)
    return out


def read_pdf(data: bytes, config: ExtractConfig, engine: EngineProvider) -> PagedDocument:
    """Rows of every page of a PDF. Raises InputError for a document that cannot be opened."""
    from extractor.ingest.pdf import (
        PdfLimits,
        open_pdf,
        page_rules,
        page_words,
        release_caches,
        render_gray,
        scan_dpi,
        text_layer_usable,
    )

    limits = PdfLimits(max_pages=config.max_pages, max_pixels=config.max_pixels)
    doc = open_pdf(data, limits)
    out = PagedDocument(rows=[], pages=doc.page_count)
    try:
        for i in range(doc.page_count):
            page_no = i + 1
            try:
                page = doc[i]
                words = page_words(page)
                if words and text_layer_usable(words) and not config.force_ocr:
                    out.rows.extend(page_rows(words, page_rules(page), page_no, origin="pdf"))
                    continue
                dpi = scan_dpi(page, config.ocr.dpi) if not words else config.ocr.dpi
                gray, scale = render_gray(page, dpi, limits)
                out.rows.extend(ocr_rows(gray, scale, page_no, engine()))
                out.ocr_pages.append(page_no)
                del gray
                release_caches()
            except (InputError, ConfigError):
                raise  # the document, or the configuration, cannot be read at all
            except Exception as exc:  # a broken page must not take the document down
                out.errors.append(_page_error(page_no, exc))
    finally:
        doc.close()
    return out


def _page_error(page_no: int, exc: Exception) -> ErrorInfo:
    """The error of one page that could not be read (OCR failed, a broken page object)."""
    code = exc.code if isinstance(exc, OcrError) else "input.page_unreadable"
    return ErrorInfo(code=code, page=page_no, message=f"page {page_no} could not be read: {exc}")


def read_image(data: bytes, config: ExtractConfig, engine: EngineProvider) -> PagedDocument:
    """Rows of an image document (PNG/JPEG/TIFF; every frame of a multi-page TIFF). Each
    frame's size is checked from its header before it is decoded (``max_pixels``, and at
    most ``max_pages`` frames), and frames are decoded one at a time, so memory stays
    bounded; a frame the OCR engine fails on is an error of that page."""
    import io

    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        frames = int(getattr(img, "n_frames", 1))
    except Image.DecompressionBombError as exc:
        raise InputError(f"the image is too large: {exc}", code="input.too_large") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"not a readable image: {exc}", code="input.corrupt") from exc
    if frames > config.max_pages:
        raise InputError(f"{frames} frames > limit {config.max_pages}", code="input.too_large")
    out = PagedDocument(rows=[], pages=frames)
    for i in range(frames):
        gray, dpi = _frame(img, i, config.max_pixels, config.ocr.dpi)
        try:
            out.rows.extend(ocr_rows(np.asarray(gray, dtype=np.uint8), dpi / 72.0, i + 1, engine()))
        except ConfigError:
            raise
        except Exception as exc:
            out.errors.append(_page_error(i + 1, exc))
        out.ocr_pages.append(i + 1)
    return out


def _frame(img: Any, index: int, max_pixels: int, default_dpi: int) -> tuple[Any, float]:
    """Frame ``index`` decoded as grayscale, and its resolution; refused from its header
    when it has more pixels than the limit."""
    from PIL import Image

    try:
        img.seek(index)
        w, h = img.size
        if w * h > max_pixels:
            raise InputError(
                f"page {index + 1}: {w}x{h} pixels > limit {max_pixels}", code="input.too_large"
            )
        gray = img.convert("L")
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise InputError(f"not a readable image: {exc}", code="input.corrupt") from exc
    try:
        dpi = float(img.info.get("dpi", (default_dpi,))[0])
    except (TypeError, ValueError, IndexError):
        dpi = default_dpi
    return gray, dpi if 10 <= dpi <= 4800 else float(default_dpi)  # nan and junk too
