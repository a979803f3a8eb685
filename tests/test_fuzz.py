"""The fuzz tier: a seeded corpus of small hostile files (extractor_evals/fuzz.py) through a
real ``extractor batch``: no traceback, a result JSON and a ledger row for every file, only
known error codes. ``make fuzz`` runs the large corpus and prints the outcome table."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from extractor.batch.ledger import LEDGER_NAME
from extractor_evals.fuzz import (
    KNOWN_CODES,
    FuzzCase,
    corpus,
    outcome_table,
    read_results,
    write_corpus,
)

N = 150


@dataclass
class Fuzzed:
    out: Path
    cases: list[FuzzCase]
    stderr: str


def test_the_corpus_is_seeded_and_covers_every_class() -> None:
    a, b = corpus(24, seed=3), corpus(24, seed=3)
    assert [(c.name, c.data) for c in a] == [(c.name, c.data) for c in b]
    assert [c.data for c in corpus(24, seed=4)] != [c.data for c in a]
    kinds = {c.kind for c in corpus(60)}
    assert {"pdf.truncated", "pdf.bitflip", "pdf.hostile", "image.extreme", "text.extreme"} <= kinds
    assert {k for k in kinds if k.startswith("bytes.")} == {
        "bytes.pdf", "bytes.png", "bytes.jpg", "bytes.tif", "bytes.txt"
    }


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Fuzzed:
    root = tmp_path_factory.mktemp("fuzz")
    cases = write_corpus(root / "in", N, seed=14)
    # OCR at the lowest resolution: the tier is about surviving, not reading well
    proc = subprocess.run(
        [sys.executable, "-m", "extractor.cli", "batch", str(root / "in"), "-o",
         str(root / "out"), "--workers", "2", "--ocr-dpi", "72"],
        capture_output=True, text=True, errors="replace",
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return Fuzzed(root / "out", cases, proc.stderr)


def test_no_traceback_reaches_stderr(fuzzed: Fuzzed) -> None:
    err = fuzzed.stderr
    assert "Traceback" not in err and "Warning" not in err and "WARNING" not in err


def test_every_file_has_a_result_and_a_ledger_row(fuzzed: Fuzzed) -> None:
    out, cases = fuzzed.out, fuzzed.cases
    stems = {c.name.rsplit(".", 1)[0] for c in cases}
    assert set(read_results(out)) == stems
    db = sqlite3.connect(out / LEDGER_NAME)
    try:
        assert {r[0] for r in db.execute("SELECT name FROM documents")} == stems
    finally:
        db.close()


def test_only_known_error_codes(fuzzed: Fuzzed) -> None:
    out, cases = fuzzed.out, fuzzed.cases
    results = read_results(out)
    codes = {c for _, errs in results.values() for c in errs}
    assert codes <= KNOWN_CODES, outcome_table(cases, results)
    # every failure says why
    assert all(errs for status, errs in results.values() if status != "ok")
