"""LLM answers for one chunk: the response model built from the report definitions, the
grounding of every value in the chunk it came from, and the table built from grounded answers.

The model decides structure only: which definition the table is, which grid column holds each
definition column, which body rows are data rows with which code and name. Every value it
returns must be printed in the cell its row id and the column's grid id name (a merged cell
split in two is accepted when the mapped cell is blank); anything else is rejected, counted
and sent back. Digits are never taken from the model: a grounded value is the printed text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from extractor.definitions import Definitions, TableDef
from extractor.extract.chunking import Chunk, column_index
from extractor.extract.common import make_table
from extractor.extract.meaning import assign_roles
from extractor.layout.grid import is_lanci_row, is_row_number_column, norm
from extractor.model import Cell, CellSource, Column, Region, Row, SourceRow, Table
from extractor.numbers import parse_amount

# layouts whose rows are one printed row each: the LLM path reads these
FLAT_LAYOUTS = ("function_coded", "single_row", "generic")
_LEVELS = {3: "类", 5: "款", 7: "项"}


def flat_definitions(defs: Definitions) -> list[TableDef]:
    return [t for t in defs.tables if t.layout in FLAT_LAYOUTS and t.columns]


def _plain_pattern(p: str) -> str:
    return re.sub(r"[\^\$\\\(\)\?\*\+\[\]\|\.]", "", p)


def describe(tdef: TableDef) -> str:
    """One definition as the prompt lists it."""
    cols = "; ".join(
        f"{c.key} = {' or '.join(_plain_pattern(n) for n in c.names)}"
        + (f" (under {' or '.join(_plain_pattern(u) for u in c.under)})" if c.under else "")
        + (f" [栏次 {c.col_no}]" if c.col_no else "")
        for c in tdef.columns
    )
    title = " or ".join(_plain_pattern(t) for t in tdef.titles)
    return f"- {tdef.id} ({tdef.label or 'no number'}) {title}: columns {cols}"


def column_model(name: str, key_type: Any) -> Any:
    """An answer's column: a definition column key and the grid column holding it."""
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid"),
        key=(key_type, Field(description="definition column key")),
        source=(str, Field(description="grid column id holding it, e.g. g3")),
        name=(str, Field(default="", description="printed header, levels joined by /")),
    )


def row_fields(**extra: Any) -> dict[str, Any]:
    """An answer's row: its id, ``extra`` fields (a table in parts: the part), code, name,
    total and the values as printed."""
    return {
        "source": (str, Field(description="body row id, e.g. r5")),
        **extra,
        "code": (str | None, Field(default=None, description="classification code digits")),
        "name": (str | None, Field(default=None, description="row name as printed")),
        "total": (bool, Field(default=False, description="true for the 合计/总计 row")),
        "values": (
            dict[str, str | None],
            Field(description="column key -> the amount exactly as printed, or null"),
        ),
    }


def response_model(tdef: TableDef | None, defs: Definitions) -> type[BaseModel]:
    """The pydantic model an answer must validate against, specialised to the definition
    (column keys as a Literal) or, for an unknown table, to the candidate definitions."""
    cands = [tdef] if tdef is not None else flat_definitions(defs)
    ids = tuple(t.id for t in cands)
    keys = tuple(dict.fromkeys(c.key for t in cands for c in t.columns))
    suffix = re.sub(r"\W", "_", tdef.id) if tdef else "unknown"
    cfg = ConfigDict(extra="forbid")
    key_type: Any = Literal[keys]  # built at run time from the definitions
    definition_type: Any = Literal[ids] | None
    column: Any = column_model(f"Column_{suffix}", key_type)
    row: Any = create_model(f"Row_{suffix}", __config__=cfg, **row_fields())
    model: type[BaseModel] = create_model(
        f"Table_{suffix}",
        __config__=cfg,
        definition=(
            definition_type,
            Field(default=None, description="the table definition id, null if none fits"),
        ),
        columns=(list[column], Field(description="definition columns found in the grid")),
        rows=(list[row], Field(description="body rows with data, in printed order")),
    )
    return model


# ---------------------------------------------------------------- grounding


@dataclass
class GroundedRow:
    row_id: str
    source: SourceRow
    code: str | None
    name: str | None
    total: bool
    values: dict[str, tuple[str | None, Cell]]


@dataclass
class GroundedPart:
    """One printed part of a table read in parts (llm_shaped): a side, a block, a section."""

    key: str  # the section key (two-sided), b1/b2… (blocks), the heading (sections)
    row_no: int | None  # the grid column of its 行次
    columns: dict[str, tuple[int, str]]
    rows: list[GroundedRow] = field(default_factory=list)


@dataclass
class Grounded:
    """A chunk's answer after grounding: what may be used, and what went back."""

    definition: str | None
    columns: dict[str, tuple[int, str]]  # key -> (grid column, printed name)
    rows: list[GroundedRow]
    problems: list[str] = field(default_factory=list)
    ungrounded: int = 0  # values found nowhere in the chunk
    misplaced: int = 0  # values printed elsewhere than the cell named
    missing_rows: list[str] = field(default_factory=list)
    parts: list[GroundedPart] | None = None  # a table read in parts: its parts, in order


