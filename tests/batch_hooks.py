"""A per-document function for the batch tests: misbehaves when the document's first bytes ask
for it, else runs the real extraction. Injected with ``BatchOptions.document_fn`` (or the
hidden ``--document-fn``), so the product has no code path keyed on file contents or names."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import extractor
from extractor.config import ExtractConfig
from extractor.model import DocumentResult

HOOK_FN = "tests.batch_hooks:extract_with_hooks"


HOLD_ENV = "BATCH_TEST_HOLD"  # "DIR:N": documents after the N-th wait until the driver is gone


def _hold_after(spec: str) -> None:
    """Number this document among those the batch started (a file per document in DIR, made
    atomically); past the N-th, wait until the driver process is gone, then go on as usual.
    A batch killed 'midway' is then killed with exactly N documents done, however fast."""
    folder, _, n = spec.rpartition(":")
    i = 0
    while True:
        try:
            os.close(os.open(os.path.join(folder, str(i)), os.O_CREAT | os.O_EXCL))
            break
        except FileExistsError:
            i += 1
    if i < int(n):
        return
    driver = os.getppid()
    while os.getppid() == driver:
        time.sleep(0.05)


def extract_with_hooks(path: Path, config: ExtractConfig) -> DocumentResult:
    hold = os.environ.get(HOLD_ENV)
    if hold:
        _hold_after(hold)
    head = path.read_bytes()[:16]
    if head.startswith(b"#HANG"):
        # a mark beside the document tells a test the worker is inside it now
        path.with_name(path.name + ".hanging").touch()
        time.sleep(3600)
    elif head.startswith(b"#CRASH"):
        os.kill(os.getpid(), signal.SIGSEGV)
    elif head.startswith(b"#OOM"):
        # 2 GiB, written so the pages are resident, then held until the memory limit kills
        # the worker: however slowly the supervisor polls, only that limit can end it
        hog = [b"x" * (50 * 2**20) for _ in range(40)]
        while hog:
            time.sleep(1)
    elif head.startswith(b"#KILL_RAY_ACTOR"):
        # stands for a lost node: kill the Ray actor that supervises this worker (only ever
        # a Ray actor: its process title starts with "ray::")
        import psutil

        parent = psutil.Process(os.getppid())
        if " ".join(parent.cmdline()).startswith("ray::"):
            parent.kill()
            time.sleep(60)
    elif head.startswith(b"#RAISE"):
        raise RuntimeError("a bug in the extraction")
    elif head.startswith(b"#FLAKY") and not os.environ.get("BATCH_TEST_FLAKY_OK"):
        os.kill(os.getpid(), signal.SIGKILL)
    return extractor.extract(path, config)
