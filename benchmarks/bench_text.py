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
import time
import tracemalloc
from pathlib import Path

from extractor.config import ExtractConfig
from extractor.definitions import load_definitions
from extractor.pipeline import extract_text_bytes

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "datasets" / "seeds"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
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


if __name__ == "__main__":
    main()
