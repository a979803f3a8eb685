"""The 部门预算 附件 set as data (data/budget.json): titles and 目录 wording, columns, economic
items, the pools a generated budget draws its items and names from (used by
generate_budget.py)."""

from __future__ import annotations

from extractor_evals.catalog import Catalog

_BUDGET = Catalog("budget")

#: 目录 number -> (目录 wording, printed title, definition id)
BUDGET_TOC = _BUDGET.get("budget_toc", dict[int, tuple[str, str, str]])

# tables that may print without their 附件 label (their titles are unique in the set)
UNLABELED_CANDIDATES = _BUDGET.get("unlabeled_candidates", tuple[int, ...])

#: economic items of the basic spending: (code, name, detail-table column index or None).
#: The index is the column of 附件5/10 (301), 附件6/11 (302) or 附件7/12 (303), 0-based.
ECON_ITEMS = _BUDGET.get("econ_items", dict[str, list[tuple[str, str, int | None]]])
ECON_CLASS_NAMES = _BUDGET.get("econ_class_names", dict[str, str])
PERSONNEL = _BUDGET.get("personnel", tuple[str, ...])
# economic items budgeted under a personnel 项 code of their own (when basic spending is spread
# over several codes): econ code -> (项 code, 项 name, 款 code, 款 name)
PERSONNEL_LEAVES = _BUDGET.get("personnel_leaves", dict[str, tuple[str, ...]])

# weights of the items a department budgets (the rest stay blank)
WAGE_POOL = _BUDGET.get("wage_pool", dict[str, int])
GOODS_POOL = _BUDGET.get("goods_pool", dict[str, int])
AID_POOL = _BUDGET.get("aid_pool", dict[str, int])

WAGE_COLUMNS = _BUDGET.get("wage_columns", list[str])
GOODS_COLUMNS = _BUDGET.get("goods_columns", list[str])
AID_COLUMNS = _BUDGET.get("aid_columns", list[str])
FUNDING_COLUMNS = _BUDGET.get("funding_columns", list[str])
BASIC_TYPES = _BUDGET.get("basic_types", list[str])
PROJECT_TYPES = _BUDGET.get("project_types", list[str])
BY_TYPE_COLUMNS = [
    "总计",
    "基本支出/合计",
    *(f"基本支出/{n}" for n in BASIC_TYPES),
    "项目支出/合计",
    *(f"项目支出/{n}" for n in PROJECT_TYPES),
]
PROJECT_COLUMNS = _BUDGET.get("project_columns", list[tuple[str, ...]])
THREE_PUBLIC_COLUMNS = _BUDGET.get("three_public_columns", list[str])

# 附件1/8 income rows: (printed name, key of the amount)
SUMMARY_INCOME = _BUDGET.get("summary_income", list[tuple[str, ...]])
SUMMARY_INCOME_MORE = _BUDGET.get("summary_income_more", list[tuple[str, ...]])
# 类 not listed in the summaries' full class list (they never carry a department's budget)
NOT_LISTED = _BUDGET.get("not_listed", set[str])
# 类 renamed in 2019 (function_classes.toml lists the older name second)
RENAMED_2019 = _BUDGET.get("renamed_2019", set[str])

PROJECT_WORDS = _BUDGET.get("project_words", list[str])
PROJECT_NATURE = _BUDGET.get("project_nature", list[str])
