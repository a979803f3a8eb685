"""The definitions and prompts are package data, a user's own definitions are added to them,
and `extractor schemas check` validates a folder of them."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import extractor
from extractor.cli import main
from extractor.config import ExtractConfig
from extractor.definitions import default_schema_dir, load_definitions, prompts_dir

from .conftest import SEED_FILES, truth

REGION = """
family = "region_x"
kind = "决算"

[[tables]]
id = "region_x.special"
titles = ["(某某)?专项资金支出明细表"]
layout = "function_coded"
extends = "final.gpb_expense"
"""


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_shipped_definitions_and_prompts_live_in_the_package() -> None:
    package = Path(extractor.__file__).resolve().parent
    assert default_schema_dir() == package / "schemas"
    assert {p.name for p in default_schema_dir().glob("*.toml")} >= {
        "final_account.toml",
        "budget.toml",
        "budget_shanghai.toml",
        "function_classes.toml",
    }
    assert (prompts_dir() / "table_v1.md").is_file() and prompts_dir().parent == package


def test_a_users_definitions_are_added_to_the_shipped_ones(tmp_path: Path) -> None:
    (tmp_path / "region.toml").write_text(REGION, encoding="utf-8")
    defs = load_definitions(None, (tmp_path,))
    shipped = load_definitions()
    assert defs.table("region_x.special") is not None
    assert {t.id for f in shipped.families for t in f.tables} < {
        t.id for f in defs.families for t in f.tables
    }
    # a report printing its own table beside the shipped ones: both are read
    text = SEED_FILES["000"].read_text(encoding="utf-8")
    lines = text.split("\n")
    (first, last), *_ = next(t for t in truth("000")["tables"] if t["table_id"] == "公开05表")[
        "source_lines"
    ]
    own = (
        "\n".join(lines[first - 1 : last])
        .replace("一般公共预算财政拨款支出决算表", "某某专项资金支出明细表")
        .replace("公开05表", "")
    )
    path = tmp_path / "report.txt"
    path.write_text(text + "\n\n" + own, encoding="utf-8")
    got = extractor.extract(path, ExtractConfig(extra_schema_dirs=(tmp_path,)))
    found = {t.definition for t in got.tables}
    assert "region_x.special" in found and "final.gpb_expense" in found
    assert "region_x.special" not in {t.definition for t in extractor.extract(path).tables}


def test_schemas_check(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "region.toml").write_text(REGION, encoding="utf-8")
    code, printed, _ = _cli(["schemas", "check", str(good)])
    assert code == 0
    assert "family region_x (决算): 1 tables" in printed
    assert (
        "region_x.special: 专项资金支出明细表 (function_coded extends final.gpb_expense" in printed
    )
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.toml").write_text('family = "x"\n[[tables]]\nid = 3\n', encoding="utf-8")
    code, _, err = _cli(["schemas", "check", str(bad)])
    assert code == 2 and "broken.toml" in err
    dup = tmp_path / "dup"
    dup.mkdir()
    (dup / "dup.toml").write_text(
        REGION.replace("region_x.special", "final.income"), encoding="utf-8"
    )
    code, _, err = _cli(["schemas", "check", str(dup)])
    assert code == 2 and "duplicate table ids" in err


def test_no_import_cycle_in_the_package() -> None:
    """No two modules import each other, directly or round a loop, even lazily (a function's
    import): the batch types live in batch/types.py, one document's file writing in
    output.py, a rendered page in ingest/page_image.py."""
    from tests.import_graph import cycles, graph

    g = graph(Path(extractor.__file__).parent)
    assert "extractor.batch.types" in g["extractor.batch.limits"]
    assert cycles(g) == []  # the evals, a distribution of their own, have their own test


def test_the_cycle_finder_finds_a_cycle() -> None:
    from tests.import_graph import cycles

    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_ingest_reads_pages_and_the_layout_lays_them_out() -> None:
    """Layout left ingest: ingest hands each page's words and rules to the layout the
    pipeline gives it (layout.pages.lay_out) and calls no layout function of its own."""
    import ast

    from extractor.ingest.pages import read_pdf
    from extractor.layout.pages import PageContent, lay_out
    from extractor.model import SourceRow

    root = Path(extractor.__file__).parent / "ingest"
    for path in root.glob("*.py"):
        names = {
            n.id for n in ast.walk(ast.parse(path.read_text("utf-8"))) if isinstance(n, ast.Name)
        }
        assert "page_rows" not in names, path.name
    seen: list[PageContent] = []

    def recording(page: PageContent) -> list[SourceRow]:
        seen.append(page)
        return lay_out(page)

    pdf = (
        Path(__file__).resolve().parent.parent
        / "evals"
        / "datasets"
        / "real_pdfs"
        / "sh_putuo_wanli-jiedao_2025_dept-budget.pdf"
    ).read_bytes()
    paged = read_pdf(pdf, ExtractConfig(), lambda: None, recording)  # type: ignore[arg-type, return-value]
    assert [p.page_no for p in seen] == list(range(1, paged.pages + 1))
    assert {p.origin for p in seen} == {"pdf"} and all(p.words for p in seen)
    assert len(paged.rows) == sum(len(lay_out(p)) for p in seen)
