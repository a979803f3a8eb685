"""Sample truths rendered as PDFs once per test session: several test modules read the same
renders (the renderer's own tests and the read-back tests), and rendering costs about a second
a document."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from extractor_evals.render_pdf import STYLES, PageLayout, render_pdf_with_layout

TRUTH = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "seeds" / "truth"


@cache
def load(doc: str) -> dict[str, Any]:
    """A sample's truth file (do not modify the returned dict: it is shared)."""
    data: dict[str, Any] = json.loads((TRUTH / f"{doc}.json").read_text(encoding="utf-8"))
    return data


@cache
def rendered(doc: str, style: str, seed: int = 0) -> tuple[bytes, list[PageLayout]]:
    """A sample's truth rendered in a renderer style, with its page layout."""
    return render_pdf_with_layout(load(doc), STYLES[style], seed=seed)
