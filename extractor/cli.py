"""Command line: ``extractor extract INPUT... -o OUT/``, ``extractor batch INPUTS... -o OUT/``,
``extractor export OUT/ --sqlite FILE``, ``extractor review RESULT.json``,
``extractor eval DATASET...``."""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

from extractor import __version__
from extractor.config import ExtractConfig, llm_options_from_env
from extractor.definitions import load_definitions
from extractor.errors import ExtractorError
from extractor.model import DocumentResult
from extractor.ocr.registry import DEFAULT_ENGINE, ENGINES, options_for
from extractor.output import write_result
from extractor.pipeline import extract_path

#: the entry point group of commands that live in other distributions (``extractor eval``
#: in extractor-evals); each is ``main(argv, prog=...) -> exit status``
COMMAND_GROUP = "extractor.cli.commands"

#: the commands of other distributions that --help lists even when they are not installed:
#: name -> (help, distribution)
EXTERNAL: dict[str, tuple[str, str]] = {
    "eval": ("measure extraction against labeled datasets", "extractor-evals"),
}


def summary_line(result: DocumentResult) -> str:
    """The short summary printed per document."""
    s = result.summary
    head = f"{result.document.source}: {result.status}"
    if result.errors:
        head += " [" + "; ".join(f"{e.code}: {e.message}" for e in result.errors[:3]) + "]"
    return (
        f"{head}\n  tables {s.tables} ({s.tables_matched} matched to a definition); "
        f"hard checks {s.hard_checks}: {s.passed} pass, {s.rounding} rounding, "
        f"{s.suspect} suspect, {s.failed} fail, {s.not_evaluated} not evaluated"
        + (
            f", {s.not_evaluable} not evaluable (table missing or unmapped)"
            if s.not_evaluable
            else ""
        )
        + f"; soft warnings {s.warnings}\n  source inconsistencies {s.source_inconsistencies}; "
        f"extraction errors {s.extraction_errors}"
        + (f"; disclosure findings {s.disclosure}" if s.disclosure else "")
    )


def _config(args: argparse.Namespace) -> ExtractConfig:
    ocr = options_for(
        args.ocr_engine,
        dpi=args.ocr_dpi,
        det_model_dir=args.paddle_det_dir,
        rec_model_dir=args.paddle_rec_dir,
    )
    # the LLM path: EXTRACTOR_LLM_* from the environment, the flags win
    llm = llm_options_from_env(
        mode=args.llm, model=args.llm_model, base_url=args.llm_base_url, cache_dir=args.llm_cache
    )
    return ExtractConfig(
        schema_dir=args.schemas,
        extra_schema_dirs=tuple(args.extra_schemas),
        family=args.family,
        force_ocr=args.force_ocr,
        ocr=ocr,
        llm=llm,
    )


