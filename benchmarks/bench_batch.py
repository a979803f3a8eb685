"""Benchmark of batch extraction: documents per second for N generated text reports with 1 and
2 local worker processes and with Ray (2 actors), and the peak RSS of each worker. Prints
figures (medians over --repeat runs); asserts nothing.

    python benchmarks/bench_batch.py [--docs 200] [--repeat 3] [--no-ray]

Each run starts from an empty output folder, so every document is processed; the time is the
wall time of ``run_batch`` (hashing inputs, starting the workers, extracting, writing outputs
and the ledger). For Ray the local instance is started before the clock (its start time is
printed apart), since a cluster is long-lived. Target (issue 6): 2 workers >= 1.8x one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from extractor.batch import BatchOptions, run_batch
from extractor.config import ExtractConfig
from extractor.evals.harness import generated_dataset


def _worker_peaks(out: Path) -> list[float]:
    """Peak RSS (MiB) of each worker process, from the run sidecars."""
    peaks: dict[int, int] = defaultdict(int)
    for p in out.rglob("*.run.json"):
        run = json.loads(p.read_text(encoding="utf-8"))
        peaks[run["worker_pid"]] = max(peaks[run["worker_pid"]], run["worker_max_rss_bytes"])
    return sorted(v / 2**20 for v in peaks.values())


def _bench(src: Path, tmp: Path, opts: dict[str, object], repeat: int) -> tuple[float, list]:
    rates: list[float] = []
    peaks: list[float] = []
    for i in range(repeat):
        out = tmp / f"out-{opts['engine']}-{opts['workers']}-{i}"
        report = run_batch(
            [str(src)], ExtractConfig(), BatchOptions(out=out, **opts), progress=None
        )
        assert report.processed == len(report.entries)
        rates.append(report.processed / report.seconds)
        peaks = _worker_peaks(out)
        shutil.rmtree(out)
    return statistics.median(rates), [rates, peaks]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as d:
        tmp = Path(d)
        src = tmp / "in"
        src.mkdir()
        for case in generated_dataset(args.docs):
            (src / f"{case.name}.txt").write_bytes(case.data)
        print(f"{args.docs} generated text reports, {os.cpu_count()} CPUs, "
              f"load average before {os.getloadavg()[0]:.2f}")
        print(f"{'engine':<10}{'workers':>8}{'median docs/s':>15}{'runs docs/s':>28}"
              f"{'peak RSS per worker MiB':>28}")
        results: dict[str, float] = {}
        configs: list[tuple[str, dict[str, object]]] = [
            ("process", {"engine": "process", "workers": 1}),
            ("process", {"engine": "process", "workers": 2}),
        ]
        ray = None
        if not args.no_ray:
            try:
                import ray
            except ImportError:
                print("ray not installed: pip install 'extractor[ray]'")
        if ray is not None:
            t0 = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            print(f"(local Ray instance started in {time.perf_counter() - t0:.1f} s)")
            configs.append(("ray", {"engine": "ray", "workers": 2}))
        try:
            for label, opts in configs:
                med, (rates, peaks) = _bench(src, tmp, opts, args.repeat)
                results[f"{label}{opts['workers']}"] = med
                print(f"{label:<10}{opts['workers']:>8}{med:>15.2f}"
                      f"{' '.join(f'{r:.2f}' for r in rates):>28}"
                      f"{' '.join(f'{p:.0f}' for p in peaks):>28}")
        finally:
            if ray is not None:
                ray.shutdown()
        print(f"speed-up 2 workers / 1 worker: {results['process2'] / results['process1']:.2f}x"
              " (target 1.8x)")
        if "ray2" in results:
            print(f"ray (2 actors) / 1 worker: {results['ray2'] / results['process1']:.2f}x")
        print(f"load average after {os.getloadavg()[0]:.2f} (other work on the machine "
              "lowers the figures)")


if __name__ == "__main__":
    main()
