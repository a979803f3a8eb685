"""A batch: find the documents, skip what the ledger says is done, run the rest on supervised
worker processes (or on Ray), write each result atomically, record it in the ledger, report.

The driver (this process) alone writes outputs and the ledger: workers send back their result
files. Outputs first, then the ledger row, so a SIGKILL between the two only costs a redo
that writes the same bytes. An output folder that stops taking writes (disk full, read-only)
ends the batch with ``BatchOutputError`` (``batch.output``): what is in the ledger has its
outputs, the document being written has none, so the same command resumes once it is fixed.

The driver reads each input only to hash it (the ledger key), opened without blocking and
checked to be a regular file, and at most ``max_file_bytes`` + 1 of it: a FIFO or a device
that took the place of a file cannot hang it; the extraction's own read is in the worker,
under the document's deadline.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import sqlite3
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, TextIO

from extractor import __version__
from extractor.batch.inputs import InputFile, discover_all
from extractor.batch.ledger import LEDGER_NAME, Entry, Ledger, config_hash
from extractor.batch.limits import TokenBudget
from extractor.batch.progress import Progress
from extractor.batch.store import WriteFile, output_path, write_document, write_review_page
from extractor.batch.types import BatchOptions, BatchReport, Failure, Job, Outcome
from extractor.batch.worker import Slot, failed_result, outcome_of
from extractor.config import ExtractConfig
from extractor.errors import Code, ExtractorError
from extractor.model import printable
from extractor.output import atomic_write, csv_text

FAILURES_NAME = "failures.csv"


def format_skipped(report: BatchReport, most: int = 20) -> str:
    """The summary lines of the skipped input entries (empty when there are none)."""
    if not report.skipped:
        return ""
    lines = [f"skipped {len(report.skipped)} input entries that are no document:"]
    lines += [f"  {s.code}: {s.path}: {s.reason}" for s in report.skipped[:most]]
    if len(report.skipped) > most:
        lines.append(f"  ... and {len(report.skipped) - most} more")
    return "\n".join(lines)


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

    code = Code.BATCH_BUSY


class BatchOutputError(ExtractorError):
    """The output folder does not take writes (disk full, read-only): the batch cannot go
    on. The ledger holds only documents whose outputs are whole, so it resumes when fixed."""

    code = Code.BATCH_OUTPUT

    @classmethod
    def of(cls, out: Path, exc: Exception) -> BatchOutputError:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return cls(
            f"cannot write to {printable(str(out))}: {why}; nothing done is lost: fix it and "
            "run the same command again to resume"
        )


_TEMP = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def remove_stale_temporaries(out: Path) -> None:
    """Delete the temporary files of writes a killed batch left unfinished (atomic_write's
    ``.<name>.<random>.tmp``); with the lock held no live writer owns them."""
    for dirpath, _, filenames in os.walk(out):
        for f in filenames:
            if _TEMP.match(f):
                (Path(dirpath) / f).unlink(missing_ok=True)


def _sha256(path: Path, limit: int) -> str:
    """The content hash of an input, read without blocking and at most ``limit`` + 1 bytes
    (a larger file is refused by its worker anyway). Raises OSError for one that is not a
    regular file (any more) or cannot be read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        h = hashlib.sha256()
        left = limit + 1
        while left > 0 and (chunk := fh.read(min(left, 1 << 20))):
            h.update(chunk)
            left -= len(chunk)
        return h.hexdigest()


