"""``extractor eval DATASET...``: the core CLI finds this command through the
``extractor.cli.commands`` entry point of this distribution and hands it the arguments after
``eval``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from extractor.config import ExtractConfig
from extractor.definitions import load_definitions
from extractor_evals.harness import compare, format_table, run_eval


def build_parser(prog: str = "extractor eval") -> argparse.ArgumentParser:
    """The options of ``extractor eval``."""
    ev = argparse.ArgumentParser(
        prog=prog, description="measure extraction against labeled datasets"
    )
    talk = ev.add_mutually_exclusive_group()
    talk.add_argument("-v", "--verbose", action="store_true", help="say more")
    talk.add_argument("-q", "--quiet", action="store_true", help="errors only")
    ev.add_argument("datasets", nargs="+", help="dataset folders, or generated:N[:SEED]")
    ev.add_argument("--json", help="write the full report as JSON here")
    ev.add_argument("--markdown", help="write the table as Markdown here")
    ev.add_argument("--compare", help="baseline JSON: show changes, exit 1 if accuracy dropped")
    ev.add_argument("--write-baseline", help="write a baseline (no timings) here")
    ev.add_argument("--schemas", type=Path, default=None, help="folder of report definitions")
    return ev


def _write_json(path: str, data: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _baseline(data: dict[str, Any]) -> dict[str, Any]:
    """A report's JSON without timings and memory, which change from run to run: a baseline
    keeps only what must not drop."""
    for ds in data["datasets"].values():
        for c in ds["cases"]:
            c.pop("seconds", None)
        ds["totals"].pop("seconds", None)
        ds["totals"].pop("seconds_per_page", None)
    data.pop("max_rss_mib", None)
    data["totals"].pop("seconds", None)
    data["totals"].pop("seconds_per_page", None)
    return data


def main(argv: Sequence[str], prog: str = "extractor eval") -> int:
    """Run ``extractor eval`` with the arguments after ``eval``; the exit status."""
    args = build_parser(prog).parse_args(list(argv))
    config = ExtractConfig(schema_dir=args.schemas)
    report = run_eval(
        args.datasets, config, load_definitions(config.schema_dir, config.extra_schema_dirs)
    )
    if not args.quiet:
        print(format_table(report))
    data = report.to_json()
    if args.json:
        _write_json(args.json, data)
    if args.markdown:
        Path(args.markdown).write_text(format_table(report, markdown=True) + "\n", encoding="utf-8")
    if args.write_baseline:
        _write_json(args.write_baseline, _baseline(data))
    if args.compare:
        baseline = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        lines, regressed = compare(report, baseline)
        print("\ncompared with " + args.compare + ":")
        print("\n".join("  " + x for x in lines))
        if regressed:
            print("REGRESSION: accuracy dropped against the baseline")
            return 1
    return 0
