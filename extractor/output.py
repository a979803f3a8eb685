"""Write a document result: ``<stem>.json`` (deterministic), ``<stem>.run.json`` (timings and
environment: what changes from run to run), one CSV per table and an index of the tables
(``<stem>.tables.csv``); atomically (temp + rename)."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractor.model import Check, DocumentResult, Table, record_names
from extractor.numbers import parse_amount
from extractor.xlsx import workbook_bytes

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


def atomic_write(path: Path, text: str | bytes) -> None:
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
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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


# a UTF-8 byte-order mark opens every CSV: Excel (a Chinese Windows one included) then reads
# the file as UTF-8 instead of the ANSI code page; other readers skip it ("utf-8-sig")
BOM = "\ufeff"


def csv_text(rows: list[list[object]]) -> str:
    """CSV text with the BOM, as every CSV this project writes."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return BOM + buf.getvalue()


def _plain_number(raw: str | None) -> str:
    """A printed amount as a spreadsheet reads it ("3, 676. 35" -> "3676.35", the printed
    precision kept); blank stays blank and text ("——") stays as printed."""
    if not raw or not raw.strip():
        return ""
    amount = parse_amount(raw)
    return str(amount.value) if amount is not None and amount.value is not None else raw


def table_csv(table: Table) -> str:
    """One table as CSV: one header row of column names (``section`` for two-sided tables,
    ``row_no``, ``code``, ``level``, ``name`` where the table has them, then each value column
    under its printed name, levels joined with '/', then ``page``/``line``), one line per
    row, amounts as plain numbers."""
    parts = table.row_groups()
    rows = [r for _, _, rs in parts for r in rs]
    keys = [k for k in ("row_no", "code", "level", "name") if any(getattr(r, k) for r in rows)]
    if not keys:
        keys = ["name"]
    where = [k for k in ("page", "line") if any(getattr(r, k) is not None for r in rows)]
    value_names: list[str] = []
    for _, cols, _ in parts:
        for name in record_names(cols):
            if name not in value_names:
                value_names.append(name)
    header: list[object] = [*(["section"] if table.sections else []), *keys, *value_names, *where]
    out: list[list[object]] = [header]
    for section, cols, part_rows in parts:
        names = record_names(cols)
        for r in part_rows:
            by_name = dict(zip(names, (_plain_number(v) for v in r.values), strict=False))
            out.append(
                ([section] if table.sections else [])
                + [getattr(r, k) if getattr(r, k) is not None else "" for k in keys]
                + [by_name.get(n, "") for n in value_names]
                + [getattr(r, k) if getattr(r, k) is not None else "" for k in where]
            )
    return csv_text(out)


def _table_status(index: int, checks: list[Check]) -> str:
    """What the checks say of a table: ok, or its failing hard checks by classification."""
    failing = Counter(
        c.classification or "unclassified"
        for c in checks
        if c.severity == "hard"
        and c.status == "fail"
        and any(r.table_index == index for r in c.cells)
    )
    if not failing:
        return "ok"
    return "; ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(failing.items()))


def _span(values: list[int]) -> str:
    return "" if not values else str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"


def tables_index_csv(result: DocumentResult, stem: str) -> str:
    """``<stem>.tables.csv``: one line per table: its file, number, title, definition, unit,
    pages, source lines, row count and what the checks say of it."""
    out: list[list[object]] = [
        [
            "file",
            "table_id",
            "toc_no",
            "title",
            "definition",
            "unit",
            "year",
            "pages",
            "lines",
            "rows",
            "status",
        ]
    ]
    for i, t in enumerate(result.tables):
        lines = [n for span in t.source_lines for n in span]
        out.append(
            [
                f"{stem}.table{i + 1:02d}.csv",
                t.table_id or "",
                t.toc_no or "",
                t.title,
                t.definition or "",
                t.unit or "",
                t.year or "",
                _span(t.pages),
                _span([min(lines), max(lines)]) if lines else "",
                sum(len(rs) for _, _, rs in t.row_groups()),
                _table_status(i, result.checks),
            ]
        )
    return csv_text(out)


OutputFiles = dict[str, str | bytes]  # name suffix -> text (UTF-8) or bytes


def document_files(result: DocumentResult, stem: str = "", *, xlsx: bool = True) -> OutputFiles:
    """The deterministic files of a result, by name suffix: ``.json``, one ``.tableNN.csv``
    per table, the ``.tables.csv`` index and (``xlsx``) the ``.xlsx`` workbook (the
    ``.run.json`` sidecar is written apart); ``stem`` is the document's output name."""
    files: OutputFiles = {
        f".table{i:02d}.csv": table_csv(t) for i, t in enumerate(result.tables, 1)
    }
    if result.tables:
        files[".tables.csv"] = tables_index_csv(result, Path(stem).name)
        if xlsx:
            files[".xlsx"] = workbook_bytes(result)
    files[".json"] = result_json(result)
    return files


def write_result(
    result: DocumentResult, out_dir: Path, stem: str, run_info: dict[str, Any]
) -> Path:
    """Write the result, its sidecar, its CSVs and workbook as a batch writes a document
    (``write_document``: the JSON last, stale table files of an earlier run removed);
    returns the JSON path."""
    return write_document(out_dir, stem, document_files(result, stem), run_info)


# ---------------------------------------------------------------- one document's files
# Each file is written atomically (temporary file, then rename), the result JSON last, so a
# reader or a resumed batch never sees a half-written file and a present ``<name>.json`` is a
# whole result. A write that fails (disk full, a read-only folder) takes back the files of
# that document it had written, so no CSV or sidecar is left without its JSON.

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
