"""PDF benchmark: prints figures side by side, asserts nothing.

    PYTHONPATH=. python benchmarks/bench_pdf.py [--scan-pages N] [--repeat R]

- text-layer PDFs: pages/s of the whole pipeline on the real 30-page 决算 PDF, against
  pymupdf's own word extraction of the same pages (the reference);
- scanned pages: seconds per page of the pipeline against the OCR engine's own time on the
  same pages (overhead = everything that is not OCR);
- peak memory (max RSS of a child process) extracting an N-page scanned PDF.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pymupdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.config import ExtractConfig  # noqa: E402
from extractor.definitions import load_definitions  # noqa: E402
from extractor.ocr.rapid import RapidOcrOptions  # noqa: E402
from extractor.ocr.registry import create_engine  # noqa: E402
from extractor.pipeline import extract_bytes  # noqa: E402
from extractor_evals.degrade import ScanStyle, degrade_pdf  # noqa: E402
from extractor_evals.render_pdf import STYLES, render_pdf  # noqa: E402

REAL = ROOT / "evals" / "datasets" / "real_pdfs" / "sh_putuo_planning-resources_2024_dept-final.pdf"


class TimedEngine:
    """Wraps the OCR engine to add up the time spent inside it."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.name, self.seconds = engine, engine.name, 0.0

    def recognize(self, image: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.engine.recognize(image)
        finally:
            self.seconds += time.perf_counter() - t0


def scan_pdf(pages: int) -> bytes:
    truth = json.loads((ROOT / "evals/datasets/seeds/truth/001.json").read_text(encoding="utf-8"))
    base = pymupdf.open(
        stream=degrade_pdf(
            render_pdf(truth, STYLES["ruled_portrait"], seed=1), ScanStyle(dpi=150), seed=7
        )
    )
    out = pymupdf.open()
    while out.page_count < pages:
        out.insert_pdf(base, from_page=0, to_page=min(base.page_count, pages - out.page_count) - 1)
    return bytes(out.tobytes())


def child_peak(pages: int, det_max_side: int | None) -> None:
    data = scan_pdf(pages)
    defs = load_definitions()
    t0 = time.perf_counter()
    cfg = ExtractConfig(ocr=RapidOcrOptions(det_max_side=det_max_side))
    extract_bytes(data, source_name="scan.pdf", config=cfg, definitions=defs)
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - t0,
                "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--scan-pages", type=int, default=100)
    ap.add_argument("--ocr-pages", type=int, default=6)
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument(
        "--det-max-side",
        type=int,
        default=None,
        help="OCR detector long-side cap for the memory run (default: none)",
    )
    args = ap.parse_args()
    if args.child:
        child_peak(args.child, args.det_max_side)
        return
    defs = load_definitions()
    cfg = ExtractConfig()
    data = REAL.read_bytes()
    n = pymupdf.open(stream=data).page_count
    ours, ref = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        extract_bytes(data, source_name="real.pdf", config=cfg, definitions=defs)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        doc = pymupdf.open(stream=data)
        for p in doc:
            p.get_text("words")
        ref.append(time.perf_counter() - t0)
    print(
        f"text PDF ({n} pages): pipeline {n / statistics.median(ours):.1f} pages/s, "
        f"pymupdf words alone {n / statistics.median(ref):.1f} pages/s "
        f"(median of {args.repeat})"
    )

    scan = scan_pdf(args.ocr_pages)
    engine = TimedEngine(create_engine(RapidOcrOptions()))
    t0 = time.perf_counter()
    extract_bytes(scan, source_name="scan.pdf", config=cfg, definitions=defs, engine=lambda: engine)
    total = time.perf_counter() - t0
    print(
        f"scanned 150 dpi ({args.ocr_pages} pages): {total / args.ocr_pages:.2f} s/page, "
        f"OCR engine alone {engine.seconds / args.ocr_pages:.2f} s/page, "
        f"overhead {100 * (total - engine.seconds) / engine.seconds:.1f}%"
    )

    out = subprocess.run(
        [sys.executable, __file__, "--child", str(args.scan_pages)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"scanned PDF of {args.scan_pages} pages: peak RSS {peak['max_rss_mib']:.0f} MiB, "
        f"{peak['seconds']:.0f} s"
    )


if __name__ == "__main__":
    main()
