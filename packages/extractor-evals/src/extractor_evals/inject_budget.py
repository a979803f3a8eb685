"""Labeled source inconsistencies for generated 部门预算 reports (generate_budget.py).

Each kind changes the DOCUMENT (the printed report no longer adds up), so the changed document
is the truth of the case and a correct pipeline reports a source inconsistency at the label:

- ``source.total``: a 合计/总计 cell of 附件3, 4 or 9;
- ``source.leaf``: a 项 cell of 附件3, 4 or 9;
- ``source.cross_table``: an economic item of 附件20 with its 类 and 合计 rows (总计 and its
  人员/公用经费 column together): 附件20 still adds up, but no longer equals 附件9/10/11;
- ``narrative.percent``: the 基本支出 share "占P%" of the 情况说明 is off by 1-9 points.

Every change is at least 0.05 (amounts) or one point (percentages), beyond any tolerance. The
``traps`` option prints the 004 layout traps (render_budget.TRAPS: unlabeled reading hazards,
not source errors): the pipeline must still read every cell.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from extractor_evals.generate_budget import generate_budget_report
from extractor_evals.inject import Injection, _cents, _delta, _money, _signed
from extractor_evals.money import share_percent
from extractor_evals.render_budget import assign_budget_lines, render_budget_report

__all__ = ["BUDGET_KINDS", "inject_budget_source", "make_budget_case"]

BUDGET_KINDS = ("source.total", "source.leaf", "source.cross_table", "narrative.percent")
_CODED = (3, 4, 9)


def _name(table: dict[str, Any]) -> str:
    """The table as a label names it: its printed 附件 number, else its 目录 number."""
    return str(table.get("table_id") or f"附件{table['toc_no']}")


def _coded_cells(doc: dict[str, Any], total: bool) -> list[tuple[int, int, int]]:
    out = []
    for ti, t in enumerate(doc["tables"]):
        if t["toc_no"] not in _CODED:
            continue
        for ri, r in enumerate(t.get("rows") or []):
            if (r.get("level") == "total") != total:
                continue
            out += [(ti, ri, ci) for ci, v in enumerate(r["values"]) if v is not None]
    return out


def _change(rng: random.Random, value: str | None) -> tuple[int, str]:
    old = _cents(value)
    change = _signed(rng, old, _delta(rng))
    return change, _money(old + change)


def inject_budget_source(
    doc: dict[str, Any], rng: random.Random, kind: str
) -> tuple[dict[str, Any], Injection]:
    """A changed copy of ``doc`` (lines reassigned) and the label of the change."""
    if kind not in BUDGET_KINDS:
        raise ValueError(f"not a budget injection kind: {kind!r}")
    out = copy.deepcopy(doc)
    if kind == "narrative.percent":
        return out, _narrative(out, rng)
    if kind == "source.cross_table":
        ti = next(i for i, t in enumerate(out["tables"]) if t["toc_no"] == 20)
        rows = out["tables"][ti]["rows"]
        items = [i for i, r in enumerate(rows) if r.get("level") == "款" and r["values"][0]]
        # 30217/30231/30212 feed the 三公 table: left alone so one identity family moves
        items = [i for i in items if rows[i]["code"] not in ("30217", "30231", "30212")]
        ri = rng.choice(items)
        item = rows[ri]
        col = 1 if item["values"][1] is not None else 2
        change, _ = _change(rng, item["values"][0])
        total_row = rows[0]
        before = total_row["values"][0]
        parent = next(r for r in rows if r.get("code") == item["code"][:3])
        for r in (item, parent, total_row):
            for c in (0, col):
                r["values"][c] = _money(_cents(r["values"][c]) + change)
        assign_budget_lines(out)
        return out, Injection(
            kind,
            "source_inconsistency",
            _name(out["tables"][ti]),
            None,
            0,
            0,
            total_row["line"],
            before,
            total_row["values"][0],
        )
    cands = _coded_cells(out, total=kind == "source.total")
    ti, ri, ci = rng.choice(cands)
    row = out["tables"][ti]["rows"][ri]
    before = row["values"][ci]
    _, row["values"][ci] = _change(rng, before)
    assign_budget_lines(out)
    return out, Injection(
        kind,
        "source_inconsistency",
        _name(out["tables"][ti]),
        None,
        ri,
        ci,
        row["line"],
        before,
        row["values"][ci],
    )


def _narrative(doc: dict[str, Any], rng: random.Random) -> Injection:
    """Record a wrong 基本支出 share: the text renders it from ``meta.narrative_override``."""
    facts = doc["meta"]["facts"]
    true = Decimal(share_percent(facts["basic"], facts["total"]))
    step = Decimal(rng.randint(100, 900)) / 100
    wrong = true + step if true + step <= 100 or true - step < 0 else true - step
    doc["meta"]["narrative_override"] = {"basic_share": str(wrong)}
    line = int(doc["meta"]["narrative_lines"]["expense"])
    return Injection(
        "narrative.percent",
        "source_inconsistency",
        "narrative",
        None,
        0,
        0,
        line,
        str(true),
        str(wrong),
    )


def make_budget_case(
    seed: int, kind: str | None, *, traps: Collection[str] = ()
) -> tuple[str, dict[str, Any], list[Injection]]:
    """(report text, truth document, injections) for a generated budget; kind None = clean.

    Deterministic from (seed, kind, traps)."""
    doc = generate_budget_report(seed)
    if kind is None:
        return render_budget_report(doc, traps=traps), doc, []
    rng = random.Random(f"inject-budget:{seed}:{kind}")
    changed, injection = inject_budget_source(doc, rng, kind)
    text = render_budget_report(changed, traps=traps)
    if kind == "narrative.percent":
        assert re.search(re.escape(f"占{injection.after}%"), text)
    return text, changed, [injection]
