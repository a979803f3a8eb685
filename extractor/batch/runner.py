"""A batch: find the documents, skip what the ledger says is done, run the rest on supervised
worker processes (or on Ray), write each result atomically, record it in the ledger, report.

The driver (this process) alone writes outputs and the ledger: workers send back their result
files. Outputs first, then the ledger row, so a SIGKILL between the two only costs a redo
that writes the same bytes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field

from extractor import __version__
from extractor.batch.inputs import InputFile, discover
from extractor.batch.ledger import LEDGER_NAME, Entry, Ledger, config_hash
from extractor.batch.limits import SLOTS_ENV, TokenBudget
from extractor.batch.progress import Progress
from extractor.batch.store import output_path, write_document, write_review_page
from extractor.batch.worker import DEFAULT_DOCUMENT_FN, Job, Limits, Outcome, Slot
from extractor.config import ExtractConfig
from extractor.errors import ExtractorError


class BatchOptions(BaseModel):
    """How to run a batch (what to extract with is the ``ExtractConfig``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: Path = Field(description="output folder; holds the results and the ledger")
    workers: int | None = Field(
        default=None, ge=1, description="worker processes (Ray: actors); default: CPU count"
    )
    engine: Literal["process", "ray"] = Field(
        default="process", description="process: local supervised workers; ray: Ray actors"
    )
    address: str | None = Field(
        default=None, description="Ray cluster address; default: start a local Ray instance"
    )
    timeout_s: float | None = Field(
        default=600.0, gt=0, description="per-document deadline in seconds (None: no deadline)"
    )
    max_memory_mb: int | None = Field(
        default=4096, gt=0, description="per-worker resident memory limit (None: no limit)"
    )
    retry_failed: bool = Field(default=False, description="run again documents that failed")
    llm_concurrency: int | None = Field(
        default=None,
        ge=1,
        description="LLM requests in flight at once across all workers (None: no cap); "
        "a file-lock semaphore under OUT/, so per machine for a Ray cluster",
    )
    token_budget: int | None = Field(
        default=None,
        ge=0,
        description="LLM tokens for the whole batch (None: none); each document gets what "
        "is left (at most its own per-document budget), then the LLM is off",
    )
    review: bool = Field(
        default=False, description="also write each document's <name>.review.html page"
    )
    document_fn: str = Field(
        default=DEFAULT_DOCUMENT_FN,
        description="module:function run per document as fn(path, config) -> DocumentResult",
    )

    @property
    def limits(self) -> Limits:
        return Limits(timeout_s=self.timeout_s, max_memory_mb=self.max_memory_mb)

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1

    def worker_env(self) -> dict[str, str]:
        """Environment the worker processes need for the batch's LLM request cap."""
        if self.llm_concurrency is None:
            return {}
        folder = (self.out / ".llm-slots").resolve()
        return {SLOTS_ENV: f"{folder}:{self.llm_concurrency}"}


@dataclass
class BatchReport:
    """What a batch did: one ledger entry per document, and how it went."""

    entries: list[Entry] = field(default_factory=list)
    processed: int = 0  # run in this batch (the others were skipped as done)
    seconds: float = 0.0
    max_worker_rss_bytes: int = 0

    @property
    def failed(self) -> int:
        return sum(1 for e in self.entries if e.status == "failed")


def _lock(out: Path) -> TextIO:
    """Hold an exclusive lock on OUT/ for the batch: two batches writing one ledger and one
    set of outputs would undo each other's work. Released when the process ends, however."""
    fh = (out / ".batch.lock").open("a")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        fh.close()
        raise BatchBusyError(f"another batch is writing to {out}") from exc
    return fh


class BatchBusyError(ExtractorError):
    """Another batch holds the output folder."""

    code = "batch.busy"


_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def remove_stale_temporaries(out: Path) -> None:
    """Delete the temporary files of writes a killed batch left unfinished (atomic_write's
    ``.<name>.<random>.tmp``); with the lock held no live writer owns them."""
    for dirpath, _, filenames in os.walk(out):
        for f in filenames:
            if _TEMP.match(f):
                (Path(dirpath) / f).unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def entry_of(out: Outcome, chash: str) -> Entry:
    return Entry(
        name=out.name,
        sha256=out.sha256,
        config_hash=chash,
        source=out.source,
        status=out.status,
        error_codes=out.error_codes,
        tables=out.tables,
        hard_checks=out.hard_checks,
        failed_checks=out.failed_checks,
        source_inconsistencies=out.source_inconsistencies,
        extraction_errors=out.extraction_errors,
        llm_calls=out.llm_calls,
        prompt_tokens=out.prompt_tokens,
        completion_tokens=out.completion_tokens,
        seconds=out.seconds,
        peak_rss_bytes=out.peak_rss_bytes,
    )


Engine = Callable[[list[Job], ExtractConfig, BatchOptions], Iterator[Outcome]]


def run_local(jobs: list[Job], config: ExtractConfig, options: BatchOptions) -> Iterator[Outcome]:
    """Run jobs on supervised local worker processes; yields outcomes as they finish."""
    pending = deque(jobs)
    budget = TokenBudget(options.token_budget)
    slots = [
        Slot(options.document_fn, config, options.limits, options.worker_env())
        for _ in range(min(options.worker_count(), max(len(jobs), 1)))
    ]
    try:
        busy = 0
        while pending or busy:
            finished: list[Outcome] = []
            for slot in slots:
                out = slot.poll()
                if out is not None:
                    busy -= 1
                    budget.spend(out)
                    finished.append(out)
            # refill before handing results over: the workers extract the next documents
            # while the driver writes the outputs of these
            for slot in slots:
                if pending and slot.idle:
                    slot.submit(budget.tag(pending.popleft()))
                    busy += 1
            yield from finished
            if not finished:
                wait([w for s in slots for w in s.waitables], timeout=options.limits.poll_s)
    finally:
        for slot in slots:
            slot.close()


def _engine(options: BatchOptions) -> Engine:
    if options.engine == "ray":
        from extractor.batch.ray import run_ray

        return run_ray
    return run_local


def run_batch(
    inputs: list[str],
    config: ExtractConfig,
    options: BatchOptions,
    *,
    progress: TextIO | None = sys.stderr,
) -> BatchReport:
    """Run a batch over files, folders and globs. Every document ends with a ledger entry and
    a ``<name>.json`` result; raises only for misuse (an input that names nothing, a worker
    that cannot start)."""
    t0 = time.perf_counter()
    files = discover(inputs)
    chash = config_hash(config, options.document_fn)
    options.out.mkdir(parents=True, exist_ok=True)
    lock = _lock(options.out)
    remove_stale_temporaries(options.out)
    ledger = Ledger(options.out / LEDGER_NAME)
    report = BatchReport()
    try:
        done: dict[str, Entry] = {}
        todo: list[Job] = []
        by_name: dict[str, InputFile] = {f.name: f for f in files}
        for f in files:
            sha = _sha256(f.path)
            prev = ledger.get(f.name, sha, chash)
            finished = prev is not None and (prev.status != "failed" or not options.retry_failed)
            if prev is not None and finished and output_path(options.out, f.name).is_file():
                done[f.name] = prev
            else:
                todo.append(Job(name=f.name, path=str(f.path), sha256=sha))
        bar = Progress(len(files), progress)
        for e in done.values():
            bar.add(e.status, skipped=True)
        for out in _engine(options)(todo, config, options) if todo else iter(()):
            run_info: dict[str, Any] = {
                "extractor": __version__,
                "python": platform.python_version(),
                "engine": options.engine,
                "input": str(by_name[out.name].path),
                "seconds": round(out.seconds, 4),
                "peak_rss_bytes": out.peak_rss_bytes,
                "worker_max_rss_bytes": out.worker_max_rss_bytes,
                "worker_pid": out.worker_pid,
                "config_hash": chash,
            }
            write_document(options.out, out.name, out.files, run_info)
            if options.review:
                write_review_page(options.out, out.name, out.files, by_name[out.name].path)
            entry = entry_of(out, chash)
            ledger.record(entry)
            done[out.name] = entry
            report.processed += 1
            report.max_worker_rss_bytes = max(report.max_worker_rss_bytes, out.worker_max_rss_bytes)
            bar.add(out.status)
        bar.close()
        report.entries = [done[f.name] for f in files]
    finally:
        ledger.close()
        lock.close()
    report.seconds = time.perf_counter() - t0
    return report
