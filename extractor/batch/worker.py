"""One document in an isolated worker process, under a deadline and a memory limit.

A ``Slot`` owns one worker process (started with ``spawn``: a clean interpreter, no inherited
threads or locks) that imports the per-document function once and then runs documents one at a
time, sending back each result's files. The slot's owner polls it: a worker that dies (a
segfault in a native library), outlives the document's deadline, or grows past the memory
limit is killed and replaced, and that document gets a failed result with ``batch.crashed``,
``batch.timeout`` or ``batch.memory``. ``concurrent.futures.ProcessPoolExecutor`` is not used
because one dead worker breaks its whole pool.

Memory is watched by polling the worker's resident set (psutil), not with RLIMIT_AS: numpy and
onnxruntime reserve far more address space than they touch, so an address-space limit fails
healthy OCR runs. Polling can overshoot by what a document allocates between two polls
(``poll_s``).

The per-document function is named by ``module:function`` and called as ``fn(path, config)``,
returning a ``DocumentResult`` (default ``extractor.api:extract``); tests inject a function that
hangs or crashes on request, so the product has no code path for that.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil
from pydantic import SecretStr

from extractor.batch.limits import gate_from_env
from extractor.batch.types import DEFAULT_DOCUMENT_FN, Job, Limits, Outcome
from extractor.config import ExtractConfig
from extractor.definitions import load_definitions
from extractor.errors import Code, ConfigError, ExtractorError
from extractor.model import DocumentInfo, DocumentResult, ErrorInfo, printable
from extractor.output import document_files

DocumentFn = Callable[[Path, ExtractConfig], DocumentResult]


def load_document_fn(spec: str) -> DocumentFn:
    """Import ``module:function``; raises ConfigError when it names nothing callable."""
    module, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"no per-document function {spec!r}: {exc}") from exc
    if not callable(fn):
        raise ConfigError(f"{spec!r} is not callable")
    return fn  # type: ignore[no-any-return]


def failed_result(job: Job, code: Code, message: str) -> DocumentResult:
    """The result of a document that produced none of its own."""
    return DocumentResult(
        document=DocumentInfo(source=Path(job.path).name, sha256=job.sha256),
        status="failed",
        errors=[ErrorInfo(code=code, message=message)],
    )


def outcome_of(job: Job, result: DocumentResult, seconds: float = 0.0) -> Outcome:
    """The outcome of a document from its result."""
    s, u = result.summary, result.usage
    return Outcome(
        name=job.name,
        sha256=job.sha256,
        source=printable(Path(job.path).name),
        status=result.status,
        error_codes=[e.code for e in result.errors],
        files=document_files(result, job.name, xlsx=job.xlsx),
        tables=s.tables,
        hard_checks=s.hard_checks,
        failed_checks=s.failed,
        source_inconsistencies=s.source_inconsistencies,
        extraction_errors=s.extraction_errors,
        llm_calls=u.llm_calls,
        prompt_tokens=u.prompt_tokens,
        completion_tokens=u.completion_tokens,
        seconds=seconds,
    )


def run_document(fn: DocumentFn, job: Job, config: ExtractConfig) -> Outcome:
    """Run one document in this process. Data problems come back in the result; an
    exception from the extraction (a bug) costs this document only (``batch.exception``)."""
    t0 = time.perf_counter()
    if job.llm_tokens_left is not None and config.llm.effective_mode != "off":
        # the batch's token budget: what is left bounds this document; spent, no LLM
        left = job.llm_tokens_left
        llm = (
            config.llm.model_copy(update={"mode": "off"})
            if left <= 0
            else config.llm.model_copy(update={"token_budget": min(config.llm.token_budget, left)})
        )
        config = config.model_copy(update={"llm": llm})
    try:
        result = fn(Path(job.path), config)
    except ExtractorError as exc:
        result = failed_result(job, exc.code, str(exc))
    except Exception as exc:
        result = failed_result(job, Code.BATCH_EXCEPTION, f"{type(exc).__name__}: {exc}")
    out = outcome_of(job, result, time.perf_counter() - t0)
    out.worker_max_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.worker_pid = os.getpid()
    return out


def _document_fn(fn_spec: str, config: ExtractConfig) -> DocumentFn:
    """The worker's per-document function. The default is ``extractor.api.extract`` with the
    definitions loaded and the OCR engine built once per worker (building rapidocr's takes
    about 1.5 s), not once per document; the results are the same."""
    # a bad folder fails here, not per document
    definitions = load_definitions(config.schema_dir, config.extra_schema_dirs)
    if fn_spec != DEFAULT_DOCUMENT_FN:
        return load_document_fn(fn_spec)
    from extractor.pipeline import default_engine_provider, extract_path

    engine = default_engine_provider(config)  # builds the engine on first use only
    llm = None
    if config.llm.effective_mode != "off" and config.llm.model:
        from extractor.extract.llm import LlmClient

        # one client per worker (its cache and counters), behind the batch's request cap
        llm = LlmClient(config.llm, gate=gate_from_env())

    def extract(path: Path, cfg: ExtractConfig) -> DocumentResult:
        return extract_path(path, cfg, definitions, engine, llm=llm)

    return extract


SECRET_ENV = "EXTRACTOR_BATCH_LLM_API_KEY"


def _with_secret(config: ExtractConfig) -> ExtractConfig:
    """The configuration a worker received, with the API key the driver passed in the
    environment (a SecretStr is masked in JSON)."""
    key = os.environ.get(SECRET_ENV)
    if key is None and config.llm.effective_mode != "off":
        # a Ray node: the key comes from the node's own environment, as for `extract`
        key = os.environ.get("EXTRACTOR_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
    if key is None:
        return config
    # model_copy does not validate: the key must be given as the SecretStr the field holds
    llm = config.llm.model_copy(update={"api_key": SecretStr(key)})
    return config.model_copy(update={"llm": llm})


def _exit_with_driver(poll_s: float = 0.5) -> None:
    """End this worker when its driver is gone (killed with SIGKILL, so it could not stop
    it), even in the middle of a document: a watcher thread notices the new parent."""
    driver = os.getppid()

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(poll_s)
        os._exit(70)  # nobody is left to take the result

    threading.Thread(target=watch, name="driver-watch", daemon=True).start()


def _worker_main(conn: Connection, fn_spec: str) -> None:
    """The worker process: set up once, then run documents until told to stop (None)."""
    # the driver handles Ctrl-C and stops its workers; a worker ignores the terminal's SIGINT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_driver()
    try:
        config = _with_secret(ExtractConfig.model_validate_json(conn.recv()))
        fn = _document_fn(fn_spec, config)
    except Exception as exc:
        conn.send(("init_error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the driver is gone
            return
        if job is None:
            return
        try:
            conn.send(("result", run_document(fn, job, config)))
        except OSError:  # the driver is gone
            return


def _signal_name(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


class WorkerStartError(ConfigError):
    """The worker process could not set up (bad configuration or per-document function)."""

    code = Code.BATCH_WORKER_START


_ENTRY = "from extractor.batch.worker import main; main()"


class Slot:
    """One supervised worker process. Not thread-safe; its owner calls ``poll`` regularly."""

    def __init__(
        self,
        fn_spec: str,
        config: ExtractConfig,
        limits: Limits,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self._fn_spec = fn_spec
        self._config_json = config.model_dump_json()
        # what the worker needs beside the configuration: the API key (masked in JSON) and
        # the batch's request cap, passed in its environment, never written anywhere
        self._extra_env = dict(extra_env or {})
        secret = config.llm.api_key.get_secret_value()
        if secret:
            self._extra_env.setdefault(SECRET_ENV, secret)
        self.limits = limits
        self.job: Job | None = None
        self._started = 0.0
        self._peak = 0
        self._ready = False
        self._failed_starts = 0  # workers in a row that died before they were ready
        self._start()

    # ------------------------------------------------------------------ process management

    def _start(self) -> None:
        # a fresh interpreter running main() below, not multiprocessing's
        # spawn: that re-imports the caller's __main__, which breaks library users' scripts
        # without a main guard; same sys.path as here, so an injected function imports
        parent, child = socket.socketpair()
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(p or os.getcwd() for p in sys.path),
            **self._extra_env,
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, str(child.fileno()), self._fn_spec],
            pass_fds=[child.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self._conn = Connection(parent.detach())
        self._conn.send(self._config_json)
        self._ps: psutil.Process | None = None
        self._children: list[psutil.Process] = []
        self._children_at = 0.0
        self._ready = False
        self._eof = False

    def _alive(self) -> bool:
        return self._proc.poll() is None

    def _kill(self) -> None:
        if self._alive():
            # the worker's own children (if a library started any) go with it
            try:
                for c in psutil.Process(self._proc.pid).children(recursive=True):
                    c.kill()
            except psutil.Error:
                pass
            self._proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(5)
        self._conn.close()

    def _restart(self) -> None:
        self._kill()
        self._start()

    def close(self) -> None:
        """Stop the worker (politely if idle, else kill it)."""
        if self._ready and self.job is None and self._alive():
            with contextlib.suppress(OSError):
                self._conn.send(None)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(2)
        self._kill()

    # ------------------------------------------------------------------ work

    @property
    def idle(self) -> bool:
        """Ready for a document."""
        return self._ready and self.job is None

    @property
    def waitables(self) -> list[Any]:
        """What ``multiprocessing.connection.wait`` should watch for this slot."""
        return [self._conn]  # a dead worker closes its end: the connection turns readable

    def submit(self, job: Job) -> None:
        if not self.idle:
            raise RuntimeError("slot is busy or starting")
        self.job = job
        self._peak = 0
        self._started = time.monotonic()
        self._conn.send(job)

    def _finish(self, code: Code, message: str) -> Outcome:
        job = self.job
        assert job is not None
        self.job = None
        seconds = time.monotonic() - self._started
        out = outcome_of(job, failed_result(job, code, message), seconds)
        out.peak_rss_bytes = self._peak
        self._restart()
        return out

    def _rss(self) -> int:
        """Resident memory of the worker and of any process it started. Listing children
        reads all of /proc, so the list is refreshed at most every 2 s."""
        try:
            if self._ps is None:
                self._ps = psutil.Process(self._proc.pid)
            now = time.monotonic()
            if now - self._children_at > 2.0:
                self._children = self._ps.children(recursive=True)
                self._children_at = now
            rss = int(self._ps.memory_info().rss)
        except psutil.Error:
            return 0
        for c in self._children:
            with contextlib.suppress(psutil.Error):
                rss += int(c.memory_info().rss)
        return rss

    def poll(self) -> Outcome | None:
        """Take in what the worker sent; enforce the limits. Returns an outcome when the
        current document is finished (well or not)."""
        try:
            while self._conn.poll():
                kind, payload = self._conn.recv()
                if kind == "ready":
                    self._ready = True
                    self._failed_starts = 0
                elif kind == "init_error":
                    self._kill()
                    raise WorkerStartError(f"the batch worker could not start: {payload}")
                elif kind == "result":
                    out: Outcome = payload
                    out.peak_rss_bytes = max(self._peak, out.peak_rss_bytes)
                    self.job = None
                    return out
        except (EOFError, OSError):
            self._eof = True  # the worker is gone: handled below
        if not self._alive() or self._eof:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(5)
            if self.job is None:
                if not self._ready:
                    self._failed_starts += 1
                    if self._failed_starts >= 3:
                        self._kill()
                        raise WorkerStartError("the batch worker keeps dying as it starts")
                self._restart()
                return None
            return self._finish(
                Code.BATCH_CRASHED,
                f"the worker process died ({_signal_name(self._proc.returncode)}) "
                "while extracting this document",
            )
        if self.job is None:
            return None
        limits = self.limits
        if limits.timeout_s is not None and time.monotonic() - self._started > limits.timeout_s:
            return self._finish(
                Code.BATCH_TIMEOUT, f"no result within the {limits.timeout_s:g} s deadline"
            )
        rss = self._rss()
        self._peak = max(self._peak, rss)
        if limits.max_memory_mb is not None and rss > limits.max_memory_mb * 2**20:
            return self._finish(
                Code.BATCH_MEMORY,
                f"the worker grew past the {limits.max_memory_mb} MiB memory limit",
            )
        return None

    def run(self, job: Job) -> Outcome:
        """Run one document synchronously (used by the Ray engine's actors)."""
        from multiprocessing.connection import wait

        while not self.idle:
            wait(self.waitables, timeout=self.limits.poll_s)
            self.poll()
        self.submit(job)
        while True:
            wait(self.waitables, timeout=self.limits.poll_s)
            out = self.poll()
            if out is not None:
                return out


def main() -> None:
    """Entry of a worker process: ``python -c '...main()' FD FUNCTION``."""
    _worker_main(Connection(int(sys.argv[1])), sys.argv[2])
