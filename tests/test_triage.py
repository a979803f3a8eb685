"""A batch an analyst can triage: failed and partial documents named in the summary and in
OUT/failures.csv; misuse refused with exit code 2; -v/-q on every command."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest

from extractor.cli import main

from .batch_util import generated_text
from .conftest import SEED_FILES


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's refusals
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _inputs(root: Path) -> Path:
    src = root / "in"
    src.mkdir()
    (src / "good.txt").write_text(generated_text(31), encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    (src / "prose.txt").write_text("第一部分 概况\n\n本部门负责医疗保障工作。\n", encoding="utf-8")
    text = SEED_FILES["001"].read_text(encoding="utf-8")
    (src / "cut.txt").write_text(text[: text.index("公开03表") + 200], encoding="utf-8")
    return src


def test_failures_are_named_in_the_summary_and_in_failures_csv(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    out = tmp_path / "out"
    code, printed, _ = _cli(["batch", str(src), "-o", str(out), "--workers", "1"])
    assert code == 1
    assert "failed and partial documents" in printed
    for name, code_ in (("empty", "input.empty"), ("prose", "extract.no_tables")):
        assert f"failed  {name}: {code_}" in printed
    raw = (out / "failures.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"empty", "prose", "cut"}  # good.txt is ok
    assert [r["status"] for r in rows] == ["failed", "failed", "partial"]  # failed first
    assert by_name["cut"]["error_codes"].split() and by_name["cut"]["result"] == "cut.json"
    assert by_name["empty"]["message"] == "the file is empty"
    assert by_name["prose"]["input"].endswith("prose.txt")


def test_first_ten_by_default_all_with_verbose(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i in range(12):
        (src / f"e{i:02d}.txt").write_bytes(b"")
    code, printed, _ = _cli(["batch", str(src), "-o", str(tmp_path / "a"), "--workers", "1"])
    assert code == 1 and "... 2 more in failures.csv" in printed
    code, printed, _ = _cli(["batch", str(src), "-o", str(tmp_path / "b"), "--workers", "1",
                             "-v"])
    assert "more in failures.csv" not in printed and "e11: input.empty" in printed
    code, printed, err = _cli(["batch", str(src), "-o", str(tmp_path / "c"), "--workers", "1",
                               "-q"])
    assert code == 1 and printed == "" and err == ""  # no summary, no progress


def test_a_folder_without_reports_is_refused(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notes.md").write_text("no report here\n")
    code, _, err = _cli(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert code == 2 and "no reports found" in err


@pytest.mark.parametrize("command", ["extract", "batch"])
def test_standard_output_is_no_output_folder(command: str, tmp_path: Path) -> None:
    code, _, err = _cli([command, str(SEED_FILES["000"]), "-o", "-"])
    assert code == 2 and "a folder is needed" in err


def test_extract_exit_status_and_quiet(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    code, printed, _ = _cli(["extract", str(src / "good.txt"), "-o", str(tmp_path / "o")])
    assert code == 0 and "good.txt: ok" in printed
    code, _, _ = _cli(["extract", str(src / "cut.txt"), "-o", str(tmp_path / "o")])
    assert code == 1  # partial: some of its numbers are not to be trusted
    code, printed, _ = _cli(["extract", str(src / "good.txt"), "-o", str(tmp_path / "o"), "-q"])
    assert code == 0 and printed == ""


@pytest.mark.parametrize("command", ["extract", "batch", "export", "review", "eval"])
def test_every_command_takes_verbose_and_quiet(command: str) -> None:
    for flag in ("-v", "-q"):
        code, printed, _ = _cli([command, flag, "--help"])
        assert code == 0 and "--quiet" in printed and "--verbose" in printed


def test_an_ok_report_that_does_not_add_up_is_named_and_strict_fails_it(tmp_path: Path) -> None:
    """Seed 004 is read faithfully and its printed tables fail hard identities: its status
    stays ok (SPEC.md section 3), the triage names it after the partial ones, and --strict
    makes the exit status say so."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text(generated_text(31), encoding="utf-8")
    (src / "adds_up_not.txt").write_bytes(SEED_FILES["004"].read_bytes())
    out = tmp_path / "out"
    code, printed, _ = _cli(["batch", str(src), "-o", str(out), "--workers", "1"])
    assert code == 0  # every document is ok
    assert "documents 2: ok 2," in printed
    assert "ok      adds_up_not: -" in printed and "source inconsistencies" in printed
    raw = (out / "failures.csv").read_bytes().decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(raw)))
    assert (row["name"], row["status"]) == ("adds_up_not", "ok")
    assert row["message"].startswith("23 source inconsistencies (the printed report")
    again, _, _ = _cli(["batch", str(src), "-o", str(out), "--workers", "1", "--strict"])
    assert again == 1
    one = str(src / "adds_up_not.txt")
    assert _cli(["extract", one, "-o", str(tmp_path / "x"), "-q"])[0] == 0
    assert _cli(["extract", one, "-o", str(tmp_path / "x"), "-q", "--strict"])[0] == 1
    good = str(src / "good.txt")
    assert _cli(["extract", good, "-o", str(tmp_path / "y"), "-q", "--strict"])[0] == 0
