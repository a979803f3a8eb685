"""Did the mapper place what a table's definition says it has? (issue 12, "no silent
structure")

A table identified as a definition must come out in that definition's shape: its layout (a
two-sided summary read as two sides, not as a generic grid), every section, and the columns
its own hard identities name. What is missing is an extraction error
(``extract.layout_unmapped``) naming the table and the missing parts: the document is then
never ``ok``, and the LLM path in ``auto`` mode sends the table. Identities that cannot be
evaluated because their table is missing or unmapped are counted (``not_evaluable``) so that
a summary never shows "0 fail" for arithmetic that never ran.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractor.definitions import Definitions, IdentityDef, TableDef
from extractor.errors import Code
from extractor.model import ErrorInfo, Table

_COL = re.compile(r"\bc\d+\b(?!\?)")
_REF = re.compile(r"([\w.]*)\[[^\]]*\]\.(\w+)\b(?!\?)")
_TABLE_REF = re.compile(r"\b([a-z_]+\.[a-z_0-9]+)\.")

# the mapper layouts that read each definition layout (a definition's economic blocks come
# out as "economic_3_blocks"; an economic table printed as one coded list as economic_coded)
_READS = {
    "two_sided": ("two_sided",),
    "three_sided": ("two_sided", "three_sided"),
    "economic_blocks": ("economic_", "function_coded"),
    "single_row": ("single_row",),
    "sectioned": ("sectioned",),
    "function_coded": ("function_coded",),
    "listing": ("listing",),
}


def _expanded(ident: IdentityDef) -> list[str]:
    if ident.columns:
        return [ident.expr.replace("{col}", c) for c in ident.columns]
    return [ident.expr]


def required_columns(tdef: TableDef, section: str | None) -> set[str]:
    """Column keys the definition's own hard identities name in ``section`` (None: the
    table's flat columns). A column no identity uses, an optional term ("c4?") and the
    columns an identity runs over ("{col}") may be left out by a report."""
    out: set[str] = set()
    for ident in tdef.identities:
        if ident.effective_severity != "hard":
            continue
        for text in [ident.expr]:
            refs = [(m.group(1), m.group(2)) for m in _REF.finditer(text)]
            if not refs:  # a row identity: bare column keys, in its section
                refs = [("", c) for c in _COL.findall(text)]
            for scope, col in refs:
                if "." in scope:
                    continue  # a cell of another table
                if (scope or ident.section) == section:
                    out.add(col)
    keys = {c.key for c in tdef.columns} if section is None else set()
    for s in tdef.sections:
        if s.key == section:
            keys = {c.key for c in s.columns}
    return out & keys


_LHS_ROLE = re.compile(r"^\s*(\w+)\[role=(\w+)\]")


def required_totals(tdef: TableDef) -> dict[str, set[str]]:
    """Section key -> the row roles the definition's hard identities total into (the left
    side, "income[role=grand_total].c1 = …"): a two-sided table always prints these rows."""
    out: dict[str, set[str]] = {}
    for ident in tdef.identities:
        if ident.effective_severity != "hard" or ident.kind != "cell":
            continue
        m = _LHS_ROLE.match(ident.expr)
        if m:
            out.setdefault(m.group(1), set()).add(m.group(2))
    return out


def unmapped_parts(table: Table, tdef: TableDef) -> list[str]:
    """What of the definition the mapper did not place in ``table`` (empty: nothing)."""
    if table.empty and not table.columns and not any(s.columns for s in table.sections):
        return []  # printed as 无 / no grid at all: nothing to place
    reads = _READS.get(tdef.layout)
    if reads is not None and not table.layout.startswith(reads):
        return [f"the {tdef.layout} layout (read as {table.layout})"]
    if (
        tdef.layout == "economic_blocks"
        and table.layout == "function_coded"
        and any(c.status == "unparsed" for r in table.rows for c in r.cells)
    ):  # one coded list whose value column holds codes and names: blocks not found
        return ["the economic_blocks layout (read as one coded list, codes under values)"]
    missing: list[str] = []
    if tdef.sections and tdef.layout != "sectioned":
        for sdef in tdef.sections:
            sec = next((s for s in table.sections if s.key == sdef.key), None)
            if sec is None:
                missing.append(f"section {sdef.key}")
                continue
            placed = {c.key for c in sec.columns if c.key}
            lost = sorted(required_columns(tdef, sdef.key) - placed)
            if lost:
                missing.append(f"section {sdef.key} columns {', '.join(lost)}")
            roles = {r.role for r in sec.rows if r.role}
            absent = sorted(required_totals(tdef).get(sdef.key, set()) - roles)
            if absent and not table.empty:
                missing.append(f"section {sdef.key} rows {', '.join(absent)}")
    elif tdef.columns and tdef.layout == "sectioned":
        # sections one below the other: the columns are placed in the sections' headers
        placed = {c.key for sec in table.sections for c in sec.columns if c.key}
        lost = sorted(required_columns(tdef, None) - placed)
        if lost and not table.empty:
            missing.append(f"columns {', '.join(lost)}")
    elif tdef.columns and tdef.layout != "economic_blocks":
        placed = {c.key for c in table.columns if c.key}
        lost = sorted(required_columns(tdef, None) - placed)
        if lost:  # even in an empty table: its zeros may sit in the unplaced column
            missing.append(f"columns {', '.join(lost)}")
    return missing


def layout_errors(tables: Sequence[Table], definitions: Definitions) -> list[ErrorInfo]:
    """An ``extract.layout_unmapped`` error for each identified table whose definition's
    structure was not placed."""
    out: list[ErrorInfo] = []
    for ti, t in enumerate(tables):
        tdef = definitions.table(t.definition) if t.definition else None
        if tdef is None:
            continue
        missing = unmapped_parts(t, tdef)
        if missing:
            first = next((r for r in [*t.rows, *(r for s in t.sections for r in s.rows)]), None)
            out.append(
                ErrorInfo(
                    code=Code.EXTRACT_LAYOUT_UNMAPPED,
                    line=t.source_lines[0][0] if t.source_lines else None,
                    page=t.pages[0] if t.pages else (first.page if first else None),
                    table_index=ti,
                    message=f"{t.table_id or t.title} ({tdef.id}): identified, but the mapper "
                    f"did not place {'; '.join(missing)}",
                )
            )
    return out


def not_evaluable(tables: Sequence[Table], definitions: Definitions) -> int:
    """Hard identities of the document's family that cannot be evaluated: those of a table
    the family requires but the document lacks, or whose structure was not placed, and the
    cross-table identities naming such a table."""
    found = {t.definition for t in tables if t.definition}
    family = max(
        definitions.families,
        key=lambda f: sum(1 for t in f.tables if t.id in found),
        default=None,
    )
    if family is None or not found.intersection(t.id for t in family.tables):
        return 0
    broken = {
        t.definition
        for t in tables
        if t.definition
        and (d := definitions.table(t.definition)) is not None
        and unmapped_parts(t, d)
    }
    missing = {g[0] for g in family.required if not found.intersection(g)}
    count = 0
    for tid in broken | missing:
        tdef = definitions.table(tid)
        if tdef is not None:
            count += sum(
                len(_expanded(i)) for i in tdef.identities if i.effective_severity == "hard"
            )
    for ident in family.cross:
        if ident.effective_severity != "hard":
            continue
        named = set(_TABLE_REF.findall(ident.expr))
        if named & (broken | missing):
            count += len(_expanded(ident))
    return count
