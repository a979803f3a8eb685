"""After mapping: verify, repair deterministically, and (mode auto/always) read tables with
the LLM, re-asking with the failed checks; then verify and repair again.

``auto`` sends a table only when the mapper could not finish it: mapping failed, the table
matched no definition but its headers name a definition's columns, a printed column could not
be placed, or a hard identity still fails as an extraction error after deterministic repair.
``always`` sends every table of a layout the LLM path reads: one printed row per row
(function-coded, single-row, generic: llm_table) or in parts (two-sided, economic blocks,
sectioned: llm_shaped). An LLM reading replaces the mapper's only when it is at
least as good: no unresolved grounding problem, and no more failing hard identities than the
mapper's reading.

Accounting (``Usage``): every answer the result relies on counts, whether it came over the
network or from the cache, so the result of a re-run is byte-for-byte the same; the requests
actually sent are in the client's ``stats`` (the CLI writes them to the run sidecar).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from extractor.barrier import Barrier, or_reraise
from extractor.config import ExtractConfig
from extractor.definitions import Definitions, TableDef, prompts_dir
from extractor.errors import Code
from extractor.extract.chunking import Chunk, page_chunks, table_chunks
from extractor.extract.llm_shaped import (
    SHAPED_LAYOUTS,
    RowIds,
    build_shaped,
    describe_shaped,
    ground_shaped,
    shaped_model,
)
from extractor.extract.llm_table import (
    FLAT_LAYOUTS,
    Grounded,
    build_table,
    describe,
    flat_definitions,
    ground,
    response_model,
)
from extractor.extract.repair import ocr_reading, repair_tables
from extractor.extract.structure import unmapped_parts
from extractor.layout.identify import identify
from extractor.model import (
    CellRef,
    Check,
    Column,
    ErrorInfo,
    Finding,
    Region,
    Row,
    SourceRow,
    Table,
    Usage,
)
from extractor.verify.findings import findings_for
from extractor.verify.verifier import verify_tables

if TYPE_CHECKING:
    from extractor.extract.llm import LlmClient

PROMPT_VERSION = "table_v1+reask_v1"
PARTS_PROMPT_VERSION = "table_parts_v1+reask_v1"


def _in_parts(tdef: TableDef | None) -> bool:
    """A definition read in parts (sides, blocks, sections: llm_shaped)."""
    return tdef is not None and tdef.layout in SHAPED_LAYOUTS


@cache
def _template(name: str) -> str:
    """A prompt template shipped in the package (``extractor/prompts/<name>.md``)."""
    return (prompts_dir() / f"{name}.md").read_text(encoding="utf-8")


@dataclass
class Refined:
    """Tables after repair and the LLM path, their (classified) checks, the repairs made and
    the accounting. The pipeline verifies the tables again with its other checks."""

    tables: list[Table]
    checks: list[Check]
    repairs: list[Finding]
    usage: Usage = field(default_factory=Usage)
    errors: list[ErrorInfo] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)  # indexes of tables sent to the LLM
    ungrounded: int = 0  # values rejected over all answers (also those fixed by a re-ask)
    misplaced: int = 0


@dataclass
class _Conversation:
    chunk: Chunk
    messages: list[dict[str, str]]
    deadline: float | None = None
    reasks: int = 0
    grounded: Grounded | None = None
    last_problem: str | None = None
    done: bool = False  # no more asking: out of re-asks, time or budget


class _Session:
    """One document's LLM work: the client, the token budget and the accounting."""

    def __init__(
        self, client: LlmClient, config: ExtractConfig, defs: Definitions, barrier: Barrier
    ) -> None:
        self.client = client
        self.barrier = barrier
        self.opts = config.llm
        self.defs = defs
        self.usage = Usage()
        self.errors: list[ErrorInfo] = []
        self.ungrounded = 0
        self.misplaced = 0
        self.budget_reported = False
        self.repair = config.repair
        self.repairs: list[Finding] = []  # repair findings of the readings used

    def over_budget(self) -> bool:
        used = self.usage.prompt_tokens + self.usage.completion_tokens
        if used < self.opts.token_budget:
            return False
        if not self.budget_reported:
            self.budget_reported = True
            self.errors.append(
                ErrorInfo(
                    code=Code.LLM_BUDGET,
                    message=f"token budget of {self.opts.token_budget} per document spent; "
                    "remaining tables were not sent",
                )
            )
        return True

    def messages(self, chunk: Chunk, tdef: TableDef | None) -> list[dict[str, str]]:
        if tdef is not None and _in_parts(tdef):
            listing = "Table definitions:\n" + describe_shaped(tdef)
            system = _template("table_parts_v1").replace("{definitions}", listing)
        else:
            cands = [tdef] if tdef is not None else flat_definitions(self.defs)
            listing = "Table definitions:\n" + "\n".join(describe(t) for t in cands)
            system = _template("table_v1").replace("{definitions}", listing)
        user = "<<<DATA\n" + chunk.render() + "\nDATA>>>"
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def ask(self, conv: _Conversation, tdef: TableDef | None, where: str) -> None:
        """One answer for a conversation; grounding problems are kept for the next re-ask."""
        if conv.done:
            return
        if self.over_budget():
            conv.done = True
            return
        clock = self.client.clock
        if conv.deadline is None:
            conv.deadline = clock() + self.opts.chunk_deadline_s
        shaped = tdef is not None and _in_parts(tdef)
        if tdef is not None and shaped:
            model, version = shaped_model(tdef), PARTS_PROMPT_VERSION
        else:
            model, version = response_model(tdef, self.defs), PROMPT_VERSION
        answer = self.client.ask(
            conv.messages, model, prompt_version=version, deadline=conv.deadline
        )
        if answer.error is not None:
            conv.done = True
            self.errors.append(
                ErrorInfo(
                    code=answer.error,
                    message=f"{where}: no LLM answer from {self.client.endpoint()} "
                    f"({answer.error}{': ' + answer.detail if answer.detail else ''}); "
                    "the mapper's reading stands",
                )
            )
            return
        self.usage = Usage(
            llm_calls=self.usage.llm_calls + 1,
            prompt_tokens=self.usage.prompt_tokens + answer.prompt_tokens,
            completion_tokens=self.usage.completion_tokens + answer.completion_tokens,
        )
        conv.messages = [*conv.messages, {"role": "assistant", "content": answer.content or ""}]
        if answer.parsed is None:
            conv.last_problem = answer.problem or "the answer is not valid JSON for the schema"
            return
        if tdef is not None and shaped:
            g = ground_shaped(answer.parsed, conv.chunk, tdef)
        else:
            g = ground(answer.parsed, conv.chunk, tdef, self.defs)
        self.ungrounded += g.ungrounded
        self.misplaced += g.misplaced
        self.client.stats.ungrounded += g.ungrounded
        self.client.stats.misplaced += g.misplaced
        conv.grounded = g
        conv.last_problem = None

    def problems(self, conv: _Conversation) -> list[str]:
        if conv.last_problem is not None:
            return [conv.last_problem]
        return list(conv.grounded.problems) if conv.grounded is not None else []

    def reask(
        self, conv: _Conversation, checks: list[str], tdef: TableDef | None, where: str
    ) -> bool:
        """Send the problems and failed checks back; False when no re-ask is left."""
        if conv.done or conv.reasks >= self.opts.max_reasks:
            return False
        conv.reasks += 1
        problems = self.problems(conv)
        text = (
            _template("reask_v1")
            .replace("{problems}", "\n".join(f"- {p}" for p in problems) or "- none")
            .replace("{checks}", "\n".join(f"- {c}" for c in checks) or "- none")
        )
        conv.messages = [*conv.messages, {"role": "user", "content": text}]
        self.ask(conv, tdef, where)
        return True


