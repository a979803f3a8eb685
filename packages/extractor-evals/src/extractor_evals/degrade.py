"""Turn a PDF into a degraded scan: image-only pages (no text layer), as a scanner would make.

Each page is rendered in grayscale at `ScanStyle.dpi`, printed onto slightly grey paper with
slightly grey ink, skewed by a small angle (the exposed corners filled with paper white; the
image keeps its size so the dpi stays exact), blurred, speckled and given sensor noise, then
JPEG-compressed and placed as the only content of a page of the original size. Everything
random comes from the seed: the same PDF, style and seed give byte-identical output.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pymupdf
from PIL import Image, ImageFilter

_FIXED_DATE = "D:20240101000000+08'00'"
_PAPER = 246.0  # grey level of blank paper
_INK = 28.0  # grey level of full ink

GrayImage = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class ScanStyle:
    """How badly a page is scanned.

    dpi: scan resolution (150 or 200). rotate_deg: skew angle in degrees (at most 2), its sign
    drawn per page. noise: gaussian sensor noise sigma as a fraction of full scale (0.03 ->
    sigma of 7.65 grey levels); speckles (isolated dark dots on paper, light dots in ink) hit
    noise / 30 of the pixels. blur: gaussian blur radius in pixels at the scan dpi.
    jpeg_quality: JPEG quality of the page images (30-50 looks like office scanners).
    """

    dpi: int = 150
    rotate_deg: float = 1.0
    noise: float = 0.03
    blur: float = 0.6
    jpeg_quality: int = 40


def _as_gray(image: bytes | GrayImage | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("L")
    if isinstance(image, bytes | bytearray):
        with Image.open(io.BytesIO(image)) as img:
            return img.convert("L")
    array = np.asarray(image)
    if array.ndim == 3:
        return Image.fromarray(array.astype(np.uint8)).convert("L")
    return Image.fromarray(array.astype(np.uint8), mode="L")


def degrade_page_image(
    png_or_array: bytes | GrayImage | Image.Image,
    style: ScanStyle,
    rng: np.random.Generator,
) -> GrayImage:
    """Degrade one page image (PNG/JPEG bytes, an array or a PIL image); returns grayscale
    uint8 of the same size."""
    img = _as_gray(png_or_array)
    # paper and ink are never pure white and black
    levels = np.asarray(img, dtype=np.float32)
    levels = _INK + levels * ((_PAPER - _INK) / 255.0)
    img = Image.fromarray(np.clip(levels, 0, 255).astype(np.uint8), mode="L")
    angle = float(style.rotate_deg) * (1.0 if rng.random() < 0.5 else -1.0)
    if angle:
        img = img.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=int(_PAPER)
        )
    out = np.asarray(img, dtype=np.float32)
    if style.noise > 0:
        out = out + rng.normal(0.0, 255.0 * style.noise, size=out.shape).astype(np.float32)
        speckle = rng.random(size=out.shape) < style.noise / 30.0
        on_paper = out > (_PAPER + _INK) / 2
        out = np.where(speckle & on_paper, _INK + 60.0, out)
        out = np.where(speckle & ~on_paper, _PAPER - 30.0, out)
    if style.blur > 0:
        # optics blur after the noise: grain and specks come out soft, as in real scans
        noisy = Image.fromarray(np.clip(np.rint(out), 0, 255).astype(np.uint8), mode="L")
        out = np.asarray(noisy.filter(ImageFilter.GaussianBlur(radius=float(style.blur))))
    result: GrayImage = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return result


def _jpeg(image: GrayImage, quality: int, dpi: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image, mode="L").save(
        buf, format="JPEG", quality=int(quality), dpi=(dpi, dpi), optimize=True
    )
    return buf.getvalue()


def degrade_pdf(pdf: bytes, style: ScanStyle, *, seed: int) -> bytes:
    """Scan every page of `pdf` into an image-only PDF with pages of the original size."""
    rng = np.random.default_rng(seed)
    src = pymupdf.open(stream=pdf, filetype="pdf")
    out = pymupdf.open()
    try:
        for page in src:
            pix = page.get_pixmap(dpi=style.dpi, colorspace=pymupdf.csGRAY, alpha=False)
            array = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
            gray = array[:, : pix.width].copy()
            jpeg = _jpeg(degrade_page_image(gray, style, rng), style.jpeg_quality, style.dpi)
            new = out.new_page(width=page.rect.width, height=page.rect.height)
            new.insert_image(new.rect, stream=jpeg, keep_proportion=False)
        out.set_metadata(
            {
                "title": "",
                "author": "",
                "subject": "",
                "keywords": "",
                "creator": "evals.degrade",
                "producer": "evals.degrade",
                "creationDate": _FIXED_DATE,
                "modDate": _FIXED_DATE,
            }
        )
        data: bytes = out.tobytes(garbage=3, deflate=True, no_new_id=True)
    finally:
        src.close()
        out.close()
    return data


__all__ = ["ScanStyle", "degrade_page_image", "degrade_pdf"]
