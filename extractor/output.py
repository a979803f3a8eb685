"""Write a document result: ``<stem>.json`` (deterministic), ``<stem>.run.json`` (timings and
environment: what changes from run to run), one CSV per table; atomically (temp + rename)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

from extractor.model import Column, DocumentResult, Row, Table

NAME_MAX = 255  # bytes of one file name on Linux, macOS and Windows file systems


def fit_name(name: str, limit: int = NAME_MAX) -> str:
    """``name`` if it fits in ``limit`` bytes, else its head cut at a character boundary,
    ``~`` and 16 hex digits of its hash (the same name always gives the same short one)."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= limit:
        return name
    tag = "~" + hashlib.sha256(raw).hexdigest()[:16]
    head = raw[: max(limit - len(tag), 0)].decode("utf-8", "ignore")
    return head + tag


def atomic_write(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a partial one.

    The temporary file is ``.<name>.<8 hex>.tmp`` beside it (``<name>`` hash-shortened when
    the whole would pass the file-name limit), created with mode 0666 less the umask
    (mkstemp would make it 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    stem = fit_name(path.name, NAME_MAX - len(f"..{token}.tmp"))
    tmp = path.parent / f".{stem}.{token}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def result_json(result: DocumentResult) -> str:
    """The canonical JSON of a result: same input and configuration, same bytes.

    pydantic's serializer writes the same text as ``json.dumps(result.model_dump(mode="json"),
    ensure_ascii=False, indent=1)`` (tests/test_output.py) about eight times faster, which is
    a third of a text report's time in a batch."""
    return result.model_dump_json(indent=1) + "\n"


def table_csv(table: Table) -> str:
    """One table as CSV: section, 行次, code, level, name, then one column per value column."""
    buf = io.StringIO()
    w = csv.writer(buf)
    parts: list[tuple[str | None, list[Column], list[Row]]] = [
        (s.section, s.columns, s.rows) for s in table.sections
    ] or [(None, table.columns, table.rows)]
    width = max((len(cols) for _, cols, _ in parts), default=0)
    w.writerow(
        ["section", "row_no", "code", "level", "name", "line", "page"]
        + [f"value{i + 1}" for i in range(width)]
    )
    for section, cols, rows in parts:
        w.writerow([section or "", "", "", "", "#columns", "", ""] + [c.name for c in cols])
        for r in rows:
            w.writerow(
                [
                    section or "",
                    r.row_no if r.row_no is not None else "",
                    r.code or "",
                    r.level or "",
                    r.name or "",
                    r.line or "",
                    r.page or "",
                ]
                + [v if v is not None else "" for v in r.values]
            )
    return buf.getvalue()


def document_files(result: DocumentResult) -> dict[str, str]:
    """The deterministic files of a result, by name suffix: ``.json`` and one
    ``.tableNN.csv`` per table (the ``.run.json`` sidecar is written apart)."""
    files = {f".table{i:02d}.csv": table_csv(t) for i, t in enumerate(result.tables, 1)}
    files[".json"] = result_json(result)
    return files


def write_result(
    result: DocumentResult, out_dir: Path, stem: str, run_info: dict[str, Any]
) -> Path:
    """Write the result, its sidecar and its CSVs; returns the JSON path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.json"
    files = document_files(result)
    for suffix, text in files.items():
        if suffix != ".json":
            atomic_write(out_dir / f"{stem}{suffix}", text)
    atomic_write(
        out_dir / f"{stem}.run.json", json.dumps(run_info, ensure_ascii=False, indent=1) + "\n"
    )
    atomic_write(path, files[".json"])
    return path