def _could_be_defined(table: Table, defs: Definitions) -> bool:
    """An unknown table worth an LLM call: its printed headers name at least two columns of
    some flat definition, and at least half of its columns are such names. Tables no
    definition describes (绩效 forms, annexes) are not sent in auto mode."""
    names = [c.name.split("/")[-1] for c in table.columns if c.name]
    if not names:
        return False
    for tdef in flat_definitions(defs):
        hits = sum(1 for n in names if any(re.search(p, n) for c in tdef.columns for p in c.names))
        if hits >= 2 and hits * 2 >= len(names):
            return True
    return False


def _needs_llm(
    table: Table | None, tdef: TableDef | None, checks: Sequence[Check], ti: int, defs: Definitions
) -> bool:
    if table is None:
        return True  # the mapper failed on it
    if table.definition is None:
        return _could_be_defined(table, defs)
    if tdef is not None and unmapped_parts(table, tdef):
        return True  # identified, but its layout, a section or a required column not placed
    if tdef is not None and not table.empty and any(c.key is None for c in table.columns):
        return True  # a printed column the mapper could not place (a renamed header)
    return any(
        c.severity == "hard"
        and c.status == "fail"
        and c.classification == "extraction_error"
        and any(ref.table_index == ti for ref in c.cells)
        for c in checks
    )


