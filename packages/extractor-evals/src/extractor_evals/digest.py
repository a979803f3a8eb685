"""sha256 of generated documents, to show that a refactoring of the generators changed none:
each case's input bytes, its truth dumped as JSON (as the harness and a truth file hold it) and
its labels. ``python -m extractor_evals.digest FILE`` compares with FILE (exit 1 on any
difference); ``--write`` writes FILE. ``make eval-digest`` checks the committed
evals/baselines/generated_digest.json; a change meant to alter generated documents rewrites it
with ``--write`` and says so."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict
from pathlib import Path

from extractor_evals.fuzz import corpus
from extractor_evals.harness import resolve_datasets
from extractor_evals.truth import TruthDocument

#: every generated dataset kind, a few documents each (every injection kind of generated:
#: and generated-budget:, every text layout family, every PDF layout family, a scan)
SPECS = (
    "generated:12",
    "generated-budget:9",
    "generated-layout:7",
    "generated-layout:3:1000",
    "generated-pdf:4",
    "generated-budget-pdf:2",
    "generated-scan:1",
    "generated-layout-pdf:3",
    "generated-layout-pdf-landscape:1",
    "generated-layout-pdf-partial_rules:1",
    "generated-layout-pdf-header_wrap:1",
)
#: the fuzz corpus: every class of hostile file once or twice
FUZZ_CASES = 40


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _truth_json(truth: TruthDocument) -> bytes:
    return (json.dumps(truth.to_json(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def digest(specs: tuple[str, ...] = SPECS, fuzz: int = FUZZ_CASES) -> dict[str, dict[str, str]]:
    """``spec/case`` -> the sha256 of its input, truth JSON and labels; ``fuzz/name`` -> the
    sha256 of a fuzz corpus file."""
    out: dict[str, dict[str, str]] = {}
    for spec, cases in resolve_datasets(specs):
        for c in cases:
            labels = json.dumps([asdict(x) for x in c.labels], ensure_ascii=False)
            out[f"{spec}/{c.name}"] = {
                "source": c.source_name,
                "input": _sha(c.data),
                "truth": _sha(_truth_json(c.truth)),
                "labels": _sha(labels.encode("utf-8")),
            }
    for f in corpus(fuzz):
        out[f"fuzz/{f.name}"] = {"kind": f.kind, "input": _sha(f.data)}
    return out


def main(argv: list[str] | None = None) -> int:
    """Compare with (or ``--write``) the digest file; 1 when a document differs."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("file", type=Path, help="the digest JSON")
    p.add_argument("--write", action="store_true", help="write the file instead of comparing")
    p.add_argument("--specs", nargs="+", default=list(SPECS), help="generated dataset specs")
    p.add_argument("--fuzz", type=int, default=FUZZ_CASES, help="fuzz corpus files")
    args = p.parse_args(argv)
    now = digest(tuple(args.specs), args.fuzz)
    if args.write:
        args.file.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {len(now)} digests to {args.file}")
        return 0
    ref = json.loads(args.file.read_text(encoding="utf-8"))
    diff = sorted(k for k in ref.keys() | now.keys() if ref.get(k) != now.get(k))
    for k in diff:
        print(f"DIFFERS {k}: {ref.get(k)} -> {now.get(k)}")
    print(f"{len(now)} documents, {len(now) - len(diff)} identical, {len(diff)} differ")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
