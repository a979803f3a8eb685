"""The digest of generated documents (extractor_evals.digest, `make eval-digest`) finds a
document that changed, and is the same from run to run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor_evals.digest import digest, main

SPECS = ["generated:2", "generated-budget:1"]


def test_digest_is_deterministic_and_per_document() -> None:
    first = digest(tuple(SPECS), fuzz=3)
    assert first == digest(tuple(SPECS), fuzz=3)
    assert len(first) == 6
    inputs = [d["input"] for d in first.values()]
    assert len(set(inputs)) == len(inputs) and all(len(h) == 64 for h in inputs)


def test_check_reports_a_changed_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = tmp_path / "digest.json"
    args = [str(ref), "--specs", *SPECS, "--fuzz", "2"]
    assert main([*args, "--write"]) == 0
    assert main(args) == 0
    assert "0 differ" in capsys.readouterr().out
    data = json.loads(ref.read_text(encoding="utf-8"))
    data["generated:2/gen0001-source.total"]["truth"] = "0" * 64
    ref.write_text(json.dumps(data), encoding="utf-8")
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "DIFFERS generated:2/gen0001-source.total" in out and "1 differ" in out
