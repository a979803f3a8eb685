"""The LLM limits of a batch: a cap on concurrent requests across the worker processes, and a
token budget for the whole batch; against the fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

from extractor.batch import BatchOptions, run_batch
from extractor.batch.limits import FileSemaphore
from extractor.config import ExtractConfig, LlmOptions
from tests.fake_openai import Oracle, fake_openai
from tests.test_llm import TEACH, hard_case


def _hold(folder: str, n: int, counter: Any, peak: Any, lock: Any) -> None:
    gate = FileSemaphore(Path(folder), n)
    for _ in range(3):
        with gate():
            with lock:
                counter.value += 1
                peak.value = max(peak.value, counter.value)
            # hold the slot until the cap has been reached once (bounded: a gate that lets
            # fewer in would wait here 30 s and fail the test), however slowly others start
            for _ in range(3000):
                if peak.value >= n:
                    break
                time.sleep(0.01)
            with lock:
                counter.value -= 1


def test_file_semaphore_caps_holders_across_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    counter, peak, lock = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Lock()
    procs = [
        ctx.Process(target=_hold, args=(str(tmp_path), 2, counter, peak, lock)) for _ in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert all(p.exitcode == 0 for p in procs)
    assert peak.value == 2  # never more than the cap, and the cap is used


def _reports(root: Path, n: int) -> Path:
    src = root / "in"
    src.mkdir()
    for i in range(n):
        text, _ = hard_case(3 + i)  # each needs the LLM: a renamed header, an unknown title
        (src / f"hard{i}.txt").write_text(text, encoding="utf-8")
    return src


def _config(base_url: str) -> ExtractConfig:
    return ExtractConfig(
        llm=LlmOptions(mode="auto", model="fake-model", base_url=base_url, backoff_s=0.01)
    )


def test_concurrent_requests_are_capped_across_workers(tmp_path: Path) -> None:
    src = _reports(tmp_path, 4)
    peaks = {}
    # without a cap the server holds the first request until a second one overlaps it; with
    # the cap every answer takes 0.3 s, time for a second worker's request to come in
    oracles = {None: {"meet": 2}, 1: {"delay_s": 0.3}}
    for cap in (None, 1):
        with fake_openai(Oracle(**oracles[cap], **TEACH)) as server:  # type: ignore[arg-type]
            out = tmp_path / f"out{cap}"
            opts = BatchOptions(out=out, workers=2, llm_concurrency=cap)
            report = run_batch([str(src)], _config(server.base_url), opts, progress=None)
            assert report.processed == 4 and not report.failed
            assert len(server.requests) >= 4
            peaks[cap] = server.max_in_flight
    assert peaks[1] == 1  # the cap holds across the two worker processes
    assert peaks[None] == 2  # without it, the two workers' requests overlap


def test_the_batch_token_budget_turns_the_llm_off_when_spent(tmp_path: Path) -> None:
    src = _reports(tmp_path, 3)
    with fake_openai(Oracle(**TEACH)) as server:  # type: ignore[arg-type]
        out = tmp_path / "out"
        opts = BatchOptions(out=out, workers=1, token_budget=1)
        report = run_batch([str(src)], _config(server.base_url), opts, progress=None)
    assert report.processed == 3
    usage = {
        p.stem: json.loads(p.read_text(encoding="utf-8"))["usage"]
        for p in sorted(out.glob("hard*.json"))
        if not p.name.endswith(".run.json")
    }
    # the first document starts with budget left and spends it; the others get none
    assert usage["hard0"]["llm_calls"] >= 1
    assert usage["hard1"]["llm_calls"] == 0 and usage["hard2"]["llm_calls"] == 0
    assert len(server.requests) == usage["hard0"]["llm_calls"]