def _hash_within(path: Path, limit: int, timeout_s: float | None) -> str:
    """``_sha256`` under the document's deadline: a read that hangs (a stalled network file
    system) raises TimeoutError after ``timeout_s`` and the batch goes on; its thread, blocked
    in the kernel, is left behind as a daemon (nothing can interrupt the read itself)."""
    if timeout_s is None:
        return _sha256(path, limit)
    box: list[tuple[str | None, BaseException | None]] = []

    def read() -> None:
        try:
            box.append((_sha256(path, limit), None))
        except BaseException as exc:  # handed to the caller below
            box.append((None, exc))

    thread = threading.Thread(target=read, name=f"hash {path.name}", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not box:
        raise TimeoutError(f"reading the input did not end within the {timeout_s:g} s deadline")
    digest, exc = box[0]
    if exc is not None:
        raise exc
    assert digest is not None
    return digest


def _open_out(out: Path) -> tuple[TextIO, Ledger]:
    """Take the output folder: create it, lock it, clean what a killed batch left, open the
    ledger. Raises BatchBusyError, or BatchOutputError for a folder that takes no writes."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = _lock(out)
    except OSError as exc:
        raise BatchOutputError.of(out, exc) from exc
    try:
        remove_stale_temporaries(out)
        return lock, Ledger(out / LEDGER_NAME)
    except (OSError, sqlite3.Error) as exc:
        lock.close()
        raise BatchOutputError.of(out, exc) from exc


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


def _plan(
    files: list[InputFile], ledger: Ledger, chash: str, config: ExtractConfig, options: BatchOptions
) -> tuple[dict[str, Entry], list[Job], list[Outcome]]:
    """What the ledger says is done, what is to run, and the inputs that could not even be
    read to be hashed (each a failed outcome: it gets its result like any other)."""
    done: dict[str, Entry] = {}
    todo: list[Job] = []
    unreadable: list[Outcome] = []
    for f in files:
        try:
            sha = _hash_within(f.path, config.max_file_bytes, options.timeout_s)
        except TimeoutError as exc:
            job = Job(name=f.name, path=str(f.path), sha256="")
            unreadable.append(outcome_of(job, failed_result(job, Code.BATCH_TIMEOUT, str(exc))))
            continue
        except OSError as exc:
            job = Job(name=f.name, path=str(f.path), sha256="")
            why = exc.strerror or str(exc)
            res = failed_result(job, Code.INPUT_UNREADABLE, f"cannot read the file: {why}")
            unreadable.append(outcome_of(job, res))
            continue
        prev = ledger.get(f.name, sha, chash)
        finished = prev is not None and (prev.status != "failed" or not options.retry_failed)
        if prev is not None and finished and output_path(options.out, f.name).is_file():
            done[f.name] = prev
        else:
            todo.append(Job(name=f.name, path=str(f.path), sha256=sha, xlsx=options.xlsx))
    return done, todo, unreadable


def _outcomes(
    todo: list[Job], unreadable: list[Outcome], config: ExtractConfig, options: BatchOptions
) -> Iterator[Outcome]:
    yield from unreadable
    if todo:
        yield from _engine(options)(todo, config, options)


def run_batch(
    inputs: list[str],
    config: ExtractConfig,
    options: BatchOptions,
    *,
    progress: TextIO | None = sys.stderr,
    write_file: WriteFile = atomic_write,
) -> BatchReport:
    """Run a batch over files, folders and globs. Every document ends with a ledger entry and
    a ``<name>.json`` result; entries that are no document are listed in ``skipped``. Raises
    only for misuse (an input that names nothing, a worker that cannot start) and for an
    output folder that takes no writes (``BatchOutputError``). ``write_file`` writes one
    output file (tests inject a failing one)."""
    t0 = time.perf_counter()
    found = discover_all(inputs)
    files = found.files
    chash = config_hash(config, options.document_fn)
    lock, ledger = _open_out(options.out)
    report = BatchReport(skipped=found.skipped)
    by_name: dict[str, InputFile] = {f.name: f for f in files}
    try:
        done, todo, unreadable = _plan(files, ledger, chash, config, options)
        bar = Progress(len(files), progress)
        for e in done.values():
            bar.add(e.status, skipped=True)
        outcomes = _outcomes(todo, unreadable, config, options)
        try:
            for out in outcomes:
                entry = _record(out, by_name[out.name], chash, options, ledger, write_file)
                done[out.name] = entry
                report.processed += 1
                report.max_worker_rss_bytes = max(
                    report.max_worker_rss_bytes, out.worker_max_rss_bytes
                )
                bar.add(out.status)
        finally:
            # stops the workers now, whatever ends the loop (an output error, a signal)
            close = getattr(outcomes, "close", None)
            if close is not None:
                close()
        bar.close()
        report.entries = [done[f.name] for f in files]
        report.failures = _failures(options.out, report.entries, by_name)
        rows: list[list[object]] = [["name", "input", "status", "error_codes", "message", "result"]]
        rows += [
            [f.name, f.input, f.status, " ".join(f.codes), f.message, f.result]
            for f in report.failures
        ]
        try:
            write_file(options.out / FAILURES_NAME, csv_text(rows))
        except OSError as exc:
            raise BatchOutputError.of(options.out, exc) from exc
    finally:
        ledger.close()
        lock.close()
    report.seconds = time.perf_counter() - t0
    return report


_TRIAGE = {"failed": 0, "partial": 1, "ok": 2}


def _failures(out_dir: Path, entries: list[Entry], by_name: dict[str, InputFile]) -> list[Failure]:
    """Every failed, then partial document with its first error's message (from its result),
    then every ok document whose printed report fails a hard identity: its status stays ok
    (SPEC.md section 3: a faithful reading of an inconsistent report is correct output), but
    an analyst triaging the batch needs it named."""
    found: list[Failure] = []
    for e in sorted(entries, key=lambda e: (_TRIAGE.get(e.status, 3), e.name)):
        inconsistent = e.status == "ok" and e.source_inconsistencies > 0
        if e.status not in ("failed", "partial") and not inconsistent:
            continue
        path = output_path(out_dir, e.name)
        message = ""
        with contextlib.suppress(OSError, ValueError, KeyError, IndexError, TypeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if inconsistent:
                first = next(f for f in data["findings"] if f["kind"] == "source_inconsistency")
                message = (
                    f"{e.source_inconsistencies} source inconsistencies (the printed report "
                    f"does not add up): {first['message']}"
                )
            else:
                message = data["errors"][0]["message"]
        found.append(
            Failure(
                e.name,
                printable(str(by_name[e.name].path)),
                e.status,
                e.error_codes,
                " ".join(message.split())[:300],
                path.name,
            )
        )
    return found


def _record(
    out: Outcome,
    f: InputFile,
    chash: str,
    options: BatchOptions,
    ledger: Ledger,
    write_file: WriteFile,
) -> Entry:
    """Write a document's outputs, then its ledger row (in that order: a row means whole
    outputs). Raises BatchOutputError when the folder takes no more writes."""
    run_info: dict[str, Any] = {
        "extractor": __version__,
        "python": platform.python_version(),
        "engine": options.engine,
        "input": printable(str(f.path)),
        "seconds": round(out.seconds, 4),
        "peak_rss_bytes": out.peak_rss_bytes,
        "worker_max_rss_bytes": out.worker_max_rss_bytes,
        "worker_pid": out.worker_pid,
        "config_hash": chash,
    }
    entry = entry_of(out, chash)
    try:
        write_document(options.out, out.name, out.files, run_info, write=write_file)
        if options.review:
            write_review_page(options.out, out.name, out.files, f.path)
        ledger.record(entry)
    except (OSError, sqlite3.Error) as exc:
        raise BatchOutputError.of(options.out, exc) from exc
    return entry
