"""Family C: what a report discloses, checked beyond its arithmetic.

Auditors and finance bureaus read these first: template residue left in (``XX``,
``（单位名称）``, ``20XX年``), a year printed for the report's period that is not the report's,
direction words that contradict the figures they describe, empty tables without the statement
the rules require (or such a statement beside a table that prints figures), implausible values
(a share above 100%, a total of 0 over rows that print spending, a negative amount where none
can be) and doubled punctuation or a paragraph printed twice.

The rules are data (``schemas/disclosure.toml``: ``Definitions.disclosure``); the code here
only reads them, one function per kind. Each failing check is a soft source inconsistency with
its evidence: the text, its line or page, and the table it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from extractor.barrier import Barrier, or_reraise
from extractor.definitions import Definitions, DisclosureCheckDef
from extractor.errors import Code
from extractor.model import CellRef, Check, Row, SourceRow, Table
from extractor.numbers import normalize_text, value_decimal
from extractor.verify.narrative import (
    Paragraph,
    ProseLine,
    amounts,
    growth_claims,
    paragraphs,
)

Where = tuple[int | None, int | None]  # (line, page)
_CLAUSE = re.compile(r"[，,。；;：:！？]")
_SENTENCE = re.compile(r"[。；;！？]")

# the check rule of each kind (one registered code each: extractor.errors.Code)
_RULES = {
    "placeholder": Code.DISCLOSURE_PLACEHOLDER,
    "year": Code.DISCLOSURE_YEAR,
    "direction": Code.DISCLOSURE_DIRECTION,
    "empty_table": Code.DISCLOSURE_EMPTY_TABLE,
    "implausible": Code.DISCLOSURE_IMPLAUSIBLE,
    "punctuation": Code.DISCLOSURE_PUNCTUATION,
}


@dataclass
class _Doc:
    """What the checks read: the rows, the prose, the tables and the report's year."""

    rows: Sequence[SourceRow]
    prose: Sequence[ProseLine]
    tables: Sequence[Table]
    definitions: Definitions
    year: int | None
    paragraphs: list[Paragraph] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.paragraphs = paragraphs(self.prose)


@dataclass
class _Out:
    checks: list[Check] = field(default_factory=list)

    def emit(
        self,
        rule: DisclosureCheckDef,
        where: Where,
        text: str,
        message: str,
        *,
        table: tuple[int, Table] | None = None,
        expected: str | None = None,
    ) -> None:
        line, page = where
        place = f"l.{line}" if line is not None else f"p.{page}"
        name = (table[1].table_id or table[1].title) if table else "narrative"
        self.checks.append(
            Check(
                id=f"disclosure/{rule.id}@{place}/{len(self.checks)}",
                rule=_RULES[rule.kind],
                family="C",
                severity=rule.severity,
                status="fail",
                classification="source_inconsistency",
                expression=rule.kind,
                expected=expected,
                actual=text,
                cells=[
                    CellRef(
                        table=name,
                        title=table[1].title if table else None,
                        row=place,
                        column=rule.id,
                        value=text,
                        line=line,
                        page=page,
                        table_index=table[0] if table else -1,
                        row_index=-1,
                        col_index=-1,
                    )
                ],
                message=f"{rule.id} {place}: {message}",
            )
        )


def _excerpt(text: str, start: int, end: int, pad: int = 20) -> str:
    return text[max(0, start - pad) : end + pad]


def _any(patterns: Sequence[str], text: str) -> bool:
    return any(re.search(p, text) for p in patterns)


# ---------------------------------------------------------------- 1. placeholders


