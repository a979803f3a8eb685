"""Validated, frozen configuration. Stages receive what they need as arguments; nothing reads
global settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from extractor.ocr.registry import OcrOptions


class ExtractConfig(BaseModel):
    """How to extract one document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_dir: Path | None = Field(
        default=None,
        description="folder of report definitions (*.toml); default: the shipped schemas/",
    )
    family: str | None = Field(
        default=None, description="restrict identification to one definition family (final, budget)"
    )
    max_file_bytes: int = Field(
        default=200 * 1024 * 1024,
        gt=0,
        description="larger inputs are refused with input.too_large",
    )
    max_pages: int = Field(default=2000, gt=0, description="PDFs with more pages are refused")
    max_pixels: int = Field(
        default=60_000_000,
        gt=0,
        description="pixels per rendered page; larger renders are scaled down",
    )
    force_ocr: bool = Field(default=False, description="OCR every page, ignoring text layers")
    ocr: OcrOptions = Field(default_factory=OcrOptions, description="OCR engine and its settings")
