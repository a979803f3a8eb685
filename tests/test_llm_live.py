"""Live tier: a real model at EXTRACTOR_LLM_BASE_URL (EXTRACTOR_LLM_MODEL, _API_KEY, _MODE).
Skipped unless EXTRACTOR_LIVE_LLM=1 and EXTRACTOR_LLM_BASE_URL are set: otherwise conftest
clears every LLM setting of the environment and refuses the network (tests/netguard)."""

from __future__ import annotations

import os

import pytest

from extractor.config import ExtractConfig, llm_options_from_env
from extractor.definitions import Definitions
from extractor.extract.llm import LlmClient
from extractor.pipeline import extract_text_bytes
from tests.test_llm import assert_grounded, by_id, hard_case

pytestmark = pytest.mark.skipif(
    os.environ.get("EXTRACTOR_LIVE_LLM") != "1" or not os.environ.get("EXTRACTOR_LLM_BASE_URL"),
    reason="the live tier needs EXTRACTOR_LIVE_LLM=1 and EXTRACTOR_LLM_BASE_URL",
)


def test_live_model_reads_what_the_mapper_cannot(definitions: Definitions) -> None:
    text, doc = hard_case()
    opts = llm_options_from_env(mode="auto")
    assert opts.model, "set EXTRACTOR_LLM_MODEL too"
    client = LlmClient(opts)
    result = extract_text_bytes(
        text.encode("utf-8"),
        source_name="live.txt",
        config=ExtractConfig(llm=opts),
        definitions=definitions,
        llm=client,
    )
    assert result.usage.llm_calls >= 2
    assert_grounded(result, text)
    # whatever the model got right or wrong, no value differs from the printed one
    for tid in ("公开02表", "公开03表"):
        table = next(t for t in doc["tables"] if t["table_id"] == tid)
        printed = {(r.get("code"), r["name"]): r["values"] for r in table["rows"]}
        got = by_id(result, tid)
        for row in got.rows:
            truth = printed.get((row.code, row.name))
            if truth is None or len(truth) != len(row.values):
                continue
            for v, t in zip(row.values, truth, strict=True):
                assert v is None or v == t
