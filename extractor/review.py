"""The review page: one self-contained HTML file per document result, readable offline.

Each page that holds a table is shown (rendered to JPEG, embedded as base64 and decoded only
when scrolled to) with every extracted cell drawn as a box from its provenance, coloured by
what the checks say of it; text input shows its source lines with the cells marked instead.
The page's script (review_page.html, a package resource) reads one JSON blob built here:
the states are decided in Python, the browser only draws and links them.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from pathlib import Path
from typing import Any

from extractor.errors import ExtractorError
from extractor.ingest.render import IMAGE_SUFFIXES, PageImage, page_images, page_lines
from extractor.model import Cell, CellRef, CellSource, Check, DocumentResult, Finding, Row, Table

# a cell's state: the first of these that applies (a failure outweighs a repair, a repair
# or an LLM reading outweighs a pass; a cell in no check is not evaluated)
STATES = (
    "fail_extraction",
    "fail_source",
    "suspect",
    "warn",
    "repaired",
    "llm",
    "rounding",
    "pass",
    "not_evaluated",
)
STATE_LABELS = {
    "fail_extraction": "fails: extraction error",
    "fail_source": "fails: source inconsistency",
    "suspect": "suspect (within tolerance, beyond rounding)",
    "warn": "soft warning",
    "repaired": "repaired",
    "llm": "read by the LLM",
    "rounding": "passes within rounding",
    "pass": "passes",
    "not_evaluated": "not evaluated",
}
# resolution and JPEG quality of the page images: numbers readable, ~0.3 MB a page
PAGE_DPI = 110
PAGE_QUALITY = 60

Key = str  # "table.section.row.col", section the index within the table (0 without sections)


def _parts(table: Table) -> list[tuple[str | None, list[str], list[Row]]]:
    if table.sections:
        return [(s.section, [c.name for c in s.columns], s.rows) for s in table.sections]
    return [(None, [c.name for c in table.columns], table.rows)]


def _key(t: int, s: int, r: int, c: int) -> Key:
    return f"{t}.{s}.{r}.{c}"


def _ref_key(result: DocumentResult, ref: CellRef) -> Key | None:
    """The key of the table cell a check names, or None (narrative, an empty table)."""
    if not 0 <= ref.table_index < len(result.tables) or ref.row_index < 0:
        return None
    sections = result.tables[ref.table_index].sections
    # the verifier names a section by its definition key where it has one, else by its title
    s = next((i for i, x in enumerate(sections) if ref.section in (x.key, x.section)), 0)
    return _key(ref.table_index, s, ref.row_index, ref.col_index)


def _check_state(check: Check) -> str:
    if check.status == "fail":
        if check.classification == "source_inconsistency":
            return "fail_source"
        return "fail_extraction"
    return check.status


def cell_states(result: DocumentResult) -> dict[Key, str]:
    """The state of every value cell of the result's tables (see ``STATES``)."""
    found: dict[Key, set[str]] = {}
    for check in result.checks:
        for ref in check.cells:
            key = _ref_key(result, ref)
            if key is not None:
                found.setdefault(key, set()).add(_check_state(check))
    states: dict[Key, str] = {}
    for key, cell in _cells(result):
        have = set(found.get(key, ()))
        if cell.status == "repaired" or cell.source == CellSource.REPAIR:
            have.add("repaired")
        if cell.source == CellSource.LLM:
            have.add("llm")
        states[key] = next((s for s in STATES if s in have), "not_evaluated")
    return states


def _cells(result: DocumentResult) -> Iterator[tuple[Key, Cell]]:
    for t, table in enumerate(result.tables):
        for s, (_, _, rows) in enumerate(_parts(table)):
            for r, row in enumerate(rows):
                for c, cell in enumerate(row.cells):
                    yield _key(t, s, r, c), cell


def _cell_data(cell: Cell, value: str | None, state: str) -> dict[str, Any]:
    return {
        "raw": cell.raw,
        "value": value,
        "page": cell.page,
        "line": cell.line,
        "bbox": [round(v, 1) for v in cell.bbox] if cell.bbox else None,
        "source": cell.source.value,
        "conf": cell.confidence,
        "status": cell.status,
        "state": state,
    }