def _peak_rss() -> int | None:
    """Peak resident set size of this process in bytes (None where the OS does not say)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS bytes, Linux KiB


def _cmd_extract(args: argparse.Namespace) -> int:
    config = _config(args)
    defs = load_definitions(config.schema_dir, config.extra_schema_dirs)
    llm = None
    if config.llm.effective_mode != "off":
        if not config.llm.model:
            print(
                "error: --llm needs a model (EXTRACTOR_LLM_MODEL or --llm-model)", file=sys.stderr
            )
            return 2
        from extractor.extract.llm import LlmClient

        llm = LlmClient(config.llm)
    worst = 0
    for src in args.inputs:
        path = Path(src)
        t0 = time.perf_counter()
        try:
            requests_before = llm.stats.requests if llm is not None else 0
            result = extract_path(path, config, defs, llm=llm)
        except ExtractorError as exc:
            print(f"{path.name}: error {exc.code}: {exc}", file=sys.stderr)
            worst = max(worst, 2)
            continue
        elapsed = time.perf_counter() - t0
        run = {
            "extractor": __version__,
            "python": platform.python_version(),
            "seconds": round(elapsed, 4),
            # the process's peak resident memory so far (tracemalloc, used here before, made
            # every allocation traced: importing pymupdf's bindings alone took 6 s under it)
            "peak_rss_bytes": _peak_rss(),
            "input": str(path),
        }
        if llm is not None:  # requests actually sent (cache hits send none): run-dependent
            run["llm_requests"] = llm.stats.requests - requests_before
            run["llm_stats"] = dataclasses.asdict(llm.stats)  # cumulative over the inputs
        write_result(result, Path(args.out), path.stem, run)
        if args.review:
            from extractor.review import write_review

            write_review(result, path, Path(args.out) / f"{path.stem}.review.html")
        if not args.quiet:
            print(summary_line(result))
        for f in result.findings:
            if f.kind in ("source_inconsistency", "extraction_error", "suspect") and args.verbose:
                print(f"    {f.kind}: {f.message}")
        if result.status != "ok":  # partial: some of its numbers are not to be trusted
            worst = max(worst, 1)
        elif args.strict and result.summary.source_inconsistencies:
            worst = max(worst, 1)  # the printed report itself does not add up
    return worst


def _config_args(p: argparse.ArgumentParser) -> None:
    """The options ``_config`` reads, shared by extract and batch."""
    p.add_argument(
        "--schemas",
        type=Path,
        default=None,
        help="folder of report definitions used instead of the shipped ones",
    )
    p.add_argument(
        "--extra-schemas",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="folder of more report definitions, added to the shipped ones (repeatable)",
    )
    p.add_argument("--family", default=None, help="only this definition family (final, budget)")
    p.add_argument("--force-ocr", action="store_true", help="OCR every page, ignore text layers")
    p.add_argument("--ocr-engine", choices=list(ENGINES), default=DEFAULT_ENGINE)
    p.add_argument("--ocr-dpi", type=int, default=200, help="render resolution for OCR")
    p.add_argument("--paddle-det-dir", type=Path, default=None, help="PaddleOCR det model dir")
    p.add_argument("--paddle-rec-dir", type=Path, default=None, help="PaddleOCR rec model dir")
    p.add_argument(
        "--llm",
        choices=["off", "auto", "always"],
        default=None,
        help="LLM-assisted extraction (default: auto when EXTRACTOR_LLM_MODEL is set, else off)",
    )
    p.add_argument("--llm-model", default=None, help="overrides EXTRACTOR_LLM_MODEL")
    p.add_argument("--llm-base-url", default=None, help="overrides EXTRACTOR_LLM_BASE_URL")
    p.add_argument("--llm-cache", type=Path, default=None, help="LLM response cache folder")


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return n


class _Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the driver is so that it stops its workers on the way out."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped()


def _cmd_batch(args: argparse.Namespace) -> int:
    import signal

    from extractor.batch import BatchOptions, run_batch
    from extractor.batch.progress import format_failures, format_summary
    from extractor.batch.runner import format_skipped

    options = BatchOptions(
        out=Path(args.out),
        workers=args.workers,
        engine=args.engine,
        address=args.address,
        timeout_s=args.timeout if args.timeout > 0 else None,
        max_memory_mb=args.max_memory_mb if args.max_memory_mb > 0 else None,
        retry_failed=args.retry_failed,
        document_fn=args.document_fn,
        llm_concurrency=args.llm_concurrency,
        token_budget=args.token_budget,
        review=args.review,
        xlsx=args.xlsx,
    )
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        progress = None if args.quiet else sys.stderr
        report = run_batch(args.inputs, _config(args), options, progress=progress)
    except ExtractorError as exc:
        print(f"batch: error {exc.code}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        how = "stopped (SIGTERM)" if isinstance(exc, _Stopped) else "interrupted"
        print(f"\nbatch: {how}; run the same command again to resume", file=sys.stderr)
        return 143 if isinstance(exc, _Stopped) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not report.entries:
        print(
            "batch: no reports found under "
            + " ".join(args.inputs)
            + " (.txt .pdf .png .jpg .jpeg .tif .tiff)",
            file=sys.stderr,
        )
        if report.skipped:
            print(format_skipped(report), file=sys.stderr)
        return 2
    if not args.quiet:
        print(format_summary(report))
        if report.failures:
            print(
                "failed and partial documents, then ok ones whose printed report does not "
                "add up (all in failures.csv):"
            )
            print(format_failures(report, None if args.verbose else 10))
    skipped = format_skipped(report)
    if skipped:
        print(skipped)
    attention = report.not_ok or (args.strict and report.failures)
    return 1 if report.failed or report.skipped or attention else 0


def _cmd_review(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from extractor.review import find_source, write_review

    path = Path(args.result)
    try:
        result = DocumentResult.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        print(f"review: {path}: not a readable result JSON: {exc}", file=sys.stderr)
        return 2
    source = find_source(path, result, Path(args.source) if args.source else None)
    if source is None or not source.is_file():
        print(
            f"review: {result.document.source} not found beside the result or here "
            "(--source PATH): the page shows tables and checks without the pages",
            file=sys.stderr,
        )
        source = None
    out = Path(args.out) if args.out else path.with_name(path.name.removesuffix(".json"))
    if not args.out:
        out = out.with_name(out.name + ".review.html")
    written = write_review(result, source, out)
    if not args.quiet:
        print(written)
    return 0


def _cmd_schemas_check(args: argparse.Namespace) -> int:
    """Validate a folder of definitions (with the shipped set, which it adds to) and say
    what it defines."""
    from extractor.errors import DefinitionError

    folder = Path(args.folder)
    try:
        shipped = load_definitions()
        defs = load_definitions(None, (folder,))
    except DefinitionError as exc:
        print(f"schemas: {folder}: {exc}", file=sys.stderr)
        return 2
    known = {t.id for f in shipped.families for t in f.tables}
    added = [(f, [t for t in f.tables if t.id not in known]) for f in defs.families]
    added = [(f, ts) for f, ts in added if ts]
    rules = [c for c in defs.disclosure if c not in shipped.disclosure]
    if not added and not rules:
        print(
            f"schemas: {folder}: no table definitions or disclosure checks (*.toml) found",
            file=sys.stderr,
        )
        return 2
    if not args.quiet:
        for c in rules:
            state = "on" if c.enabled else "off"
            print(f"disclosure check {c.id} ({c.kind}{'/' + c.test if c.test else ''}): {state}")
        for f, tables in added:
            print(
                f"family {f.family} ({f.kind}): {len(tables)} tables, "
                f"{len(f.cross)} cross-table identities, required {f.required or 'none'}"
            )
            for t in tables:
                base = f" extends {t.extends}" if t.extends else ""
                print(
                    f"  {t.id}: {t.title} ({t.layout}{base}; {len(t.columns)} columns, "
                    f"{len(t.identities)} identities)"
                )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from extractor.batch import export

    try:
        if args.sqlite:
            counts = export.export_sqlite(Path(args.out_dir), Path(args.sqlite))
        elif args.parquet:
            counts = export.export_parquet(Path(args.out_dir), Path(args.parquet))
        else:
            counts = export.export_csv(Path(args.out_dir), Path(args.csv))
    except ExtractorError as exc:
        print(f"export: error {exc.code}: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _folder(text: str) -> str:
    if text.strip() in ("-", ""):
        raise argparse.ArgumentTypeError(
            "a folder is needed: a result is several files (JSON, CSVs, workbook), "
            "not one stream for standard output"
        )
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="extractor", description=__doc__)
    p.add_argument("--version", action="version", version=__version__)
    common = argparse.ArgumentParser(add_help=False)
    talk = common.add_mutually_exclusive_group()
    talk.add_argument("-v", "--verbose", action="store_true", help="say more")
    talk.add_argument("-q", "--quiet", action="store_true", help="errors only")
    sub = p.add_subparsers(dest="command", required=True)
    ex = sub.add_parser(
        "extract",
        parents=[common],
        help="extract and verify the tables of report files",
        description="Exit status: 0 every document ok, 1 a document partial or failed (see its "
        "errors; with --strict also one whose printed report does not add up), 2 misuse or a "
        "configuration error.",
    )
    ex.add_argument("inputs", nargs="+", help="report files: text, PDF, PNG/JPEG/TIFF")
    ex.add_argument(
        "-o", "--out", type=_folder, default="out", help="output folder (default: out/)"
    )
    ex.add_argument("--review", action="store_true", help="also write <stem>.review.html")
    ex.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 also for a document whose printed report fails a hard identity (source "
        "inconsistencies: its status stays ok, its numbers are read as printed)",
    )
    _config_args(ex)
    ex.set_defaults(func=_cmd_extract)
    ba = sub.add_parser(
        "batch",
        parents=[common],
        help="extract many reports: isolated workers, resumable ledger, summary",
        description="Extract every report under INPUTS (files, folders searched recursively "
        "for .txt .pdf .png .jpg .jpeg .tif .tiff, globs) into OUT/, mirroring the folders. "
        "Re-running skips documents done with the same content and configuration. "
        "Exit status: 0 all ok, 1 a document failed or partial (with --strict also one whose "
        "printed report does not add up) or an entry was skipped, "
        "2 misuse, no reports found, or an output folder that takes no writes.",
    )
    ba.add_argument("inputs", nargs="+", help="files, folders and glob patterns")
    ba.add_argument(
        "-o", "--out", type=_folder, required=True, help="output folder (holds .ledger.sqlite)"
    )
    ba.add_argument(
        "--workers", type=_positive, default=None, help="worker processes (default: CPUs)"
    )
    ba.add_argument("--engine", choices=["process", "ray"], default="process")
    ba.add_argument("--address", default=None, help="Ray cluster address (default: local Ray)")
    ba.add_argument(
        "--timeout", type=float, default=600.0, help="seconds per document (0: none; default 600)"
    )
    ba.add_argument(
        "--max-memory-mb", type=int, default=4096, help="worker RSS limit (0: none; default 4096)"
    )
    ba.add_argument("--retry-failed", action="store_true", help="run failed documents again")
    ba.add_argument(
        "--llm-concurrency",
        type=_positive,
        default=None,
        help="LLM requests in flight at once across all workers (default: no cap)",
    )
    ba.add_argument(
        "--token-budget",
        type=int,
        default=None,
        help="LLM tokens for the whole batch; when spent, the rest runs without the LLM",
    )
    ba.add_argument("--review", action="store_true", help="also write <name>.review.html")
    ba.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 also for a document whose printed report fails a hard identity (source "
        "inconsistencies: its status stays ok, its numbers are read as printed)",
    )
    ba.add_argument("--xlsx", action="store_true", help="also write <name>.xlsx workbooks")
    # the per-document function, module:function; tests inject one that hangs or crashes
    ba.add_argument("--document-fn", default="extractor.api:extract", help=argparse.SUPPRESS)
    _config_args(ba)
    ba.set_defaults(func=_cmd_batch)
    exp = sub.add_parser(
        "export", parents=[common], help="build one queryable store from a batch's result JSONs"
    )
    exp.add_argument("out_dir", help="a batch output folder")
    dest = exp.add_mutually_exclusive_group(required=True)
    dest.add_argument("--sqlite", help="write one SQLite file")
    dest.add_argument("--parquet", help="write one Parquet file per table here (needs pyarrow)")
    dest.add_argument("--csv", help="write one CSV file per table here")
    exp.set_defaults(func=_cmd_export)
    rv = sub.add_parser(
        "review",
        parents=[common],
        help="write the review page of a result: each number on its page, and why",
    )
    rv.add_argument("result", help="a result JSON written by extract or batch")
    rv.add_argument("-o", "--out", help="the HTML file (default: RESULT.review.html beside it)")
    rv.add_argument("--source", help="the document (default: its name beside RESULT, or here)")
    rv.set_defaults(func=_cmd_review)
    sc = sub.add_parser("schemas", help="report definitions: check a folder of your own")
    sc_sub = sc.add_subparsers(dest="schemas_command", required=True)
    chk = sc_sub.add_parser(
        "check",
        parents=[common],
        help="validate a folder of *.toml definitions (added to the shipped ones) and list them",
    )
    chk.add_argument("folder", help="a folder of *.toml report definitions")
    chk.set_defaults(func=_cmd_schemas_check)
    for name, about in _external_commands().items():
        # a listing only: main hands everything after the name to the command's own parser
        sub.add_parser(name, help=about, add_help=False)
    return p


def _external_commands() -> dict[str, str]:
    """Commands that other distributions provide, name -> help: the known ones whether they
    are installed or not, and any other ``extractor.cli.commands`` entry point. Read from the
    installed metadata; nothing is imported."""
    out = {name: f"{about} (from {dist})" for name, (about, dist) in EXTERNAL.items()}
    for ep in entry_points(group=COMMAND_GROUP):
        if ep.name not in out:
            out[ep.name] = f"from {ep.dist.name if ep.dist else ep.value}"
    return out


def _run_external(name: str, argv: Sequence[str]) -> int:
    """Load the entry point of command ``name`` and run it with ``argv``; exit status 2 with
    what to install when no installed distribution provides it."""
    found = entry_points(group=COMMAND_GROUP, name=name)
    if not found:
        dist = EXTERNAL[name][1] if name in EXTERNAL else "the distribution that provides it"
        print(
            f"extractor {name}: this command needs {dist}, which is not installed.\n"
            f"Install it beside extractor: pip install {dist}\n"
            f"(in a checkout of the repository: pip install -e packages/{dist}, or make install)",
            file=sys.stderr,
        )
        return 2
    command: Callable[..., int] = next(iter(found)).load()
    return int(command(list(argv), prog=f"extractor {name}"))


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] in _external_commands():
        return _run_external(args_in[0], args_in[1:])
    args = build_parser().parse_args(args_in)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
