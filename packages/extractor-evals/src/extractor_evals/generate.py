"""Generated 部门决算 reports: complete documents in the truth JSON shape, exact by construction.

``generate_final_report(seed)`` returns ``{"meta": ..., "tables": [...]}`` with 公开01表 …
公开09表 (and sometimes 公开10表), deterministic from the seed. Amounts are built bottom-up in
integer cents (leaves → 款 → 类 → 合计, then the cross-table totals), so every hard identity of
SPEC.md §2 holds exactly (Δ = 0) and every D check holds. The document renders through
``render_text.render_report`` unchanged; each row's ``line`` is its line in the default
``TextStyle()`` rendering.

What varies with the seed: department (a made-up city and district plus a bureau), year
2019-2024, which 类/款/项 codes carry money (the bureau's own 类, the personnel 类 208/210/221
every department has, a few others), amounts (0.01-5000 万元 per leaf), how zeros print
("0.00", blank, or blank only where a column does not apply), whether 01/04 list every 类 of the
year or only those with data, carry-overs (年初/年末结转和结余, fiscal and not), non-fiscal
income (事业收入, 其他收入 …), whether 07/08 carry data or are printed empty, whether 09 has
三公 spending, and whether 公开10表 is printed.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from extractor.definitions import default_schema_dir
from extractor_evals.catalog import Catalog
from extractor_evals.render_text import TextStyle, render_table, table_cells

__all__ = ["CLASSES", "assign_lines", "generate_final_report", "row_lines"]


def _load_classes() -> dict[str, str]:
    path = default_schema_dir() / "function_classes.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(code): str(names[0]) for code, names in data["classes"].items()}


#: 类 code -> its current name (the first name listed in schemas/function_classes.toml)
CLASSES: dict[str, str] = _load_classes()

ZeroStyle = Literal["zeros", "blanks", "mixed"]

# the catalogues: data/final.json
_FINAL = Catalog("final")

# ------------------------------------------------------------------ function classification

# 类 -> [(款 code, 款 name, [(项 code, 项 name), ...]), ...]: real codes, a handful per 类.
_CATALOG = _FINAL.get("catalog", dict[str, list[tuple[str, str, list[tuple[str, str]]]]])

# 政府性基金 (07) and 国有资本经营 (08) leaves: (类, 款, 款 name, 项, 项 name)
_GOV_FUND_LEAVES = _FINAL.get("gov_fund_leaves", list[tuple[str, ...]])
_SOE_LEAF = _FINAL.get("soe_leaf", tuple[str, ...])

# 类 never given generic 款/项 here: transfers, debt, reserves, funds of their own
_NO_GENERIC = _FINAL.get("no_generic", set[str])

# items that are basic spending (基本支出) in these reports; the rest is project spending
_BASIC_NAMES = _FINAL.get("basic_names", tuple[str, ...])

# personnel function codes whose basic spending is one economic code of 06
_ECON_OF_LEAF = _FINAL.get("econ_of_leaf", dict[str, str])


def _generic_catalog(cls: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Plausible 款/项 for a 类 without a catalog entry (generic names)."""
    base = CLASSES[cls].removesuffix("支出")
    kuan = f"{base}管理事务"
    return [
        (
            f"{cls}01",
            kuan,
            [
                (f"{cls}0101", "行政运行"),
                (f"{cls}0102", "一般行政管理事务"),
                (f"{cls}0150", "事业运行"),
                (f"{cls}0199", f"其他{kuan}支出"),
            ],
        ),
        (f"{cls}99", f"其他{base}支出", [(f"{cls}9999", f"其他{base}支出")]),
    ]


