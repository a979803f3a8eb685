"""Render a generated 部门预算 (generate_budget.py) as text laid out like the seed 004.

The text has the cover lines, the 目录 listing the 20 tables, a short 情况说明 whose figures are
the document's own (totals, 其中 breakdowns, 基本/项目 amounts and their shares), then the tables as
TAB rows: codes over 类/款/项 cells ("209\\t03\\t01"), 栏次 rows ("**\\t…\\t1\\t2…"), empty tables
printed "无" or with no data row, 附件 labels only where the table carries one.

``budget_layout(doc)`` returns the lines with the line of every row; ``assign_budget_lines`` writes
them into the document, so each row's ``line`` is its line in ``render_budget_report(doc)``.
``traps`` prints 004's layout traps (none changes a value; the pipeline must place every value
by header and arithmetic, not by cell position):

- ``lost_cell`` (004 附件4): every data row of 附件4 whose 对个人和家庭的补助 and
  业务性商品和服务支出 (基本支出) are both blank loses one of those empty cells. Rows where the
  lost blank would sit beside a printed value are left whole: the pipeline does not realign
  those yet (budget seeds 0 and 3 show it);
- ``extra_cell`` (004 附件6): the data rows of 附件6 have one extra leading cell;
- ``header_left`` (004 附件4/9/13): the header text of the 分类 tables sits one cell left of its
  grid column.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from extractor_evals.money import share_percent

TRAPS = ("lost_cell", "extra_cell", "header_left")

__all__ = ["TRAPS", "BudgetText", "assign_budget_lines", "budget_layout", "render_budget_report"]

_EXPENSE_HEAD = [
    [
        "科目",
        "",
        "",
        "",
        "总计",
        "一般公共预算 拨款",
        "政府性基金拨 款",
        "纳入专户管理的 非税收入拨 款",
        "其他收入",
        "上年结转",
    ],
    ["科目编码", "", "", "科目名称", "", "", "", "", "", ""],
    ["类", "款", "项", "", "", "", "", "", "", ""],
]
_INCOME_HEAD = [
    [
        "单位",
        "",
        "总计",
        "一般公共预算 拨款",
        "政府性基金 拨款",
        "纳入专户管 理的非税收 入拨款",
        "其他收入",
        "上年结转",
    ],
    ["单位代码", "单位名称", "", "", "", "", "", ""],
]
_BY_TYPE_HEAD = [
    [
        "功能科目",
        "",
        "",
        "",
        "总 计",
        "基本支出",
        "",
        "",
        "",
        "",
        "项目支出",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "科目编码",
        "",
        "",
        "科目名称",
        "",
        "合计",
        "工资福利支出",
        "一般商品和服务支出",
        "对个人和家庭的补助",
        "业务性商品和服务支出",
        "合计",
        "对个人和家庭的补助",
        "专项商品和服务支出",
        "对企事业单位的补贴",
        "债务利息支出",
        "其他资本性支出",
        "其他支出",
    ],
    ["类", "款", "项", *[""] * 14],
]
_WAGE_HEAD = [
    [
        "功能科目代码",
        "",
        "",
        "单位代码",
        "单位名称",
        "功能科目",
        "总 计",
        "工资性支出",
        "",
        "",
        "",
        "",
        "社会保障缴费",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "伙食补助 费",
        "住房公 积金",
        "其他工资 福利支出",
    ],
    [
        "类",
        "款",
        "项",
        "",
        "",
        "",
        "",
        "合计",
        "基本工资",
        "津贴补贴",
        "绩效工资",
        "奖金",
        "合计",
        "工伤保险",
        "生育保险",
        "机关事业单位基 本养老保险缴费",
        "职业年 金缴费",
        "职工基本医 疗保险缴费",
        "公务员医疗 补助缴费",
        "医疗费",
        "其他社会 保障缴费",
        "",
        "",
        "",
    ],
    ["**"] * 6 + [str(i) for i in range(1, 19)],
]
_AID_HEAD = [
    [
        "功能科目",
        "",
        "",
        "单位代码",
        "单位名称",
        "功能科目",
        "总计",
        "离休费",
        "退休费",
        "退职 (役) 费",
        "抚恤金",
        "生活补助",
        "救济费",
        "医疗费",
        "助学金",
        "奖励金",
        "生产补 贴",
        "其他",
    ],
    ["类", "款", "项", *[""] * 15],
    ["**"] * 6 + [str(i) for i in range(1, 13)],
]
_PROJECT_HEAD = [
    ["单位名称", "项目名称", "总计", "资 金 来 源", "", "", "", "", "", "", ""],
    [
        "",
        "",
        "",
        "财政拨款",
        "纳入预算管理的非税收入拨款",
        "",
        "",
        "",
        "财政专户管理的非税收入拨款",
        "上年结转",
        "其他收入",
    ],
    ["", "", "", "", "合计", "政府性基金拨款", "专项收入拨款", "其他收入拨款", "", "", ""],
    ["**", "**", "1", "2", "3", "5", "6", "9", "10", "11", "12"],
]
_THREE_PUBLIC_HEAD = [
    ["单位名称", "三公经费预算数(一般公共预算拨款)", "", "", "", "", ""],
    ["", "小计", "公务接待费", "公务用车购置及运行费", "其中：", "", "因公出国(境)费用"],
    ["", "", "", "", "公务用车购置费", "公务用车运行维护费", ""],
]
_PERF_PROJECTS_HEAD = [
    [
        "单位名称",
        "单位专项支出名称",
        "专项支出性质",
        "资金总额",
        "专项支出管理办法",
        "立项依据",
        "长期绩效目标",
        "年度绩效目标",
        "年度实施进度计划",
        "实施保障措施",
    ]
]
_PERF_DIRECTIONS_HEAD = [
    [
        "主管部门",
        "专项名称",
        "专项实施期",
        "支出方向",
        "支出方向年度总金额",
        "",
        "",
        "",
        "实施期绩效目标",
        "年度绩效目标",
        "绩效指标",
        "",
    ],
    [
        "",
        "",
        "",
        "",
        "总计",
        "区级支出",
        "市级支出",
        "中央省级资金金额",
        "",
        "",
        "产出指标",
        "效益指标",
    ],
    ["", "", "", "", "", "", "", "", "", "", "数量指标", "社会效益或服务对象满意度指标"],
]
_ECON_HEAD = [
    ["经济科目", "经济科目名称", "总计", "人员经费", "公用经费"],
    ["**", "**", "1", "2", "3"],
]
_SPACED = {"本年收入合计": "本 年 收 入 合 计", "本年支出合计": "本 年 支 出 合 计"}
_SPACED |= {"收入总计": "收 入 总 计", "支出总计": "支 出 总 计"}


@dataclass
class BudgetText:
    """The rendered lines; ``rows[t][s][r]`` is the 1-based line of row r of section s (one
    pseudo-section for tables with rows) of table t; ``narrative`` names claim lines."""

    lines: list[str] = field(default_factory=list)
    rows: list[list[list[int]]] = field(default_factory=list)
    narrative: dict[str, int] = field(default_factory=dict)

    def add(self, *texts: str) -> int:
        self.lines.extend(texts)
        return len(self.lines)


def _amount(value: str | None, thousands: bool) -> str:
    if value is None:
        return ""
    if not thousands:
        return value
    integer, _, fraction = value.partition(".")
    if int(integer) < 1000:
        return value
    return f"{int(integer):,}" + ("." + fraction if fraction else "")


def _wan(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _values(row: dict[str, Any], table: dict[str, Any]) -> list[str]:
    return [_amount(v, bool(table.get("thousands"))) for v in row["values"]]


def _code_cells(row: dict[str, Any]) -> list[str]:
    printed = str(row.get("code_as_printed") or "")
    parts = printed.split(" ") if printed else []
    return [*parts, *[""] * (3 - len(parts))]


def _narrative(out: BudgetText, doc: dict[str, Any]) -> None:
    meta = doc["meta"]
    f = meta["facts"]
    year, dept, short = meta["year"], meta["department"], meta["department_short"]
    out.add("", "", dept, "", f"{year} 年度部门预算", "", "目 录", "")
    out.add(
        "第一部分 部门预算公开说明",
        "",
        "一、部门收支总体情况",
        "",
        "二、一般公共预算拨款支出预算",
        "",
    )
    out.add("第二部分 部门预算公开表格", "")
    for t in doc["tables"]:
        out.add(f"- {t['toc_no']}.{t['toc_title']}")
    out.add("", "第一部分：", "", f"{short} {year} 年部门预算说明", "", "一、部门收支总体情况", "")
    parts = [f"一般公共预算拨款{_wan(f['gpb'])}万元"]
    if f["fund"]:
        parts.append(f"政府性基金拨款{_wan(f['fund'])}万元")
    out.narrative["income"] = (
        out.add(
            f"（一）收入预算：{year}年年初预算数{_wan(f['total'])}万元，其中：{'，'.join(parts)}。",
            "",
        )
        - 1
    )
    # a labeled injection (inject_budget.py) may print a wrong share
    override: dict[str, str] = meta.get("narrative_override") or {}
    basic_share = override.get("basic_share") or share_percent(f["basic"], f["total"])

    out.narrative["expense"] = (
        out.add(
            f"（二）支出预算：{year}年预算数{_wan(f['total'])}万元，其中：基本支出{_wan(f['basic'])}万元，"
            f"占{basic_share}%，项目支出{_wan(f['project'])}万元，"
            f"占{share_percent(f['project'], f['total'])}%。",
            "",
        )
        - 1
    )
    out.add("二、一般公共预算拨款支出预算", "")
    out.narrative["gpb"] = (
        out.add(
            f"{year}年本部门一般公共预算拨款支出{_wan(f['gpb'])}万元，其中：基本支出{_wan(f['basic_gpb'])}万元，"
            f"项目支出{_wan(f['project_gpb'])}万元。",
            "",
        )
        - 1
    )
    out.narrative["basic"] = (
        out.add(
            f"（一）基本支出：{year}年基本支出年初预算数为{_wan(f['basic_gpb'])}万元，其中：人员经费"
            f"{_wan(f['personnel_gpb'])}万元，公用经费{_wan(f['public_gpb'])}万元。",
            "",
        )
        - 1
    )
    out.add("第二部分：", "", f"{year}年{short}部门预算公开表格", "")


def _heading(out: BudgetText, table: dict[str, Any]) -> None:
    if table.get("table_id"):
        out.add(str(table["table_id"]), "")
    out.add(
        str(table["title"]), "", f"单位名称：{table['department_as_printed']}", "", "单位：万元", ""
    )


def _grid(out: BudgetText, header: list[list[str]]) -> None:
    for cells in header:
        out.add("\t".join(cells))


def _three_sided(out: BudgetText, table: dict[str, Any]) -> list[list[int]]:
    sections = table["sections"]
    n_sides = len(sections)
    if n_sides == 3:
        _grid(out, [["收 入", "", "支 出", "", "", ""], ["项 目", "本年预算"] * 3])
    else:
        _grid(
            out,
            [
                ["收 入", "", "支 出", "", "", ""],
                ["项 目", "本年预算", "项 目", "合计", "一般公共预算", "政府性基金预算"],
            ],
        )
    tails = ("本年收入合计", "本年支出合计")
    heads = [
        [
            r
            for r in s["rows"]
            if r["name"] not in tails and "总计" not in r["name"] and "用事业基金" not in r["name"]
        ]
        for s in sections
    ]
    widths = [len(s["columns"]) + 1 for s in sections]
    lines: list[dict[int, int]] = [{} for _ in sections]
    for i in range(max(len(h) for h in heads)):
        cells: list[str] = []
        for k, h in enumerate(heads):
            if i < len(h):
                cells += [str(h[i]["name"]), *_values(h[i], table)]
                lines[k][id(h[i])] = 0
            else:
                cells += [""] * widths[k]
        at = out.add("\t".join(cells))
        for k, h in enumerate(heads):
            if i < len(h):
                lines[k][id(h[i])] = at
    rest = [[r for r in s["rows"] if id(r) not in lines[k]] for k, s in enumerate(sections)]
    # the tail lines: 本年…合计, (用事业基金弥补收支差额), 总计
    for key in ("合计", "用事业基金", "总计"):
        cells = []
        chosen = []
        for k, r_list in enumerate(rest):
            r = next((r for r in r_list if key in str(r["name"])), None)
            if r is None:
                cells += [""] * widths[k]
            else:
                cells += [_SPACED.get(str(r["name"]), str(r["name"])), *_values(r, table)]
                chosen.append((k, r))
        if not chosen:
            continue
        at = out.add("\t".join(cells))
        for k, r in chosen:
            lines[k][id(r)] = at
    return [[lines[k][id(r)] for r in s["rows"]] for k, s in enumerate(sections)]


_BY_TYPE = (
    "budget.expense",
    "budget.expense_by_type",
    "budget.gpb_by_type",
    "budget.fund_by_type",
    "budget.special_by_type",
)
_PER_UNIT = (
    "budget.wages",
    "budget.gpb_wages",
    "budget.goods",
    "budget.gpb_goods",
    "budget.family_aid",
    "budget.gpb_family_aid",
)


def _by_type_body(
    out: BudgetText,
    table: dict[str, Any],
    traps: Collection[str],
    rows: list[dict[str, Any]],
    width: int,
) -> list[int]:
    """附件 tables by function code and expense type (支出 / 一般公共预算 / 基金 by type)."""
    definition = table["definition"]
    head = _EXPENSE_HEAD if definition == "budget.expense" else _BY_TYPE_HEAD
    if "header_left" in traps and head is _BY_TYPE_HEAD:
        # the texts from 总计 on print one cell left (a blank label cell is not printed)
        head = [head[0][:3] + head[0][4:], head[1][:4] + head[1][5:], head[2]]
    _grid(out, head)
    if table.get("empty"):
        if table.get("empty_as_printed") == "无":
            out.add("\t".join(["", "", "", "无", *[""] * width]))
        return []
    got = []
    for r in rows:
        vals = _values(r, table)
        lost = "lost_cell" in traps and definition == "budget.expense_by_type"
        if lost and vals[4] == vals[5] == "":
            del vals[5]  # one of two empty cells of the 基本支出 block is not printed
        lead = (
            ["", "", "", str(r["name"])]
            if r["level"] == "total"
            else [*_code_cells(r), str(r["name"])]
        )
        got.append(out.add("\t".join(lead + vals)))
    return got


def _per_unit_body(
    out: BudgetText,
    table: dict[str, Any],
    traps: Collection[str],
    rows: list[dict[str, Any]],
    width: int,
) -> list[int]:
    """The per-unit detail tables (工资福利, 商品和服务, 对个人和家庭的补助)."""
    definition = table["definition"]
    if "wages" in definition:
        head = _WAGE_HEAD
    elif "goods" in definition:
        cols = [str(c["name"]) for c in table["columns"]]
        head = [
            ["功能科目代码", "", "", "单位代码", "单位名称", "功能科目", "总 计", *cols[1:]],
            ["类", "款", "项", *[""] * (3 + width)],
            ["**"] * 6 + [str(i) for i in range(1, width + 1)],
        ]
    else:
        head = _AID_HEAD
    _grid(out, head)
    if table.get("empty"):
        if table.get("empty_as_printed") == "无":
            meta_row = [str(x) for x in table.get("empty_unit") or ["", ""]]
            out.add("\t".join(["", "", "", *meta_row, "无", *[""] * width]))
        return []
    got = []
    for r in rows:
        if r["level"] == "total":  # 合计 in the 功能科目 cell, no code or unit
            lead = ["", "", "", "", "", str(r["name"])]
        else:
            lead = [*_code_cells(r), str(r["unit_code"]), str(r["unit_name"]), str(r["name"])]
        if "extra_cell" in traps and definition == "budget.goods":
            lead.insert(0, "")
        got.append(out.add("\t".join(lead + _values(r, table))))
    return got


def _body(out: BudgetText, table: dict[str, Any], traps: Collection[str]) -> list[int]:
    definition = table["definition"]
    rows = table.get("rows") or []
    width = len(table.get("columns") or [])
    if definition in _BY_TYPE:
        return _by_type_body(out, table, traps, rows, width)
    if definition == "budget.income":
        _grid(out, _INCOME_HEAD)
        return [
            out.add("\t".join([str(r["code"]), str(r["name"]), *_values(r, table)])) for r in rows
        ]
    if definition in _PER_UNIT:
        return _per_unit_body(out, table, traps, rows, width)
    if definition == "budget.projects":
        _grid(out, _PROJECT_HEAD)
        return [
            out.add(
                "\t".join(
                    [
                        "" if r["level"] == "total" else str(r["unit_name"]),
                        str(r["name"]),
                        *_values(r, table),
                    ]
                )
            )
            for r in rows
        ]
    if definition == "budget.three_public":
        _grid(out, _THREE_PUBLIC_HEAD)
        return [out.add("\t".join([str(r["name"]), *_values(r, table)])) for r in rows]
    if definition == "budget.perf_unit":
        year = str(table["columns"][0]["name"]).split("/")[0]
        _grid(
            out,
            [
                [
                    "单位名称",
                    year,
                    "",
                    "",
                    "部门职能职责概述",
                    "整体绩效目标",
                    "部门整体支出年度绩效指标",
                    "",
                ],
                ["", "总计", "基本支出", "项目支出", "", "", "产出指标", "效益指标"],
            ],
        )
        return [
            out.add("\t".join([str(r["name"]), *_values(r, table), *(t or "" for t in r["texts"])]))
            for r in rows
        ]
    if definition == "budget.perf_projects":
        _grid(out, _PERF_PROJECTS_HEAD)
        got = []
        for r in rows:
            t = [x or "" for x in r["texts"]]
            unit = "" if r["level"] == "total" else str(r["unit_name"])
            name = "" if r["level"] == "total" else str(r["name"])
            first = "合计" if r["level"] == "total" else unit
            got.append(out.add("\t".join([first, name, t[0], *_values(r, table), *t[1:]])))
        return got
    if definition == "budget.perf_directions":
        _grid(out, _PERF_DIRECTIONS_HEAD)
        got = []
        for r in rows:
            t = [x or "" for x in r["texts"]]
            if r["level"] == "total":
                got.append(
                    out.add("\t".join(["合计", "", "", "", *_values(r, table), "", "", "", ""]))
                )
            else:
                got.append(
                    out.add(
                        "\t".join([t[0], str(r["name"]), t[1], t[2], *_values(r, table), *t[3:]])
                    )
                )
        return got
    if definition == "budget.basic_econ":
        _grid(out, _ECON_HEAD)
        return [
            out.add("\t".join([str(r.get("code") or ""), str(r["name"]), *_values(r, table)]))
            for r in rows
        ]
    raise ValueError(f"no budget layout for {definition}")


def budget_layout(doc: dict[str, Any], *, traps: Collection[str] = ()) -> BudgetText:
    """The report's lines and the line of every table row (see ``BudgetText``)."""
    out = BudgetText()
    _narrative(out, doc)
    for table in doc["tables"]:
        _heading(out, table)
        if table.get("sections"):
            out.rows.append(_three_sided(out, table))
        else:
            out.rows.append([_body(out, table, traps)])
        out.add("")
    return out


def render_budget_report(doc: dict[str, Any], *, traps: Collection[str] = ()) -> str:
    """The report as text (ends with a newline)."""
    unknown = set(traps) - set(TRAPS)
    if unknown:
        raise ValueError(f"unknown layout traps {sorted(unknown)}; known: {', '.join(TRAPS)}")
    return "\n".join(budget_layout(doc, traps=traps).lines) + "\n"


def assign_budget_lines(doc: dict[str, Any]) -> None:
    """Set each row's ``line`` and ``meta.narrative_lines`` from the rendering."""
    text = budget_layout(doc)
    for table, per in zip(doc["tables"], text.rows, strict=True):
        groups = (
            [s["rows"] for s in table["sections"]] if table.get("sections") else [table["rows"]]
        )
        for rows, lines in zip(groups, per, strict=True):
            for row, line in zip(rows, lines, strict=True):
                row["line"] = line
    doc["meta"]["narrative_lines"] = dict(text.narrative)
