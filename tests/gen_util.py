"""What the tests of the report generators share."""

from __future__ import annotations

from typing import Any

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.model import DocumentResult
from extractor.pipeline import extract_text_bytes


def extract_text(text: str, definitions: Definitions) -> DocumentResult:
    """A generated report's text through the pipeline."""
    return extract_text_bytes(
        text.encode("utf-8"), source_name="gen.txt", config=ExtractConfig(), definitions=definitions
    )


def truth_rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    """A truth table's rows, section by section."""
    if table.get("sections"):
        return [r for s in table["sections"] for r in s["rows"]]
    return list(table.get("rows") or [])


def walk(value: Any) -> list[Any]:
    """Every leaf value of a JSON-like document."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in walk(v)]
    return [value]