def _hard_fails(checks: Sequence[Check], ti: int) -> list[Check]:
    return [
        c
        for c in checks
        if c.severity == "hard"
        and c.status == "fail"
        and any(ref.table_index == ti for ref in c.cells)
    ]


def _scope(table: Table, section: str | None) -> tuple[str | None, list[Column]]:
    """The section a cell reference names (None: the flat rows) and its columns."""
    if table.sections:
        sec = next((s for s in table.sections if (s.key or s.section) == section), None)
        if sec is not None:
            return sec.key or sec.section, sec.columns
    return None, table.columns


def _ref_row_id(ref: CellRef, ti: int, row_ids: RowIds, table: Table) -> str | None:
    """The answer's row id of a cell of table ``ti`` (None: another table, or no row)."""
    if ref.table_index != ti:
        return None
    ids = row_ids.get(_scope(table, ref.section)[0], [])
    return ids[ref.row_index] if 0 <= ref.row_index < len(ids) else None


def _describe_check(check: Check, ti: int, row_ids: RowIds, table: Table) -> str:
    cells = []
    for ref in check.cells:
        rid = _ref_row_id(ref, ti, row_ids, table)
        columns = _scope(table, ref.section)[1]
        if rid is not None and 0 <= ref.col_index < len(columns):
            key = columns[ref.col_index].key or f"#{ref.col_index}"
            where = f"{ref.section}:" if table.sections and ref.section else ""
            cells.append(f"{where}{rid}/{key}={ref.value}")
    return f"{check.expression}: {check.message} [cells {', '.join(cells)}]"


def _same_reading(a: Table, b: Table) -> bool:
    def shape(t: Table) -> list[tuple[str | None, list[str | None]]]:
        return [(c.key, []) for c in t.columns] + [
            (s.key or s.section, [c.key for c in s.columns]) for s in t.sections
        ]

    return (
        a.definition == b.definition
        and shape(a) == shape(b)
        and [(r.code, r.values) for r in _all_rows(a)] == [(r.code, r.values) for r in _all_rows(b)]
    )


def _classified(defs: Definitions, tables: Sequence[Table], barrier: Barrier) -> list[Check]:
    checks = verify_tables(defs, tables, barrier)
    findings_for(tables, checks, barrier)
    return checks


@dataclass
class Reading:
    """One table as the LLM read it (after deterministic repair), and what stays unresolved."""

    table: Table
    problems: list[str]
    repairs: list[Finding]


