"""Evaluate every identity of the report definitions against the extracted tables.

Pure and deterministic: the same tables give the same checks in the same order. Every
identity instance becomes one ``Check`` (all failures are reported, none short-circuits);
an identity with a missing term is ``not_evaluated``; identities whose terms are all blank
(nothing printed) are trivial and not listed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial

from extractor.barrier import Barrier, or_reraise
from extractor.definitions import Definitions, IdentityDef
from extractor.errors import Code
from extractor.model import CellRef, Check, Column, Row, Table
from extractor.numbers import Amount, AmountKind, parse_amount
from extractor.verify.intervals import Relation, compare
from extractor.verify.rules import Ref, parse_equation

_RULES = {
    "R": Code.VERIFY_ROW_SUM,
    "H": Code.VERIFY_TREE_SUM,
    "T": Code.VERIFY_TOTAL,
    "X": Code.VERIFY_CROSS_TABLE,
    "D": Code.VERIFY_DIFFERENCE,
    "N": Code.VERIFY_NARRATIVE,
    "B": Code.VERIFY_BUDGET,
    "G": Code.VERIFY_GENERIC_SUM,
}


@dataclass(frozen=True)
class Operand:
    sign: int
    amount: Amount
    ref: CellRef


def _amount(value: str | None) -> Amount:
    a = parse_amount(value or "")
    return a if a is not None else Amount(AmountKind.BLANK, "", None, None, 0)


@dataclass(frozen=True)
class _Scope:
    """A table, or one section of a two-sided/sectioned table: rows and columns."""

    table_index: int
    table: Table
    section: str | None
    columns: list[Column]
    rows: list[Row]


def _scopes(table: Table, index: int) -> list[_Scope]:
    if table.sections:
        return [_Scope(index, table, s.key or s.section, s.columns, s.rows) for s in table.sections]
    return [_Scope(index, table, None, table.columns, table.rows)]


def _row_label(row: Row) -> str:
    if row.code:
        return row.code
    if row.name:
        return row.name
    if row.row_no is not None:
        return f"行次{row.row_no}"
    return "row"


def _cell_ref(scope: _Scope, ri: int, ci: int) -> CellRef:
    row = scope.rows[ri]
    col = scope.columns[ci]
    cell = row.cells[ci] if ci < len(row.cells) else None
    return CellRef(
        table=scope.table.table_id or scope.table.title,
        title=scope.table.title,
        section=scope.section,
        row=_row_label(row),
        column=col.name + (f"({col.col_no})" if col.col_no else ""),
        value=row.values[ci] if ci < len(row.values) else None,
        line=cell.line if cell and cell.line is not None else row.line,
        page=cell.page if cell and cell.page is not None else row.page,
        bbox=cell.bbox if cell else None,
        table_index=scope.table_index,
        row_index=ri,
        col_index=ci,
    )


_HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def _top_codes(rows: Sequence[Row], among: Sequence[int]) -> list[int]:
    """Those of the rows ``among`` whose code has no shorter code among them as a prefix."""
    codes = {rows[i].code for i in among if rows[i].code}
    return [
        i
        for i in among
        if not any(c != rows[i].code and (rows[i].code or "").startswith(c) for c in codes if c)
    ]


def _empty_ref(scope: _Scope, ci: int) -> CellRef:
    """The total cell of a table printed without any data row."""
    t = scope.table
    col = scope.columns[ci]
    return CellRef(
        table=t.table_id or t.title,
        title=t.title,
        section=scope.section,
        row="(no data row)",
        column=col.name + (f"({col.col_no})" if col.col_no else ""),
        value=None,
        line=t.source_lines[0][0] if t.source_lines else None,
        page=t.pages[0] if t.pages else None,
        table_index=scope.table_index,
        row_index=-1,
        col_index=ci,
    )


def _col_index(scope: _Scope, key: str) -> int | None:
    return next((i for i, c in enumerate(scope.columns) if c.key == key), None)


class Verifier:
    """Runs the identities of the matched definitions over one document's tables."""

    def __init__(
        self, definitions: Definitions, tables: Sequence[Table], barrier: Barrier | None = None
    ) -> None:
        self.barrier = or_reraise(barrier)
        self.defs = definitions
        self.tables = list(tables)
        self.by_def: dict[str, int] = {}
        for i, t in enumerate(self.tables):
            if t.definition and t.definition not in self.by_def:
                self.by_def[t.definition] = i
        self.checks: list[Check] = []
        self._precision: dict[tuple[int, str | None], int] = {}

    # ------------------------------------------------------------ cells as operands

    def _scope_precision(self, scope: _Scope) -> int:
        """The usual precision of a table (or section): "60" among amounts printed "59.60" stands
        for 60.00 (trailing zeros dropped, SPEC.md §1), so its tolerance is ±0.005, not ±0.5.
        The most common printed precision, so one "1,535.174" does not tighten all others."""
        key = (scope.table_index, scope.section)
        if key not in self._precision:
            precs = Counter(
                a.precision
                for r in scope.rows
                for v in r.values
                for a in [_amount(v)]
                if a.kind is AmountKind.NUMBER
            )
            self._precision[key] = (
                max(precs.items(), key=lambda kv: (kv[1], kv[0]))[0] if precs else 0
            )
        return self._precision[key]

    def _value(self, scope: _Scope, ri: int, ci: int) -> Amount | None:
        """The cell as an amount at its column's precision; None if the cell holds text that
        is not an amount (unreadable: a term that cannot be evaluated)."""
        row = scope.rows[ri]
        cell = row.cells[ci] if ci < len(row.cells) else None
        if cell is not None and cell.status == "unparsed":
            return None
        a = _amount(row.values[ci] if ci < len(row.values) else None)
        if a.kind is AmountKind.NUMBER:
            prec = self._scope_precision(scope)
            if prec > a.precision:
                a = replace(a, precision=prec)
        return a

    def _operand(self, scope: _Scope, ri: int, ci: int, sign: int = 1) -> Operand | None:
        a = self._value(scope, ri, ci)
        return None if a is None else Operand(sign, a, _cell_ref(scope, ri, ci))

    def _unreadable(
        self, check_id: str, ident: IdentityDef, expression: str, refs: list[CellRef]
    ) -> None:
        self._emit(
            check_id=check_id,
            ident=ident,
            expression=expression,
            lhs=[],
            rhs=[],
            relation="=",
            missing="unreadable value in "
            + ", ".join(f"{c.table} {c.row} {c.column}" for c in refs),
            cells=refs,
        )

    # ------------------------------------------------------------ resolution

    def _scope(self, table_index: int, section: str | None) -> _Scope | None:
        for s in _scopes(self.tables[table_index], table_index):
            if section is None or s.section == section:
                return s
        return None

    def _select_rows(
        self, scope: _Scope, ref: Ref, partial: bool = False
    ) -> list[tuple[int, bool]] | None:
        """(row index, optional) pairs the selector names; None if a required row is missing."""
        sel = ref.selector
        rows = scope.rows
        if sel.kind == "total":
            idx = [i for i, r in enumerate(rows) if r.level == "total"]
            if not idx and len(rows) == 1:
                idx = [0]  # a table of one row (one unit, one 三公 line) is its own total
            return [(idx[0], False)] if idx else None
        if sel.kind == "under":
            return self._under(rows, sel.items[0][0])
        if sel.kind == "prefix":
            code = sel.items[0][0]
            under = [i for i, r in enumerate(rows) if r.code and r.code.startswith(code)]
            return [(i, False) for i in _top_codes(rows, under)] or None
        if sel.kind == "level":
            return [
                (i, False) for i, r in enumerate(rows) for name, _ in sel.items if r.level == name
            ]
        out: list[tuple[int, bool]] = []
        for name, optional in sel.items:
            if sel.kind == "role":
                found = [
                    i
                    for i, r in enumerate(rows)
                    if r.role and (r.role == name or r.role.startswith(name + ":"))
                ]
            elif sel.kind == "class":
                found = [i for i, r in enumerate(rows) if r.role and r.role.endswith(":" + name)][
                    :1
                ]
            else:
                found = [i for i, r in enumerate(rows) if r.code == name][:1]
            if not found and not optional and not partial:
                return None
            out.extend((i, optional) for i in found)
        return out

    @staticmethod
    def _under(rows: Sequence[Row], role: str) -> list[tuple[int, bool]] | None:
        """The rows below the row of ``role`` up to the next numbered heading or total."""
        head = next((i for i, r in enumerate(rows) if r.role == role), None)
        if head is None:
            return None
        out: list[tuple[int, bool]] = []
        for i in range(head + 1, len(rows)):
            name = rows[i].name or ""
            if _HEADING.match(name) or "合计" in name or "总计" in name:
                break
            if name:
                out.append((i, False))
        return out

    def _resolve(self, ref: Ref, home: int | None) -> list[Operand | CellRef] | None:
        """Operands of a reference; a CellRef in the list marks an unreadable cell. Optional
        items printed as "——" (not applicable) are left out."""
        ti = self.by_def.get(ref.table) if ref.table else home
        if ti is None:
            return None
        scopes = [s for s in _scopes(self.tables[ti], ti) if ref.section in (None, s.section)]
        if ref.section is None and self.tables[ti].layout != "sectioned":
            scopes = scopes[:1]
        out: list[Operand | CellRef] = []
        found_any = False
        for scope in scopes:
            ci = _col_index(scope, ref.col)
            if ci is None:
                continue
            if not scope.rows and scope.table.empty and ref.selector.kind == "total":
                # a table printed with no data row ("无", 本表无数据) is a table of zeros
                found_any = True
                out.append(Operand(1, _amount(None), _empty_ref(scope, ci)))
                continue
            rows = self._select_rows(scope, ref, partial=len(scopes) > 1)
            if rows is None:
                continue
            found_any = found_any or bool(rows)
            for ri, optional in rows:
                op = self._operand(scope, ri, ci)
                if op is None:
                    out.append(_cell_ref(scope, ri, ci))
                elif not (optional and op.amount.kind is AmountKind.DASH):
                    out.append(op)
        if not found_any or (len(scopes) > 1 and not self._complete(ref, out)):
            return None
        return out

    @staticmethod
    def _complete(ref: Ref, got: list[Operand | CellRef]) -> bool:
        """Across sections: every required item of the selector was found somewhere."""
        return bool(got) or all(opt for _, opt in ref.selector.items)

    # ------------------------------------------------------------ evaluation

    def _emit(
        self,
        *,
        check_id: str,
        ident: IdentityDef,
        expression: str,
        lhs: list[Operand],
        rhs: list[Operand],
        relation: Relation,
        missing: str | None = None,
        cells: list[CellRef] | None = None,
    ) -> None:
        severity = ident.effective_severity
        cells = (cells or []) + [
            o.ref if o.sign > 0 else o.ref.model_copy(update={"sign": -1}) for o in lhs + rhs
        ]
        rule = _RULES[ident.family]

        def not_evaluated(why: str) -> None:
            self.checks.append(
                Check(
                    id=check_id,
                    rule=rule,
                    family=ident.family,
                    severity=severity,
                    status="not_evaluated",
                    expression=expression,
                    cells=cells,
                    message=f"not evaluated: {why}",
                )
            )

        if missing is not None:
            not_evaluated(missing)
            return
        if all(o.amount.kind is not AmountKind.NUMBER for o in lhs + rhs):
            return  # nothing printed: trivial
        if any(o.amount.kind is AmountKind.DASH for o in lhs + rhs):
            # "——" is not a number (SPEC §2): an identity needing it cannot be evaluated
            not_evaluated("a term is printed as '——' (not applicable)")
            return
        out = compare(
            [(o.sign, o.amount) for o in lhs], [(o.sign, o.amount) for o in rhs], relation
        )
        status: str = out.status
        if status == "fail" and ident.family in ("D", "G"):
            # a legitimate difference (D) or a guess about an unknown table (G) only warns;
            # other soft checks fail and are reported as findings
            status = "warn"
        if relation != "=" and status in ("rounding", "suspect"):
            status = "pass"
        printed = " + ".join(o.amount.text or "blank" for o in lhs)
        items = " ".join(
            f"{'-' if o.sign < 0 else '+'} {o.amount.text or 'blank'}" for o in rhs
        ).lstrip("+ ")
        where = ", ".join(f"{c.table} {c.row} {c.column}" for c in cells[: len(lhs)])
        msg = (
            f"{where}: printed {printed}, {relation} {items} = {out.rhs} "
            f"(Δ {out.delta}, tolerance ±{out.bound})"
        )
        self.checks.append(
            Check(
                id=check_id,
                rule=rule,
                family=ident.family,
                severity=severity,
                status=status,  # type: ignore[arg-type]
                expression=expression,
                expected=str(out.rhs),
                actual=str(out.lhs),
                delta=str(out.delta),
                tolerance=str(out.bound),
                lhs_terms=len(lhs),
                cells=cells,
                message=msg,
            )
        )

    def _equation(self, ident: IdentityDef, text: str, home: int | None, check_id: str) -> None:
        eq = parse_equation(text)
        if any(t.ref.table and t.ref.table not in self.by_def for t in eq.lhs + eq.rhs):
            return  # a table the identity names is not in this document
        sides: list[list[Operand]] = [[], []]
        missing: list[str] = []
        unreadable: list[CellRef] = []
        for k, terms in enumerate((eq.lhs, eq.rhs)):
            for t in terms:
                got = self._resolve(t.ref, home)
                if got is None:
                    missing.append(_describe(t.ref))
                    continue
                for g in got:
                    if isinstance(g, CellRef):
                        unreadable.append(g)
                    else:
                        sides[k].append(Operand(t.sign * g.sign, g.amount, g.ref))
        if unreadable:
            self._unreadable(check_id, ident, text, unreadable)
            return
        printed = any(
            o.amount.kind is AmountKind.NUMBER and o.amount.number != 0 for o in sides[0] + sides[1]
        )
        if (missing and not printed) or not sides[0]:
            return  # nothing to compare: the identity does not apply to this document
        self._emit(
            check_id=check_id,
            ident=ident,
            expression=text,
            lhs=sides[0],
            rhs=sides[1],
            relation=eq.relation,
            missing="missing " + ", ".join(missing) if missing else None,
        )

    def _row_identity(self, table_id: str, ident: IdentityDef, ti: int, n: int) -> None:
        eq = parse_equation(ident.expr)
        for scope in _scopes(self.tables[ti], ti):
            if ident.section is not None and scope.section != ident.section:
                continue
            found = {t.ref.col: _col_index(scope, t.ref.col.rstrip("?")) for t in eq.lhs + eq.rhs}
            idx = {k: v for k, v in found.items() if v is not None}
            absent = sorted(k for k, v in found.items() if v is None and not k.endswith("?"))
            if absent:
                self._emit(
                    check_id=f"{table_id}/{ident.family}{n}/columns",
                    ident=ident,
                    expression=ident.expr,
                    lhs=[],
                    rhs=[],
                    relation=eq.relation,
                    missing=f"column {', '.join(absent)} not found in the header",
                    # the table's columns are in doubt: every value it holds is uncertain
                    cells=[
                        _cell_ref(scope, ri, ci)
                        for ri, r in enumerate(scope.rows)
                        for ci in range(len(scope.columns))
                        if ci < len(r.values) and r.values[ci] is not None
                    ],
                )
                continue
            for ri, row in enumerate(scope.rows):
                if (
                    row.level not in ("类", "款", "项", "total")
                    and scope.table.layout == "function_coded"
                    and (not row.name or row.name.startswith("其中"))
                ):
                    continue
                ops: list[list[Operand]] = [[], []]
                bad: list[CellRef] = []
                for k, side in enumerate((eq.lhs, eq.rhs)):
                    for t in side:
                        if t.ref.col not in idx:
                            continue  # an optional column this table does not print
                        op = self._operand(scope, ri, idx[t.ref.col], t.sign)
                        if op is None:
                            bad.append(_cell_ref(scope, ri, idx[t.ref.col]))
                        else:
                            ops[k].append(op)
                cid = f"{table_id}/{ident.family}{n}/{_row_label(row)}@{ri}"
                if bad:
                    self._unreadable(cid, ident, ident.expr, bad)
                    continue
                self._emit(
                    check_id=cid,
                    ident=ident,
                    expression=ident.expr,
                    lhs=ops[0],
                    rhs=ops[1],
                    relation=eq.relation,
                )

    def _tree(self, table_id: str, ident: IdentityDef, ti: int, n: int) -> None:
        """Each code = Σ the codes two digits longer under it; the total = Σ the top codes
        printed (the 类 rows, or the 款/项 rows of a table that prints none above them)."""
        scope = _scopes(self.tables[ti], ti)[0]
        rows = scope.rows
        by_code = {r.code: i for i, r in enumerate(rows) if r.code}
        parents: list[tuple[int, list[int]]] = []
        for i, r in enumerate(rows):
            if not r.code:
                continue
            kids = [
                j for c, j in by_code.items() if len(c) == len(r.code) + 2 and c.startswith(r.code)
            ]
            if kids:
                parents.append((i, sorted(kids)))
        total = next((i for i, r in enumerate(rows) if r.level == "total"), None)
        roots = _top_codes(rows, [i for i, r in enumerate(rows) if r.code])
        if total is not None and roots:
            parents.append((total, roots))
        for ci, col in enumerate(scope.columns):
            if col.key is None and self.tables[ti].definition is not None:
                continue
            for pi, kids in parents:
                label = _row_label(rows[pi])
                self._sum_check(
                    scope,
                    pi,
                    kids,
                    ci,
                    ident,
                    f"{table_id}/{ident.family}{n}/{label}@{pi}/{col.key or ci}",
                    f"{label} = Σ children ({col.name})",
                )

    def _sum_check(
        self,
        scope: _Scope,
        pi: int,
        kids: Sequence[int],
        ci: int,
        ident: IdentityDef,
        check_id: str,
        expression: str,
    ) -> None:
        """Row ``pi`` = the sum of rows ``kids`` in column ``ci``; an unreadable term makes the
        check not evaluated (never a silent 0)."""
        terms = [self._operand(scope, k, ci) for k in (pi, *kids)]
        bad = [
            _cell_ref(scope, k, ci) for k, t in zip((pi, *kids), terms, strict=True) if t is None
        ]
        if bad:
            self._unreadable(check_id, ident, expression, bad)
            return
        ops = [t for t in terms if t is not None]
        self._emit(
            check_id=check_id,
            ident=ident,
            expression=expression,
            lhs=ops[:1],
            rhs=ops[1:],
            relation="=",
        )

    def _generic_total(self, ident: IdentityDef, ti: int) -> None:
        """An unknown table with one 合计/总计 row first or last: it sums the other rows."""
        scope = _scopes(self.tables[ti], ti)[0]
        rows = scope.rows
        totals = [i for i, r in enumerate(rows) if r.level == "total"]
        if len(totals) != 1 or totals[0] not in (0, len(rows) - 1) or len(rows) < 3:
            return
        self._total_rows(scope, totals[0], ident, f"table{ti}/G/total", printed_only=True)

    def _column_total(self, table_id: str, ident: IdentityDef, ti: int, n: int) -> None:
        """The table's total row (合计/总计) = the sum of its other rows, in each column."""
        for scope in _scopes(self.tables[ti], ti):
            totals = [i for i, r in enumerate(scope.rows) if r.level == "total"]
            if len(totals) == 1:
                self._total_rows(scope, totals[0], ident, f"{table_id}/{ident.family}{n}/total")

    def _total_rows(
        self,
        scope: _Scope,
        pi: int,
        ident: IdentityDef,
        prefix: str,
        printed_only: bool = False,
    ) -> None:
        """Row ``pi`` = Σ the other rows ("其中" rows left out), column by column: the keyed
        columns of a defined table, every column of an unknown one (``printed_only``: where
        the total prints a number)."""
        rows = scope.rows
        items = [
            i for i in range(len(rows)) if i != pi and not (rows[i].name or "").startswith("其中")
        ]
        keyed = scope.table.definition is not None and any(c.key for c in scope.columns)
        for ci, col in enumerate(scope.columns):
            if keyed and col.key is None:
                continue
            if printed_only:
                head = self._operand(scope, pi, ci)
                if head is None or head.amount.kind is not AmountKind.NUMBER:
                    continue
            self._sum_check(
                scope,
                pi,
                items,
                ci,
                ident,
                f"{prefix}@{pi}/{col.key or ci}" if printed_only else f"{prefix}/{col.key or ci}",
                f"{rows[pi].name} = Σ rows ({col.name})",
            )

    def _foreach_codes(self, ident: IdentityDef) -> list[str]:
        """Codes an identity runs over: 类 codes (class roles, 3-digit rows) or all codes
        present in every table the identity names."""
        eq = parse_equation(ident.expr.replace("{code}", "0"))
        per_table: list[set[str]] = []
        for t in eq.lhs + eq.rhs:
            if t.ref.table is None or t.ref.selector.kind not in ("class", "code"):
                continue
            ti = self.by_def.get(t.ref.table)
            if ti is None:
                return []
            codes: set[str] = set()
            for s in _scopes(self.tables[ti], ti):
                for r in s.rows:
                    if r.role and r.role.startswith("class:"):
                        codes.add(r.role.split(":", 1)[1])
                    elif r.code and (ident.foreach == "code" or len(r.code) == 3):
                        codes.add(r.code)
            per_table.append(codes)
        if not per_table:
            return []
        if ident.foreach == "code":
            return sorted(set.intersection(*per_table))
        return sorted(set.union(*per_table))

    # ------------------------------------------------------------ driver

    def _guarded(
        self, ident: IdentityDef, check_id: str, ti: int | None, run: Callable[[], None]
    ) -> None:
        """Evaluate one identity; if it raises, its checks are taken back and one
        ``not_evaluated`` check and an ``internal.verify`` error name it."""
        table = self.tables[ti] if ti is not None else None
        name = (table.table_id or table.title) if table is not None else "cross-table"
        line = table.source_lines[0][0] if table is not None and table.source_lines else None
        page = table.pages[0] if table is not None and table.pages else None
        what = f"{name}: identity {check_id} ({ident.expr or ident.kind})"
        with self.barrier.guard("verify", what, line=line, page=page, undo=self.checks) as g:
            run()
        if g.failed is not None:
            self._emit(
                check_id=f"{check_id}/internal",
                ident=ident,
                expression=ident.expr or ident.kind,
                lhs=[],
                rhs=[],
                relation="=",
                missing=f"the identity could not be evaluated ({g.failed.message})",
            )

    def _table_identity(self, tid: str, ident: IdentityDef, ti: int, n: int) -> None:
        if ident.kind == "row":
            self._row_identity(tid, ident, ti, n)
        elif ident.kind in ("tree", "econ_tree"):
            self._tree(tid, ident, ti, n)
        elif ident.kind == "column_total":
            self._column_total(tid, ident, ti, n)
        else:
            for text, suffix in _expand(ident):
                self._equation(ident, text, ti, f"{tid}/{ident.family}{n}{suffix}")

    def _cross_identity(self, fam: str, ident: IdentityDef, n: int) -> None:
        if ident.foreach:
            for code in self._foreach_codes(ident):
                cid = f"{fam}.cross/{ident.family}{n}/{code}"
                text = ident.expr.replace("{code}", code)
                self._guarded(ident, cid, None, partial(self._equation, ident, text, None, cid))
        else:
            for text, suffix in _expand(ident):
                self._equation(ident, text, None, f"{fam}.cross/{ident.family}{n}{suffix}")

    def run(self) -> list[Check]:
        for ti, table in enumerate(self.tables):
            tdef = self.defs.table(table.definition) if table.definition else None
            if tdef is None:
                generic = IdentityDef(kind="tree", family="G", severity="soft")
                if any(r.code for r in table.rows):
                    run = partial(self._tree, f"table{ti}", generic, ti, 0)
                else:
                    run = partial(self._generic_total, generic, ti)
                self._guarded(generic, f"table{ti}/G", ti, run)
                continue
            # a second table of the same definition (printed twice) is verified on its own;
            # cross-table identities use the first
            tid = tdef.id if self.by_def.get(tdef.id) == ti else f"{tdef.id}#{ti}"
            for n, ident in enumerate(tdef.identities):
                run = partial(self._table_identity, tid, ident, ti, n)
                self._guarded(ident, f"{tid}/{ident.family}{n}", ti, run)
        for fam in self.defs.families:
            for n, ident in enumerate(fam.cross):
                run = partial(self._cross_identity, fam.family, ident, n)
                self._guarded(ident, f"{fam.family}.cross/{ident.family}{n}", None, run)
        return self.checks


def _expand(ident: IdentityDef) -> Iterator[tuple[str, str]]:
    if ident.columns:
        for c in ident.columns:
            yield ident.expr.replace("{col}", c), f"/{c}"
    else:
        yield ident.expr, ""


def _describe(ref: Ref) -> str:
    sel = ",".join(n for n, _ in ref.selector.items) or ref.selector.kind
    return f"{ref.table or ''}{'.' + ref.section if ref.section else ''}[{sel}].{ref.col}".lstrip(
        "."
    )


def verify_tables(
    definitions: Definitions, tables: Sequence[Table], barrier: Barrier | None = None
) -> list[Check]:
    """All checks for one document's tables (pure). Under ``barrier`` an identity whose
    evaluation raises is ``not_evaluated`` and an ``internal.verify`` error; the others run."""
    return Verifier(definitions, tables, barrier).run()
