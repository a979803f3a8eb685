"""LLM calls and tokens per document, ``auto`` against ``always``, on the fixtures, against the
fake OpenAI-compatible oracle server of the tests (no network). Prints figures; asserts nothing.

    python benchmarks/bench_llm.py [--mistakes wrong_column,transposed]

Fixtures: the three seed reports (text the mapper finishes: auto should send nothing), three
generated reports with a renamed header and an unknown table title (auto sends those two
tables), and three OCR readings with a misread digit (repair fixes them: auto sends nothing)
and three with a dropped cell (repair cannot: auto sends that table). The target (not
blocking): auto under 10% of always's tokens.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.config import ExtractConfig, LlmOptions  # noqa: E402
from extractor.definitions import Definitions, load_definitions  # noqa: E402
from extractor.extract.llm import LlmClient  # noqa: E402
from extractor.ingest.text import read_text  # noqa: E402
from extractor.model import DocumentInfo, DocumentResult  # noqa: E402
from extractor.pipeline import _from_rows  # noqa: E402
from extractor_evals.inject import make_case  # noqa: E402
from tests.fake_openai import Oracle, fake_openai  # noqa: E402
from tests.test_llm import TEACH, hard_case  # noqa: E402

SEEDS = ROOT / "evals" / "datasets" / "seeds"


def fixtures() -> list[tuple[str, str, bool]]:
    """(name, text, read as OCR)."""
    out = [
        (p.name[:3] + " seed", p.read_text(encoding="utf-8"), False)
        for p in sorted(SEEDS.glob("*.txt"))
    ]
    out += [(f"hard {s}", hard_case(s)[0], False) for s in (3, 4, 5)]
    out += [(f"ocr digit {s}", make_case(s, "ocr.digit")[0], True) for s in (0, 1, 2)]
    out += [(f"ocr drop {s}", make_case(s, "ocr.drop_cell")[0], True) for s in (0, 1, 2)]
    return out


def run(text: str, ocr: bool, defs: Definitions, opts: LlmOptions) -> tuple[DocumentResult, int]:
    data = text.encode("utf-8")
    rows = read_text(data).rows
    if ocr:
        rows = [
            replace(r, cells=tuple(replace(c, origin="ocr", confidence=0.93) for c in r.cells))
            for r in rows
        ]
    client = LlmClient(opts)
    result = _from_rows(
        rows,
        [],
        [],
        DocumentInfo(source="bench", sha256=""),
        ExtractConfig(llm=opts),
        defs,
        data,
        client,
    )
    return result, client.stats.requests


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mistakes", default="", help="oracle mistakes on first answers")
    args = ap.parse_args()
    defs = load_definitions()
    mistakes = [m for m in args.mistakes.split(",") if m]
    print(
        f"{'document':<16}{'auto calls':>11}{'auto tokens':>13}{'always calls':>14}"
        f"{'always tokens':>15}{'auto/always':>13}{'auto status':>13}"
    )
    totals = {"auto": [0, 0], "always": [0, 0]}
    with fake_openai(Oracle(**TEACH, mistakes=mistakes)) as server:  # type: ignore[arg-type]
        for name, text, ocr in fixtures():
            row: dict[str, tuple[int, int, str]] = {}
            for mode in ("auto", "always"):
                opts = LlmOptions(mode=mode, model="fake", base_url=server.base_url, backoff_s=0.01)  # type: ignore[arg-type]
                result, _ = run(text, ocr, defs, opts)
                tokens = result.usage.prompt_tokens + result.usage.completion_tokens
                row[mode] = (result.usage.llm_calls, tokens, result.status)
                totals[mode][0] += result.usage.llm_calls
                totals[mode][1] += tokens
            ratio = row["auto"][1] / row["always"][1] if row["always"][1] else 0.0
            print(
                f"{name:<16}{row['auto'][0]:>11}{row['auto'][1]:>13}{row['always'][0]:>14}"
                f"{row['always'][1]:>15}{ratio:>12.1%}{row['auto'][2]:>13}"
            )
    ratio = totals["auto"][1] / totals["always"][1] if totals["always"][1] else 0.0
    print(
        f"{'total':<16}{totals['auto'][0]:>11}{totals['auto'][1]:>13}{totals['always'][0]:>14}"
        f"{totals['always'][1]:>15}{ratio:>12.1%}"
    )
    print("tokens as counted by the fake server (characters / 2); target: auto < 10% of always")


if __name__ == "__main__":
    main()