class _TableReader:
    """Reads one region with the LLM: chunks, answers, re-asks with the failed checks."""

    def __init__(self, session: _Session, region: Region, tdef: TableDef | None) -> None:
        self.s = session
        self.region = region
        self.tdef = tdef
        self.where = region.table_id or region.title or "a page"

    def _build(self, parts: list[Grounded]) -> tuple[Table, RowIds]:
        if self.tdef is not None and _in_parts(self.tdef):
            return build_shaped(self.region, parts, self.s.defs, self.tdef)
        table, ids = build_table(self.region, parts, self.s.defs)
        return table, {None: ids}

    def read(
        self,
        chunks: list[Chunk],
        place: Callable[[Table], list[Table]],
        ti: int,
        mapper: Table | None = None,
    ) -> Reading | None:
        """The LLM's reading, or None when no usable answer came. Deterministic repair runs
        on each reading before its failing identities are re-asked.
        ``mapper`` is the mapper's reading: when the LLM's is the same, failing identities
        are in the grid as read (an OCR loss), and no re-ask can change that."""
        convs = [_Conversation(c, self.s.messages(c, self.tdef)) for c in chunks]
        for conv in convs:
            self.s.ask(conv, self.tdef, self.where)
            while self.s.problems(conv) and self.s.reask(conv, [], self.tdef, self.where):
                pass
        while True:
            if any(c.grounded is None for c in convs):
                return None
            parts = [c.grounded for c in convs if c.grounded is not None]
            table, row_ids = self._build(parts)
            trial = place(table)  # the document's tables with this reading at index ti
            checks = _classified(self.s.defs, trial, self.s.barrier)
            repairs: list[Finding] = []
            if self.s.repair:  # OCR misreads the identities locate: no re-ask needed for them
                fixed = repair_tables(self.s.defs, trial, checks, self.s.barrier)
                table, checks = fixed.tables[ti], fixed.checks
                repairs = [f for f in fixed.findings if any(c.table_index == ti for c in f.cells)]
            fails = _hard_fails(checks, ti)
            problems = [p for c in convs for p in self.s.problems(c)]
            if not fails:
                return Reading(table, problems, repairs)
            if mapper is not None and _same_reading(table, mapper):
                still = [f"identity {c.id} fails in the grid as read: {c.message}" for c in fails]
                return Reading(table, problems + still, repairs)
            # re-ask the chunks holding the cells of failing checks, with those checks only
            asked = False
            for conv in convs:
                ids = {rid for rid, _ in conv.chunk.rows}
                mine = [
                    _describe_check(c, ti, row_ids, table)
                    for c in fails
                    if any(_ref_row_id(ref, ti, row_ids, table) in ids for ref in c.cells)
                ]
                if mine and self.s.reask(conv, mine, self.tdef, self.where):
                    asked = True
                    while self.s.problems(conv) and self.s.reask(conv, [], self.tdef, self.where):
                        pass
            if not asked:
                still = [
                    f"identity {c.id} still fails after the re-asks: {c.message}" for c in fails
                ]
                return Reading(table, problems + still, repairs)


def repairable(tables: Sequence[Table], config: ExtractConfig) -> bool:
    """Deterministic repair applies: it is on and some cell is an OCR reading."""
    return config.repair and any(
        ocr_reading(c) for t in tables for r in _all_rows(t) for c in r.cells
    )


def repair_stage(
    tables: list[Table], config: ExtractConfig, defs: Definitions, guard: Barrier
) -> Refined | None:
    """The repair stage: the tables verified and classified, and the OCR misreads their
    failing identities locate repaired; None when nothing is OCR'd (nothing verified)."""
    if not repairable(tables, config):
        return None
    out = repair_tables(defs, tables, _classified(defs, tables, guard), guard)
    return Refined(out.tables, out.checks, out.findings)


def llm_stage(
    rows: Sequence[SourceRow],
    mapped: Sequence[tuple[Region, Table | None]],
    before: Refined,
    config: ExtractConfig,
    defs: Definitions,
    llm: LlmClient | None,
    guard: Barrier,
    checked: bool,
) -> Refined:
    """The LLM stage (mode auto/always): ``before`` is the repair stage's reading, its
    checks classified when ``checked``. The tables it read are repaired once more."""
    tables, checks = before.tables, before.checks
    if not checked:
        checks = _classified(defs, tables, guard)
    client = llm if llm is not None else _client(config)
    session = _Session(client, config, defs, guard)
    mode = config.llm.effective_mode
    read, sent = _read_with_llm(session, rows, mapped, tables, checks, mode, defs, config)
    # repairs of mapper readings the LLM replaced go; the others follow their table
    repairs = _follow(before.repairs, tables, read) + session.repairs
    checks = _classified(defs, read, guard)
    if config.repair and sent:
        out = repair_tables(defs, read, checks, guard)
        read, checks = out.tables, out.checks
        repairs += out.findings
    return Refined(
        read,
        checks,
        repairs,
        session.usage,
        session.errors,
        sent,
        session.ungrounded,
        session.misplaced,
    )