def _tokens(text: str) -> list[str]:
    """Amounts printed in one cell: the whole cell, or each part of a merged cell."""
    whole = parse_amount(text)
    if whole is not None and whole.text is not None and whole.value is not None:
        return [whole.text]
    out: list[str] = []
    for part in text.split():
        a = parse_amount(part)
        if a is not None and a.text is not None and a.value is not None:
            out.append(a.text)
    return out


def _header_name(chunk: Chunk, j: int) -> str:
    parts: list[str] = []
    for r in chunk.header:
        if is_lanci_row(r):
            continue
        t = norm(r.texts[j]) if j < len(r.cells) else ""
        if t and (not parts or parts[-1] != t):
            parts.append(t)
    return "/".join(parts)


def _cell(sc_row: SourceRow, j: int, status: Literal["ok", "unparsed"] = "ok") -> Cell:
    """Provenance of a value the LLM placed: the printed cell it came from (or the row)."""
    sc = sc_row.cells[j] if 0 <= j < len(sc_row.cells) else None
    return Cell(
        raw=sc.text if sc is not None else None,
        line=sc.line if sc is not None else sc_row.line,
        page=sc.page if sc is not None else sc_row.page,
        bbox=sc.bbox if sc is not None else None,
        source=CellSource.LLM,
        confidence=sc.confidence if sc is not None else None,
        status=status,
    )


def ground(answer: BaseModel, chunk: Chunk, tdef: TableDef | None, defs: Definitions) -> Grounded:
    """Check an answer against its chunk; keep what is printed where the answer says."""
    data = answer.model_dump()
    definition = tdef.id if tdef is not None else data.get("definition")
    used = defs.table(definition) if definition else None
    allowed = {c.key for c in used.columns} if used is not None else None
    g = Grounded(definition=definition, columns={}, rows=[])
    g.columns = ground_columns(g, data.get("columns", []), chunk, allowed, definition)
    if allowed is not None:
        unmapped_amount_columns(g, chunk, {j for j, _ in g.columns.values()})
    everywhere = chunk_tokens(chunk)
    seen: set[str] = set()
    for row in data.get("rows", []):
        got = ground_row(g, row, chunk, g.columns, everywhere, seen)
        if got is not None:
            g.rows.append(got)
    for rid, src in chunk.rows:
        if rid not in seen and _row_tokens(src):
            g.missing_rows.append(rid)
            g.problems.append(f"row {rid} prints amounts but is missing from the answer")
    return g


def ground_columns(
    g: Grounded,
    columns: Sequence[dict[str, Any]],
    chunk: Chunk,
    allowed: set[str] | None,
    definition: str | None,
    where: str = "",
) -> dict[str, tuple[int, str]]:
    """key -> (grid column, printed name) of an answer's column mapping; what does not name
    a grid column or a column of the definition goes back as a problem."""
    out: dict[str, tuple[int, str]] = {}
    for col in columns:
        key, j = col["key"], column_index(col["source"])
        if allowed is not None and key not in allowed:
            g.problems.append(f"{where}column key {key} is not a column of {definition}")
        elif j is None or j >= chunk.width:
            g.problems.append(f"{where}column {key}: {col['source']!r} is not a grid column id")
        elif key in out:
            g.problems.append(f"{where}column key {key} given twice")
        else:
            out[key] = (j, _header_name(chunk, j) or norm(col.get("name") or key))
    return out


def unmapped_amount_columns(g: Grounded, chunk: Chunk, mapped: set[int]) -> None:
    """A column printing amounts that the answer left out is a problem (tables may omit
    definition columns, but a printed amount column must go somewhere)."""
    body = [r for _, r in chunk.rows]
    for j in range(chunk.width):
        header = _header_name(chunk, j)
        if j in mapped or not header or is_row_number_column(body, j):
            continue  # a 行次 column (1, 2, 3 … down) is never an amount column
        if _amount_column(chunk, j):
            g.problems.append(f"grid column g{j} ({header}) prints amounts but is not mapped")


def chunk_tokens(chunk: Chunk) -> set[str]:
    return {t for _, r in chunk.rows for t in _row_tokens(r)}


def ground_row(
    g: Grounded,
    row: dict[str, Any],
    chunk: Chunk,
    columns: dict[str, tuple[int, str]],
    everywhere: set[str],
    seen: set[str],
    where: str = "",
) -> GroundedRow | None:
    """One answered row grounded in its printed row: code and name must be printed there,
    each value in the cell its column names (else a problem, and the value is not used)."""
    rid = row["source"]
    src = chunk.row(rid)
    if src is None:
        g.problems.append(f"{where}row id {rid!r} is not a body row of the grid")
        return None
    if rid in seen:
        g.problems.append(f"{where}row {rid} given twice")
        return None
    seen.add(rid)
    row_text = "".join(norm(t) for t in src.texts)
    code = norm(row["code"]) if row.get("code") else None
    if code is not None and (not code.isdigit() or code not in row_text.replace(" ", "")):
        g.problems.append(f"{where}row {rid}: code {code!r} is not printed in the row")
        code = None
    name = norm(row["name"]) if row.get("name") else None
    if name is not None and name not in row_text:
        g.problems.append(f"{where}row {rid}: name {name!r} is not printed in the row")
        name = None
    values: dict[str, tuple[str | None, Cell]] = {}
    for key, (j, _) in columns.items():
        given = row.get("values", {}).get(key)
        values[key] = _place(g, rid, src, key, j, given, everywhere)
    for key in row.get("values", {}):
        if key not in columns and row["values"][key] is not None:
            g.problems.append(f"{where}row {rid}: value for unmapped column {key}")
    return GroundedRow(rid, src, code, name, bool(row.get("total")), values)