def _table_data(t: int, table: Table, states: dict[Key, str]) -> dict[str, Any]:
    parts = []
    for s, (section, columns, rows) in enumerate(_parts(table)):
        out_rows = []
        for r, row in enumerate(rows):
            label = " ".join(x for x in (row.code, row.name) if x) or (
                f"行次{row.row_no}" if row.row_no is not None else ""
            )
            cells = [
                _cell_data(
                    cell,
                    row.values[c] if c < len(row.values) else None,
                    states.get(_key(t, s, r, c), "not_evaluated"),
                )
                for c, cell in enumerate(row.cells)
            ]
            out_rows.append({"label": label, "cells": cells})
        parts.append({"section": section, "columns": columns, "rows": out_rows})
    return {
        "title": table.title,
        "id": table.table_id,
        "pages": table.pages,
        "lines": [list(x) for x in table.source_lines],
        "parts": parts,
    }


def _check_data(result: DocumentResult, check: Check) -> dict[str, Any]:
    data = check.model_dump(mode="json", exclude={"cells", "severity", "tolerance"})
    data["state"] = _check_state(check)
    data["tolerance"] = check.tolerance
    data["cells"] = [
        {
            "key": _ref_key(result, ref),
            "page": ref.page,
            "line": ref.line,
            "where": f"{ref.title or ref.table} · {ref.row} · {ref.column}",
            "value": ref.value,
            "total": i < check.lhs_terms,
        }
        for i, ref in enumerate(check.cells)
    ]
    return data


def _finding_data(result: DocumentResult, finding: Finding, ids: dict[str, int]) -> dict[str, Any]:
    data = finding.model_dump(mode="json", exclude={"cells"})
    data["check_index"] = ids.get(finding.check) if finding.check else None
    data["keys"] = [k for k in (_ref_key(result, ref) for ref in finding.cells) if k]
    return data


_PLACEHOLDER = re.compile(r"\{\{(TITLE|DATA|IMAGES)\}\}")
_SENTENCE_ENDS = ("。", "；", "！")
_NUMBER = re.compile(r"\d[\d,，]*(?:\.\d+)?")


def _claim_sentence(
    check: Check, lines: list[str] | None, page_lines: dict[int, list[str]]
) -> str | None:
    """The sentence a narrative claim was read from: its line of a text input, else the
    sentence of its page's text layer that prints the claimed number."""
    ref = check.cells[0] if check.cells else None
    if ref is None:
        return None
    if lines is not None and ref.line is not None and 0 < ref.line <= len(lines):
        return lines[ref.line - 1]
    number = _NUMBER.search(ref.value or "")
    if number is None or ref.page is None:
        return None
    want = number.group().replace(",", "").replace("，", "")
    # the page's lines joined (a sentence wraps), cut at the sentence ends around the number
    text = "".join(page_lines.get(ref.page, [])).replace(",", "")
    at = text.find(want)
    if at < 0:
        return None
    start = max(text.rfind(end, 0, at) for end in _SENTENCE_ENDS) + 1
    stops = [i for i in (text.find(end, at) for end in _SENTENCE_ENDS) if i >= 0]
    stop = min(stops) + 1 if stops else len(text)
    return text[max(start, at - 200) : min(stop, at + 200)]


def _amount_index(result: DocumentResult) -> dict[Decimal, list[Key]]:
    """Table cells by their non-zero amount, to point a claim at the cells printing it."""
    index: dict[Decimal, list[Key]] = {}
    for t, table in enumerate(result.tables):
        for s, (_, _, rows) in enumerate(_parts(table)):
            for r, row in enumerate(rows):
                for c, value in enumerate(row.values):
                    try:
                        amount = Decimal(value or "")
                    except InvalidOperation:
                        continue
                    if amount:
                        index.setdefault(amount.normalize(), []).append(_key(t, s, r, c))
    return index


def _claim_cells(check: Check, index: dict[Decimal, list[Key]]) -> list[Key]:
    """The table cells printing the amount a claim states (in 万元, as the tables are), at
    most three: what the claim can be checked against by eye."""
    value = check.cells[0].value if check.cells else None
    if not value or not value.endswith("万元"):
        return []
    number = _NUMBER.search(value)
    if number is None:
        return []
    amount = Decimal(number.group().replace(",", "").replace("，", ""))
    return index.get(amount.normalize(), [])[:3]


def _claims(
    result: DocumentResult, lines: list[str] | None, page_lines: dict[int, list[str]]
) -> list[dict[str, Any]]:
    index = _amount_index(result)
    return [
        {
            "check": i,
            "sentence": _claim_sentence(c, lines, page_lines),
            "cells": _claim_cells(c, index),
        }
        for i, c in enumerate(result.checks)
        if c.family == "N"
    ]


