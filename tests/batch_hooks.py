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


def extract_with_hooks(path: Path, config: ExtractConfig) -> DocumentResult:
    head = path.read_bytes()[:16]
    if head.startswith(b"#HANG"):
        # a mark beside the document tells a test the worker is inside it now
        path.with_name(path.name + ".hanging").touch()
        time.sleep(3600)
    elif head.startswith(b"#CRASH"):
        os.kill(os.getpid(), signal.SIGSEGV)
    elif head.startswith(b"#OOM"):
        hog = []
        for _ in range(200):  # up to 10 GiB, written so the pages are resident
            hog.append(b"x" * (50 * 2**20))
            time.sleep(0.02)
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
