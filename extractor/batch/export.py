"""``extractor export OUT/``: one queryable store built from a batch's result JSONs.

Six tables, each row keyed by ``doc_id`` (the document's output name under OUT/):
documents, tables, cells, checks, findings, errors. Written as one SQLite file, a folder of
Parquet files (pyarrow, the optional extra ``extractor[parquet]``) or a folder of CSV files.
Amounts keep their printed text in ``value``; ``value_num`` is a float copy for querying only.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from extractor.errors import Code, ConfigError, InputError

Row = dict[str, Any]

# table -> column -> SQL type; the order here is the column order everywhere
SCHEMA: dict[str, dict[str, str]] = {
    "documents": {
        "doc_id": "TEXT",
        "source": "TEXT",
        "sha256": "TEXT",
        "kind": "TEXT",
        "scope": "TEXT",
        "department": "TEXT",
        "region": "TEXT",
        "year": "INTEGER",
        "pages": "INTEGER",
        "lines": "INTEGER",
        "status": "TEXT",
        "error_codes": "TEXT",
        "tables": "INTEGER",
        "tables_matched": "INTEGER",
        "hard_checks": "INTEGER",
        "passed": "INTEGER",
        "rounding": "INTEGER",
        "suspect": "INTEGER",
        "failed": "INTEGER",
        "not_evaluated": "INTEGER",
        "not_evaluable": "INTEGER",
        "warnings": "INTEGER",
        "source_inconsistencies": "INTEGER",
        "extraction_errors": "INTEGER",
        "llm_calls": "INTEGER",
        "prompt_tokens": "INTEGER",
        "completion_tokens": "INTEGER",
    },
    "tables": {
        "doc_id": "TEXT",
        "table_index": "INTEGER",
        "table_id": "TEXT",
        "definition": "TEXT",
        "title": "TEXT",
        "department_as_printed": "TEXT",
        "unit": "TEXT",
        "year": "INTEGER",
        "layout": "TEXT",
        "empty": "INTEGER",
        "rows": "INTEGER",
    },
    "cells": {
        "doc_id": "TEXT",
        "table_index": "INTEGER",
        "section": "TEXT",
        "row_index": "INTEGER",
        "row_code": "TEXT",
        "row_level": "TEXT",
        "row_name": "TEXT",
        "row_no": "INTEGER",
        "row_role": "TEXT",
        "col_index": "INTEGER",
        "col_no": "TEXT",
        "column_name": "TEXT",
        "column_key": "TEXT",
        "value": "TEXT",
        "value_num": "REAL",
        "raw": "TEXT",
        "line": "INTEGER",
        "page": "INTEGER",
        "source": "TEXT",
        "confidence": "REAL",
        "cell_status": "TEXT",
    },
    "checks": {
        "doc_id": "TEXT",
        "check_index": "INTEGER",
        "check_id": "TEXT",
        "rule": "TEXT",
        "family": "TEXT",
        "severity": "TEXT",
        "status": "TEXT",
        "classification": "TEXT",
        "expression": "TEXT",
        "expected": "TEXT",
        "actual": "TEXT",
        "delta": "TEXT",
        "tolerance": "TEXT",
        "table_name": "TEXT",
        "row_name": "TEXT",
        "column_name": "TEXT",
        "message": "TEXT",
    },
    "findings": {
        "doc_id": "TEXT",
        "finding_index": "INTEGER",
        "kind": "TEXT",
        "check_id": "TEXT",
        "printed": "TEXT",
        "computed": "TEXT",
        "table_name": "TEXT",
        "row_name": "TEXT",
        "column_name": "TEXT",
        "message": "TEXT",
    },
    "errors": {
        "doc_id": "TEXT",
        "error_index": "INTEGER",
        "code": "TEXT",
        "message": "TEXT",
        "page": "INTEGER",
        "line": "INTEGER",
    },
}


_SUMMARY_KEYS = (
    "tables",
    "tables_matched",
    "hard_checks",
    "passed",
    "rounding",
    "suspect",
    "failed",
    "not_evaluated",
    "not_evaluable",
    "warnings",
    "source_inconsistencies",
    "extraction_errors",
)


def result_files(out_dir: Path) -> list[tuple[str, Path]]:
    """(doc_id, path) of every result JSON under a batch output folder, in name order."""
    if not out_dir.is_dir():
        raise InputError(f"no such folder: {out_dir}", code=Code.INPUT_NOT_FOUND)
    found: list[tuple[str, Path]] = []
    for p in out_dir.rglob("*.json"):
        rel = p.relative_to(out_dir).as_posix()
        if p.name.endswith(".run.json") or any(s.startswith(".") for s in rel.split("/")):
            continue
        found.append((rel.removesuffix(".json"), p))
    return sorted(found)


def _num(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(value))
    except (InvalidOperation, ValueError):
        return None


def _first_cell(cells: list[dict[str, Any]]) -> tuple[Any, Any, Any]:
    if not cells:
        return None, None, None
    c = cells[0]
    return c.get("table"), c.get("row"), c.get("column")


def rows_of(doc_id: str, res: dict[str, Any]) -> dict[str, list[Row]]:
    """One document result as rows of the six tables."""
    doc, summ, usage = res["document"], res.get("summary", {}), res.get("usage", {})
    out: dict[str, list[Row]] = {k: [] for k in SCHEMA}
    out["documents"].append(
        {
            "doc_id": doc_id,
            **{k: doc.get(k) for k in ("source", "sha256", "kind", "scope", "department")},
            **{k: doc.get(k) for k in ("region", "year")},
            **{k: doc.get(k) for k in ("pages", "lines")},
            "status": res["status"],
            "error_codes": ",".join(e["code"] for e in res.get("errors", [])),
            **{k: summ.get(k, 0) for k in _SUMMARY_KEYS},
            **{k: usage.get(k, 0) for k in ("llm_calls", "prompt_tokens", "completion_tokens")},
        }
    )
    for ti, t in enumerate(res.get("tables", [])):
        parts = [(s["section"], s["columns"], s["rows"]) for s in t.get("sections", [])] or [
            (None, t.get("columns", []), t.get("rows", []))
        ]
        out["tables"].append(
            {
                "doc_id": doc_id,
                "table_index": ti,
                **{
                    k: t.get(k)
                    for k in ("table_id", "definition", "title", "department_as_printed")
                },
                **{k: t.get(k) for k in ("unit", "year", "layout")},
                "empty": int(bool(t.get("empty"))),
                "rows": sum(len(rows) for _, _, rows in parts),
            }
        )
        for section, cols, rows in parts:
            for ri, r in enumerate(rows):
                cells = r.get("cells") or []
                for ci, v in enumerate(r.get("values", [])):
                    col = cols[ci] if ci < len(cols) else {}
                    cell = cells[ci] if ci < len(cells) else {}
                    out["cells"].append(
                        {
                            "doc_id": doc_id,
                            "table_index": ti,
                            "section": section,
                            "row_index": ri,
                            "row_code": r.get("code"),
                            "row_level": r.get("level"),
                            "row_name": r.get("name"),
                            "row_no": r.get("row_no"),
                            "row_role": r.get("role"),
                            "col_index": ci,
                            "col_no": col.get("col_no"),
                            "column_name": col.get("name"),
                            "column_key": col.get("key"),
                            "value": v,
                            "value_num": _num(v),
                            "raw": cell.get("raw"),
                            "line": cell.get("line", r.get("line")),
                            "page": cell.get("page", r.get("page")),
                            "source": cell.get("source"),
                            "confidence": cell.get("confidence"),
                            "cell_status": cell.get("status"),
                        }
                    )
    for i, c in enumerate(res.get("checks", [])):
        table, row, column = _first_cell(c.get("cells", []))
        out["checks"].append(
            {
                "doc_id": doc_id,
                "check_index": i,
                "check_id": c.get("id"),
                **{k: c.get(k) for k in ("rule", "family", "severity", "status", "classification")},
                **{k: c.get(k) for k in ("expression", "expected", "actual", "delta")},
                "tolerance": c.get("tolerance"),
                "table_name": table,
                "row_name": row,
                "column_name": column,
                "message": c.get("message"),
            }
        )
    for i, f in enumerate(res.get("findings", [])):
        table, row, column = _first_cell(f.get("cells", []))
        out["findings"].append(
            {
                "doc_id": doc_id,
                "finding_index": i,
                "kind": f.get("kind"),
                "check_id": f.get("check"),
                "printed": f.get("printed"),
                "computed": f.get("computed"),
                "table_name": table,
                "row_name": row,
                "column_name": column,
                "message": f.get("message"),
            }
        )
    for i, e in enumerate(res.get("errors", [])):
        out["errors"].append(
            {
                "doc_id": doc_id,
                "error_index": i,
                **{k: e.get(k) for k in ("code", "message", "page", "line")},
            }
        )
    return out


def iter_rows(out_dir: Path) -> Iterator[dict[str, list[Row]]]:
    """The rows of each result under ``out_dir``, one document at a time."""
    for doc_id, path in result_files(out_dir):
        yield rows_of(doc_id, json.loads(path.read_text(encoding="utf-8")))


def export_sqlite(out_dir: Path, dest: Path) -> dict[str, int]:
    """Build one SQLite file (replaced atomically); returns rows per table."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    counts = dict.fromkeys(SCHEMA, 0)
    try:
        db = sqlite3.connect(tmp)
        try:
            for table, cols in SCHEMA.items():
                db.execute(
                    f"CREATE TABLE {table} ("
                    + ", ".join(f'"{c}" {t}' for c, t in cols.items())
                    + ")"
                )
            for doc in iter_rows(out_dir):
                for table, rows in doc.items():
                    names = list(SCHEMA[table])
                    db.executemany(
                        f"INSERT INTO {table} VALUES ({', '.join('?' for _ in names)})",
                        [[r[c] for c in names] for r in rows],
                    )
                    counts[table] += len(rows)
            for table in ("tables", "cells", "checks", "findings", "errors"):
                db.execute(f"CREATE INDEX {table}_doc ON {table} (doc_id)")
            db.execute("CREATE UNIQUE INDEX documents_doc ON documents (doc_id)")
            db.commit()
        finally:
            db.close()
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