def _disclosures(result: DocumentResult) -> list[dict[str, Any]]:
    """The family C findings with their evidence: the check, where, the printed text."""
    out: list[dict[str, Any]] = []
    for i, c in enumerate(result.checks):
        if c.family != "C":
            continue
        ref = c.cells[0] if c.cells else None
        where = ""
        if ref is not None:
            where = f"l.{ref.line}" if ref.line is not None else f"p.{ref.page}"
            where = f"{ref.table} {where}" if ref.table != "narrative" else where
        out.append(
            {
                "check": i,
                "rule": ref.column if ref else c.rule,
                "where": where,
                "text": c.actual,
                "message": c.message,
            }
        )
    return out


def review_data(
    result: DocumentResult,
    lines: list[str] | None,
    page_lines: dict[int, list[str]] | None = None,
) -> dict[str, Any]:
    """Everything the page's script shows, as JSON-ready data (images aside)."""
    states = cell_states(result)
    counts = Counter(c.status for c in result.checks)
    classes = Counter(c.classification for c in result.checks if c.classification)
    ids = {c.id: i for i, c in enumerate(result.checks)}
    return {
        "document": result.document.model_dump(mode="json", exclude={"facts", "sha256"}),
        "status": result.status,
        "errors": [e.model_dump(mode="json") for e in result.errors],
        "summary": result.summary.model_dump(mode="json"),
        "by_status": dict(sorted(counts.items())),
        "by_classification": dict(sorted(classes.items())),
        "tables": [_table_data(t, table, states) for t, table in enumerate(result.tables)],
        "checks": [_check_data(result, c) for c in result.checks],
        "findings": [_finding_data(result, f, ids) for f in result.findings],
        "claims": _claims(result, lines, page_lines or {}),
        "disclosures": _disclosures(result),
        "states": [[s, STATE_LABELS[s]] for s in STATES],
        "lines": lines,
    }


def review_pages(result: DocumentResult) -> list[int]:
    """The pages to show: those holding a table or a checked claim, in order."""
    pages = {p for t in result.tables for p in t.pages}
    pages |= {c.page for _, c in _cells(result) if c.page is not None}
    pages |= {ref.page for ch in result.checks for ref in ch.cells if ref.page is not None}
    return sorted(pages)


def find_source(result_path: Path, result: DocumentResult, given: Path | None) -> Path | None:
    """The document the result was read from: ``given``, else the file of that name beside the
    result JSON or in the current folder; None when none is found."""
    if given is not None:
        return given
    name = result.document.source
    for folder in (result_path.parent, Path.cwd()):
        if (folder / name).is_file():
            return folder / name
    return None


def build_review(result: DocumentResult, source: Path | None) -> str:
    """The review page of one result as HTML text. ``source`` is the document it was read
    from (PDF, image or text); without it the page shows the tables and checks only."""
    lines: list[str] | None = None
    images: list[PageImage] = []
    texts: dict[int, list[str]] = {}
    source_error: str | None = None
    suffix = source.suffix.lower() if source is not None else ""
    if source is not None and (suffix == ".pdf" or suffix in IMAGE_SUFFIXES):
        try:
            ocr = frozenset(
                c.page for _, c in _cells(result) if c.source == CellSource.OCR and c.page
            )
            images = page_images(
                source, review_pages(result), dpi=PAGE_DPI, quality=PAGE_QUALITY, ocr_pages=ocr
            )
            claim_pages = [r.page for c in result.checks if c.family == "N" for r in c.cells]
            texts = page_lines(source, sorted({p for p in claim_pages if p is not None}))
        except ExtractorError as exc:  # encrypted, corrupt: the page shows tables and checks
            source_error = f"{exc.code}: {exc}"
    elif source is not None:
        from extractor.ingest.text import read_text

        lines = read_text(source.read_bytes()).lines
    data = review_data(result, lines, texts)
    data["pages"] = [{"no": im.page, "w": im.width_pt, "h": im.height_pt} for im in images]
    data["source_found"] = source is not None
    data["source_error"] = source_error
    blobs = "\n".join(
        f'<script type="text/plain" id="img-{im.page}" data-mime="{im.mime}">'
        f"{base64.b64encode(im.data).decode('ascii')}</script>"
        for im in images
    )
    # no "<" in the JSON: "</script>" or "<!--" in a report's text would end the element early
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    parts = {"TITLE": html.escape(result.document.source), "DATA": payload, "IMAGES": blobs}
    template = files("extractor").joinpath("review_page.html").read_text(encoding="utf-8")
    # one pass: a placeholder's text inside the data is left alone
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], template)


def write_review(result: DocumentResult, source: Path | None, out: Path) -> Path:
    """Build the review page and write it to ``out`` atomically; returns ``out``."""
    from extractor.output import atomic_write

    atomic_write(out, build_review(result, source))
    return out
