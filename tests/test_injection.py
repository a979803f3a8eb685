"""A one-digit change injected into a copy of a seed is caught by a failing hard check that
names the changed cell (table, row, column, line)."""

from __future__ import annotations

import random

import pytest

from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.model import DocumentResult
from extractor.pipeline import extract_text_bytes

from .conftest import SEED_FILES


def _run(text: str, definitions: Definitions) -> DocumentResult:
    return extract_text_bytes(
        text.encode("utf-8"), source_name="x.txt", config=ExtractConfig(), definitions=definitions
    )


def _candidates(result: DocumentResult, lines: list[str]) -> list[tuple[int, int, int, int, str]]:
    """(table, row, col, line, raw) of numeric cells of matched tables whose raw text is unique
    on its line, so the change can be made at exactly that cell."""
    out = []
    for ti, t in enumerate(result.tables):
        if not t.definition:
            continue
        rows = [r for s in t.sections for r in s.rows] if t.sections else t.rows
        for ri, r in enumerate(rows):
            for ci, c in enumerate(r.cells):
                if not c.raw or not any(ch.isdigit() for ch in c.raw) or c.line is None:
                    continue
                if lines[c.line - 1].split("\t").count(c.raw) == 1:
                    out.append((ti, ri, ci, c.line, c.raw))
    return out


def _change_digit(raw: str, rng: random.Random) -> str:
    """Change one digit. A change of ±1 in the last printed digit is what real rounding does
    and lies inside the interval tolerance by design (SPEC.md §3), so a last-digit change
    moves it by at least 2 units."""
    positions = [i for i, ch in enumerate(raw) if ch.isdigit()]
    i = rng.choice(positions)
    last = i == positions[-1]
    choices = [
        d for d in "0123456789" if d != raw[i] and (not last or abs(int(d) - int(raw[i])) >= 2)
    ]
    return raw[:i] + rng.choice(choices) + raw[i + 1 :]


@pytest.mark.parametrize("doc", ["000", "001"])
def test_injected_digit_is_caught_and_named(doc: str, definitions: Definitions) -> None:
    text = SEED_FILES[doc].read_text(encoding="utf-8")
    lines = text.split("\n")
    clean = _run(text, definitions)
    rng = random.Random(20261123)
    cands = _candidates(clean, lines)
    assert len(cands) > 50
    for ti, _ri, ci, line, raw in rng.sample(cands, 30):
        new_raw = _change_digit(raw, rng)
        cells = lines[line - 1].split("\t")
        cells[cells.index(raw)] = new_raw
        changed = "\n".join([*lines[: line - 1], "\t".join(cells), *lines[line:]])
        result = _run(changed, definitions)
        named = [
            c
            for c in result.checks
            if c.severity == "hard"
            and c.status in ("fail", "suspect")
            and any(
                ref.line == line
                and ref.table_index == ti
                and ref.value is not None
                and ref.col_index == ci
                for ref in c.cells
            )
        ]
        assert named, f"change {raw!r} -> {new_raw!r} at line {line} not caught"
        # a faithful text reading: the report itself is inconsistent, not the extraction
        assert all(c.classification in ("source_inconsistency", None) for c in named)
        assert not [
            c
            for c in result.checks
            if c.severity == "hard" and c.classification == "extraction_error"
        ]
