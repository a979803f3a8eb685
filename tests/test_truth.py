"""TruthDocument, the typed form of a truth: it gives every truth back key for key in the same
order (the JSON written stays byte-identical), coerces nothing and rejects a malformed one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from extractor_evals.generate import generate_final_report
from extractor_evals.generate_budget import generate_budget_report
from extractor_evals.inject import make_case
from extractor_evals.truth import TruthDocument

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"


def _dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("path", sorted(DATASETS.rglob("truth/*.json")), ids=lambda p: p.stem)
def test_hand_written_truths_round_trip(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert _dump(TruthDocument.from_json(data).to_json()) == _dump(data)


def test_generated_truths_round_trip_and_are_typed() -> None:
    _, injected, _ = make_case(3, "source.cross_table")
    for doc in (generate_final_report(7), generate_budget_report(2), injected):
        truth = TruthDocument.from_json(doc)
        assert _dump(truth.to_json()) == _dump(doc)
        assert truth.meta is not None and truth.meta.seed is not None
        table = next(t for t in truth.tables if t.rows)
        assert table.rows is not None and isinstance(table.rows[0].values, list)


def test_key_order_is_the_given_one_and_later_keys_come_last() -> None:
    doc = {
        "tables": [
            {"title": "甲", "layout": "flat", "rows": [{"values": ["1"], "name": "a"}]},
            {"rows": [{"name": "b", "values": [None]}], "layout": "flat", "title": "乙"},
        ],
        "meta": {"doc": "x", "year": 2024, "note": {"free": 1}},
    }
    truth = TruthDocument.from_json(doc)
    assert list(truth.to_json()) == ["tables", "meta"]
    assert [list(t) for t in truth.to_json()["tables"]] == [
        ["title", "layout", "rows"],
        ["rows", "layout", "title"],
    ]
    assert truth.to_json()["meta"] == {"doc": "x", "year": 2024, "note": {"free": 1}}


def test_nothing_is_coerced_and_a_malformed_truth_is_rejected() -> None:
    kept = TruthDocument.from_json({"tables": [{"title": "t", "layout": "x", "toc_no": "1"}]})
    assert kept.tables[0].toc_no == "1"
    # values not a list; an amount as a number (amounts are text, never float)
    for values in (1, [1.5]):
        with pytest.raises(ValidationError):
            TruthDocument.from_json(
                {"tables": [{"title": "t", "layout": "x", "rows": [{"values": values}]}]}
            )
