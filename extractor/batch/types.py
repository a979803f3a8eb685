"""The types a batch passes between its parts: the options, one document's job and outcome,
the limits a slot enforces, and the report. One module that imports no other batch module, so
that the runner, the workers, the Ray actors, the limits and the progress line all depend on it
and not on each other (issue 13: no runner <-> ray/progress or limits <-> worker cycle)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.output import OutputFiles

if TYPE_CHECKING:
    from extractor.batch.inputs import Skipped
    from extractor.batch.ledger import Entry

DEFAULT_DOCUMENT_FN = "extractor.api:extract"
SLOTS_ENV = "EXTRACTOR_BATCH_LLM_SLOTS"  # "<folder>:<n>", set for the worker processes


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-document limits a slot enforces."""

    timeout_s: float | None = 600.0
    max_memory_mb: int | None = 4096
    poll_s: float = 0.1


@dataclass(frozen=True, slots=True)
class Job:
    """One document to run."""

    name: str
    path: str
    sha256: str
    llm_tokens_left: int | None = None  # the batch's token budget left (None: no budget)
    xlsx: bool = False  # write the .xlsx workbook too (BatchOptions.xlsx)


@dataclass(slots=True)
class Outcome:
    """What became of one document: its result's files and the figures the ledger keeps."""

    name: str
    sha256: str
    source: str
    status: str
    error_codes: list[str]
    files: OutputFiles
    tables: int = 0
    hard_checks: int = 0
    failed_checks: int = 0
    source_inconsistencies: int = 0
    extraction_errors: int = 0
    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    peak_rss_bytes: int = 0  # of the document, sampled by the slot
    worker_max_rss_bytes: int = 0  # of the worker process over its life (getrusage)
    worker_pid: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


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
    xlsx: bool = Field(
        default=False,
        description="also write each document's <name>.xlsx workbook (about 0.06 s a "
        "report: a third more per text report; `extractor export` builds one store instead)",
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


@dataclass(frozen=True)
class Failure:
    """A failed or partial document, or an ok one with source inconsistencies, for the
    summary and ``failures.csv``."""

    name: str
    input: str
    status: str
    codes: list[str]
    message: str
    result: str


@dataclass
class BatchReport:
    """What a batch did: one ledger entry per document, and how it went."""

    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # input entries that are no document
    processed: int = 0  # run in this batch (the others were skipped as done)
    seconds: float = 0.0
    max_worker_rss_bytes: int = 0
    # failed first, then partial, then ok documents whose printed report does not add up
    failures: list[Failure] = field(default_factory=list)

    @property
    def not_ok(self) -> int:
        return sum(1 for f in self.failures if f.status != "ok")

    @property
    def failed(self) -> int:
        return sum(1 for e in self.entries if e.status == "failed")
