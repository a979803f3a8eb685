"""PDF and image documents, page by page: the text layer where it is usable, OCR of the
rendered (deskewed) page where it is not. Each page's words and ruling lines go to the layout
the caller gives (``layout.pages.lay_out``: the pipeline's), while the page is at hand.
Per-page problems are errors of that page; the other pages go on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from extractor.config import ExtractConfig
from extractor.errors import Code, ConfigError, InputError, OcrError
from extractor.layout.geometry import Word
from extractor.layout.pages import LayOut, PageContent
from extractor.model import ErrorInfo, SourceCell, SourceRow
from extractor.ocr.base import OcrEngine


@dataclass
class PagedDocument:
    rows: list[SourceRow]
    pages: int
    ocr_pages: list[int] = field(default_factory=list)
    errors: list[ErrorInfo] = field(default_factory=list)


EngineProvider = Callable[[], OcrEngine]


def ocr_rows(
    gray: Any, scale: float, page_no: int, engine: OcrEngine, lay_out: LayOut
) -> list[SourceRow]:
    """OCR one page image: deskew, ruling lines, boxes (coordinates in PDF points), laid out
    to rows by ``lay_out``; cells it leaves empty that hold ink are read again from their
    crop."""
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

    def reread(rows: list[SourceRow]) -> list[SourceRow]:
        return reread_empty_cells(rows, straight, scale, engine)

    return lay_out(PageContent(page_no, words, rules, "ocr", reread))


def reread_empty_cells(
    rows: list[SourceRow], gray: Any, scale: float, engine: OcrEngine
) -> list[SourceRow]:
    """Cells OCR left empty although ink is printed in them. The text detector skips a lone
    stroke ("——") and can miss a lone short glyph (a one-digit amount such as "7"), so a
    blank there would read as 0 and make an identity fail as if the report were wrong. A
    stroke is recognised from its shape; anything else glyph-sized is read again by the
    recognizer alone from the cell's crop, upscaled."""
    out: list[SourceRow] = []
    for row in rows:
        cells = list(row.cells)
        changed = False
        for k, c in enumerate(cells):
            if c.text or c.bbox is None or c.colspan not in (None, 1):
                continue
            x0, y0, x1, y1 = (int(v * scale) for v in c.bbox)
            read = _read_cell_ink(gray[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)], engine)
            if read is not None:
                text, confidence = read
                cells[k] = SourceCell(
                    text, page=c.page, bbox=c.bbox, confidence=confidence, origin="ocr",
                    colspan=c.colspan,
                )
                changed = True
        out.append(SourceRow(tuple(cells), tabbed=row.tabbed, page=row.page) if changed else row)
    return out


# a re-read below this confidence is noise, not a value
_REREAD_MIN_CONFIDENCE = 0.5
# the recognizer reads lines about this many pixels high
_REREAD_LINE_PX = 40


