"""Family C, the disclosure checks: each defect injected into a generated 决算 is found at its
line (or table) with its evidence, the clean reports and the real ones give none, the blank
template gives placeholders, and a region's own rule set adds a rule or switches one off."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.api import extract
from extractor.cli import main
from extractor.config import ExtractConfig
from extractor.definitions import Definitions, load_definitions
from extractor.errors import DefinitionError
from extractor.ingest.text import read_text
from extractor.model import Check, DocumentResult
from extractor.pipeline import extract_bytes, prose_lines
from extractor.verify import disclosure
from extractor.verify.disclosure import disclosure_checks
from extractor_evals.inject_disclosure import (
    DISCLOSURE_KINDS,
    alter_report,
    make_disclosure_case,
)

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "evals" / "datasets" / "real_pdfs"
SEEDS = ROOT / "evals" / "datasets" / "seeds"


def _run(text: str, definitions: Definitions) -> DocumentResult:
    return extract_bytes(
        text.encode("utf-8"), source_name="d.txt", config=ExtractConfig(), definitions=definitions
    )


def _c(result: DocumentResult) -> list[Check]:
    return [c for c in result.checks if c.family == "C"]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", DISCLOSURE_KINDS)
def test_each_injected_defect_is_found_where_it_was_made(
    kind: str, seed: int, definitions: Definitions
) -> None:
    text, _, labels = make_disclosure_case(seed, kind)
    result = _run(text, definitions)
    label = next(lb for lb in labels if lb.kind == kind)
    found = [c for c in _c(result) if c.expression == kind.removeprefix("disclosure.")]
    assert found, f"{kind}: no finding"
    ref = found[0].cells[0]
    if label.line is not None:
        assert ref.line == label.line
    else:
        assert ref.table == label.table_id
    assert ref.value and found[0].actual == ref.value  # the evidence: the printed text
    assert found[0].severity == "soft" and found[0].classification == "source_inconsistency"
    # the finding carries it too, and the document stays ok (the report is inconsistent)
    assert any(f.check == found[0].id and f.cells[0].value == ref.value for f in result.findings)
    assert result.status == "ok"
    # counted apart from the arithmetic's source inconsistencies
    assert result.summary.disclosure == len(_c(result))
    # only that defect: no other kind is claimed
    assert {c.expression for c in _c(result)} == {kind.removeprefix("disclosure.")}


@pytest.mark.parametrize("seed", range(4))
def test_clean_generated_reports_give_no_disclosure_finding(
    seed: int, definitions: Definitions
) -> None:
    text, _, _ = make_disclosure_case(seed, None)
    result = _run(text, definitions)
    assert _c(result) == []
    # the 情况说明 written for the case agrees with its tables: no narrative failure either
    assert not [c for c in result.checks if c.family == "N" and c.status == "fail"]


@pytest.mark.parametrize(
    "path",
    [
        *sorted(SEEDS.glob("*.txt")),
        REAL / "sh_putuo_planning-resources_2024_dept-final.pdf",
        REAL / "sh_putuo_wanli-jiedao_2025_dept-budget.pdf",
    ],
    ids=lambda p: p.name[:24],
)
def test_real_reports_give_no_disclosure_finding(path: Path) -> None:
    assert _c(extract(path)) == []


@pytest.mark.parametrize("name", ["000_078c4e39dcefb175.txt", "001_dd1a73d650f3ea85.txt"])
def test_a_real_report_altered_as_in_the_issue_gives_six_of_six(
    name: str, definitions: Definitions
) -> None:
    """Issue 17: department to XX, the narrative's year, a direction word, doubled
    punctuation, one total to 0 and a removed table, on a real 决算: all six found."""
    data = (SEEDS / name).read_bytes()
    clean = extract_bytes(data, source_name=name, config=ExtractConfig(), definitions=definitions)
    dept = next(f for f in clean.document.facts if f.name == "department")
    assert clean.document.year is not None and dept.line is not None
    text, labels = alter_report(data.decode("utf-8"), clean.document.year, dept.value, dept.line)
    result = _run(text, definitions)
    found = {(c.expression, c.cells[0].line) for c in _c(result)}
    for lb in labels[:-1]:
        assert (lb.kind.removeprefix("disclosure."), lb.line) in found, lb.kind
    assert any(
        e.code == "extract.table_missing" and labels[-1].table_id in e.message
        for e in result.errors
    )


def test_the_blank_template_is_full_of_placeholders() -> None:
    result = extract(REAL / "TEMPLATE_sh_dept-final-template_2024.pdf")
    found = [c for c in _c(result) if c.expression == "placeholder"]
    assert len(found) >= 20
    assert all(c.cells[0].page is not None and "XX" in (c.actual or "") for c in found[:5])


def _checks(text: str, definitions: Definitions, year: int = 2023) -> list[Check]:
    """The disclosure checks of prose alone (no table), read as the pipeline reads it."""
    rows = read_text(text.encode("utf-8")).rows
    return disclosure_checks(rows, prose_lines(rows), [], definitions, year)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2023年度支出合计100.00万元，比上年增加10.00万元，下降10.00%。", "direction"),
        ("收入合计120.00万元，小于支出合计100.00万元。", "direction"),
        ("支出合计120.00万元，与上年持平（上年决算数为100.00万元）。", "direction"),
        ("基本支出80.00万元，占本年支出的180.00%。", "implausible"),
        ("本部门（单位名称）2023年度收入为…万元。", "placeholder"),
        ("2023年度本年支出合计100.00万元。。", "punctuation"),
        ("2022年度本年支出合计100.00万元。", "year"),
    ],
)
def test_each_kind_on_prose_written_for_it(text: str, kind: str, definitions: Definitions) -> None:
    checks = _checks(text, definitions)
    assert [c.expression for c in checks] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        # the year before, compared: no year mismatch
        "2023年度本年支出合计100.00万元，比2022年度支出增加10.00万元，增长11.11%。",
        # direction words that agree with the previous figure printed
        "2023年度收入合计110.00万元，比上年增加10.00万元，增长10.00%（上年决算数为100.00万元）。",
        "收入合计100.00万元，等于支出合计100.00万元。",
        "支出合计100.00万元，与上年持平（上年决算数为100.00万元）。",
        "基本支出80.00万元，占80.00%。",
    ],
)
def test_prose_without_a_defect_gives_nothing(text: str, definitions: Definitions) -> None:
    assert _checks(text, definitions) == []


def test_a_rule_whose_test_its_kind_has_not_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(
        '[[disclosure.checks]]\nid = "x"\nkind = "year"\ntest = "share"\n', encoding="utf-8"
    )
    with pytest.raises(DefinitionError, match="kind year runs test"):
        load_definitions(extra_dirs=(tmp_path,))


def test_schemas_check_lists_the_disclosure_rules_a_folder_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "r.toml").write_text(
        '[[disclosure.checks]]\nid = "year"\nenabled = false\n', encoding="utf-8"
    )
    assert main(["schemas", "check", str(tmp_path)]) == 0
    assert "disclosure check year (year): off" in capsys.readouterr().out


def test_a_region_switches_a_rule_off_and_adds_one(tmp_path: Path) -> None:
    (tmp_path / "local.toml").write_text(
        "[[disclosure.checks]]\n"
        'id = "doubled_punctuation"\n'
        "enabled = false\n\n"
        "[[disclosure.checks]]\n"
        'id = "local_placeholder"\n'
        'kind = "placeholder"\n'
        "patterns = ['某某']\n",
        encoding="utf-8",
    )
    local = load_definitions(extra_dirs=(tmp_path,))
    shipped = load_definitions()
    text = "2023年度本年支出合计100.00万元。。某某单位。"
    assert [c.cells[0].column for c in _checks(text, shipped)] == [
        "doubled_punctuation"
    ]
    got = _checks(text, local)
    assert [c.cells[0].column for c in got] == ["local_placeholder"]
    # the switched-off rule keeps its other fields
    off = next(c for c in local.disclosure if c.id == "doubled_punctuation")
    assert not off.enabled and off.patterns


def test_a_disclosure_check_that_raises_costs_that_check(
    monkeypatch: pytest.MonkeyPatch, definitions: Definitions
) -> None:
    def broken(*_: object) -> None:
        raise KeyError("injected")

    monkeypatch.setitem(disclosure._RUNS, ("year", ""), broken)
    text, _, labels = make_disclosure_case(0, "disclosure.placeholder")
    result = _run(text, definitions)
    assert result.status == "partial"
    (err,) = [e for e in result.errors if e.code.startswith("internal.")]
    assert err.code == "internal.disclosure" and "disclosure check year" in err.message
    # the other checks ran: the placeholder is still found where it was put
    assert [c.cells[0].line for c in _c(result)] == [labels[0].line]


def test_eval_scores_each_kind_and_a_drop_against_the_baseline_regresses() -> None:
    from extractor_evals.harness import Report, compare, generated_disclosure_dataset, measure

    cases = generated_disclosure_dataset(7)
    definitions = load_definitions()
    metrics = [measure(c, _run(c.data.decode("utf-8"), definitions), 0.0) for c in cases]
    totals = Report(datasets={"d": metrics}).totals()["disclosure"]
    assert set(totals) == {k.removeprefix("disclosure.") for k in DISCLOSURE_KINDS}
    assert all(v["labels"] == 1 and v["recall"] == 1.0 and v["false"] == 0 for v in totals.values())
    report = Report(datasets={"d": metrics})
    better = {"datasets": {"d": {"totals": {"disclosure": {"year": {"recall": 1.0}}}}}}
    assert compare(report, better) == (["no change against the baseline"], False)
    # a baseline that found more: the drop is a regression, and says which kind
    metrics[2].disclosure["year"] = [1, 0, 0]
    lines, regressed = compare(report, better)
    assert regressed and lines == ["d: disclosure year recall 1.0 -> 0.0 (worse)"]
