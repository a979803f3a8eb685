"""``extractor export``: one queryable store from a batch's result JSONs."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from extractor.batch import BatchOptions, run_batch
from extractor.cli import main
from extractor.config import ExtractConfig

from .batch_util import generated_text

# the query the README shows
INCONSISTENT_TOTALS = """
SELECT d.department, d.year, COUNT(*) AS inconsistent_checks,
       COUNT(DISTINCT c.doc_id) AS documents
FROM checks c JOIN documents d ON d.doc_id = c.doc_id
WHERE c.classification = 'source_inconsistency'
GROUP BY d.department, d.year
ORDER BY inconsistent_checks DESC, d.department
"""


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    src = root / "in"
    (src / "y").mkdir(parents=True)
    for i, kind in enumerate([None, "source.total", None, "source.cross_table", "ocr.digit"]):
        (src / ("y" if i % 2 else "") / f"d{i}.txt").write_text(
            generated_text(200 + i, kind), encoding="utf-8"
        )
    (src / "empty.txt").write_bytes(b"")
    out = root / "out"
    run_batch([str(src)], ExtractConfig(), BatchOptions(out=out, workers=2), progress=None)
    return out


def _results(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {
        p.relative_to(out).as_posix().removesuffix(".json"): json.loads(p.read_text("utf-8"))
        for p in out.rglob("*.json")
        if not p.name.endswith(".run.json")
    }


def _export(args: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["export", *args])
    return code, buf.getvalue()


def test_sqlite_export_answers_which_departments_report_inconsistent_totals(
    batch_out: Path, tmp_path: Path
) -> None:
    db_path = tmp_path / "results.sqlite"
    code, printed = _export([str(batch_out), "--sqlite", str(db_path)])
    assert code == 0 and "documents 6" in printed
    results = _results(batch_out)
    db = sqlite3.connect(db_path)
    got = {(dep, year): (n, docs) for dep, year, n, docs in db.execute(INCONSISTENT_TOTALS)}
    # the same figures counted straight from the result JSONs
    want: Counter[tuple[str, int]] = Counter()
    docs: dict[tuple[str, int], set[str]] = {}
    for name, r in results.items():
        for c in r["checks"]:
            if c["classification"] == "source_inconsistency":
                key = (r["document"]["department"], r["document"]["year"])
                want[key] += 1
                docs.setdefault(key, set()).add(name)
    assert got == {k: (n, len(docs[k])) for k, n in want.items()}
    first = db.execute(INCONSISTENT_TOTALS).fetchone()
    assert first is not None and first[0], "the top count belongs to a department"
    depts = {name: r["document"]["department"] for name, r in results.items()}
    found = {dep for dep, _ in got}
    # d1 prints a wrong total, d3 a cross-table mismatch; d0 and d2 are clean
    assert {depts["y/d1"], depts["y/d3"]} <= found
    assert not {depts["d0"], depts["d2"]} & found
    # every printed value is one cell row; statuses and errors kept
    n_values = sum(
        len(row["values"])
        for r in results.values()
        for t in r["tables"]
        for rows in [t["rows"], *[s["rows"] for s in t["sections"]]]
        for row in rows
    )
    assert db.execute("SELECT COUNT(*) FROM cells").fetchone()[0] == n_values
    assert db.execute("SELECT status, error_codes FROM documents WHERE doc_id = 'empty'"
                      ).fetchall() == [("failed", "input.empty")]
    assert db.execute("SELECT code FROM errors WHERE doc_id = 'empty'").fetchall() == [
        ("input.empty",)
    ]
    assert db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == sum(
        len(r["findings"]) for r in results.values()
    )
    # amounts: exact text, plus a number to compute with
    v, num = db.execute(
        "SELECT value, value_num FROM cells WHERE value IS NOT NULL AND value != '——' LIMIT 1"
    ).fetchone()
    assert float(v) == num
    db.close()


def test_csv_and_parquet_exports_hold_the_same_rows(batch_out: Path, tmp_path: Path) -> None:
    assert _export([str(batch_out), "--sqlite", str(tmp_path / "r.sqlite")])[0] == 0
    db = sqlite3.connect(tmp_path / "r.sqlite")
    tables = ("documents", "tables", "cells", "checks", "findings", "errors")
    counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    db.close()
    assert _export([str(batch_out), "--csv", str(tmp_path / "csv")])[0] == 0
    for t in tables:
        with (tmp_path / "csv" / f"{t}.csv").open(encoding="utf-8") as fh:
            assert sum(1 for _ in csv.DictReader(fh)) == counts[t]
    pq = pytest.importorskip("pyarrow.parquet")
    assert _export([str(batch_out), "--parquet", str(tmp_path / "pq")])[0] == 0
    for t in tables:
        assert pq.read_table(tmp_path / "pq" / f"{t}.parquet").num_rows == counts[t]


def test_export_of_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    assert _export([str(tmp_path / "nope"), "--sqlite", str(tmp_path / "x.sqlite")])[0] == 2


def test_progress_redraws_on_a_terminal_and_prints_lines_elsewhere() -> None:
    from extractor.batch.progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    now = [0.0]  # an injected clock that starts at 0, as a fresh machine's monotonic clock

    def clock() -> float:
        return now[0]

    log, tty = io.StringIO(), Tty()
    for stream in (log, tty):
        now[0] = 0.0
        bar = Progress(3, stream, every_s=3600, clock=clock)
        bar.add("ok", skipped=True)  # the first document prints a line at once
        now[0] = 10.0
        bar.add("failed")  # within the interval: no plain line
        now[0] = 20.0
        bar.add("partial")
        bar.close()  # the final line
    # a log gets the first line and the final one, no carriage returns
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in log.getvalue()
    assert "1/3 ok 1 partial 0 failed 0 skipped 1" in lines[0]
    assert "3/3 ok 1 partial 1 failed 1 skipped 1" in lines[-1]
    assert "0.10 docs/s" in lines[-1]  # 2 documents run in 20 s of the injected clock
    assert tty.getvalue().count("\r") == 4 and tty.getvalue().endswith("\n")


def test_progress_prints_a_plain_line_each_interval() -> None:
    from extractor.batch.progress import Progress

    now = [5.0]
    log = io.StringIO()
    bar = Progress(5, log, every_s=10, clock=lambda: now[0])
    for t in (5.0, 9.0, 15.0, 16.0, 40.0):  # lines at 5 (first), 15 (10 s later), 40
        now[0] = t
        bar.add("ok")
    bar.close()  # nothing new since the line at 40: no repeat
    lines = log.getvalue().splitlines()
    assert [ln.split("]")[1].split()[0] for ln in lines] == ["1/5", "3/5", "5/5"]


def test_a_rewritten_result_leaves_no_stale_table_csv(tmp_path: Path) -> None:
    from extractor.batch.store import write_document

    three = {".json": "{}\n", **{f".table{i:02d}.csv": f"t{i}\n" for i in (1, 2, 3)}}
    write_document(tmp_path, "sub/doc", three, {})
    write_document(tmp_path, "sub/doc", {".json": "{}\n", ".table01.csv": "new\n"}, {})
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [
        "doc.json", "doc.run.json", "doc.table01.csv"
    ]
    assert (tmp_path / "sub" / "doc.table01.csv").read_text() == "new\n"


def test_a_resumed_batch_removes_temporaries_a_killed_one_left(tmp_path: Path) -> None:
    import os
    import stat

    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    stale = out / "sub" / ".d0.json.0a1b2c3d.tmp"
    stale.write_text("half a result")
    keep = out / "sub" / ".notes"
    keep.write_text("not ours")
    (tmp_path / "d0.txt").write_text(generated_text(210), encoding="utf-8")
    old = os.umask(0o022)
    try:
        run_batch([str(tmp_path / "d0.txt")], ExtractConfig(), BatchOptions(out=out),
                  progress=None)
    finally:
        os.umask(old)
    assert not stale.exists() and keep.exists()
    mode = stat.S_IMODE((out / "d0.json").stat().st_mode)
    assert mode == 0o644  # not mkstemp's 0600: others can read the outputs


def test_export_gives_a_disclosure_finding_with_its_line_and_text(tmp_path: Path) -> None:
    from extractor_evals.inject_disclosure import make_disclosure_case

    text, _, labels = make_disclosure_case(3, "disclosure.placeholder")
    src = tmp_path / "in" / "p.txt"
    src.parent.mkdir()
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["extract", str(src), "-o", str(out)]) == 0
    assert _export([str(out), "--sqlite", str(tmp_path / "r.sqlite")])[0] == 0
    db = sqlite3.connect(tmp_path / "r.sqlite")
    rows = db.execute(
        "SELECT f.kind, f.printed, f.line, c.rule FROM findings f "
        "JOIN checks c ON c.doc_id = f.doc_id AND c.check_id = f.check_id "
        "WHERE c.family = 'C'"
    ).fetchall()
    db.close()
    assert len(rows) == 1
    kind, printed, line, rule = rows[0]
    assert (kind, line, rule) == ("source_inconsistency", labels[0].line, "disclosure.placeholder")
    assert "XX" in printed and printed in text.split("\n")[line - 1]
