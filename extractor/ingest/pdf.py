"""PDF input through pymupdf (the only module that imports it): open with limits, words and
ruling lines of text-layer pages, page classification, rendering for OCR."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pymupdf

from extractor.errors import Code, InputError
from extractor.ingest.page_image import PageImage
from extractor.layout.geometry import Rule, Word


@dataclass(frozen=True)
class PdfLimits:
    max_pages: int = 2000
    max_pixels: int = 60_000_000  # per rendered page


def open_pdf(data: bytes, limits: PdfLimits) -> Any:
    """Open a PDF from bytes. Raises InputError with a stable code for a document that cannot
    be read (corrupt, encrypted, too many pages)."""
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises its own FileDataError / RuntimeError variants
        raise InputError(f"not a readable PDF: {exc}", code=Code.INPUT_CORRUPT) from exc
    try:
        _check_open(doc, limits)
    except InputError:
        doc.close()
        raise
    except Exception as exc:  # a page tree that lies (/Count 2147483647) fails on counting
        doc.close()
        raise InputError(f"not a readable PDF: {exc}", code=Code.INPUT_CORRUPT) from exc
    return doc


def _check_open(doc: Any, limits: PdfLimits) -> None:
    if (doc.needs_pass or doc.is_encrypted) and not doc.authenticate(""):
        raise InputError("the PDF is encrypted (a password is needed)", code=Code.INPUT_ENCRYPTED)
    n = doc.page_count
    if n == 0:
        raise InputError("the PDF has no readable page", code=Code.INPUT_CORRUPT)
    if n > limits.max_pages:
        raise InputError(f"{n} pages > limit {limits.max_pages}", code=Code.INPUT_TOO_LARGE)


def page_words(page: Any) -> list[Word]:
    """Words of the text layer with their boxes; invisible text (render mode 3) left out."""
    invisible: list[tuple[float, float, float, float]] = []
    try:
        for span in page.get_texttrace():
            if span.get("type") == 3:
                invisible.append(tuple(span["bbox"]))
    except Exception:  # older builds without texttrace: treat all text as visible
        invisible = []
    words = []
    for x0, y0, x1, y1, text, *_ in page.get_text("words", sort=False):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in invisible):
            continue
        words.append(Word(x0, y0, x1, y1, text))
    return words


def page_rules(page: Any) -> list[Rule]:
    """Ruling lines: thin filled rectangles and stroked lines of the page's drawings."""
    rules: list[Rule] = []
    for d in page.get_drawings():
        for item in d.get("items", []):
            kind = item[0]
            if kind == "re":
                r = item[1]
                if r.height <= 2.5 and r.width > r.height:
                    rules.append(Rule("h", (r.y0 + r.y1) / 2, r.x0, r.x1))
                elif r.width <= 2.5 and r.height > r.width:
                    rules.append(Rule("v", (r.x0 + r.x1) / 2, r.y0, r.y1))
                elif d.get("color") is not None and r.width > 4 and r.height > 4:
                    # a stroked rectangle: its four sides
                    rules += [
                        Rule("h", r.y0, r.x0, r.x1),
                        Rule("h", r.y1, r.x0, r.x1),
                        Rule("v", r.x0, r.y0, r.y1),
                        Rule("v", r.x1, r.y0, r.y1),
                    ]
            elif kind == "l":
                p, q = item[1], item[2]
                if abs(p.y - q.y) <= 1.0:
                    rules.append(Rule("h", (p.y + q.y) / 2, min(p.x, q.x), max(p.x, q.x)))
                elif abs(p.x - q.x) <= 1.0:
                    rules.append(Rule("v", (p.x + q.x) / 2, min(p.y, q.y), max(p.y, q.y)))
    return rules


def _bad_char(ch: str) -> bool:
    o = ord(ch)
    return (
        ch == "\ufffd"  # replacement character: a broken font mapping
        or 0xE000 <= o <= 0xF8FF  # private use: glyph ids without a ToUnicode map
        or (o < 32 and ch not in "\t\n\r")
    )


def text_layer_usable(words: list[Word]) -> bool:
    """A page is read from its text layer when the layer holds real text: enough characters
    and hardly any replacement, private-use or control characters (a font without a Unicode
    map, or a scanned page with a junk OCR layer, gives those)."""
    text = "".join(w.text for w in words)
    if len(text) < 5:
        return False
    bad = sum(1 for ch in text if _bad_char(ch))
    return bad / len(text) <= 0.05


def scan_dpi(page: Any, dpi: int) -> int:
    """The resolution to OCR an image-only page at: the scan's own resolution when it is
    lower than ``dpi`` (upsampling a 150 dpi scan adds no detail, only memory and time)."""
    best = 0.0
    for img in page.get_images(full=True):
        for rect in page.get_image_rects(img[0]):
            if rect.width > 0.5 * page.rect.width:
                best = max(best, img[2] / (rect.width / 72.0))
    return int(min(dpi, best)) if best >= 100 else dpi


def release_caches() -> None:
    """Let MuPDF drop the decoded images and fonts it keeps between pages."""
    pymupdf.TOOLS.store_shrink(100)


def render_gray(page: Any, dpi: int, limits: PdfLimits) -> Any:
    """The page as a grayscale numpy array at ``dpi`` (capped by the pixel limit)."""
    import numpy as np

    scale = dpi / 72.0
    w, h = page.rect.width * scale, page.rect.height * scale
    if w * h > limits.max_pixels:
        scale *= (limits.max_pixels / (w * h)) ** 0.5
    pix = page.get_pixmap(
        matrix=pymupdf.Matrix(scale, scale), colorspace=pymupdf.csGRAY, alpha=False
    )
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy(), scale


def render_jpeg(
    data: bytes,
    page_numbers: list[int],
    dpi: int,
    quality: int,
    straighten: Callable[[Any], Any] | None = None,
    straighten_pages: frozenset[int] = frozenset(),
) -> list[PageImage]:
    """Pages (1-based numbers; those past the end are left out) as JPEG images at ``dpi``,
    each with its size in PDF points, for the review page. The ``straighten_pages`` are
    rendered grey and passed through ``straighten`` (the deskew OCR applied, so that the
    boxes OCR read sit on the image as it was read)."""
    doc = open_pdf(data, PdfLimits())
    try:
        out = []
        scale = dpi / 72.0
        for no in page_numbers:
            if not 1 <= no <= doc.page_count:
                continue
            page = doc[no - 1]
            if straighten is not None and no in straighten_pages:
                gray = straighten(render_gray(page, dpi, PdfLimits())[0])
                h, w = gray.shape
                pix = pymupdf.Pixmap(pymupdf.csGRAY, w, h, gray.tobytes(), False)
            else:
                pix = page.get_pixmap(matrix=pymupdf.Matrix(scale, scale), alpha=False)
            jpeg = pix.tobytes("jpeg", jpg_quality=quality)
            out.append(PageImage(no, page.rect.width, page.rect.height, jpeg))
        return out
    finally:
        doc.close()


def page_text_lines(data: bytes, page_numbers: list[int]) -> dict[int, list[str]]:
    """The text-layer lines of some pages (1-based), for quoting a sentence on the review
    page; a page without a text layer gives no lines."""
    doc = open_pdf(data, PdfLimits())
    try:
        return {
            no: [x.strip() for x in doc[no - 1].get_text("text").splitlines() if x.strip()]
            for no in page_numbers
            if 1 <= no <= doc.page_count
        }
    finally:
        doc.close()
