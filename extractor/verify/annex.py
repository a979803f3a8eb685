"""Annex checks: the 绩效自评表 (performance self-evaluation) and 绩效评价基础数据表 that follow
the tables of some reports. Their grids are irregular (cells drift between rows), so they are
read from the region's rows by meaning, not mapped as tables:

- 总分: the printed 分值 and 得分 totals = the funds line's plus every indicator's (soft);
- 执行率 = 全年执行数 / 全年预算数, at the printed precision (soft);
- a project's 全年执行数 (and 年初预算数) = the 基础数据表 line of the same project (soft).

A 总分 that fails while an indicator row holds only fragments of text and no score is upstream
damage (a row lost its numbers at a page break, SPEC.md §3): the check says so and is never
repaired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from extractor.barrier import Barrier, or_reraise
from extractor.errors import Code
from extractor.layout.grid import norm
from extractor.model import CellRef, Check, Classification, Region, SourceRow
from extractor.numbers import parse_amount

_SELF_EVAL = re.compile(r"绩效自评表$")
_BASE_DATA = re.compile(r"绩效评价基础数据表$")
_INT = re.compile(r"^\d{1,3}$")
_PCT = re.compile(r"^(\d+(?:\.\d+)?)%$")


@dataclass(frozen=True)
class _Score:
    value: int
    line: int | None
    page: int | None


def _texts(row: SourceRow) -> list[str]:
    return [norm(t) for t in row.texts]


def _ints(row: SourceRow) -> list[int]:
    return [int(t) for t in _texts(row) if _INT.match(t)]


def _amount(text: str) -> Decimal | None:
    a = parse_amount(text)
    return a.value if a is not None and a.value is not None else None


# the rule of each kind of annex check
_RULES = {
    "execution_rate": Code.VERIFY_ANNEX_EXECUTION_RATE,
    "vs_base_data": Code.VERIFY_ANNEX_VS_BASE_DATA,
    "score_total": Code.VERIFY_ANNEX_SCORE_TOTAL,
}


class _Annex:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def emit(
        self,
        kind: str,
        table: str,
        row: SourceRow,
        printed: str,
        computed: str,
        ok: bool,
        message: str,
        classification: Classification = "source_inconsistency",
    ) -> None:
        self.checks.append(
            Check(
                id=f"annex/{table}/{kind}@{row.line}/{len(self.checks)}",
                rule=_RULES[kind],
                family="A",
                severity="soft",
                status="pass" if ok else "fail",
                classification=None if ok else classification,
                expression=kind,
                expected=computed,
                actual=printed,
                cells=[
                    CellRef(
                        table=table,
                        row=f"l.{row.line}" if row.line is not None else f"p.{row.page}",
                        column=kind,
                        value=printed,
                        line=row.line,
                        page=row.page,
                        table_index=-1,
                        row_index=-1,
                        col_index=-1,
                    )
                ],
                message=message,
            )
        )


def _base_data(regions: Sequence[Region]) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """Project name -> (预算数, 决算数) of the current year from the 基础数据表."""
    out: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for reg in regions:
        if not _BASE_DATA.search(norm(reg.title)):
            continue
        budget_pos: int | None = None
        final_pos: int | None = None
        for r in reg.rows:
            texts = _texts(r)
            heads = [j for j, t in enumerate(texts) if re.search(r"\d{4}年(预算|决算)数", t)]
            if heads:
                budget_pos = next((j for j in heads if "预算" in texts[j]), budget_pos)
                final_pos = max((j for j in heads if "决算" in texts[j]), default=final_pos)
                continue
            if final_pos is None or not texts or not texts[0]:
                continue
            b = (
                _amount(texts[budget_pos])
                if budget_pos is not None and budget_pos < len(texts)
                else None
            )
            f = _amount(texts[final_pos]) if final_pos < len(texts) else None
            out.setdefault(texts[0], (b, f))
    return out


def _self_eval(
    reg: Region, base: dict[str, tuple[Decimal | None, Decimal | None]], a: _Annex
) -> None:
    table = reg.table_id or norm(reg.title)
    rows = reg.rows
    name = None
    funds_head = next((i for i, r in enumerate(rows) if "执行率" in "".join(_texts(r))), None)
    score_head = next(
        (
            i
            for i, r in enumerate(rows)
            if {"分值", "得分"} <= set(_texts(r)) and "执行率" not in _texts(r)
        ),
        None,
    )
    total = next(
        (i for i, r in enumerate(rows) if any(t in ("总分", "合计得分") for t in _texts(r)[:3])),
        None,
    )
    for r in rows:
        texts = _texts(r)
        if texts and "项目支出名称" in texts[0]:
            name = next((t for t in texts[1:] if t), None)
    # the funds line: 年初预算数 全年预算数 全年执行数 | 分值 | 执行率 | 得分
    funds_score: tuple[int, int] | None = None
    if funds_head is not None:
        for r in rows[funds_head + 1 : score_head or len(rows)]:
            texts = _texts(r)
            pct = next((j for j, t in enumerate(texts) if _PCT.match(t)), None)
            if pct is None or pct == 0 or not _INT.match(texts[pct - 1]):
                continue
            after = next((t for t in texts[pct + 1 :] if t), "")
            funds_score = (int(texts[pct - 1]), int(after) if _INT.match(after) else 0)
            nums = [a for a in map(_amount, texts[: pct - 1]) if a is not None]
            if len(nums) >= 2:
                plan, spent = nums[-2], nums[-1]
                m = _PCT.match(texts[pct])
                assert m is not None and plan is not None and spent is not None
                if plan > 0:
                    rate = spent / plan * 100
                    printed = Decimal(m.group(1))
                    ok = abs(rate - printed) < 1
                    a.emit(
                        "execution_rate",
                        table,
                        r,
                        texts[pct],
                        f"{rate:.2f}%",
                        ok,
                        f"{table} l.{r.line}: 执行率 {texts[pct]} vs 全年执行数 {spent}"
                        " / 全年预算数 "
                        f"{plan} = {rate:.2f}%",
                    )
                if name is not None and name in base and len(nums) >= 3:
                    _, final = base[name]
                    if final is not None:
                        a.emit(
                            "vs_base_data",
                            table,
                            r,
                            str(spent),
                            str(final),
                            final == spent,
                            f"{table} l.{r.line}: {name} 全年执行数 {spent}; the 基础数据表 says "
                            f"{final}",
                        )
            break
    if score_head is None or total is None or total <= score_head:
        return
    points = got = 0
    silent: list[SourceRow] = []
    for r in rows[score_head + 1 : total]:
        ints = _ints(r)
        if len(ints) >= 2:
            points += ints[-2]
            got += ints[-1]
        elif any(len(t) == 1 and not t.isdigit() for t in _texts(r)):
            silent.append(r)  # fragments of text and no score: a row cut short
    totals = _ints(rows[total])
    if len(totals) < 2:
        return
    fp, fg = funds_score or (0, 0)
    lost = ", ".join(f"l.{r.line}" for r in silent)
    for what, want, have in (("分值", totals[-2], points + fp), ("得分", totals[-1], got + fg)):
        ok = want == have
        why = (
            f"; nothing could be read on {lost}: a row lost its numbers upstream, "
            "no repair is possible"
            if silent and not ok
            else ""
        )
        a.emit(
            "score_total",
            table,
            rows[total],
            str(want),
            str(have),
            ok,
            f"{table} l.{rows[total].line}: 总分 {what} {want} vs Σ {have}{why}",
            classification="extraction_error" if silent else "source_inconsistency",
        )


def annex_checks(regions: Sequence[Region], barrier: Barrier | None = None) -> list[Check]:
    """Score totals, execution rates and the agreement with the 基础数据表, for every
    绩效自评表 region of the document. Under ``barrier`` an annex whose check raises is
    ``internal.annex`` (its checks taken back); the other annexes are checked."""
    guard = or_reraise(barrier)
    a = _Annex()
    base: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    with guard.guard("annex", "the 绩效评价基础数据表"):
        base = _base_data(regions)
    for reg in regions:
        if _SELF_EVAL.search(norm(reg.title)):
            name = reg.table_id or norm(reg.title)
            page = reg.pages[0] if reg.pages else None
            with guard.guard("annex", name, line=reg.start_line, page=page, undo=a.checks):
                _self_eval(reg, base, a)
    return a.checks