def _amount_column(chunk: Chunk, j: int) -> bool:
    """Most body rows print an amount (not a code) in grid column ``j``."""
    texts = [r.texts[j] for _, r in chunk.rows if j < len(r.cells) and r.texts[j].strip()]
    amounts = [t for t in texts if _tokens(t) and not re.fullmatch(r"\d{3}(\d{2}){0,2}", t.strip())]
    return bool(texts) and len(amounts) * 2 > len(texts)


def _row_tokens(row: SourceRow) -> list[str]:
    return [t for text in row.texts for t in _tokens(text)]


def _place(
    g: Grounded,
    rid: str,
    src: SourceRow,
    key: str,
    j: int,
    given: str | None,
    everywhere: set[str],
) -> tuple[str | None, Cell]:
    """The value a row takes in one column: the printed text when the answer is grounded."""
    here = _tokens(src.texts[j]) if j < len(src.cells) else []
    if given is None or not str(given).strip():
        if here:
            g.problems.append(f"row {rid} column {key}: the cell prints {here[0]}, not blank")
            return None, _cell(src, j, "unparsed")
        return None, _cell(src, j)
    a = parse_amount(str(given))
    text = a.text if a is not None and a.value is not None else None
    if text is None:
        if a is not None and a.kind.value == "dash" and "——" in "".join(src.texts[j : j + 1]):
            return "——", _cell(src, j)
        g.problems.append(f"row {rid} column {key}: {given!r} is not an amount")
        return None, _cell(src, j, "unparsed")
    if text in here and len(here) == 1:
        return text, _cell(src, j)
    if not here and any(
        text in _tokens(t) and len(_tokens(t)) > 1 for t in src.texts
    ):  # a merged cell split: its parts go to blank cells beside it
        k = next(i for i, t in enumerate(src.texts) if text in _tokens(t))
        return text, _cell(src, k)
    if text in here:  # one of several amounts printed in this cell
        return text, _cell(src, j)
    if any(text in _tokens(t) for t in src.texts):
        g.misplaced += 1
        g.problems.append(
            f"row {rid} column {key}: {text} is printed in another column of the row, not in g{j}"
        )
    elif text in everywhere:
        g.misplaced += 1
        g.problems.append(f"row {rid} column {key}: {text} is not printed in row {rid}")
    else:
        g.ungrounded += 1
        g.problems.append(
            f"row {rid} column {key}: {given!r} does not occur in the table (rejected)"
        )
    return None, _cell(src, j, "unparsed")


# ---------------------------------------------------------------- the table


def build_table(
    region: Region, parts: Sequence[Grounded], defs: Definitions
) -> tuple[Table, list[str]]:
    """The table from the grounded answers of its chunks (in order), and the row id of each
    row (for re-asks naming cells)."""
    definition = next((p.definition for p in parts if p.definition), None)
    tdef = defs.table(definition) if definition else None
    keys: list[str] = []
    names: dict[str, str] = {}
    for p in parts:
        for k, (_, n) in p.columns.items():
            if k not in names:
                names[k] = n
                keys.append(k)
    if tdef is not None:
        order = {c.key: i for i, c in enumerate(tdef.columns)}
        keys.sort(key=lambda k: order.get(k, len(order)))
    col_nos = {c.key: c.col_no for c in tdef.columns} if tdef else {}
    columns = [Column(col_no=col_nos.get(k), name=names[k], key=k) for k in keys]
    rows: list[Row] = []
    row_ids: list[str] = []
    for p in parts:
        for gr in p.rows:
            vals: list[str | None] = []
            cells: list[Cell] = []
            for k in keys:
                v, c = gr.values.get(k, (None, _cell(gr.source, -1)))
                vals.append(v)
                cells.append(c)
            level = "total" if gr.total else _LEVELS.get(len(gr.code or ""))
            rows.append(
                Row(
                    code=gr.code,
                    level=level,
                    name=gr.name,
                    values=vals,
                    line=gr.source.line,
                    page=gr.source.page,
                    cells=cells,
                )
            )
            row_ids.append(gr.row_id)
    if tdef is not None and tdef.rows:
        assign_roles(rows, tdef.rows, defs)
    table = make_table(region, tdef, tdef.layout if tdef else "generic", columns=columns, rows=rows)
    return table, row_ids