def _collect(out_dir: Path) -> dict[str, list[Row]]:
    allrows: dict[str, list[Row]] = {k: [] for k in SCHEMA}
    for doc in iter_rows(out_dir):
        for table, rows in doc.items():
            allrows[table].extend(rows)
    return allrows


def export_csv(out_dir: Path, dest: Path) -> dict[str, int]:
    """One CSV per table in ``dest``; returns rows per table."""
    dest.mkdir(parents=True, exist_ok=True)
    allrows = _collect(out_dir)
    for table, rows in allrows.items():
        path = dest / f"{table}.csv"
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(SCHEMA[table]))
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)
    return {k: len(v) for k, v in allrows.items()}


def export_parquet(out_dir: Path, dest: Path) -> dict[str, int]:
    """One Parquet file per table in ``dest`` (needs pyarrow); returns rows per table."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError(
            "Parquet export needs pyarrow: pip install 'extractor[parquet]'",
            code=Code.CONFIG_MISSING_EXTRA,
        ) from exc
    types = {"TEXT": pa.string(), "INTEGER": pa.int64(), "REAL": pa.float64()}
    dest.mkdir(parents=True, exist_ok=True)
    allrows = _collect(out_dir)
    for table, rows in allrows.items():
        schema = pa.schema([(c, types[t]) for c, t in SCHEMA[table].items()])
        path = dest / f"{table}.parquet"
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
        os.replace(tmp, path)
    return {k: len(v) for k, v in allrows.items()}