def _placeholder(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    """Template residue in any printed text, prose or table cell."""
    for r in doc.rows:
        for cell in r.cells:
            text = normalize_text(cell.text)
            for pattern in rule.patterns:
                m = re.search(pattern, text)
                if m:
                    where = (cell.line or r.line, cell.page or r.page)
                    out.emit(
                        rule,
                        where,
                        _excerpt(text, m.start(), m.end()),
                        f"template residue {m.group(0)!r} where a name or number belongs",
                    )
                    break


# ---------------------------------------------------------------- 2. year


def _year(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    """A year printed for the report's own period (a clause about that year's money, a
    table's year line) that is not the report's year; comparisons are exempt."""
    if doc.year is None:
        return
    for p in doc.paragraphs:
        pos = 0
        for clause in _CLAUSE.split(p.text):
            start, pos = pos, pos + len(clause) + 1
            if _any(rule.exempt, clause):
                continue
            for pattern in rule.patterns:
                for m in re.finditer(pattern, clause):
                    if int(m.group("year")) != doc.year:
                        at = start + m.start()
                        out.emit(
                            rule,
                            (p.line_at(at), p.page_at(at)),
                            clause,
                            f"{m.group(0)!r} in a clause about the report's period; "
                            f"the report is of {doc.year}",
                            expected=str(doc.year),
                        )
    for i, t in enumerate(doc.tables):
        if t.year is not None and t.year != doc.year:
            out.emit(
                rule,
                _table_where(t),
                f"{t.title} {t.year}年",
                f"the table prints the year {t.year}; the report is of {doc.year}",
                table=(i, t),
                expected=str(doc.year),
            )


def _table_where(t: Table) -> Where:
    line = t.source_lines[0][0] if t.source_lines else None
    return line, t.pages[0] if t.pages else None


# ---------------------------------------------------------------- 3. direction words


def _sign(rule: DisclosureCheckDef, word: str) -> int | None:
    if word in rule.up:
        return 1
    if word in rule.down:
        return -1
    return 0 if word in rule.flat else None


def _sentence(p: Paragraph, at: int) -> tuple[int, int]:
    starts = [m.end() for m in _SENTENCE.finditer(p.text, 0, at)]
    stop = _SENTENCE.search(p.text, at)
    return (starts[-1] if starts else 0), (stop.start() if stop else len(p.text))


def _prior(rule: DisclosureCheckDef, p: Paragraph, at: int) -> Decimal | None:
    """The previous year's figure the sentence around ``at`` prints, or None."""
    lo, hi = _sentence(p, at)
    for pattern in rule.patterns:
        for m in re.finditer(pattern, p.text[lo:hi]):
            found = amounts(p, lo + m.end(), lo + m.end() + 24)
            if found and found[0].start == lo + m.end():
                return found[0].value
    return None


def _growth(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    """增加/减少 and 增长/下降 of one claim agree with each other and with the previous
    year's figure where the sentence prints it; so does 持平."""
    _flat(rule, doc, out)
    for c in growth_claims(doc.prose):
        p, where = c.paragraph, (c.change.line, c.change.page)
        text = p.text[_sentence(p, c.start)[0] : c.end]
        word, rate = _sign(rule, c.word), _sign(rule, c.rate_word)
        if word is not None and rate is not None and word * rate < 0:
            out.emit(rule, where, text, f"{c.word} with {c.rate_word}: the words disagree")
            continue
        prior = _prior(rule, p, c.start)
        if prior is None or c.current is None or word is None:
            continue
        moved = c.current.value - prior
        actual = (moved > c.current.half) - (moved < -c.current.half)
        if actual != word:
            out.emit(
                rule,
                where,
                text,
                f"{c.word}, but {c.current.text} against the year before's "
                f"{prior.normalize()}万元",
                expected="持平" if actual == 0 else (rule.up + rule.down)[0 if actual > 0 else -1],
            )


def _flat(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    """"与上年持平" where the sentence prints the previous figure and it is not the current."""
    for p in doc.paragraphs:
        for word in rule.flat:
            for m in re.finditer(re.escape(word), p.text):
                prior = _prior(rule, p, m.start())
                lo, _ = _sentence(p, m.start())
                before = [a for a in amounts(p, lo, m.start()) if a.end <= m.start()]
                if prior is None or not before or abs(before[-1].value - prior) <= before[-1].half:
                    continue
                out.emit(
                    rule,
                    (before[-1].line, before[-1].page),
                    p.text[lo : m.end()],
                    f"{word}, but {before[-1].text} against the year before's "
                    f"{prior.normalize()}万元",
                )


def _compare(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    """"A万元大于B万元": the word against the amounts either side of it in its sentence."""
    words = "|".join(map(re.escape, [*rule.up, *rule.down, *rule.flat]))
    if not words:
        return
    for p in doc.paragraphs:
        for m in re.finditer(words, p.text):
            lo, hi = _sentence(p, m.start())
            a = [x for x in amounts(p, lo, m.start()) if x.end <= m.start()]
            b = amounts(p, m.end(), hi)
            sign = _sign(rule, m.group(0))
            if not a or not b or sign is None:
                continue
            diff = a[-1].value - b[0].value
            half = a[-1].half + b[0].half
            actual = (diff > half) - (diff < -half)
            if actual != sign:
                out.emit(
                    rule,
                    (a[-1].line, a[-1].page),
                    p.text[lo:hi],
                    f"{a[-1].text} {m.group(0)} {b[0].text} does not hold",
                )


# ---------------------------------------------------------------- 4. empty tables


def _rows(t: Table) -> list[Row]:
    return [*t.rows, *(r for s in t.sections for r in s.rows)]


def is_empty(t: Table) -> bool:
    """No figure printed: no rows, or every value blank, a dash or 0."""
    return t.empty or all(
        not value_decimal(v) for r in _rows(t) for v in r.values
    )


def _subjects(rule: DisclosureCheckDef, title: str) -> list[str]:
    return [s for s in rule.subjects if s in title]


def _stated(rule: DisclosureCheckDef, doc: _Doc, t: Table | None, subjects: list[str]) -> bool:
    """The statement beside the table (its notes), or in the prose naming its subject."""
    if t is not None and any(_any(rule.statements, n) for n in t.notes):
        return True
    return any(
        _any(rule.statements, p.text) and any(s in p.text for s in subjects)
        for p in doc.paragraphs
    )


def _empty_table(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    for i, t in enumerate(doc.tables):
        empty = is_empty(t)
        if empty and t.definition in rule.tables:
            if not _stated(rule, doc, t, _subjects(rule, t.title)):
                out.emit(
                    rule,
                    _table_where(t),
                    t.title,
                    "the table prints no figure and no statement says why (本表无数据)",
                    table=(i, t),
                )
        elif not empty:
            note = next((n for n in t.notes if _any(rule.patterns, n)), None)
            if note is not None:
                out.emit(
                    rule,
                    _table_where(t),
                    note,
                    "a statement that the table is empty beside a table that prints figures",
                    table=(i, t),
                )
    _absent_tables(rule, doc, out)


def _absent_tables(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    """A table the family requires, missing, about which the prose says nothing."""
    found = {t.definition for t in doc.tables if t.definition}
    defs = doc.definitions
    family = defs.main_family(found)
    if family is None:
        return
    for group in family.required:
        if found.intersection(group) or not set(group) & set(rule.tables):
            continue
        tdef = defs.table(group[0])
        title = tdef.title if tdef else group[0]
        if not _stated(rule, doc, None, _subjects(rule, title)):
            out.emit(
                rule,
                (None, None),
                title,
                f"the table {title} is absent and no statement says why",
            )


# ---------------------------------------------------------------- 5. implausible values


def _share(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    limit = Decimal(rule.limit or "100")
    for p in doc.paragraphs:
        for pattern in rule.patterns:
            for m in re.finditer(pattern, p.text):
                pct = value_decimal(m.group("pct"))
                if pct is not None and pct > limit:
                    out.emit(
                        rule,
                        (p.line_at(m.start()), p.page_at(m.start())),
                        _excerpt(p.text, m.start(), m.end()),
                        f"a share of {m.group('pct')}% (above {limit}%)",
                    )


def _zero_total(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    for i, t in enumerate(doc.tables):
        for _, _, rows in t.row_groups():
            totals = [r for r in rows if r.role in rule.roles or r.level in rule.roles]
            items = [r for r in rows if r not in totals]
            for r in totals:
                for j, v in enumerate(r.values):
                    if v is None or value_decimal(v) != 0:
                        continue
                    spent = [x for x in items if _positive(x, j)]
                    if spent:
                        cell = r.cells[j] if j < len(r.cells) else None
                        out.emit(
                            rule,
                            (cell.line if cell else r.line, cell.page if cell else r.page),
                            f"{r.name or r.code}: {v}",
                            f"the total {r.name or r.code} prints {v} in column {j + 1} "
                            f"while {len(spent)} of its rows print amounts",
                            table=(i, t),
                        )


def _positive(r: Row, j: int) -> bool:
    return j < len(r.values) and (value_decimal(r.values[j]) or 0) > 0


def _negative(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    for i, t in enumerate(doc.tables):
        if t.definition is None:
            continue  # an unknown table may hold anything
        for _, columns, rows in t.row_groups():
            for r in rows:
                if r.name and _any(rule.exempt, r.name):
                    continue
                for j, v in enumerate(r.values):
                    d = value_decimal(v)
                    name = columns[j].name if j < len(columns) else ""
                    if d is None or d >= 0 or _any(rule.exempt, name):
                        continue
                    cell = r.cells[j] if j < len(r.cells) else None
                    out.emit(
                        rule,
                        (cell.line if cell else r.line, cell.page if cell else r.page),
                        f"{r.name or r.code} / {name}: {v}",
                        f"a negative amount {v} where none can be ({name})",
                        table=(i, t),
                    )


# ---------------------------------------------------------------- 6. punctuation


def _doubled(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    for text, line, page in doc.prose:
        if not text:
            continue
        for pattern in rule.patterns:
            for m in re.finditer(pattern, text):
                out.emit(
                    rule,
                    (line, page),
                    _excerpt(text, m.start(), m.end()),
                    f"punctuation printed twice: {m.group(0)!r}",
                )


def _duplicate(rule: DisclosureCheckDef, doc: _Doc, out: _Out) -> None:
    """A paragraph printed again within ``window`` paragraphs of the first (the first may
    carry its heading on the same run of text: the copy is then its tail)."""
    paras = doc.paragraphs
    for k, p in enumerate(paras):
        if len(p.text) < rule.min_chars or _any(rule.exempt, p.text):
            continue
        lo = max(0, k - rule.window) if rule.window else 0
        first = next((f for f in paras[lo:k] if f.text.endswith(p.text)), None)
        if first is None:
            continue
        at = f"l.{first.line_at(0)}" if first.line_at(0) is not None else f"p.{first.page_at(0)}"
        out.emit(
            rule,
            (p.line_at(0), p.page_at(0)),
            _excerpt(p.text, 0, 40, 0),
            f"the paragraph is printed twice (first at {at})",
        )


_Run = Callable[[DisclosureCheckDef, _Doc, _Out], None]
_RUNS: dict[tuple[str, str], _Run] = {
    ("placeholder", ""): _placeholder,
    ("year", ""): _year,
    ("direction", "growth"): _growth,
    ("direction", "compare"): _compare,
    ("empty_table", ""): _empty_table,
    ("implausible", "share"): _share,
    ("implausible", "zero_total"): _zero_total,
    ("implausible", "negative"): _negative,
    ("punctuation", "doubled"): _doubled,
    ("punctuation", "duplicate"): _duplicate,
}


def disclosure_checks(
    rows: Sequence[SourceRow],
    prose: Sequence[ProseLine],
    tables: Sequence[Table],
    definitions: Definitions,
    year: int | None,
    barrier: Barrier | None = None,
) -> list[Check]:
    """The failing family C checks of a document, each with its evidence. Under ``barrier``
    a check that raises is ``internal.disclosure`` and the other checks still run."""
    doc = _Doc(rows, prose, tables, definitions, year)
    out = _Out()
    guard = or_reraise(barrier)
    for rule in definitions.disclosure:
        run = _RUNS.get((rule.kind, rule.test))
        if not rule.enabled or run is None:
            continue
        with guard.guard("disclosure", f"the disclosure check {rule.id}", undo=out.checks):
            run(rule, doc, out)
    return out.checks
