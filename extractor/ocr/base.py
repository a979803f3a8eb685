"""The OCR engine protocol: a grayscale page image in, text boxes with confidences out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True, slots=True)
class OcrBox:
    """One recognised text line: axis-aligned box in image pixels, text, confidence 0..1."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    confidence: float


class OcrEngine(Protocol):
    """What the pipeline needs of an OCR engine."""

    name: str

    def recognize(self, image: Any) -> list[OcrBox]:
        """Recognise the text of a grayscale uint8 image (H×W numpy array)."""
        ...

    def read_line(self, image: Any) -> tuple[str, float]:
        """Text and confidence of an image holding one line of text (a cell's crop), read by
        the recognizer alone: the detector, which can miss a lone short glyph such as a
        one-digit amount, is not asked."""
        ...


class EngineOptions(BaseModel):
    """What every engine's options model has: the ``kind`` that names the engine in the
    registry (each model narrows it to its own Literal) and the render resolution that ingest
    uses before any engine runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="OCR engine")
    dpi: int = Field(default=200, ge=72, le=600, description="render resolution for OCR")
