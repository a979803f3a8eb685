"""Generated 部门预算 reports: the 附件1-20 set of schemas/budget.toml, exact by construction.

``generate_budget_report(seed)`` returns ``{"meta": ..., "tables": [...]}`` in the truth JSON
shape (TABLE_FORMAT.md), deterministic from the seed; ``render_budget.render_budget_report``
prints it as 004-like text (目录, a short 情况说明, TAB rows, codes over 类/款/项 cells) and each
row's ``line`` is its line in that rendering.

Amounts are built bottom-up in integer cents: economic items of the basic spending (工资福利
301xx, 商品和服务 302xx, 对个人和家庭的补助 303xx) -> 附件20 -> 附件5/6/7 (all funds) and 10/11/12
(一般公共预算); projects -> 项 codes -> 附件3/4/9/13 and 附件15/17/18/19; totals -> 附件1/2/8;
三公 (附件16) from the 302 items. Every hard family-B identity and cross-table equality holds with
Δ = 0.

What varies with the seed: department, year (2018-2025, with the 类 names of the year), the 项
codes that carry money, the economic items and their amounts, projects and their funding
(经费拨款, 行政事业性收费/专项收入 inside 一般公共预算, 政府性基金), all-GPB or mixed funding (then
the all-funds tables differ from the 一般公共预算 ones and may hold fund-paid basic items),
basic spending on one 项 code (as 004) or spread over the personnel codes (养老, 医疗, 住房公积金;
the detail tables then print a 合计 row), coded tables with 项 rows only (as 004) or with their
类 and 款 rows, whether the summaries list every 类 of the year or only those with money, which
empty tables print "无" or no data row, which tables print their 附件 label (目录 gives the
number) and which print thousands separators.

Not generated: 纳入专户管理的非税收入, 其他收入 and 上年结转 (schemas/budget.toml equates 附件1
本年收入合计 with 附件8, which holds fiscal money only, so a report with them fails a hard
identity by definition), 国有资本经营预算, several units (附件2 lists one unit), and 004's
other printing quirks (headers one cell left of their grid, dropped trailing zeros "4.5").
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import extractor_evals.budget_catalog as cat
from extractor.definitions import default_schema_dir
from extractor_evals.budget_catalog import BUDGET_TOC, ECON_ITEMS
from extractor_evals.generate import (
    _BUREAUS,
    _CITY_1,
    _CITY_2,
    _DISTRICT_1,
    _DISTRICT_2,
    _GOV_FUND_LEAVES,
    CLASSES,
    _amount,
    _catalog,
    _cn_numeral,
    _is_basic,
    _money,
    _split,
)
from extractor_evals.money import share_percent
from extractor_evals.render_budget import assign_budget_lines

__all__ = [
    "BUDGET_TOC",
    "ECON_ITEMS",
    "class_name",
    "generate_budget_report",
    "share_percent",
]


def _load_old_names() -> dict[str, str]:
    path = default_schema_dir() / "function_classes.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(c): str(names[1]) for c, names in data["classes"].items() if len(names) > 1}


_OLD_NAMES: dict[str, str] = _load_old_names()


def class_name(code: str, year: int) -> str:
    """The 类 name printed in a report of ``year`` (older names before 2019)."""
    if year < 2019 and code in cat.RENAMED_2019:
        return _OLD_NAMES[code]
    return CLASSES[code]


# ------------------------------------------------------------------ the money model


@dataclass
class _Project:
    name: str
    code: str  # the 项 code it is booked under
    source: str  # grant | fee | special | fund
    kind: int  # index into cat.PROJECT_TYPES
    cents: int


@dataclass
class _Leaf:
    code: str
    name: str
    kuan: str
    kuan_name: str
    # basic spending by funding source and economic item: source -> code -> cents
    basic: dict[str, dict[str, int]] = field(default_factory=dict)
    projects: list[_Project] = field(default_factory=list)

    def basic_of(self, source: str | None, cls: str | None = None) -> int:
        srcs = [source] if source else list(self.basic)
        return sum(
            v
            for s in srcs
            for c, v in self.basic.get(s, {}).items()
            if cls is None or c.startswith(cls)
        )

    def project_of(self, source: str | None, kind: int | None = None) -> int:
        return sum(
            p.cents
            for p in self.projects
            if (source is None or _fiscal(p.source) == source) and kind in (None, p.kind)
        )


def _fiscal(source: str) -> str:
    """grant/fee/special are 一般公共预算 money; fund is 政府性基金."""
    return "fund" if source == "fund" else "gpb"


@dataclass(frozen=True)
class _Options:
    mixed: bool
    all_classes: bool
    empty_style: str  # "无" or "no_row"
    unlabeled: frozenset[int]
    thousands: frozenset[int]
    fund_basic: bool
    tree: bool  # coded tables print 类 and 款 rows above the 项 rows
    spread_basic: bool  # personnel items on their own 项 codes (detail tables get a 合计 row)


def _choose_options(rng: random.Random, mixed: bool | None) -> _Options:
    mix = rng.random() < 0.4 if mixed is None else mixed
    unlabeled = frozenset(n for n in cat.UNLABELED_CANDIDATES if rng.random() < 0.35)
    thousands = frozenset(n for n in (1, 3, 4, 8, 9, 15, 17, 18) if rng.random() < 0.3)
    return _Options(
        mixed=mix,
        all_classes=rng.random() < 0.6,
        empty_style=rng.choice(["无", "无", "no_row"]),
        unlabeled=unlabeled,
        thousands=thousands,
        fund_basic=mix and rng.random() < 0.4,
        tree=rng.random() < 0.4,
        spread_basic=rng.random() < 0.5,
    )


def _pick_leaves(
    rng: random.Random, own_cls: str, own_kuans: list[str], opts: _Options
) -> list[_Leaf]:
    """The 项 codes with money: the bureau's 行政运行-like item carries the basic spending,
    project items of its own 类 and of one or two others carry the projects."""
    catalog = {k: (kn, items) for k, kn, items in _catalog(own_cls)}
    # the basic spending sits on a 行政运行-like item: a 款 that has one, if the bureau has it
    with_basic = [k for k in own_kuans if any(_is_basic(n) for _c, n in catalog[k][1])]
    kuan = rng.choice(with_basic or own_kuans)
    kname, items = catalog[kuan]
    basic_items = [(c, n) for c, n in items if _is_basic(n)] or [items[0]]
    main = _Leaf(*rng.choice(basic_items), kuan, kname)
    leaves = [main]
    pool = [
        (c, n, k, catalog[k][0])
        for k in own_kuans
        for c, n in catalog[k][1]
        if not _is_basic(n) and c != main.code
    ]
    others = [
        c
        for c in CLASSES
        if c not in cat.NOT_LISTED and c not in {own_cls, "229", "231", "232", "233"}
    ]
    for cls in rng.sample(others, rng.randint(0, 2)):
        for k, kn, cls_items in _catalog(cls):
            pool += [(c, n, k, kn) for c, n in cls_items if not _is_basic(n)]
    for code, name, k, kn in sorted(rng.sample(pool, min(len(pool), rng.randint(1, 5)))):
        leaves.append(_Leaf(code, name, k, kn))
    if opts.mixed:
        _cls, k, kn, code, name = rng.choice(_GOV_FUND_LEAVES)
        leaves.append(_Leaf(code, name, k, kn))
    return leaves


def _fill(rng: random.Random, leaves: list[_Leaf], opts: _Options) -> None:
    main = leaves[0]
    # basic spending (一般公共预算): wages, goods, sometimes aid to individuals
    wages = _amount(rng, 3000, 800000)
    goods = wages * rng.randint(8, 35) // 100
    aid = wages * rng.randint(1, 8) // 100 if rng.random() < 0.35 else 0
    gpb: dict[str, int] = {}
    for pool, total, keep in (
        (cat.WAGE_POOL, wages, rng.randint(5, 11)),
        (cat.GOODS_POOL, goods, rng.randint(6, 16)),
        (cat.AID_POOL, aid, rng.randint(1, 3)),
    ):
        gpb.update(_split(rng, total, pool, keep))
    gpb.setdefault("30217", 0)
    if not gpb["30217"]:  # every department budgets some 公务接待费
        gpb["30217"] = _amount(rng, 10, 3000)
    main.basic["gpb"] = {c: v for c, v in gpb.items() if v}
    if opts.fund_basic:  # a fund pays part of the running costs: all-funds items grow
        fund_goods = _split(rng, _amount(rng, 100, max(101, goods // 3)), cat.GOODS_POOL, 3)
        main.basic["fund"] = fund_goods
    # projects
    used: set[str] = set()
    for leaf in leaves:
        fund_leaf = any(leaf.code == c for *_x, c, _n in _GOV_FUND_LEAVES) and opts.mixed
        n = rng.randint(1, 3) if leaf is not main else (1 if rng.random() < 0.3 else 0)
        for _ in range(n):
            word = rng.choice([w for w in cat.PROJECT_WORDS if leaf.name[:4] + w not in used])
            name = (leaf.name.removeprefix("其他").removesuffix("支出")[:8] or leaf.name) + word
            used.add(leaf.name[:4] + word)
            if fund_leaf:
                source = "fund"
            elif opts.mixed:
                source = rng.choice(["grant", "grant", "grant", "fee", "special"])
            else:
                source = "grant"
            kind = rng.choice([0, 1, 1, 1, 2, 4, 5]) if source != "fund" else rng.choice([1, 4])
            leaf.projects.append(
                _Project(name, leaf.code, source, kind, _amount(rng, 500, 3000000))
            )
    if opts.spread_basic:
        _spread_basic(main, leaves)


def _spread_basic(main: _Leaf, leaves: list[_Leaf]) -> None:
    """Move personnel items of the basic spending to their own 项 codes (养老, 医疗, 公积金)."""
    by_code = {lf.code: lf for lf in leaves}
    for econ, (code, name, kuan, kname) in cat.PERSONNEL_LEAVES.items():
        cents = main.basic["gpb"].get(econ, 0)
        if not cents or code == main.code:
            continue
        leaf = by_code.get(code)
        if leaf is None:
            leaf = by_code[code] = _Leaf(code, name, kuan, kname)
            leaves.append(leaf)
        leaf.basic.setdefault("gpb", {})[econ] = cents
        del main.basic["gpb"][econ]


# ------------------------------------------------------------------ tables


def _fmt(cents: int) -> str | None:
    """Budgets print blank for zero."""
    return _money(cents) if cents else None


def _split_code(code: str) -> str:
    return " ".join((code[:3], code[3:5], code[5:]))[: len(code) + 2].strip()


def _table(n: int, opts: _Options, short: str, layout: str) -> dict[str, Any]:
    toc_title, title, definition = BUDGET_TOC[n]
    return {
        "table_id": None if n in opts.unlabeled else f"附件{n}",
        "toc_no": n,
        "toc_title": toc_title,
        "title": title,
        "definition": definition,
        "department_as_printed": short,
        "unit": "万元",
        "layout": layout,
        "thousands": n in opts.thousands,
        "notes": [],
    }


def _coded_row(leaf: _Leaf, values: list[int]) -> dict[str, Any]:
    return {
        "code": leaf.code,
        "code_as_printed": _split_code(leaf.code),
        "level": "项",
        "name": leaf.name,
        "values": [_fmt(v) for v in values],
    }


def _total_row(name: str, values: list[int]) -> dict[str, Any]:
    return {
        "code": None,
        "code_as_printed": None,
        "level": "total",
        "name": name,
        "values": [_fmt(v) for v in values],
    }


def _by_type(leaf: _Leaf, source: str | None) -> list[int]:
    basic = [
        leaf.basic_of(source, "301"),
        leaf.basic_of(source, "302"),
        leaf.basic_of(source, "303"),
        0,
    ]
    project = [leaf.project_of(source, k) for k in range(len(cat.PROJECT_TYPES))]
    return [sum(basic) + sum(project), sum(basic), *basic, sum(project), *project]


def _sum_rows(rows: list[list[int]], width: int) -> list[int]:
    return [sum(r[i] for r in rows) for i in range(width)]


def _coded_table(
    n: int,
    opts: _Options,
    short: str,
    columns: list[str],
    leaves: list[_Leaf],
    values: Callable[[_Leaf], list[int]],
    total_name: str,
    year: int,
) -> dict[str, Any]:
    t = _table(n, opts, short, "function_coded")
    t["columns"] = [{"col_no": None, "name": c} for c in columns]
    vecs = [(lf, values(lf)) for lf in leaves]
    vecs = [(lf, v) for lf, v in vecs if any(v)]
    if not vecs:
        t["rows"] = []
        t["empty"] = True
        t["empty_as_printed"] = opts.empty_style
        return t
    width = len(columns)
    t["rows"] = [_total_row(total_name, _sum_rows([v for _, v in vecs], width))]
    if not opts.tree:
        t["rows"] += [_coded_row(lf, v) for lf, v in vecs]
        return t
    for cls in sorted({lf.code[:3] for lf, _ in vecs}):
        in_cls = [(lf, v) for lf, v in vecs if lf.code[:3] == cls]
        t["rows"].append(_group_row(cls, "类", class_name(cls, year), [v for _, v in in_cls]))
        for kuan in sorted({lf.kuan for lf, _ in in_cls}):
            in_kuan = [(lf, v) for lf, v in in_cls if lf.kuan == kuan]
            kname = in_kuan[0][0].kuan_name
            t["rows"].append(_group_row(kuan, "款", kname, [v for _, v in in_kuan]))
            t["rows"] += [_coded_row(lf, v) for lf, v in in_kuan]
    return t


def _group_row(code: str, level: str, name: str, vecs: list[list[int]]) -> dict[str, Any]:
    return {
        "code": code,
        "code_as_printed": _split_code(code),
        "level": level,
        "name": name,
        "values": [_fmt(v) for v in _sum_rows(vecs, len(vecs[0]))],
    }


def _detail_table(
    n: int,
    opts: _Options,
    short: str,
    columns: list[str],
    leaves: list[_Leaf],
    unit: tuple[str, str],
    values: Callable[[_Leaf], list[int]],
) -> dict[str, Any]:
    """附件5/6/7/10/11/12: a row per 项 code with basic spending of the table's kind, under a
    合计 row when there is more than one (004 prints a single row and no 合计)."""
    t = _table(n, opts, short, "function_coded")
    t["columns"] = [{"col_no": str(i + 1), "name": c} for i, c in enumerate(columns)]
    vecs = [(lf, values(lf)) for lf in leaves]
    vecs = [(lf, v) for lf, v in vecs if any(v)]
    if not vecs:
        t["rows"] = []
        t["empty"] = True
        t["empty_as_printed"] = opts.empty_style
        t["empty_unit"] = list(unit)
        return t
    rows = []
    for lf, v in vecs:
        row = _coded_row(lf, v)
        row["unit_code"], row["unit_name"] = unit
        rows.append(row)
    if len(rows) > 1:
        rows.insert(0, _total_row("合计", _sum_rows([v for _, v in vecs], len(columns))))
    t["rows"] = rows
    return t


def _wage_values(items: dict[str, int]) -> list[int]:
    v = [0] * len(cat.WAGE_COLUMNS)
    for code, _name, col in ECON_ITEMS["301"]:
        assert col is not None
        v[col] = items.get(code, 0)
    v[1] = sum(v[2:6])
    v[6] = sum(v[7:15])
    v[0] = v[1] + v[6] + v[15] + v[16] + v[17]
    return v


def _item_values(items: dict[str, int], cls: str, width: int) -> list[int]:
    v = [0] * width
    for code, _name, col in ECON_ITEMS[cls]:
        if col is not None:
            v[col] = items.get(code, 0)
    v[0] = sum(v[1:])
    return v


def _merge(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in sorted(set(a) | set(b))}


def _gpb(leaf: _Leaf) -> dict[str, int]:
    return leaf.basic.get("gpb", {})


def _all(leaf: _Leaf) -> dict[str, int]:
    return _merge(_gpb(leaf), leaf.basic.get("fund", {}))


def _listed(year: int, with_money: set[str], opts: _Options) -> list[str]:
    if not opts.all_classes:
        return sorted(with_money)
    listed = {c for c in CLASSES if c not in cat.NOT_LISTED and (c != "224" or year >= 2019)}
    return sorted(listed | with_money)


def _side(name: str | None, values: list[str | None]) -> dict[str, Any]:
    return {"row_no": None, "code": None, "name": name, "values": values}


# ------------------------------------------------------------------ the report


def generate_budget_report(seed: int, *, mixed: bool | None = None) -> dict[str, Any]:
    """A complete 部门预算 document (附件1-20) in the truth JSON shape, deterministic from
    ``seed``; each row's ``line`` is its line in ``render_budget_report(doc)``.

    mixed: True gives 一般公共预算 and 政府性基金 money (and non-tax income inside 一般公共预算),
    False 经费拨款 only; None lets the seed decide.
    """
    rng = random.Random(f"budget:{seed}")
    opts = _choose_options(rng, mixed)
    year = rng.randint(2018, 2025)
    bureau, own_cls, own_kuans = rng.choice(_BUREAUS)
    city = rng.choice(_CITY_1) + rng.choice(_CITY_2) + "市"
    district = rng.choice(_DISTRICT_1) + rng.choice(_DISTRICT_2) + rng.choice("区区区县")
    dept = f"{city}{district}{bureau}"
    short = f"{district[:2]}{bureau}"
    unit_code = f"{rng.randint(1, 999):03d}"
    unit = (unit_code, dept)

    leaves = _pick_leaves(rng, own_cls, own_kuans, opts)
    _fill(rng, leaves, opts)
    leaves = [lf for lf in leaves if lf.basic_of(None) or lf.projects]
    leaves.sort(key=lambda lf: lf.code)
    projects = [p for lf in leaves for p in lf.projects]

    def funding(lf: _Leaf) -> list[int]:
        g = lf.basic_of("gpb") + lf.project_of("gpb")
        f = lf.basic_of("fund") + lf.project_of("fund")
        return [g + f, g, f, 0, 0, 0]

    total = sum(funding(lf)[0] for lf in leaves)
    gpb_total = sum(funding(lf)[1] for lf in leaves)
    fund_total = sum(funding(lf)[2] for lf in leaves)
    fee = sum(p.cents for p in projects if p.source == "fee")
    special = sum(p.cents for p in projects if p.source == "special")
    income = {
        "gpb": gpb_total,
        "grant": gpb_total - fee - special,
        "nontax": fee + special,
        "fee": fee,
        "special": special,
        "fund": fund_total,
        "zero": 0,
    }
    gpb_items: dict[str, int] = {}
    for lf in leaves:
        gpb_items = _merge(gpb_items, _gpb(lf))
    basic_all = sum(lf.basic_of(None) for lf in leaves)
    basic_gpb = sum(lf.basic_of("gpb") for lf in leaves)
    project_all = sum(p.cents for p in projects)
    by_type_all = _sum_rows([_by_type(lf, None) for lf in leaves], 13)
    by_type_gpb = _sum_rows([_by_type(lf, "gpb") for lf in leaves], 13)

    tables: list[dict[str, Any]] = []
    # ---- 附件1 部门收支总表 (three-sided)
    with_money = {lf.code[:3] for lf in leaves}
    listed = _listed(year, with_money, opts)
    class_total = {c: sum(funding(lf)[0] for lf in leaves if lf.code[:3] == c) for c in listed}
    t1 = _table(1, opts, short, "three_sided")
    inc_rows = [
        _side(n, [_fmt(income[k])]) for n, k in cat.SUMMARY_INCOME + cat.SUMMARY_INCOME_MORE
    ]
    inc_rows += [
        _side("本年收入合计", [_fmt(total)]),
        _side("五、用事业基金弥补收支差额", [None]),
        _side("收入总计", [_fmt(total)]),
    ]
    cls_rows = [
        _side(f"{_cn_numeral(i + 1)}、{class_name(c, year)}", [_fmt(class_total[c])])
        for i, c in enumerate(listed)
    ]
    cls_rows += [_side("本年支出合计", [_fmt(total)]), _side("支出总计", [_fmt(total)])]
    econ_rows = [_side("一、基本支出", [_fmt(by_type_all[1])])]
    econ_rows += [
        _side(n.removeprefix("一般"), [_fmt(v)])
        for n, v in zip(cat.BASIC_TYPES, by_type_all[2:6], strict=True)
    ]
    econ_rows += [_side("二、项目支出", [_fmt(by_type_all[6])])]
    econ_rows += [
        _side(n, [_fmt(v)]) for n, v in zip(cat.PROJECT_TYPES, by_type_all[7:], strict=True)
    ]
    econ_rows += [_side("本年支出合计", [_fmt(total)]), _side("支出总计", [_fmt(total)])]
    col = [{"col_no": None, "name": "本年预算"}]
    t1["sections"] = [
        {"section": "收入", "columns": col, "rows": inc_rows},
        {"section": "支出（功能分类）", "columns": col, "rows": cls_rows},
        {"section": "支出（经济分类）", "columns": col, "rows": econ_rows},
    ]
    tables.append(t1)
    # ---- 附件2 部门收入总表 (one unit)
    t2 = _table(2, opts, short, "unit_rows")
    t2["columns"] = [{"col_no": None, "name": c} for c in cat.FUNDING_COLUMNS]
    t2["rows"] = [
        {
            "code": unit_code,
            "code_as_printed": unit_code,
            "code_kind": "单位代码",
            "level": None,
            "name": dept,
            "values": [_fmt(v) for v in [total, gpb_total, fund_total, 0, 0, 0]],
        }
    ]
    tables.append(t2)
    # ---- 附件3, 4
    tables.append(_coded_table(3, opts, short, cat.FUNDING_COLUMNS, leaves, funding, "合计", year))
    tables.append(
        _coded_table(
            4, opts, short, cat.BY_TYPE_COLUMNS, leaves, lambda lf: _by_type(lf, None), "总计", year
        )
    )
    # ---- 附件5, 6, 7 (all funds)
    tables.append(
        _detail_table(
            5, opts, short, cat.WAGE_COLUMNS, leaves, unit, lambda lf: _wage_values(_all(lf))
        )
    )
    tables.append(
        _detail_table(
            6,
            opts,
            short,
            cat.GOODS_COLUMNS,
            leaves,
            unit,
            lambda lf: _item_values(_all(lf), "302", 38),
        )
    )
    tables.append(
        _detail_table(
            7,
            opts,
            short,
            cat.AID_COLUMNS,
            leaves,
            unit,
            lambda lf: _item_values(_all(lf), "303", 12),
        )
    )
    # ---- 附件8 财政拨款收支总表 (two-sided)
    fiscal_classes = _listed(year, with_money, opts)
    t8 = _table(8, opts, short, "two_sided")
    inc8 = [_side(n, [_fmt(income[k])]) for n, k in cat.SUMMARY_INCOME]
    inc8.append(_side("本年收入合计", [_fmt(total)]))

    def fiscal_of(c: str) -> list[str | None]:
        g = sum(funding(lf)[1] for lf in leaves if lf.code[:3] == c)
        f = sum(funding(lf)[2] for lf in leaves if lf.code[:3] == c)
        return [_fmt(g + f), _fmt(g), _fmt(f)]

    exp8 = [
        _side(f"{_cn_numeral(i + 1)}、{class_name(c, year)}", fiscal_of(c))
        for i, c in enumerate(fiscal_classes)
    ]
    exp8.append(_side("本年支出合计", [_fmt(total), _fmt(gpb_total), _fmt(fund_total)]))
    t8["sections"] = [
        {"section": "收入", "columns": col, "rows": inc8},
        {
            "section": "支出",
            "columns": [
                {"col_no": None, "name": "合计"},
                {"col_no": None, "name": "一般公共预算"},
                {"col_no": None, "name": "政府性基金预算"},
            ],
            "rows": exp8,
        },
    ]
    tables.append(t8)
    # ---- 附件9 (一般公共预算 by type), 10, 11, 12
    tables.append(
        _coded_table(
            9,
            opts,
            short,
            cat.BY_TYPE_COLUMNS,
            leaves,
            lambda lf: _by_type(lf, "gpb"),
            "合计",
            year,
        )
    )
    tables.append(
        _detail_table(
            10, opts, short, cat.WAGE_COLUMNS, leaves, unit, lambda lf: _wage_values(_gpb(lf))
        )
    )
    tables.append(
        _detail_table(
            11,
            opts,
            short,
            cat.GOODS_COLUMNS,
            leaves,
            unit,
            lambda lf: _item_values(_gpb(lf), "302", 38),
        )
    )
    tables.append(
        _detail_table(
            12,
            opts,
            short,
            cat.AID_COLUMNS,
            leaves,
            unit,
            lambda lf: _item_values(_gpb(lf), "303", 12),
        )
    )
    # ---- 附件13 (政府性基金 by type), 14 (专户: none in these reports)
    tables.append(
        _coded_table(
            13,
            opts,
            short,
            cat.BY_TYPE_COLUMNS,
            leaves,
            lambda lf: _by_type(lf, "fund"),
            "合计",
            year,
        )
    )
    tables.append(
        _coded_table(
            14, opts, short, cat.BY_TYPE_COLUMNS, leaves, lambda lf: [0] * 13, "合计", year
        )
    )
    # ---- 附件15 项目支出预算明细表
    t15 = _table(15, opts, short, "project_rows")
    t15["columns"] = [{"col_no": no, "name": n} for no, n in cat.PROJECT_COLUMNS]

    def project_values(p: _Project) -> list[int]:
        v = [0] * 9
        v[0] = p.cents
        if p.source == "grant":
            v[1] = p.cents
        else:
            v[2] = p.cents
            v[{"fund": 3, "special": 4, "fee": 5}[p.source]] = p.cents
        return v

    pvals = [project_values(p) for p in projects]
    t15["rows"] = [_total_row("合计", _sum_rows(pvals, 9))] + [
        {
            "code": None,
            "level": None,
            "name": p.name,
            "unit_name": dept,
            "values": [_fmt(x) for x in v],
        }
        for p, v in zip(projects, pvals, strict=True)
    ]
    for r in t15["rows"]:
        r.pop("code_as_printed", None)
    tables.append(t15)
    # ---- 附件16 三公
    t16 = _table(16, opts, short, "single_row")
    t16["columns"] = [{"col_no": None, "name": n} for n in cat.THREE_PUBLIC_COLUMNS]
    recv, run, abroad = (gpb_items.get(c, 0) for c in ("30217", "30231", "30212"))
    t16["rows"] = [
        {
            "code": None,
            "level": None,
            "name": dept,
            "unit_name": dept,
            "values": [_fmt(v) for v in [recv + run + abroad, recv, run, 0, run, abroad]],
        }
    ]
    tables.append(t16)
    # ---- 附件17-19 绩效
    t17 = _table(17, opts, short, "unit_rows")
    t17["columns"] = [
        {"col_no": None, "name": f"{year}年预算申请/{n}"} for n in ("总计", "基本支出", "项目支出")
    ]
    texts17 = [
        f"负责{bureau[:-1]}相关工作。",
        "保障部门正常运转，完成年度工作任务。",
        "完成率100%",
        "群众满意度≥90%",
    ]
    t17["text_columns"] = [
        "部门职能职责概述",
        "整体绩效目标",
        "部门整体支出年度绩效指标/产出指标",
        "部门整体支出年度绩效指标/效益指标",
    ]
    t17["rows"] = [
        {**_total_row("合计", [total, basic_all, project_all]), "texts": [None] * 4},
        {
            "code": None,
            "level": None,
            "name": dept,
            "unit_name": dept,
            "values": [_fmt(v) for v in [total, basic_all, project_all]],
            "texts": texts17,
        },
    ]
    for r in t17["rows"]:
        r.pop("code_as_printed", None)
    tables.append(t17)
    t18 = _table(18, opts, short, "project_rows")
    t18["columns"] = [{"col_no": None, "name": "资金总额"}]
    t18["text_columns"] = [
        "专项支出性质",
        "专项支出管理办法",
        "立项依据",
        "长期绩效目标",
        "年度绩效目标",
        "年度实施进度计划",
        "实施保障措施",
    ]
    t18["rows"] = [{**_total_row("合计", [project_all]), "texts": [None] * 7}] + [
        {
            "code": None,
            "level": None,
            "name": p.name,
            "unit_name": dept,
            "values": [_fmt(p.cents)],
            "texts": [
                rng.choice(cat.PROJECT_NATURE),
                "专款专用",
                "部门预算文件",
                None,
                f"完成{p.name[:-2]}工作",
                "年度支出进度100%",
                "财政资金支持",
            ],
        }
        for p in projects
    ]
    for r in t18["rows"]:
        r.pop("code_as_printed", None)
    tables.append(t18)
    t19 = _table(19, opts, short, "project_rows")
    t19["columns"] = [
        {"col_no": None, "name": f"支出方向年度总金额/{n}"}
        for n in ("总计", "区级支出", "市级支出", "中央省级资金金额")
    ]
    t19["text_columns"] = [
        "主管部门",
        "专项实施期",
        "支出方向",
        "实施期绩效目标",
        "年度绩效目标",
        "绩效指标/产出指标/数量指标",
        "绩效指标/效益指标/社会效益或服务对象满意度指标",
    ]
    dirs = []
    for p in projects:
        upper = p.cents * rng.randint(10, 60) // 100 if rng.random() < 0.3 else 0
        dirs.append([p.cents, p.cents - upper, upper, 0])
    t19["rows"] = [{**_total_row("合计", _sum_rows(dirs, 4)), "texts": [None] * 7}] + [
        {
            "code": None,
            "level": None,
            "name": p.name,
            "values": [_fmt(x) for x in v],
            "texts": [
                short,
                f"{year}年",
                p.name[:-2],
                f"完成{p.name[:-2]}工作",
                f"完成{p.name[:-2]}工作",
                "完成率100%",
                "满意度≥90%",
            ],
        }
        for p, v in zip(projects, dirs, strict=True)
    ]
    for r in t19["rows"]:
        r.pop("code_as_printed", None)
    tables.append(t19)
    # ---- 附件20 一般公共预算基本支出情况表 (economic codes)
    t20 = _table(20, opts, short, "economic_coded")
    t20["columns"] = [
        {"col_no": "1", "name": "总计"},
        {"col_no": "2", "name": "人员经费"},
        {"col_no": "3", "name": "公用经费"},
    ]

    def econ_values(cents: int, cls: str) -> list[str | None]:
        person = cls in cat.PERSONNEL
        return [_fmt(cents), _fmt(cents if person else 0), _fmt(0 if person else cents)]

    person_total = sum(v for c, v in gpb_items.items() if c[:3] in cat.PERSONNEL)
    rows20: list[dict[str, Any]] = [
        _total_row("合计", [basic_gpb, person_total, basic_gpb - person_total])
    ]
    for cls, items in ECON_ITEMS.items():
        cls_sum = sum(gpb_items.get(c, 0) for c, _n, _col in items)
        rows20.append(
            {
                "code": cls,
                "code_as_printed": cls,
                "level": "类",
                "name": cat.ECON_CLASS_NAMES[cls],
                "values": econ_values(cls_sum, cls),
            }
        )
        rows20 += [
            {
                "code": c,
                "code_as_printed": c,
                "level": "款",
                "name": n,
                "values": econ_values(gpb_items.get(c, 0), cls),
            }
            for c, n, _col in items
        ]
    t20["rows"] = rows20
    tables.append(t20)

    assert by_type_all[0] == total and by_type_gpb[0] == gpb_total
    assert by_type_gpb[1] == basic_gpb and project_all == by_type_all[6]
    doc: dict[str, Any] = {
        "meta": {
            "doc": f"gen-budget-{seed}",
            "generator": "extractor.evals.generate_budget",
            "seed": seed,
            "kind": "预算",
            "department": dept,
            "department_short": short,
            "year": year,
            "unit": "万元",
            "options": {
                "mixed": opts.mixed,
                "all_classes": opts.all_classes,
                "empty_style": opts.empty_style,
                "unlabeled": sorted(opts.unlabeled),
                "thousands": sorted(opts.thousands),
                "fund_basic": opts.fund_basic,
                "tree": opts.tree,
                "spread_basic": opts.spread_basic,
            },
            "facts": {
                "total": total,
                "gpb": gpb_total,
                "fund": fund_total,
                "basic": basic_all,
                "project": project_all,
                "basic_gpb": basic_gpb,
                "project_gpb": by_type_gpb[6],
                "personnel_gpb": person_total,
                "public_gpb": basic_gpb - person_total,
                "projects": [[p.name, p.cents] for p in projects],
            },
            "line": "1-based line of the row in render_budget_report(doc)",
        },
        "tables": tables,
    }
    assign_budget_lines(doc)
    return doc
