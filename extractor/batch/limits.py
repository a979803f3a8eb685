"""LLM limits shared by the documents of a batch: a cap on concurrent requests across the
worker processes (a file-lock semaphore in the output folder) and a token budget for the
whole batch (the driver hands each document what is left)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from extractor.batch.types import SLOTS_ENV, Job, Outcome


class FileSemaphore:
    """At most ``n`` holders at once among all processes of this machine that use ``folder``:
    each holder owns an exclusive lock on one of ``n`` slot files. Locks die with their
    process, so a crashed worker never keeps a slot."""

    def __init__(self, folder: Path, n: int, poll_s: float = 0.02) -> None:
        if n < 1:
            raise ValueError("a semaphore needs at least one slot")
        folder.mkdir(parents=True, exist_ok=True)
        self.paths = [folder / f"slot{i}.lock" for i in range(n)]
        self.poll_s = poll_s

    @contextlib.contextmanager
    def _hold(self) -> Iterator[None]:
        while True:
            for path in self.paths:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                return
            time.sleep(self.poll_s)

    def __call__(self) -> AbstractContextManager[None]:
        return self._hold()


def gate_from_env() -> FileSemaphore | None:
    """The batch's request gate for a worker process, if the driver set one."""
    spec = os.environ.get(SLOTS_ENV)
    if not spec:
        return None
    folder, _, n = spec.rpartition(":")
    return FileSemaphore(Path(folder), int(n))


@dataclass
class TokenBudget:
    """Tokens left for the LLM in this batch; None: no batch budget."""

    total: int | None
    used: int = 0

    def tag(self, job: Job) -> Job:
        """The job with what is left of the budget (0 or less: the LLM is not used)."""
        if self.total is None:
            return job
        return replace(job, llm_tokens_left=self.total - self.used)

    def spend(self, out: Outcome) -> None:
        self.used += out.prompt_tokens + out.completion_tokens
