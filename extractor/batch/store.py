"""The batch's output folder: each document's files written atomically (temporary file, then
rename), the result JSON last, so a reader or a resumed batch never sees a half-written file and
a present ``<name>.json`` is a whole result. A write that fails (disk full, a read-only
folder) takes back the files of that document it had written, so no CSV or sidecar is left
without its JSON."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractor.output import OutputFiles, atomic_write

_TABLE_CSV = re.compile(r"\.table\d+\.csv$")

WriteFile = Callable[[Path, str | bytes], None]  # atomic_write, or a test's failing stand-in


def output_path(out_dir: Path, name: str, suffix: str = ".json") -> Path:
    """Where a document's file with this suffix goes (``name`` may hold ``/``)."""
    return out_dir / f"{name}{suffix}"


def write_document(
    out_dir: Path,
    name: str,
    files: OutputFiles,
    run_info: dict[str, Any],
    *,
    write: WriteFile = atomic_write,
) -> Path:
    """Write one document's files (suffix -> text, as ``output.document_files`` gives), its
    ``.run.json`` sidecar, and remove table CSVs a previous run left that this result no
    longer has; returns the JSON path. Raises OSError when the folder cannot take them, after
    removing the document's files (it has no result until it is written again)."""
    json_path = output_path(out_dir, name)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    # table CSVs are numbered from 01 without gaps: remove those past this result's count
    k = sum(1 for s in files if _TABLE_CSV.fullmatch(s)) + 1
    while (old := output_path(out_dir, name, f".table{k:02d}.csv")).exists():
        old.unlink()
        k += 1
    for suffix in (".tables.csv", ".xlsx"):  # no tables now: no index or workbook either
        if suffix not in files:
            output_path(out_dir, name, suffix).unlink(missing_ok=True)
    texts = [(s, t) for s, t in sorted(files.items()) if s != ".json"]
    texts.append((".run.json", json.dumps(run_info, ensure_ascii=False, indent=1) + "\n"))
    texts.append((".json", files[".json"]))
    written: list[Path] = []
    try:
        for suffix, text in texts:
            path = output_path(out_dir, name, suffix)
            write(path, text)
            written.append(path)
    except OSError:
        # best effort (on a read-only folder this fails too); a JSON of an earlier run goes
        # as well: the CSVs beside it are no longer its own, and the document is redone
        for path in [*written, json_path]:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        raise
    return json_path


def write_review_page(out_dir: Path, name: str, files: OutputFiles, source: Path) -> Path:
    """Write a document's ``.review.html`` page from its result JSON and its input file."""
    from extractor.model import DocumentResult
    from extractor.review import write_review

    result = DocumentResult.model_validate_json(files[".json"])
    return write_review(result, source, output_path(out_dir, name, ".review.html"))
