"""Validated, frozen configuration. Stages receive what they need as arguments; nothing reads
global settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from extractor.ocr.registry import OcrOptions, default_options

LlmMode = Literal["off", "auto", "always"]


class LlmOptions(BaseModel):
    """The LLM-assisted extraction path (extract/llm.py): endpoint, mode and bounds.

    The API key is a SecretStr: it is never logged, written, put in a result or a cache key.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: LlmMode | None = Field(
        default=None,
        description="off | auto (only tables the mapper cannot finish) | always (every table); "
        "None: auto when a model is configured, else off",
    )
    model: str | None = Field(default=None, description="model name at the endpoint")
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint (vLLM, Ollama, DeepSeek...)"
    )
    api_key: SecretStr = Field(
        default=SecretStr(""), description="API key; may be empty for local servers"
    )
    instructor_mode: Literal["json", "tools", "md_json"] = Field(
        default="json", description="how instructor asks for structured output"
    )
    max_reasks: int = Field(default=2, ge=0, le=5, description="re-asks per chunk at most")
    token_budget: int = Field(
        default=200_000,
        gt=0,
        description="no request is sent once a document has spent this many prompt + "
        "completion tokens",
    )
    chunk_deadline_s: float = Field(
        default=120.0, gt=0, description="seconds per chunk, all attempts and re-asks included"
    )
    transport_retries: int = Field(
        default=3, ge=0, le=10, description="retries of one request on 429/5xx/timeouts"
    )
    backoff_s: float = Field(
        default=1.0, ge=0, description="first transport backoff (doubles; Retry-After wins)"
    )
    cache_dir: Path | None = Field(
        default=None, description="response cache folder; None: no cache"
    )
    max_rows_per_chunk: int = Field(
        default=60, ge=5, description="longer tables are split into row ranges"
    )
    temperature: float = Field(default=0.0, ge=0, le=2, description="sampling temperature")

    @property
    def effective_mode(self) -> LlmMode:
        if self.mode is not None:
            return self.mode
        return "auto" if self.model else "off"


def llm_options_from_env(env: Mapping[str, str] | None = None, **overrides: object) -> LlmOptions:
    """LlmOptions from EXTRACTOR_LLM_MODEL / _BASE_URL / _API_KEY (else OPENAI_API_KEY) /
    _MODE (instructor mode) / _CACHE_DIR; ``overrides`` that are not None win."""
    e = os.environ if env is None else env
    values: dict[str, object] = {
        "model": e.get("EXTRACTOR_LLM_MODEL") or None,
        "base_url": e.get("EXTRACTOR_LLM_BASE_URL") or None,
        "api_key": SecretStr(e.get("EXTRACTOR_LLM_API_KEY") or e.get("OPENAI_API_KEY") or ""),
    }
    if e.get("EXTRACTOR_LLM_MODE"):
        values["instructor_mode"] = e["EXTRACTOR_LLM_MODE"]
    if e.get("EXTRACTOR_LLM_CACHE_DIR"):
        values["cache_dir"] = Path(e["EXTRACTOR_LLM_CACHE_DIR"])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return LlmOptions.model_validate(values)


class ExtractConfig(BaseModel):
    """How to extract one document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_dir: Path | None = Field(
        default=None,
        description="folder of report definitions (*.toml) used instead of the shipped set; "
        "None: the definitions shipped in the package",
    )
    extra_schema_dirs: tuple[Path, ...] = Field(
        default=(),
        description="folders of more report definitions, added to the shipped set (or to "
        "schema_dir): a region's own tables",
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
        description="pixels per rendered page (larger renders are scaled down) and per image "
        "frame (larger images are refused with input.too_large, from their header, before "
        "they are decoded)",
    )
    force_ocr: bool = Field(default=False, description="OCR every page, ignoring text layers")
    ocr: OcrOptions = Field(
        default_factory=default_options,
        description="OCR engine and its settings (its ``kind`` names one in ocr/registry.py)",
    )
    repair: bool = Field(
        default=True,
        description="repair OCR misreads that a failing identity locates (extract/repair.py)",
    )
    llm: LlmOptions = Field(default_factory=LlmOptions, description="the LLM-assisted path")
