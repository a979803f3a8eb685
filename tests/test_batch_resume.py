"""SIGKILL a batch midway, resume it: the outputs are byte-identical to an uninterrupted run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

from extractor.batch import BatchOptions, run_batch
from extractor.batch.ledger import LEDGER_NAME
from extractor.config import ExtractConfig

from .batch_hooks import HOLD_ENV, HOOK_FN
from .batch_util import generated_text, output_files

N = 16


def _done(out: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{out / LEDGER_NAME}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def test_sigkill_then_resume_is_byte_identical(tmp_path: Path) -> None:
    src = tmp_path / "in"
    (src / "more").mkdir(parents=True)
    kinds = [None, "source.total", "ocr.digit", "source.leaf"]
    for i in range(N):
        folder = src / "more" if i % 3 == 0 else src
        folder.joinpath(f"r{i:02d}.txt").write_text(
            generated_text(100 + i, kinds[i % len(kinds)]), encoding="utf-8"
        )
    (src / "empty.txt").write_bytes(b"")
    clean = tmp_path / "clean"
    # the same per-document function in all three runs (it is part of the configuration);
    # it holds nothing without its environment variable
    opts = BatchOptions(out=clean, workers=2, document_fn=HOOK_FN)
    run_batch([str(src)], ExtractConfig(), opts, progress=None)

    killed = tmp_path / "killed"
    started = tmp_path / "started"
    started.mkdir()
    # the documents after the 5th wait in their workers until the driver is killed, so the
    # kill comes with exactly 5 done on any machine; then they finish and find no driver
    proc = subprocess.Popen(
        [sys.executable, "-m", "extractor.cli", "batch", str(src), "-o", str(killed),
         "--workers", "2", "--document-fn", HOOK_FN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ, **{HOLD_ENV: f"{started}:5"}),
    )
    workers: list[psutil.Process] = []
    t0 = time.monotonic()
    while _done(killed) < 5 or len(list(started.iterdir())) < 7:
        assert proc.poll() is None, "the batch ended before it could be killed"
        assert time.monotonic() - t0 < 600  # a hang guard only
        workers = psutil.Process(proc.pid).children(recursive=True) or workers
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = _done(killed)
    assert done == 5, "killed midway"
    # orphaned workers notice their driver is gone and exit
    _, alive = psutil.wait_procs(workers, timeout=120)  # a hang guard only
    assert not alive

    report = run_batch(
        [str(src)], ExtractConfig(), opts.model_copy(update={"out": killed}), progress=None
    )
    assert report.processed == N + 1 - done
    assert output_files(killed) == output_files(clean)
    assert not [p for p in killed.rglob("*.tmp")]
    assert len(output_files(clean)) > 3 * N
