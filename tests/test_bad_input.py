"""Bad input gives a clear status and message for that document, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import extractor
from extractor.cli import main

from .conftest import SEED_FILES


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    r = extractor.extract(p)
    assert r.status == "failed" and [e.code for e in r.errors] == ["input.empty"]


def test_binary_garbage(tmp_path: Path) -> None:
    p = tmp_path / "garbage.txt"
    p.write_bytes(bytes(range(256)) * 40)
    r = extractor.extract(p)
    assert r.status == "failed" and r.errors[0].code == "input.binary"


def test_gbk_encoded_report_is_read(tmp_path: Path) -> None:
    text = SEED_FILES["001"].read_text(encoding="utf-8")
    p = tmp_path / "gbk.txt"
    p.write_bytes(text.encode("gbk", errors="strict"))
    r = extractor.extract(p)
    ref = extractor.extract(SEED_FILES["001"])
    assert r.document.encoding == "gb18030"
    assert r.status == "ok"
    assert [t.model_dump(exclude={"cells"}) for t in r.tables] == [
        t.model_dump(exclude={"cells"}) for t in ref.tables
    ]


def test_undecodable_bytes_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    data = SEED_FILES["000"].read_bytes()
    i = data.index("收入决算表".encode()) - 2
    bad = data[:i] + b"\xff\xfe\xfa" + data[i:]
    p = tmp_path / "bad.txt"
    p.write_bytes(bad)
    r = extractor.extract(p)
    assert "input.encoding" in [e.code for e in r.errors]
    assert r.status == "partial"
    assert sum(1 for t in r.tables if t.definition) == 9


def test_no_recognisable_table(tmp_path: Path) -> None:
    p = tmp_path / "prose.txt"
    p.write_text("第一部分 概况\n\n一、部门职责\n\n本部门负责医疗保障工作。\n", encoding="utf-8")
    r = extractor.extract(p)
    assert r.status == "failed" and r.errors[0].code == "extract.no_tables"


def test_table_cut_off_mid_row(tmp_path: Path) -> None:
    lines = SEED_FILES["000"].read_text(encoding="utf-8").split("\n")
    # cut inside 公开02表 row l.150 after its second cell, no final newline
    cut = "\n".join(lines[:149]) + "\n" + "\t".join(lines[149].split("\t")[:3])
    p = tmp_path / "cut.txt"
    p.write_text(cut, encoding="utf-8")
    r = extractor.extract(p)
    assert r.status == "partial"
    err = next(e for e in r.errors if e.code == "input.truncated")
    assert err.line == 150
    assert any(t.table_id == "公开01表" for t in r.tables)  # what was extracted is kept
    assert len(next(t for t in r.tables if t.table_id == "公开02表").rows) == 26


def test_corrupt_pdf(tmp_path: Path) -> None:
    p = tmp_path / "x.pdf"
    p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj garbage")
    r = extractor.extract(p)
    assert r.status == "failed" and r.errors[0].code == "input.corrupt"


def test_cli_goes_on_after_a_bad_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    code = main(["extract", str(bad), str(SEED_FILES["001"]), "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    assert "empty.txt: failed [input.empty" in out
    assert (tmp_path / "out" / f"{SEED_FILES['001'].stem}.json").exists()
    assert (tmp_path / "out" / "empty.json").exists()


def test_missing_path_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(extractor.InputError):
        extractor.extract(tmp_path / "nope.txt")


def test_a_table_the_mapper_cannot_map_costs_that_table_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import extractor.pipeline as pipeline

    real = pipeline.map_region

    def flaky(region, tdef, ctx):  # type: ignore[no-untyped-def]
        if region.table_id == "公开06表":
            raise RuntimeError("boom")
        return real(region, tdef, ctx)

    monkeypatch.setattr(pipeline, "map_region", flaky)
    r = extractor.extract(SEED_FILES["000"])
    assert r.status == "partial"
    err = next(e for e in r.errors if e.code == "internal.map")
    assert "boom" in err.message and err.line == 390
    assert sum(1 for t in r.tables if t.definition) == 8


def test_a_missing_table_of_the_family_is_reported(tmp_path: Path) -> None:
    lines = SEED_FILES["000"].read_text(encoding="utf-8").split("\n")
    p = tmp_path / "no03.txt"
    p.write_text("\n".join(lines[:194] + lines[278:]), encoding="utf-8")  # 公开03表 removed
    r = extractor.extract(p)
    assert r.status == "partial"
    assert [e.code for e in r.errors] == ["extract.table_missing"]
    assert "公开03表" in r.errors[0].message
    assert extractor.extract(SEED_FILES["000"]).errors == []