def refine(
    rows: Sequence[SourceRow],
    mapped: Sequence[tuple[Region, Table | None]],
    config: ExtractConfig,
    defs: Definitions,
    llm: LlmClient | None = None,
    barrier: Barrier | None = None,
) -> Refined:
    """Verify, repair, and read with the LLM what the mode says; the tables in region order
    (the repair stage, then the LLM stage, as the pipeline runs them).

    ``mapped`` pairs each region with the mapper's table (None where mapping failed). Under
    ``barrier`` a table whose repair or LLM reading raises keeps the mapper's reading."""
    guard = or_reraise(barrier)
    tables = [t for _, t in mapped if t is not None]
    repaired = repair_stage(tables, config, defs, guard)
    before = repaired or Refined(tables, [], [])
    if config.llm.effective_mode == "off":
        return before
    return llm_stage(rows, mapped, before, config, defs, llm, guard, repaired is not None)


def _follow(findings: list[Finding], before: list[Table], after: list[Table]) -> list[Finding]:
    """Findings about ``before``'s tables re-pointed at the same tables in ``after``."""
    where = {id(t): i for i, t in enumerate(after)}
    out: list[Finding] = []
    for f in findings:
        # a cell of a table (table_index -1: the prose, an annex) follows its table
        moved = [
            c
            if c.table_index < 0
            else c.model_copy(update={"table_index": where[id(before[c.table_index])]})
            for c in f.cells
            if c.table_index < 0 or id(before[c.table_index]) in where
        ]
        if len(moved) == len(f.cells):
            out.append(f.model_copy(update={"cells": moved}))
    return out


def _all_rows(table: Table) -> list[Row]:
    return [*table.rows, *(r for sec in table.sections for r in sec.rows)]


def _client(config: ExtractConfig) -> LlmClient:
    from extractor.extract.llm import LlmClient

    return LlmClient(config.llm)


def _read_with_llm(
    session: _Session,
    rows: Sequence[SourceRow],
    mapped: Sequence[tuple[Region, Table | None]],
    tables: list[Table],
    checks: list[Check],
    mode: str,
    defs: Definitions,
    config: ExtractConfig,
) -> tuple[list[Table], list[int]]:
    """The tables in region order after the LLM path, and the indexes of those it read."""
    max_rows = config.llm.max_rows_per_chunk
    if not mapped:
        # no table region at all: whole pages, each read as an unknown table
        out = list(tables)
        for chunk in page_chunks(rows, max_rows):
            region = Region(title="", start_line=None, end_line=None, pages=[])
            n = len(out)
            got = None
            first = chunk.rows[0][1] if chunk.rows else None
            with session.barrier.guard(
                "llm",
                f"page part {chunk.part} of {chunk.parts}",
                line=first.line if first else None,
                page=first.page if first else None,
            ):
                got = _TableReader(session, region, None).read([chunk], lambda t: [*out, t], n)
            if got is not None and got.table.definition is not None:
                out.append(got.table)
                session.repairs += got.repairs
        return out, list(range(len(tables), len(out)))
    # one slot per region: the (repaired) mapper table, or None where mapping failed
    pending = iter(tables)
    slots: list[Table | None] = [next(pending) if t is not None else None for _, t in mapped]
    sent: list[int] = []
    for k, (region, _) in enumerate(mapped):
        where = region.pages[0] if region.pages else None
        name = " ".join(x for x in (region.table_id, region.title) if x)
        with session.barrier.guard("llm", name, line=region.start_line, page=where):
            _read_region(session, mapped, slots, sent, k, mode, defs, config, checks)
    return [t for t in slots if t is not None], sent


