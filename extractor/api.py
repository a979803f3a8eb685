"""The library call: ``extract(path) -> DocumentResult``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from extractor.config import ExtractConfig
from extractor.definitions import Definitions, load_definitions
from extractor.model import DocumentResult
from extractor.pipeline import extract_path


@lru_cache(maxsize=8)
def _definitions(schema_dir: Path | None, extra: tuple[Path, ...]) -> Definitions:
    return load_definitions(schema_dir, extra)


def extract(source: str | Path, config: ExtractConfig | None = None) -> DocumentResult:
    """Extract and verify the tables of one report.

    Data problems (empty, binary, undecodable, no table, cut off) are reported in the
    result's ``status`` and ``errors``; exceptions only for an unreadable path or invalid
    configuration.
    """
    cfg = config or ExtractConfig()
    return extract_path(Path(source), cfg, _definitions(cfg.schema_dir, cfg.extra_schema_dirs))
