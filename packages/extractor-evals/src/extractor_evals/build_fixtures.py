"""Write PDF fixtures rendered from the seed truth: `python -m extractor_evals.build_fixtures OUT`.

For truth 000 and 001: every `render_pdf.STYLES` style as OUTDIR/{doc}-{style}.pdf, and degraded
scans of the first style at 150 and 200 dpi as OUTDIR/{doc}-{style}-scan150.pdf / -scan200.pdf.
Everything is deterministic (fixed seeds). Use a git-ignored folder such as evals/generated/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from extractor_evals.degrade import ScanStyle, degrade_pdf
from extractor_evals.render_pdf import STYLES, render_pdf

# the repository's seed truth (this is a development tool run from a checkout)
TRUTH = Path(__file__).resolve().parents[4] / "evals" / "datasets" / "seeds" / "truth"
DOCS = ("000", "001")
SCAN_DPIS = (150, 200)


def build(outdir: Path, docs: tuple[str, ...] = DOCS) -> list[Path]:
    """Write the fixtures; returns the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    first = next(iter(STYLES))
    for doc_id in docs:
        doc: dict[str, Any] = json.loads((TRUTH / f"{doc_id}.json").read_text(encoding="utf-8"))
        for name, style in STYLES.items():
            pdf = render_pdf(doc, style, seed=0)
            path = outdir / f"{doc_id}-{name}.pdf"
            path.write_bytes(pdf)
            written.append(path)
            if name != first:
                continue
            for dpi in SCAN_DPIS:
                scan = degrade_pdf(pdf, ScanStyle(dpi=dpi), seed=int(doc_id) * 1000 + dpi)
                path = outdir / f"{doc_id}-{name}-scan{dpi}.pdf"
                path.write_bytes(scan)
                written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m extractor_evals.build_fixtures OUTDIR", file=sys.stderr)
        return 2
    for path in build(Path(args[0])):
        print(f"{path}\t{path.stat().st_size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