def _read_region(
    session: _Session,
    mapped: Sequence[tuple[Region, Table | None]],
    slots: list[Table | None],
    sent: list[int],
    k: int,
    mode: str,
    defs: Definitions,
    config: ExtractConfig,
    checks: list[Check],
) -> None:
    """Region ``k`` read with the LLM when the mode says so; its slot takes the reading
    when it is better."""
    max_rows = config.llm.max_rows_per_chunk
    region = mapped[k][0]
    table = slots[k]
    before = sum(1 for t in slots[:k] if t is not None)  # its index among the tables
    if table is None:  # mapping failed: the definition it was identified as, if any
        tdef = identify(region, defs, config.family)
    else:
        tdef = defs.table(table.definition) if table.definition else None
    if tdef is not None and tdef.layout not in (*FLAT_LAYOUTS, *SHAPED_LAYOUTS):
        # a listing (绩效 forms): the mapper's reading stands; one it could not put in the
        # definition's shape is said to be left unread
        if table is not None and unmapped_parts(table, tdef):
            session.errors.append(
                ErrorInfo(
                    code=Code.LLM_UNSUPPORTED_LAYOUT,
                    message=f"{region.table_id or region.title}: not sent to the LLM, "
                    f"which does not read the {tdef.layout} layout",
                    line=region.start_line,
                    page=region.pages[0] if region.pages else None,
                )
            )
        return
    if table is not None and table.empty and not table.columns:
        return  # printed as 无 / no grid: nothing to read
    # in auto mode the checks (of the mapper's tables) decide; a failed region has none
    finished = table is not None and not _needs_llm(table, tdef, checks, before, defs)
    if mode == "auto" and finished:
        return

    def place(new: Table, k: int = k) -> list[Table]:
        return [t for t in [*slots[:k], new, *slots[k + 1 :]] if t is not None]

    got = _TableReader(session, region, tdef).read(
        table_chunks(region, max_rows), place, before, table
    )
    sent.append(before)
    if got is None:
        return
    new, problems = got.table, got.problems
    current = [t for t in slots if t is not None]
    if finished:
        # `always` on a table the mapper finished (every column placed, no extraction
        # error): the LLM's reading is taken only where it agrees, value for value (a
        # second reader). Where the report is inconsistent, a reading that moves values
        # between columns can make a check pass; that is no evidence it is right.
        agrees = not problems and _values(new) == _values(table)  # type: ignore[arg-type]
        if agrees:
            slots[k] = new
            session.repairs += got.repairs
        return
    if table is None or _better(
        defs, current, place(new), before, problems, table, new, session.barrier
    ):
        slots[k] = new
        session.repairs += got.repairs
        _report(session, region, problems)


def _values(table: Table) -> list[list[str | None]]:
    return [r.values for r in [*table.rows, *(r for sec in table.sections for r in sec.rows)]]


def _better(
    defs: Definitions,
    tables: list[Table],
    trial: list[Table],
    ti: int,
    problems: list[str],
    old: Table,
    new: Table,
    barrier: Barrier,
) -> bool:
    """The LLM reading replaces the mapper's when it is better: fewer failing hard
    identities, or as many and more of them evaluated. On a tie the mapper's reading stands:
    when both readings fail alike (a source inconsistency), the arithmetic cannot tell which
    structure is right, and the mapper read the printed grid."""
    if new.definition is None:
        return False  # the model knows no definition for it either: the mapper's generic reading
    if old.definition is None:
        return True
    if problems:
        return False
    new_checks = _classified(defs, trial, barrier)
    old_checks = _classified(defs, tables, barrier)
    new_fails, old_fails = len(_hard_fails(new_checks, ti)), len(_hard_fails(old_checks, ti))
    # equal failures: the reading under which more identities could be evaluated
    new_eval = sum(1 for c in new_checks if c.status != "not_evaluated")
    old_eval = sum(1 for c in old_checks if c.status != "not_evaluated")
    return new_fails < old_fails or (new_fails == old_fails and new_eval > old_eval)


def _report(session: _Session, region: Region, problems: list[str]) -> None:
    """Problems an accepted LLM reading still has after its re-asks: unresolved errors."""
    where = region.table_id or region.title
    for p in problems:
        session.errors.append(
            ErrorInfo(
                code=Code.LLM_UNRESOLVED,
                message=f"{where}: {p}",
                line=region.start_line,
                page=region.pages[0] if region.pages else None,
            )
        )
