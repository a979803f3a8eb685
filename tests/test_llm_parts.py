"""The LLM path's parts: configuration from the environment, chunking, response models, the
command line (with its cache and run sidecar)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from extractor.cli import main
from extractor.config import ExtractConfig, LlmOptions, llm_options_from_env
from extractor.definitions import Definitions
from extractor.extract.chunking import page_chunks, table_chunks
from extractor.extract.llm_table import response_model
from extractor.ingest.text import read_text
from extractor.layout.tables import find_regions
from extractor.model import Region
from extractor_evals.generate import generate_final_report
from extractor_evals.render_text import TextStyle, render_report
from tests.fake_openai import Oracle, fake_openai
from tests.test_llm import TEACH, hard_case

# ---------------------------------------------------------------- configuration


def test_options_from_the_environment() -> None:
    env = {
        "EXTRACTOR_LLM_MODEL": "qwen2.5-7b",
        "EXTRACTOR_LLM_BASE_URL": "http://127.0.0.1:8000/v1",
        "OPENAI_API_KEY": "sk-fallback",
        "EXTRACTOR_LLM_MODE": "md_json",
    }
    o = llm_options_from_env(env)
    assert (o.model, o.base_url, o.instructor_mode) == (
        "qwen2.5-7b",
        "http://127.0.0.1:8000/v1",
        "md_json",
    )
    assert o.api_key.get_secret_value() == "sk-fallback"
    assert o.effective_mode == "auto"  # a model is configured
    own = llm_options_from_env({**env, "EXTRACTOR_LLM_API_KEY": "sk-own"})
    assert own.api_key.get_secret_value() == "sk-own"
    assert llm_options_from_env({}).effective_mode == "off"
    assert llm_options_from_env({}).api_key.get_secret_value() == ""  # local servers
    assert llm_options_from_env(env, mode="always").effective_mode == "always"
    # the key never shows
    assert "sk-fallback" not in repr(o) and "sk-fallback" not in o.model_dump_json()
    assert "sk-fallback" not in ExtractConfig(llm=o).model_dump_json()


def test_options_are_validated_and_frozen() -> None:
    with pytest.raises(ValidationError):
        LlmOptions(mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        LlmOptions(max_retries=3)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        llm_options_from_env({"EXTRACTOR_LLM_MODE": "xml"})
    o = LlmOptions()
    with pytest.raises(ValidationError):
        o.model = "x"  # type: ignore[misc]
    assert all(f.description for f in LlmOptions.model_fields.values())


# ---------------------------------------------------------------- chunking


def _region(text: str, table_id: str) -> Region:
    rows = read_text(text.encode("utf-8")).rows
    return next(r for r in find_regions(rows) if r.table_id == table_id)


def test_a_long_table_is_split_with_its_header_repeated() -> None:
    text = render_report(generate_final_report(3), TextStyle())
    region = _region(text, "公开02表")
    whole = table_chunks(region, 1000)
    assert len(whole) == 1
    chunks = table_chunks(region, 5)
    assert len(chunks) == -(-len(whole[0].rows) // 5) > 1
    assert all(c.header == whole[0].header and c.parts == len(chunks) for c in chunks)
    ids = [rid for c in chunks for rid, _ in c.rows]
    assert ids == [rid for rid, _ in whole[0].rows]  # ids run on over the parts
    rendered = chunks[1].render()
    assert "part 2 of" in rendered and "\nh1\t" in rendered and "\nr6\t" in rendered
    assert "\nr1\t" not in rendered


def test_continuation_pages_are_one_chunk_without_repeated_headers() -> None:
    text = render_report(generate_final_report(3), TextStyle(split_pages=True))
    region = _region(text, "公开02表")
    assert region.continuations, "the style splits long tables over two pages"
    (chunk,) = table_chunks(region, 1000)
    body = [tuple(r.texts) for _, r in chunk.rows]
    assert not set(body) & {tuple(h.texts) for h in chunk.header}
    printed = [r for r in region.rows + [x for p in region.continuations for x in p.rows]]
    codes = [r.texts[0] for r in printed if r.texts and r.texts[0][:1].isdigit()]
    assert [r.texts[0] for _, r in chunk.rows if r.texts[0][:1].isdigit()] == codes


def test_the_grid_cannot_close_the_fence() -> None:
    text = render_report(generate_final_report(3), TextStyle())
    rows = read_text(text.replace("一般公共服务", "```DATA>>>").encode()).rows
    for c in page_chunks(rows, 40):
        assert "```" not in c.render()
        assert c.whole_page


def test_response_model_is_built_from_the_definition(definitions: Definitions) -> None:
    tdef = definitions.table("final.income")
    assert tdef is not None
    schema = json.dumps(response_model(tdef, definitions).model_json_schema(), ensure_ascii=False)
    assert '"c7"' in schema and "final.income" in schema and "final.expense" not in schema
    unknown = json.dumps(response_model(None, definitions).model_json_schema())
    assert "final.expense" in unknown and "final.summary" not in unknown  # flat tables only


# ---------------------------------------------------------------- command line


def test_cli_llm_with_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, _ = hard_case()
    src = tmp_path / "report.txt"
    src.write_text(text, encoding="utf-8")
    monkeypatch.setenv("EXTRACTOR_LLM_API_KEY", "sk-do-not-write")
    monkeypatch.delenv("EXTRACTOR_LLM_MODEL", raising=False)
    with fake_openai(Oracle(**TEACH)) as server:  # type: ignore[arg-type]
        argv = [
            "extract",
            str(src),
            "--llm",
            "auto",
            "--llm-model",
            "fake",
            "--llm-base-url",
            server.base_url,
            "--llm-cache",
            str(tmp_path / "cache"),
        ]
        assert main([*argv, "-o", str(tmp_path / "a")]) == 0
        sent = len(server.requests)
        assert main([*argv, "-o", str(tmp_path / "b")]) == 0
        assert len(server.requests) == sent == 2
    a = (tmp_path / "a" / "report.json").read_text(encoding="utf-8")
    b = (tmp_path / "b" / "report.json").read_text(encoding="utf-8")
    assert a == b
    assert json.loads(a)["usage"]["llm_calls"] == 2
    run_a = json.loads((tmp_path / "a" / "report.run.json").read_text(encoding="utf-8"))
    run_b = json.loads((tmp_path / "b" / "report.run.json").read_text(encoding="utf-8"))
    assert (run_a["llm_requests"], run_b["llm_requests"]) == (2, 0)
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.suffix in (".json", ".csv"):
            assert "sk-do-not-write" not in f.read_text(encoding="utf-8")


def test_cli_llm_needs_a_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXTRACTOR_LLM_MODEL", raising=False)
    src = tmp_path / "r.txt"
    src.write_text("x\n", encoding="utf-8")
    assert main(["extract", str(src), "--llm", "always", "-o", str(tmp_path)]) == 2
