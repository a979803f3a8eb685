"""OCR engines by name: an options model with a ``kind`` and an explicit registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.errors import ConfigError
from extractor.ocr.base import OcrEngine


class OcrOptions(BaseModel):
    """Which OCR engine, and its settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["rapidocr", "paddleocr"] = Field(default="rapidocr", description="OCR engine")
    dpi: int = Field(default=200, ge=72, le=600, description="render resolution for OCR")
    threads: int = Field(default=1, ge=1, le=64, description="onnxruntime threads per engine")
    det_max_side: int | None = Field(
        default=None,
        ge=320,
        description="rapidocr: shrink pages so the detector sees at most "
        "this many pixels on the long side (less memory; None = the page as rendered)",
    )
    det_model_dir: Path | None = Field(default=None, description="paddleocr: detection model")
    rec_model_dir: Path | None = Field(default=None, description="paddleocr: recognition model")


def _rapid(o: OcrOptions) -> OcrEngine:
    from extractor.ocr.rapid import RapidOcrEngine

    return RapidOcrEngine(threads=o.threads, det_max_side=o.det_max_side)


def _paddle(o: OcrOptions) -> OcrEngine:
    from extractor.ocr.paddle import PaddleOcrEngine

    return PaddleOcrEngine(o.det_model_dir, o.rec_model_dir)


ENGINES: dict[str, Callable[[OcrOptions], OcrEngine]] = {"rapidocr": _rapid, "paddleocr": _paddle}


def create_engine(options: OcrOptions) -> OcrEngine:
    """Build the engine an options model names."""
    factory = ENGINES.get(options.kind)
    if factory is None:  # pragma: no cover - Literal keeps this out
        raise ConfigError(f"unknown OCR engine {options.kind!r}")
    return factory(options)
