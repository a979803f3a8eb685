"""The batch's output folder: each document's files written atomically (temporary file, then
rename), the result JSON last, so a reader or a resumed batch never sees a half-written file and
a present ``<name>.json`` is a whole result."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from extractor.output import atomic_write

_TABLE_CSV = re.compile(r"\.table\d+\.csv$")


def output_path(out_dir: Path, name: str, suffix: str = ".json") -> Path:
    """Where a document's file with this suffix goes (``name`` may hold ``/``)."""
    return out_dir / f"{name}{suffix}"


def write_document(
    out_dir: Path, name: str, files: dict[str, str], run_info: dict[str, Any]
) -> Path:
    """Write one document's files (suffix -> text, as ``output.document_files`` gives), its
    ``.run.json`` sidecar, and remove table CSVs a previous run left that this result no
    longer has; returns the JSON path."""
    json_path = output_path(out_dir, name)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    # table CSVs are numbered from 01 without gaps: remove those past this result's count
    k = sum(1 for s in files if _TABLE_CSV.fullmatch(s)) + 1
    while (old := output_path(out_dir, name, f".table{k:02d}.csv")).exists():
        old.unlink()
        k += 1
    for suffix, text in sorted(files.items()):
        if suffix != ".json":
            atomic_write(output_path(out_dir, name, suffix), text)
    atomic_write(
        output_path(out_dir, name, ".run.json"),
        json.dumps(run_info, ensure_ascii=False, indent=1) + "\n",
    )
    atomic_write(json_path, files[".json"])
    return json_path


def write_review_page(out_dir: Path, name: str, files: dict[str, str], source: Path) -> Path:
    """Write a document's ``.review.html`` page from its result JSON and its input file."""
    from extractor.model import DocumentResult
    from extractor.review import write_review

    result = DocumentResult.model_validate_json(files[".json"])
    return write_review(result, source, output_path(out_dir, name, ".review.html"))