def _read_cell_ink(cell: Any, engine: OcrEngine) -> tuple[str, float] | None:
    """(text, confidence) of the ink in one empty cell's image, or None when it holds none."""
    import numpy as np

    h, w = cell.shape[:2] if cell.ndim >= 2 else (0, 0)
    if w < 8 or h < 6:
        return None
    # a blurred, JPEG'd stroke is grey, not black: the threshold sits halfway between the
    # cell's background and its darkest pixel, when they differ enough
    core = cell[h // 5 : h - h // 5, w // 6 : w - w // 6]
    if core.size == 0:
        return None
    floor, background = int(core.min()), int(np.median(core))
    if background - floor >= 60 and _is_dash(core < min((floor + background) // 2, 160)):
        return "——", 0.5
    glyphs = _glyph_box(cell)
    if glyphs is None:
        return None
    gy0, gy1, gx0, gx1 = glyphs
    pad = max(2, (gy1 - gy0) // 3)
    crop = cell[max(gy0 - pad, 0) : gy1 + pad, max(gx0 - pad, 0) : gx1 + pad]
    import cv2

    factor = min(4.0, max(1.0, _REREAD_LINE_PX / max(gy1 - gy0, 1)))
    if factor > 1.0:
        crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    crop = cv2.copyMakeBorder(crop, 8, 8, 8, 8, cv2.BORDER_CONSTANT, value=int(background))
    try:
        text, confidence = engine.read_line(crop)
    except OcrError:
        return None  # this crop cannot be read again: the cell stays as OCR left it
    text = text.strip()
    if not text or confidence < _REREAD_MIN_CONFIDENCE:
        return None
    return text, confidence


def _is_dash(dark: Any) -> bool:
    """One long, thin, dark horizontal run in the middle of the cell: a printed "——"."""
    import numpy as np

    dark_rows = np.flatnonzero(dark.sum(axis=1) >= 3)
    if not len(dark_rows) or len(dark_rows) > max(2, dark.shape[0] // 4):
        return False
    band = dark[dark_rows.min() : dark_rows.max() + 1]
    if int(dark.sum()) - int(band.sum()) > 3:
        return False  # ink beside the stroke: a glyph with a bar (a "7"), not a dash
    longest = 0
    for r in dark_rows:
        run = best = 0
        for v in dark[r]:
            run = run + 1 if v else 0
            best = max(best, run)
        longest = max(longest, best)
    return bool(longest >= 0.2 * dark.shape[1])


def _glyph_box(cell: Any) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) around the glyph-sized dark marks inside a cell, clear of its rules
    and of speckles, or None."""
    import cv2
    import numpy as np

    h, w = cell.shape
    my, mx = max(2, h // 8), max(2, w // 25)
    inner = cell[my : h - my, mx : w - mx]
    ih, iw = inner.shape
    if ih < 4 or iw < 4:
        return None
    floor, background = int(inner.min()), int(np.median(inner))
    if background - floor < 60:
        return None  # no ink
    dark = (inner < (floor + background) // 2).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh, _area = stats[i]
        rule_left = bw >= 0.6 * iw or (bh >= 0.9 * ih and bw <= 3)  # a ruling line's remnant
        if rule_left or bh < max(4, 0.3 * ih):
            continue  # a rule's remnant, or a speckle
        boxes.append((y, y + bh, x, x + bw))
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes) + my,
        max(b[1] for b in boxes) + my,
        min(b[2] for b in boxes) + mx,
        max(b[3] for b in boxes) + mx,
    )


def read_pdf(
    data: bytes, config: ExtractConfig, engine: EngineProvider, lay_out: LayOut
) -> PagedDocument:
    """Rows of every page of a PDF, each page laid out by ``lay_out``. Raises InputError for a
    document that cannot be opened."""
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
                    content = PageContent(page_no, words, page_rules(page), "pdf")
                    out.rows.extend(lay_out(content))
                    continue
                dpi = scan_dpi(page, config.ocr.dpi) if not words else config.ocr.dpi
                gray, scale = render_gray(page, dpi, limits)
                out.rows.extend(ocr_rows(gray, scale, page_no, engine(), lay_out))
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
    code = exc.code if isinstance(exc, OcrError) else Code.INPUT_PAGE_UNREADABLE
    return ErrorInfo(code=code, page=page_no, message=f"page {page_no} could not be read: {exc}")


def read_image(
    data: bytes, config: ExtractConfig, engine: EngineProvider, lay_out: LayOut
) -> PagedDocument:
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
        raise InputError(f"the image is too large: {exc}", code=Code.INPUT_TOO_LARGE) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"not a readable image: {exc}", code=Code.INPUT_CORRUPT) from exc
    if frames > config.max_pages:
        raise InputError(f"{frames} frames > limit {config.max_pages}", code=Code.INPUT_TOO_LARGE)
    out = PagedDocument(rows=[], pages=frames)
    for i in range(frames):
        gray, dpi = _frame(img, i, config.max_pixels, config.ocr.dpi)
        try:
            page = np.asarray(gray, dtype=np.uint8)
            out.rows.extend(ocr_rows(page, dpi / 72.0, i + 1, engine(), lay_out))
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
                f"page {index + 1}: {w}x{h} pixels > limit {max_pixels}", code=Code.INPUT_TOO_LARGE
            )
        gray = img.convert("L")
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise InputError(f"not a readable image: {exc}", code=Code.INPUT_CORRUPT) from exc
    try:
        dpi = float(img.info.get("dpi", (default_dpi,))[0])
    except (TypeError, ValueError, IndexError):
        dpi = default_dpi
    return gray, dpi if 10 <= dpi <= 4800 else float(default_dpi)  # nan and junk too