def _catalog(cls: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return _CATALOG.get(cls) or _generic_catalog(cls)


# bureau -> the 类 and 款 its own work is booked under
_BUREAUS = _FINAL.get("bureaus", list[tuple[str, str, list[str]]])

_CITY_1 = _FINAL.get("city_1", str)
_CITY_2 = _FINAL.get("city_2", str)
_DISTRICT_1 = _FINAL.get("district_1", str)
_DISTRICT_2 = _FINAL.get("district_2", str)

# ------------------------------------------------------------------ economic classification (06)

_ECON = _FINAL.get("econ", list[tuple[int, str, str, list[tuple[str, str]]]])

# the unmapped remainder of basic spending goes to these (weights of a typical department)
_PERSONNEL_POOL = _FINAL.get("personnel_pool", dict[str, int])
_HOUSEHOLD_POOL = _FINAL.get("household_pool", dict[str, int])
_PUBLIC_POOL = _FINAL.get("public_pool", dict[str, int])

# ------------------------------------------------------------------ notes and headers

_NOTES = _FINAL.get("notes", dict[str, str])
_EMPTY_NOTES = _FINAL.get("empty_notes", dict[str, list[str]])

_COLS_02 = _FINAL.get("cols_02", list[str])
_COLS_03 = _FINAL.get("cols_03", list[str])
_COLS_05 = _FINAL.get("cols_05", list[str])
_COLS_07 = _FINAL.get("cols_07", list[str])
_COLS_08 = _FINAL.get("cols_08", list[str])
_COLS_09 = _FINAL.get("cols_09", list[str])
_FISCAL_KINDS = _FINAL.get("fiscal_kinds", list[str])
_INCOME_KINDS = _FINAL.get("income_kinds", list[str])
_VEHICLES = _FINAL.get("vehicles", list[str])

# ------------------------------------------------------------------ small helpers


def _money(cents: int) -> str:
    """Integer cents as a 2-decimal amount string ("0.05", "3676.35")."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


_CN_DIGITS = "零一二三四五六七八九"


def _cn_numeral(n: int) -> str:
    """1 -> 一, 11 -> 十一, 26 -> 二十六 (the 类 row prefixes of 01/04)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, units = divmod(n, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[units] if units else "")


def _amount(rng: random.Random, lo: int, hi: int) -> int:
    """Log-uniform integer cents in [lo, hi] (lo >= 1): pick a digit count, then a value."""
    digits = rng.randint(len(str(lo)), len(str(hi)))
    return rng.randint(max(lo, 10 ** (digits - 1)), min(hi, 10**digits - 1))


def _split(rng: random.Random, total: int, weights: dict[str, int], keep: int) -> dict[str, int]:
    """Split ``total`` cents over ``keep`` randomly chosen keys, roughly by weight, exactly."""
    keys = sorted(rng.sample(sorted(weights), min(keep, len(weights))))
    if total == 0 or not keys:
        return {}
    raw = {k: weights[k] * rng.randint(50, 150) for k in keys}
    whole = sum(raw.values())
    out = {k: total * w // whole for k, w in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(keys, key=lambda k: -raw[k])[:rest]:
        out[k] += 1
    return {k: v for k, v in out.items() if v}


# ------------------------------------------------------------------ the money model


@dataclass
class _Leaf:
    """One 项 code and where its money comes from and goes, in cents."""

    code: str
    name: str
    kuan: str
    kuan_name: str
    gpb_basic: int = 0  # this year's 一般公共预算 spending, basic
    gpb_project: int = 0  # ... project
    gpb_left: int = 0  # 一般公共预算 income not spent (年末财政拨款结转)
    fiscal_carry_used: int = 0  # project spending from 年初财政拨款结转和结余
    gov_fund: int = 0  # 政府性基金 income, all spent (project)
    soe: int = 0  # 国有资本经营 income, all spent (project)
    other_income: list[int] = field(default_factory=lambda: [0] * 5)  # 02 c3..c7
    other_left: int = 0  # non-fiscal income not spent
    other_carry_used: int = 0  # spending from non-fiscal 年初结转和结余
    balance_used: int = 0  # spending from 使用非财政拨款结余
    other_basic: int = 0
    other_project: int = 0
    upper: int = 0  # 上缴上级支出
    business: int = 0  # 经营支出
    subsidiary: int = 0  # 对附属单位补助支出

    @property
    def cls(self) -> str:
        return self.code[:3]

    def income(self) -> list[int]:
        """02 c1..c7."""
        fiscal = self.gpb_basic + self.gpb_project + self.gpb_left + self.gov_fund + self.soe
        vals = [fiscal, *self.other_income]
        return [sum(vals), *vals]

    def expense(self) -> list[int]:
        """03 c1..c6."""
        basic = self.gpb_basic + self.other_basic
        project = (
            self.gpb_project
            + self.fiscal_carry_used
            + self.gov_fund
            + self.soe
            + self.other_project
        )
        vals = [basic, project, self.upper, self.business, self.subsidiary]
        return [sum(vals), *vals]

    def gpb(self) -> list[int]:
        """05 c1..c3."""
        project = self.gpb_project + self.fiscal_carry_used
        return [self.gpb_basic + project, self.gpb_basic, project]

    def gov_fund_row(self) -> list[int]:
        """07 c1..c6: no carry-over, this year's income all spent on projects."""
        return [0, self.gov_fund, self.gov_fund, 0, self.gov_fund, 0]

    def soe_row(self) -> list[int]:
        """08 c1..c3."""
        return [self.soe, 0, self.soe]

    def settle_other(self, rng: random.Random) -> None:
        """Spend the non-fiscal money: income - unspent + carry-over + balance used."""
        spend = sum(self.other_income) - self.other_left + self.other_carry_used
        spend += self.balance_used
        self.business = min(self.other_income[2], spend)
        spend -= self.business
        if spend and rng.random() < 0.06:
            self.upper = spend * rng.randint(5, 30) // 100
            spend -= self.upper
        if spend and rng.random() < 0.06:
            self.subsidiary = spend * rng.randint(5, 30) // 100
            spend -= self.subsidiary
        carried = self.other_carry_used + self.balance_used
        if _is_basic(self.name) and spend > carried:
            self.other_basic = spend - carried
            spend = carried
        self.other_project = spend


def _is_basic(name: str) -> bool:
    return any(k in name for k in _BASIC_NAMES)


@dataclass
class _Options:
    zero_style: ZeroStyle
    all_classes: bool
    col_nos: bool
    gov_fund: bool
    soe: bool
    three_public: Literal["data", "zeros", "no_row"]
    table10: bool
    pad_before_total: bool
    empty_zero_row: bool  # empty 07/08: a 合计 row of 0.00 (else blank cells)
    block_header: list[str]


def _choose_options(
    rng: random.Random,
    empty_tables: bool | None,
    all_classes: bool | None,
    col_nos: bool | None,
    table10: bool | None,
) -> _Options:
    zero_style: ZeroStyle = rng.choice(["zeros", "zeros", "blanks", "mixed"])
    listed = rng.random() < 0.5 if all_classes is None else all_classes
    nos = rng.random() < 0.75 if col_nos is None else col_nos
    if empty_tables is None:
        gov_fund, soe = rng.random() < 0.15, rng.random() < 0.08
        tp: Literal["data", "zeros", "no_row"] = rng.choice(["data", "data", "data", "zeros"])
        if tp == "zeros" and rng.random() < 0.3:
            tp = "no_row"
    elif empty_tables:
        gov_fund, soe = False, False
        tp = rng.choice(["zeros", "zeros", "no_row"])
    else:
        gov_fund, soe, tp = True, True, "data"
    t10 = rng.random() < 0.4 if table10 is None else table10
    return _Options(
        zero_style=zero_style,
        all_classes=listed,
        col_nos=nos,
        gov_fund=gov_fund,
        soe=soe,
        three_public=tp,
        table10=t10,
        pad_before_total=rng.random() < 0.4,
        empty_zero_row=rng.random() < 0.6,
        block_header=rng.choice(
            [["经济分类科目编码", "科目名称", "决算数"], ["科目代码", "科目名称", "决算数"]]
        ),
    )


def _fmt(cents: int, opts: _Options, applies: bool = True) -> str | None:
    """A value cell: amounts print with 2 decimals; zeros as 0.00 or blank per the style."""
    if cents:
        return _money(cents)
    if opts.zero_style == "zeros" or (opts.zero_style == "mixed" and applies):
        return "0.00"
    return None


# ------------------------------------------------------------------ choosing the codes


def _pick_leaves(rng: random.Random, bureau: tuple[str, str, list[str]]) -> list[_Leaf]:
    """The 项 codes that carry money, with this year's 一般公共预算 spending."""
    _, own_cls, own_kuans = bureau
    leaves: dict[str, _Leaf] = {}

    def add(cls: str, kuan: str, items: list[tuple[str, str]], lo: int, hi: int) -> None:
        knames = {k: n for k, n, _ in _catalog(cls)}
        for code, name in items:
            if code in leaves:
                continue
            leaf = _Leaf(code, name, kuan, knames[kuan])
            amount = _amount(rng, lo, hi)
            if _is_basic(name):
                leaf.gpb_basic = amount
                if rng.random() < 0.25:
                    leaf.gpb_project = _amount(rng, 1, max(1, amount // 2))
            else:
                leaf.gpb_project = amount
                if rng.random() < 0.15:
                    leaf.gpb_basic = _amount(rng, 1, max(1, amount // 3))
            leaves[code] = leaf

    # the bureau's own work: 2-3 of its 款, 1-4 items each
    own = {k: (n, items) for k, n, items in _catalog(own_cls)}
    for kuan in rng.sample(own_kuans, min(len(own_kuans), rng.randint(1, 3))):
        items = own[kuan][1]
        chosen = sorted(rng.sample(items, rng.randint(1, min(4, len(items)))))
        add(own_cls, kuan, chosen, 500, 500000)
    # the bureau's main item is large (>= 1000 万元): totals print with thousands separators
    main = max(leaves.values(), key=lambda lf: (lf.gpb_basic + lf.gpb_project, lf.code))
    if main.gpb_basic + main.gpb_project < 100000:
        big = _amount(rng, 100000, 500000)
        if main.gpb_project:
            main.gpb_project = big
        else:
            main.gpb_basic = big
    # personnel items every department has
    pension = [("2080505", "机关事业单位基本养老保险缴费支出")]
    if rng.random() < 0.7:
        pension.append(("2080506", "机关事业单位职业年金缴费支出"))
    if rng.random() < 0.3:
        pension.insert(0, ("2080501", "行政单位离退休"))
    add("208", "20805", pension, 1000, 20000)
    if "2080506" in leaves:  # 职业年金 is about half the 基本养老保险 contribution
        leaves["2080506"].gpb_basic = max(
            1, leaves["2080505"].gpb_basic * rng.randint(40, 55) // 100
        )
        leaves["2080506"].gpb_project = 0
    medical = [rng.choice([("2101101", "行政单位医疗"), ("2101102", "事业单位医疗")])]
    if rng.random() < 0.5:
        medical.append(("2101103", "公务员医疗补助"))
    add("210", "21011", sorted(medical), 300, 10000)
    add("221", "22102", [("2210201", "住房公积金")], 1000, 20000)
    # a few other 类: from the catalog, or any 类 of the classification with generic items
    others = [c for c in CLASSES if c not in _NO_GENERIC and c != own_cls]
    for cls in rng.sample(others, rng.randint(0, 3)):
        kuan, _, items = rng.choice(_catalog(cls))
        add(cls, kuan, sorted(rng.sample(items, rng.randint(1, min(2, len(items))))), 1, 200000)
    return sorted(leaves.values(), key=lambda lf: lf.code)


def _add_other_money(rng: random.Random, leaves: list[_Leaf]) -> dict[str, int]:
    """Non-fiscal income, carry-overs and unspent money; returns the report-level extras."""
    extras = {"fiscal_extra": 0, "other_extra": 0, "distribution": 0}
    # non-fiscal income on a few leaves: 上级补助 事业 经营 附属单位 其他
    for idx, p in ((0, 0.05), (1, 0.25), (2, 0.05), (3, 0.03), (4, 0.2)):
        if rng.random() < p:
            for leaf in rng.sample(leaves, min(len(leaves), rng.randint(1, 3))):
                leaf.other_income[idx] += _amount(rng, 100, 300000)
    with_other = [lf for lf in leaves if sum(lf.other_income)]
    if with_other and rng.random() < 0.3:
        leaf = rng.choice(with_other)
        spendable = sum(leaf.other_income) - leaf.other_income[2]
        if spendable > 1:
            leaf.other_left = rng.randint(1, spendable // 2 or 1)
    # carry-over from last year, spent this year (non-fiscal)
    if rng.random() < 0.45:
        for leaf in rng.sample(leaves, min(len(leaves), rng.randint(1, 2))):
            leaf.other_carry_used += _amount(rng, 1, 5000)
    # a carry-over spent on an item with no income this year (03 has it, 02 does not)
    if rng.random() < 0.2:
        used = {lf.code for lf in leaves}
        cls = rng.choice(sorted({lf.cls for lf in leaves}))
        spare = [
            (k, kn, c, n)
            for k, kn, items in _catalog(cls)
            for c, n in items
            if c not in used and not _is_basic(n)
        ]
        if spare:
            k, kn, c, n = rng.choice(spare)
            leaf = _Leaf(c, n, k, kn, other_carry_used=_amount(rng, 1, 20000))
            leaves.append(leaf)
            leaves.sort(key=lambda lf: lf.code)
    # 一般公共预算 carry-over: spent from last year's, or this year's left over
    if rng.random() < 0.2:
        leaf = rng.choice(leaves)
        leaf.fiscal_carry_used = _amount(rng, 100, 50000)
    if rng.random() < 0.2:
        leaf = rng.choice([lf for lf in leaves if lf.gpb_project] or leaves)
        leaf.gpb_left = _amount(rng, 1, 30000)
    if rng.random() < 0.15:
        extras["fiscal_extra"] = _amount(rng, 1, 20000)
    if rng.random() < 0.15:
        extras["other_extra"] = _amount(rng, 1, 20000)
    if rng.random() < 0.05:
        rng.choice(leaves).balance_used = _amount(rng, 1, 10000)
    if rng.random() < 0.04:
        extras["distribution"] = _amount(rng, 1, 5000)
    for leaf in leaves:
        leaf.settle_other(rng)
    return extras


# ------------------------------------------------------------------ tables


def _base(table_id: str, title: str, dept: str, layout: str) -> dict[str, Any]:
    return {
        "table_id": table_id,
        "title": title,
        "department_as_printed": dept,
        "unit": "万元",
        "layout": layout,
    }


def _columns(names: list[str], opts: _Options, first_no: int = 1) -> list[dict[str, Any]]:
    return [
        {"col_no": str(first_no + i) if opts.col_nos else None, "name": n}
        for i, n in enumerate(names)
    ]


def _coded_rows(
    leaves: list[_Leaf],
    values: Callable[[_Leaf], list[int]],
    opts: _Options,
    applies: list[bool],
    *,
    total_row: bool = True,
) -> list[dict[str, Any]]:
    """合计, then 类 / 款 / 项 rows with exact sums; rows whose values are all zero are left out."""
    width = len(applies)
    vec = {lf.code: list(values(lf)) for lf in leaves}
    vec = {c: v for c, v in vec.items() if any(v)}
    kept = [lf for lf in leaves if lf.code in vec]

    def total(codes: list[str]) -> list[int]:
        return [sum(vec[c][i] for c in codes) for i in range(width)]

    def row(code: str | None, level: str, name: str, v: list[int]) -> dict[str, Any]:
        return {
            "code": code,
            "level": level,
            "name": name,
            "values": [_fmt(x, opts, a) for x, a in zip(v, applies, strict=True)],
        }

    rows: list[dict[str, Any]] = []
    if total_row:
        rows.append(row(None, "total", "合计", total([lf.code for lf in kept])))
    for cls in sorted({lf.cls for lf in kept}):
        in_cls = [lf for lf in kept if lf.cls == cls]
        rows.append(row(cls, "类", CLASSES[cls], total([lf.code for lf in in_cls])))
        for kuan in sorted({lf.kuan for lf in in_cls}):
            in_kuan = [lf for lf in in_cls if lf.kuan == kuan]
            rows.append(row(kuan, "款", in_kuan[0].kuan_name, total([lf.code for lf in in_kuan])))
            rows += [row(lf.code, "项", lf.name, vec[lf.code]) for lf in in_kuan]
    return rows


def _function_table(
    table_id: str,
    title: str,
    dept: str,
    columns: list[str],
    rows: list[dict[str, Any]],
    opts: _Options,
    notes: list[str],
) -> dict[str, Any]:
    t = _base(table_id, title, dept, "function_coded")
    t["columns"] = _columns(columns, opts)
    t["rows"] = rows
    t["notes"] = notes
    return t


def _empty_coded(
    table_id: str, title: str, dept: str, columns: list[str], opts: _Options
) -> dict[str, Any]:
    zero = "0.00" if opts.empty_zero_row else None
    rows = [{"code": None, "level": "total", "name": "合计", "values": [zero] * len(columns)}]
    return _function_table(
        table_id,
        title,
        dept,
        columns,
        rows,
        opts,
        [_NOTES[table_id], _EMPTY_NOTES[table_id][0 if opts.empty_zero_row else 1]],
    )


_SideRow = tuple[str | None, list[str | None]]
_Side = list[_SideRow]


def _side_row(row_no: int, name: str | None, values: list[str | None]) -> dict[str, Any]:
    return {"row_no": row_no, "code": None, "name": name, "values": values}


def _two_sided(
    table_id: str,
    title: str,
    dept: str,
    left: tuple[str, list[dict[str, Any]]],
    right: tuple[str, list[dict[str, Any]]],
    heads: tuple[_Side, _Side],
    tails: tuple[_Side, _Side],
) -> dict[str, Any]:
    """Two sections printed side by side: head rows (income kinds | 类 rows) padded to one
    length, then the tail rows (totals, carry-overs); 行次 run down the left, then the right."""
    widths = (len(left[1]), len(right[1]))
    n_head = max(len(heads[0]), len(heads[1]))
    sides: list[_Side] = []
    for k in range(2):
        head: _Side = list(heads[k])
        head += [(None, [None] * widths[k])] * (n_head - len(head))
        sides.append(head + list(tails[k]))
    n = len(sides[0])
    sections = []
    for k, (label, cols) in enumerate((left, right)):
        rows = [_side_row(k * n + i + 1, name, values) for i, (name, values) in enumerate(sides[k])]
        sections.append({"section": label, "columns": cols, "rows": rows})
    t = _base(table_id, title, dept, "two_sided")
    t["sections"] = sections
    t["notes"] = [_NOTES[table_id]]
    return t


def _listed_classes(year: int, with_data: set[str], opts: _Options) -> list[str]:
    """The 类 rows of 01/04: the year's whole list, or only those with data."""
    if not opts.all_classes:
        return sorted(with_data)
    listed = {
        c for c in CLASSES if c not in {"209", "227", "230", "233"} and (c != "234" or year >= 2020)
    }
    return sorted(listed | with_data)


def _class_label(i: int, code: str) -> str:
    return f"{_cn_numeral(i + 1)}、{CLASSES[code]}"


def _econ_rows(
    rng: random.Random, basic_total: int, leaves: list[_Leaf], opts: _Options
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Table 06 rows (3 blocks + the two 合计 footers) splitting the 一般公共预算 basic spending
    exactly; returns the rows and the economic amounts by code."""
    amounts: dict[str, int] = {}
    for leaf in leaves:
        econ = _ECON_OF_LEAF.get(leaf.code)
        if econ is not None and leaf.gpb_basic:
            amounts[econ] = amounts.get(econ, 0) + leaf.gpb_basic
    rest = basic_total - sum(amounts.values())
    public = rest * rng.randint(10, 30) // 100
    household = rest * rng.randint(0, 4) // 100 if rng.random() < 0.5 else 0
    personnel = rest - public - household
    public_pool = dict(_PUBLIC_POOL)
    if opts.three_public == "data":
        public_pool.update({"30217": 2, "30231": 3, "30212": 1})
    for pool, total, keep in (
        (_PERSONNEL_POOL, personnel, rng.randint(3, 6)),
        (_HOUSEHOLD_POOL, household, rng.randint(1, 2)),
        (public_pool, public, rng.randint(5, 12)),
    ):
        for code, cents in _split(rng, total, pool, keep).items():
            amounts[code] = amounts.get(code, 0) + cents
    rows: list[dict[str, Any]] = []
    footer = {1: 0, 2: 0}
    for block, cls, name, items in _ECON:
        cls_total = sum(amounts.get(c, 0) for c, _ in items)
        footer[1 if block == 1 else 2] += cls_total
        rows.append({"code": cls, "name": name, "values": [_fmt(cls_total, opts)], "block": block})
        rows += [
            {"code": c, "name": n, "values": [_fmt(amounts.get(c, 0), opts)], "block": block}
            for c, n in items
        ]
    rows.append(
        {"code": None, "name": "人员经费合计", "values": [_fmt(footer[1], opts)], "block": 1}
    )
    rows.append(
        {"code": None, "name": "公用经费合计", "values": [_fmt(footer[2], opts)], "block": "2-3"}
    )
    amounts["personnel"] = footer[1]
    amounts["public"] = footer[2]
    return rows, amounts


def _three_public(rng: random.Random, econ: dict[str, int], opts: _Options) -> list[int]:
    """09 c1..c12: 决算 at least the basic spending of 06 on the same items, 预算 above it."""
    if opts.three_public != "data":
        return [0] * 12

    def extra(p: float, lo: int, hi: int) -> int:
        return _amount(rng, lo, hi) if rng.random() < p else 0

    abroad = econ.get("30212", 0) + extra(0.1, 100, 5000)
    buy = econ.get("31013", 0) + extra(0.1, 50000, 300000)
    run = econ.get("30231", 0) + extra(0.4, 100, 50000)
    recv = econ.get("30217", 0) + extra(0.4, 10, 5000)
    if not abroad + buy + run + recv:  # a 三公 table with data has some spending
        recv = _amount(rng, 10, 5000)
    actual = [abroad, buy + run, buy, run, recv]
    budget = [
        v + (extra(0.7, 1, max(1, v // 5 + 1000)) if v or rng.random() < 0.3 else 0) for v in actual
    ]
    budget[1] = budget[2] + budget[3]
    b_total = budget[0] + budget[1] + budget[4]
    a_total = sum(actual) - actual[2] - actual[3]
    return [b_total, *budget, a_total, *actual]


def _public_info(
    rng: random.Random, dept: str, econ: dict[str, int], opts: _Options
) -> dict[str, Any]:
    parts = [_amount(rng, 100, 200000) if rng.random() < p else 0 for p in (0.8, 0.2, 0.6)]
    vehicles = [
        rng.randint(1, 4) if rng.random() < p else 0 for p in (0, 0, 0.3, 0.4, 0.5, 0.2, 0.1, 0.2)
    ]

    def count(n: int) -> str | None:
        if n:
            return str(n)
        return "0" if opts.zero_style == "zeros" else None

    civil = opts.zero_style == "zeros"
    sections = [
        (
            "一、政府采购情况",
            [("合计", _fmt(sum(parts), opts))]
            + [(n, _fmt(v, opts)) for n, v in zip(("货物", "工程", "服务"), parts, strict=True)],
        ),
        (
            "二、机关运行经费",
            [
                ("(一)行政单位", _fmt(econ["public"], opts)),
                ("(二)参照公务员法管理事业单位", "0.00" if civil else None),
            ],
        ),
        (
            "三、国有资产占用情况",
            [("(一)车辆数合计(辆)", count(sum(vehicles)))]
            + [(n, count(v)) for n, v in zip(_VEHICLES, vehicles, strict=True)]
            + [("(二)单价100万元(含)以上设备(不含车辆)", count(rng.choice([0, 0, 0, 1, 2])))],
        ),
    ]
    out = []
    row_no = 0
    for title, rows in sections:
        srows = []
        for name, value in rows:
            row_no += 1
            srows.append(_side_row(row_no, name, [value]))
        out.append(
            {"section": title, "columns": [{"col_no": None, "name": "统计数"}], "rows": srows}
        )
    t = _base("公开10表", "部门决算公开相关信息统计表", dept, "sectioned")
    t["sections"] = out
    t["notes"] = [_NOTES["公开10表"]]
    return t


# ------------------------------------------------------------------ lines


def row_lines(doc: dict[str, Any]) -> list[list[list[int]]]:
    """For each table, for each section (one pseudo-section for tables with rows), the 1-based
    line of each row in ``render_report(doc, TextStyle())``."""
    style = TextStyle()
    out: list[list[list[int]]] = []
    count = 0  # lines emitted so far
    for table in doc["tables"]:
        if count:
            count += 1  # the blank line between tables (_end_paragraph)
        heading = 2 + sum(2 for k in ("table_id", "department_as_printed", "unit") if table.get(k))
        cells = table_cells(table, style)
        first = count + heading + cells.header_rows + 1  # line of body row 0
        layout = table.get("layout") or ""
        if layout == "two_sided":
            out.append([[first + i for i in range(len(s["rows"]))] for s in table["sections"]])
        elif layout == "sectioned":
            per: list[list[int]] = []
            at = first
            for s in table["sections"]:
                at += 2  # section title row, then its header row
                per.append([at + i for i in range(len(s["rows"]))])
                at += len(s["rows"])
            out.append(per)
        elif layout.startswith("economic_"):
            by_block: dict[int, int] = {}
            lines: list[int] = []
            depth = 0
            for r in table["rows"]:
                if r.get("code") is None:
                    continue
                b = int(str(r["block"]).split("-")[0])
                by_block[b] = by_block.get(b, 0) + 1
                depth = max(depth, by_block[b])
            seen: dict[int, int] = {}
            for r in table["rows"]:
                if r.get("code") is None:
                    lines.append(first + depth)  # the footer line under the blocks
                    continue
                b = int(str(r["block"]).split("-")[0])
                lines.append(first + seen.get(b, 0))
                seen[b] = seen.get(b, 0) + 1
            out.append([lines])
        else:
            out.append([[first + i for i in range(len(table.get("rows") or []))]])
        count += len(render_table(table, style))
    return out


def assign_lines(doc: dict[str, Any]) -> None:
    """Set each row's ``line`` to its line in the default ``TextStyle()`` rendering."""
    for table, per in zip(doc["tables"], row_lines(doc), strict=True):
        groups = (
            [s["rows"] for s in table["sections"]] if table.get("sections") else [table["rows"]]
        )
        for rows, lines in zip(groups, per, strict=True):
            for row, line in zip(rows, lines, strict=True):
                row["line"] = line


# ------------------------------------------------------------------ the report


def generate_final_report(
    seed: int,
    *,
    empty_tables: bool | None = None,
    all_classes: bool | None = None,
    col_nos: bool | None = None,
    table10: bool | None = None,
) -> dict[str, Any]:
    """A complete 部门决算 document in the truth JSON shape, deterministic from ``seed``.

    empty_tables: True prints 07 and 08 empty and 09 without 三公 spending; False gives 07, 08
    and 09 data; None lets the seed decide (07/08 usually empty). all_classes: 01/04 list
    every 类 of the year (True) or only those with data (False). col_nos: print the 栏次 row.
    table10: add 公开10表. None everywhere means: drawn from the seed.
    """
    rng = random.Random(seed)
    opts = _choose_options(rng, empty_tables, all_classes, col_nos, table10)
    year = rng.randint(2019, 2024)
    bureau = rng.choice(_BUREAUS)
    city = rng.choice(_CITY_1) + rng.choice(_CITY_2) + "市"
    district = rng.choice(_DISTRICT_1) + rng.choice(_DISTRICT_2) + rng.choice("区区区县")
    dept = f"{city}{district}{bureau[0]}"

    leaves = _pick_leaves(rng, bureau)
    if opts.gov_fund:
        _cls, k, kn, c, n = rng.choice(_GOV_FUND_LEAVES)
        leaves.append(_Leaf(c, n, k, kn, gov_fund=_amount(rng, 1000, 300000)))
    if opts.soe:
        _cls, k, kn, c, n = _SOE_LEAF
        leaves.append(_Leaf(c, n, k, kn, soe=_amount(rng, 1000, 100000)))
    leaves.sort(key=lambda lf: lf.code)
    extras = _add_other_money(rng, leaves)

    # ---- report-level sums
    income = [sum(lf.income()[i] for lf in leaves) for i in range(7)]
    expense_total = sum(lf.expense()[0] for lf in leaves)
    gpb_income = sum(lf.gpb_basic + lf.gpb_project + lf.gpb_left for lf in leaves)
    gf_income = sum(lf.gov_fund for lf in leaves)
    soe_income = sum(lf.soe for lf in leaves)
    fiscal_carry_in = sum(lf.fiscal_carry_used for lf in leaves) + extras["fiscal_extra"]
    fiscal_carry_out = sum(lf.gpb_left for lf in leaves) + extras["fiscal_extra"]
    carry_in = (
        sum(lf.fiscal_carry_used + lf.other_carry_used for lf in leaves)
        + extras["fiscal_extra"]
        + extras["other_extra"]
        + extras["distribution"]
    )
    carry_out = (
        sum(lf.gpb_left + lf.other_left for lf in leaves)
        + extras["fiscal_extra"]
        + extras["other_extra"]
    )
    use_balance = sum(lf.balance_used for lf in leaves)
    grand = income[0] + use_balance + carry_in
    assert grand == expense_total + extras["distribution"] + carry_out

    tables: list[dict[str, Any]] = []
    # ---- 01
    classes_03 = {lf.cls for lf in leaves if lf.expense()[0]}
    listed = _listed_classes(year, classes_03, opts)
    class_exp = {c: sum(lf.expense()[0] for lf in leaves if lf.cls == c) for c in listed}
    col1 = "决算数" if rng.random() < 0.5 else "金额"
    heads01: tuple[_Side, _Side] = (
        [
            (f"{_cn_numeral(i + 1)}、{name}", [_fmt(v, opts, i == 0)])
            for i, (name, v) in enumerate(
                zip(_INCOME_KINDS, [gpb_income, gf_income, soe_income, *income[2:]], strict=True)
            )
        ],
        [
            (_class_label(i, c), [_fmt(class_exp[c], opts, c in classes_03)])
            for i, c in enumerate(listed)
        ],
    )
    pad: _SideRow = (None, [None])
    tail_left: _Side = [
        ("本年收入合计", [_fmt(income[0], opts)]),
        (
            rng.choice(["使用非财政拨款结余（含专用结余）", "使用非财政拨款结余和专用结余"]),
            [_fmt(use_balance, opts, False)],
        ),
        ("年初结转和结余", [_fmt(carry_in, opts)]),
    ]
    tail_right: _Side = [
        ("本年支出合计", [_fmt(expense_total, opts)]),
        ("结余分配", [_fmt(extras["distribution"], opts, False)]),
        ("年末结转和结余", [_fmt(carry_out, opts)]),
    ]
    if opts.pad_before_total:
        tail_left.append(pad)
        tail_right.append(pad)
    tail_left.append(("总计", [_fmt(grand, opts)]))
    tail_right.append(("总计", [_fmt(grand, opts)]))
    tables.append(
        _two_sided(
            "公开01表",
            "收入支出决算总表",
            dept,
            ("收入", _columns([col1], opts)),
            ("支出", _columns([col1], opts, 2)),
            heads01,
            (tail_left, tail_right),
        )
    )
    # ---- 02, 03
    tables.append(
        _function_table(
            "公开02表",
            "收入决算表",
            dept,
            _COLS_02,
            _coded_rows(leaves, _Leaf.income, opts, [True, True] + [False] * 5),
            opts,
            [_NOTES["公开02表"]],
        )
    )
    tables.append(
        _function_table(
            "公开03表",
            "支出决算表",
            dept,
            _COLS_03,
            _coded_rows(leaves, _Leaf.expense, opts, [True, True, True, False, False, False]),
            opts,
            [_NOTES["公开03表"]],
        )
    )
    # ---- 04
    fiscal_classes = {lf.cls for lf in leaves if lf.gpb()[0] or lf.gov_fund or lf.soe}
    listed04 = _listed_classes(year, fiscal_classes, opts)

    def fiscal_of(c: str) -> list[int]:
        g = sum(lf.gpb()[0] for lf in leaves if lf.cls == c)
        f = sum(lf.gov_fund for lf in leaves if lf.cls == c)
        s = sum(lf.soe for lf in leaves if lf.cls == c)
        return [g + f + s, g, f, s]

    gpb_spend = sum(lf.gpb()[0] for lf in leaves)
    spend04 = [gpb_spend + gf_income + soe_income, gpb_spend, gf_income, soe_income]
    out04 = [fiscal_carry_out, fiscal_carry_out, 0, 0]
    grand04 = [a + b for a, b in zip(spend04, out04, strict=True)]
    fiscal_income = gpb_income + gf_income + soe_income
    assert grand04[0] == fiscal_income + fiscal_carry_in

    def vals04(v: list[int], has: bool) -> list[str | None]:
        return [_fmt(x, opts, has and i < 2) for i, x in enumerate(v)]

    nones: list[str | None] = [None] * 4
    tables.append(
        _two_sided(
            "公开04表",
            "财政拨款收入支出决算总表",
            dept,
            ("收入", _columns(["金额"], opts)),
            (
                "支出",
                _columns(
                    [
                        "合计",
                        "一般公共预算财政拨款",
                        "政府性基金预算财政拨款",
                        "国有资本经营预算财政拨款",
                    ],
                    opts,
                    2,
                ),
            ),
            (
                [
                    (f"{_cn_numeral(i + 1)}、{k}", [_fmt(v, opts, i == 0)])
                    for i, (k, v) in enumerate(
                        zip(_FISCAL_KINDS, [gpb_income, gf_income, soe_income], strict=True)
                    )
                ],
                [
                    (_class_label(i, c), vals04(fiscal_of(c), c in fiscal_classes))
                    for i, c in enumerate(listed04)
                ],
            ),
            (
                [
                    ("本年收入合计", [_fmt(fiscal_income, opts)]),
                    ("年初财政拨款结转和结余", [_fmt(fiscal_carry_in, opts)]),
                    ("一般公共预算财政拨款", [_fmt(fiscal_carry_in, opts)]),
                    ("政府性基金预算财政拨款", [_fmt(0, opts, False)]),
                    ("国有资本经营预算财政拨款", [_fmt(0, opts, False)]),
                    ("总计", [_fmt(grand04[0], opts)]),
                ],
                [
                    ("本年支出合计", vals04(spend04, True)),
                    ("年末财政拨款结转和结余", vals04(out04, True)),
                    (None, nones),
                    (None, nones),
                    (None, nones),
                    ("总计", vals04(grand04, True)),
                ],
            ),
        )
    )
    # ---- 05
    tables.append(
        _function_table(
            "公开05表",
            "一般公共预算财政拨款支出决算表",
            dept,
            _COLS_05,
            _coded_rows(leaves, _Leaf.gpb, opts, [True, True, True]),
            opts,
            [_NOTES["公开05表"]],
        )
    )
    # ---- 06
    basic_total = sum(lf.gpb_basic for lf in leaves)
    econ_rows, econ = _econ_rows(rng, basic_total, leaves, opts)
    t06 = _base("公开06表", "一般公共预算财政拨款基本支出决算明细表", dept, "economic_3_blocks")
    t06["columns"] = [{"col_no": None, "name": "决算数"}]
    t06["block_headers"] = opts.block_header
    t06["rows"] = econ_rows
    t06["notes"] = [_NOTES["公开06表"]]
    tables.append(t06)
    # ---- 07, 08: usually empty (a 合计 row and a 无数据 note)
    for tid, title, cols, present, row_of, width in (
        (
            "公开07表",
            "政府性基金预算财政拨款收入支出决算表",
            _COLS_07,
            opts.gov_fund,
            _Leaf.gov_fund_row,
            6,
        ),
        ("公开08表", "国有资本经营预算财政拨款支出决算表", _COLS_08, opts.soe, _Leaf.soe_row, 3),
    ):
        if present:
            rows = _coded_rows(leaves, row_of, opts, [True] * width)
            tables.append(_function_table(tid, title, dept, cols, rows, opts, [_NOTES[tid]]))
        else:
            tables.append(_empty_coded(tid, title, dept, cols, opts))
    # ---- 09
    t09 = _base("公开09表", "财政拨款“三公”经费支出决算表", dept, "single_row")
    t09["columns"] = _columns(_COLS_09, opts)
    three = _three_public(rng, econ, opts)
    t09["notes"] = [_NOTES["公开09表"]]
    values09 = [_fmt(v, opts) for v in three]
    if opts.three_public == "no_row" or not any(values09):
        # no data row (a row of blank cells prints nothing: it is not a row of the table)
        t09["rows"] = []
        t09["notes"].append(_EMPTY_NOTES["公开09表"][0])
    else:
        t09["rows"] = [{"code": None, "name": None, "values": values09}]
    tables.append(t09)
    # ---- 10
    if opts.table10:
        tables.append(_public_info(rng, dept, econ, opts))

    doc: dict[str, Any] = {
        "meta": {
            "doc": f"gen-{seed}",
            "generator": "extractor.evals.generate",
            "seed": seed,
            "kind": "决算",
            "department": dept,
            "year": year,
            "unit": "万元",
            "options": {
                "zero_style": opts.zero_style,
                "all_classes": opts.all_classes,
                "col_nos": opts.col_nos,
                "gov_fund": opts.gov_fund,
                "soe": opts.soe,
                "three_public": opts.three_public,
                "table10": opts.table10,
            },
            "line": "1-based line of the row in render_report(doc, TextStyle())",
        },
        "tables": tables,
    }
    assign_lines(doc)
    return doc
