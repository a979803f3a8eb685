"""The evaluation harness: metrics, labels, silent errors, reports and the baseline gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from extractor.cli import main
from extractor.config import ExtractConfig
from extractor.definitions import Definitions
from extractor.pipeline import extract_text_bytes
from extractor_evals.harness import Case, Label, compare, format_table, measure, run_eval

from .conftest import SEED_FILES, SEEDS, truth


def _case(
    doc: str,
    text: str | None = None,
    labels: list[Label] | None = None,
    truth_doc: dict | None = None,
) -> Case:  # type: ignore[type-arg]
    data = (text if text is not None else SEED_FILES[doc].read_text(encoding="utf-8")).encode()
    return Case(doc, data, truth_doc or truth(doc), labels or [], f"{doc}.txt")


def _run(case: Case, definitions: Definitions):  # type: ignore[no-untyped-def]
    result = extract_text_bytes(
        case.data, source_name=case.source_name, config=ExtractConfig(), definitions=definitions
    )
    return measure(case, result, 0.1)


def test_clean_seed_metrics(definitions: Definitions) -> None:
    m = _run(_case("000"), definitions)
    assert (m.tables_found, m.tables_expected) == (9, 9)
    assert m.cells == m.cells_exact == 1259
    assert m.nonzero_exact == m.nonzero_cells > 100
    assert m.hard_fail == 0 and m.silent_errors == 0 and m.rows_missing == 0


def test_wrong_cell_without_a_failing_check_is_a_silent_error(definitions: Definitions) -> None:
    """A truth that disagrees with a faithful reading (as if the extractor misread a cell in
    a way no identity notices) counts as one wrong cell and one silent error."""
    t = truth("001")
    t["tables"][9]["sections"][0]["rows"][1]["values"][0] = "4.96"  # 公开10表 货物 4.69
    m = _run(_case("001", truth_doc=t), definitions)
    assert m.cells - m.cells_exact == 1
    assert m.silent_errors == 1


def test_labeled_source_inconsistency_is_detected(definitions: Definitions) -> None:
    lines = SEED_FILES["000"].read_text(encoding="utf-8").split("\n")
    lines[125] = lines[125].replace("31. 35", "37. 35", 1)  # 02 l.126 c1
    t = truth("000")
    t["tables"][1]["rows"][2]["values"][0] = "37.35"  # the printed report is the truth
    label = Label(
        kind="source.leaf", expected="source_inconsistency", table="公开02表", line=126, col=0
    )
    # the real inconsistencies of the seed's narrative and annex are labeled too (SPEC.md §3)
    spec = json.loads((SEEDS / "dataset.json").read_text(encoding="utf-8"))
    known = [Label(**lb) for c in spec["cases"] if c["name"] == "000" for lb in c["labels"]]
    m = _run(_case("000", "\n".join(lines), [label, *known], t), definitions)
    assert m.cells == m.cells_exact
    assert m.source_labels == 1 + len(known) and m.source_detected_true == 1 + len(known)
    assert m.source_detected_false == 0  # every failing check touches the changed cell
    assert m.silent_errors == 0


def test_dataset_folder_reports_and_baseline_gate(
    tmp_path: Path, definitions: Definitions, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = tmp_path / "seeds"
    (ds / "truth").mkdir(parents=True)
    for doc in ("000", "001"):
        shutil.copy(SEED_FILES[doc], ds / f"{doc}.txt")
        shutil.copy(SEEDS / "truth" / f"{doc}.json", ds / "truth" / f"{doc}.json")
    report = run_eval([str(ds)], ExtractConfig(), definitions)
    assert [c.case for c in report.datasets["seeds"]] == ["000", "001"]
    totals = report.totals()
    assert totals["cell_accuracy"] == 1.0 and totals["cells"] == 2013
    assert "| case |" in format_table(report, markdown=True)
    lines, regressed = compare(report, report.to_json())
    assert not regressed and lines == ["no change against the baseline"]
    better = report.to_json()
    better["datasets"]["seeds"]["totals"]["cell_accuracy"] = 1.5  # an impossible past
    _, regressed = compare(report, better)
    assert regressed
    # the command line: JSON, Markdown, baseline written without timings, gate exit code
    base = tmp_path / "base.json"
    assert (
        main(
            [
                "eval",
                str(ds),
                "--write-baseline",
                str(base),
                "--json",
                str(tmp_path / "r.json"),
                "--markdown",
                str(tmp_path / "r.md"),
            ]
        )
        == 0
    )
    assert "seconds" not in json.loads(base.read_text())["datasets"]["seeds"]["cases"][0]
    assert main(["eval", str(ds), "--compare", str(base)]) == 0
    data = json.loads(base.read_text())
    data["datasets"]["seeds"]["totals"]["cell_accuracy"] = 1.5
    base.write_text(json.dumps(data))
    assert main(["eval", str(ds), "--compare", str(base)]) == 1
    assert "REGRESSION" in capsys.readouterr().out
