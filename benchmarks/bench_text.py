"""Benchmark of the text path: seconds per report, tables/s, peak memory. Prints figures;
asserts nothing (speed is measured here, not in the tests).

    python benchmarks/bench_text.py [--repeat N]

The "composite" input joins seeds 000 and 001 (about 30 printed pages of tables, narrative
and annexes) to stand for a 30-page report.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from extractor.config import ExtractConfig
from extractor.definitions import load_definitions
from extractor.pipeline import extract_text_bytes

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "datasets" / "seeds"
REAL_PDF = ROOT / "evals" / "datasets" / "real_pdfs" / "sh_putuo_planning-resources_2024_dept-final.pdf"  # noqa: E501

_PYMUPDF_READ = (
    "import pymupdf, sys; d = pymupdf.open(sys.argv[1]); [p.get_text('words') for p in d]"
)


def _wall(argv: list[str], repeat: int, check: bool = True) -> float:
    """Median wall seconds of a fresh process (start-up included, as a user meets it)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def startup(repeat: int) -> None:
    """`extractor extract` wall time, a new process each time, beside pymupdf's own
    open-and-read of the same PDF and a bare interpreter."""
    import pymupdf

    exe = [sys.executable, "-m", "extractor.cli", "extract"]
    with tempfile.TemporaryDirectory() as out:
        locked = Path(out) / "encrypted.pdf"
        with pymupdf.open(REAL_PDF) as doc:
            doc.save(locked, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")
        refused = _wall([*exe, str(locked), "-o", out], repeat, check=False)
        rows = [
            ("refuse encrypted PDF", refused),
            ("python -c pass", _wall([sys.executable, "-c", "pass"], repeat)),
            ("pymupdf open + words", _wall([sys.executable, "-c", _PYMUPDF_READ, str(REAL_PDF)],
                                            repeat)),
            ("extract text PDF", _wall([*exe, str(REAL_PDF), "-o", out], repeat)),
            ("extract seed 000", _wall([*exe, str(next(SEEDS.glob("000_*.txt"))), "-o", out],
                                        repeat)),
        ]
    print(f"\nwall time of one command (median of {repeat}; {REAL_PDF.name}, 30 pages)")
    for name, sec in rows:
        print(f"  {name:<24}{sec:>8.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--startup-repeat", type=int, default=3)
    args = ap.parse_args()
    defs = load_definitions()
    cfg = ExtractConfig()
    s000 = next(SEEDS.glob("000_*.txt")).read_bytes()
    s001 = next(SEEDS.glob("001_*.txt")).read_bytes()
    inputs = {"seed 000": s000, "seed 001": s001, "composite 000+001": s000 + b"\n" + s001}
    print(
        f"{'input':<20}{'lines':>7}{'tables':>8}{'checks':>8}{'median s':>10}{'min s':>8}"
        f"{'tables/s':>10}{'lines/s':>10}{'peak MiB':>10}"
    )
    for name, data in inputs.items():
        times = []
        result = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = extract_text_bytes(data, source_name=name, config=cfg, definitions=defs)
            times.append(time.perf_counter() - t0)
        assert result is not None
        tracemalloc.start()
        extract_text_bytes(data, source_name=name, config=cfg, definitions=defs)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        med = statistics.median(times)
        lines = data.count(b"\n") + 1
        print(
            f"{name:<20}{lines:>7}{len(result.tables):>8}{len(result.checks):>8}{med:>10.4f}"
            f"{min(times):>8.4f}{len(result.tables) / med:>10.1f}{lines / med:>10.0f}"
            f"{peak / 2**20:>10.1f}"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {rss:.0f} MiB (includes the interpreter and pydantic)")
    startup(args.startup_repeat)


if __name__ == "__main__":
    main()
