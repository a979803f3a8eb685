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
import resource
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from extractor.batch import BatchOptions, run_batch
from extractor.config import ExtractConfig
from extractor_evals.harness import generated_dataset


def _worker_peaks(out: Path) -> list[float]:
    """Peak RSS (MiB) of each worker process, from the run sidecars."""
    peaks: dict[int, int] = defaultdict(int)
    for p in out.rglob("*.run.json"):
        run = json.loads(p.read_text(encoding="utf-8"))
        peaks[run["worker_pid"]] = max(peaks[run["worker_pid"]], run["worker_max_rss_bytes"])
    return sorted(v / 2**20 for v in peaks.values())


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _bench(src: Path, tmp: Path, opts: dict[str, object], repeat: int) -> dict[str, object]:
    rates: list[float] = []
    peaks: list[float] = []
    driver = workers = 0.0
    n = 0
    for i in range(repeat):
        out = tmp / f"out-{opts['engine']}-{opts['workers']}-{i}"
        d0, w0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        report = run_batch(
            [str(src)], ExtractConfig(), BatchOptions(out=out, **opts), progress=None
        )
        driver += _cpu(resource.RUSAGE_SELF) - d0
        workers += _cpu(resource.RUSAGE_CHILDREN) - w0  # local workers are reaped: counted
        assert report.processed == len(report.entries)
        n += report.processed
        rates.append(report.processed / report.seconds)
        peaks = _worker_peaks(out)
        shutil.rmtree(out)
    return {
        "median": statistics.median(rates),
        "rates": rates,
        "peaks": peaks,
        "driver_ms": 1000 * driver / n,
        "worker_ms": 1000 * workers / n,
    }


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
        print(f"{'engine':<8}{'workers':>8}{'median docs/s':>14}{'runs docs/s':>22}"
              f"{'peak RSS/worker MiB':>21}{'CPU ms/doc driver, workers':>28}")
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
                r = _bench(src, tmp, opts, args.repeat)
                results[f"{label}{opts['workers']}"] = float(r["median"])  # type: ignore[arg-type]
                rates = " ".join(f"{x:.2f}" for x in r["rates"])  # type: ignore[attr-defined]
                peaks = " ".join(f"{x:.0f}" for x in r["peaks"])  # type: ignore[attr-defined]
                cpu = (
                    f"{r['driver_ms']:.0f}, {r['worker_ms']:.0f}"
                    if label == "process"
                    else f"{r['driver_ms']:.0f}, (in Ray)"
                )
                print(f"{label:<8}{opts['workers']:>8}{r['median']:>14.2f}{rates:>22}"
                      f"{peaks:>21}{cpu:>28}")
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
