"""Labeled disclosure defects (family C) for generated 决算 reports.

The generated text prints tables only, so a case here opens with a cover (department, "2023年度
部门决算") and a short 情况说明 whose figures agree with the tables (totals, a change on the year
before with the previous figure printed, the 基本/项目支出 split and its shares): the clean
case gives no finding of family N or C. Each kind then changes the report as the altered real
决算 of issue 17 was changed, one defect a case, labeled with its line (or its table):

- ``disclosure.placeholder``: the department, an amount or the year printed as ``XX``/``20XX``;
- ``disclosure.year``: a sentence about this year's spending printed with another year;
- ``disclosure.direction``: 增加 turned into 减少 (or back) in the change on the year before;
- ``disclosure.empty_table``: the 本表无数据 statement of an empty table left out (even seeds,
  where one is printed), or printed under a table with figures;
- ``disclosure.implausible``: a total of 公开03表 printed as 0.00 (odd seeds), or a share
  above 100% (even seeds);
- ``disclosure.punctuation``: a doubled 。 or ，, or a paragraph printed twice.

A change that also breaks an identity or a narrative claim (the zeroed total, the flipped
direction, the share) carries a source-inconsistency label for it too.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from extractor_evals.generate import generate_final_report
from extractor_evals.inject import Injection
from extractor_evals.render_text import TextStyle, render_report

__all__ = ["DISCLOSURE_KINDS", "alter_report", "make_disclosure_case"]

DISCLOSURE_KINDS = (
    "disclosure.placeholder",
    "disclosure.year",
    "disclosure.direction",
    "disclosure.empty_table",
    "disclosure.implausible",
    "disclosure.punctuation",
)
_CENT = Decimal("0.01")
_STATEMENT = "说明：本表无数据"


def _row(doc: dict[str, Any], table_id: str, name: str) -> dict[str, Any]:
    table = next(t for t in doc["tables"] if t["table_id"] == table_id)
    rows = [r for s in table.get("sections") or [] for r in s["rows"]] + (table.get("rows") or [])
    found: dict[str, Any] = next(r for r in rows if r.get("name") == name)
    return found


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(_CENT, ROUND_HALF_UP)


def _front(doc: dict[str, Any], rng: random.Random) -> tuple[list[str], dict[str, int]]:
    """The cover and the 情况说明 (lines, and the line index of each sentence by name)."""
    meta = doc["meta"]
    year, dept = meta["year"], meta["department"]
    income = Decimal(_row(doc, "公开01表", "本年收入合计")["values"][0])
    total, basic, project = (Decimal(v or "0") for v in _row(doc, "公开03表", "合计")["values"][:3])
    change = (income * Decimal(rng.randint(3, 20)) / 100).quantize(_CENT)
    up = rng.random() < 0.5
    prior = income - change if up else income + change
    words = ("增加", "增长") if up else ("减少", "下降")
    lines = [
        dept,
        f"{year}年度部门决算",
        "",
        f"第二部分 {year}年度部门决算情况说明",
        "",
        "一、收入支出决算总体情况说明",
        f"{year}年度本年收入合计{income}万元，比上年{words[0]}{change}万元，{words[1]}"
        f"{_pct(change, prior)}%（上年决算数为{prior}万元）。",
        "",
        "二、支出决算情况说明",
        f"{year}年度本年支出合计{total}万元，其中基本支出{basic}万元，占{_pct(basic, total)}%；"
        f"项目支出{project}万元，占{_pct(project, total)}%。",
        "",
    ]
    return lines, {"cover": 0, "title": 1, "heading": 3, "income": 6, "expense": 9}


def _shift_lines(node: Any, by: int) -> None:
    """Every ``line`` of the truth moved down by ``by`` (the front lines printed above)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "line" and isinstance(v, int):
                node[k] = v + by
            else:
                _shift_lines(v, by)
    elif isinstance(node, list):
        for v in node:
            _shift_lines(v, by)


def _label(kind: str, line: int | None, table: str | None = None, expected: str = "disclosure",
           before: str | None = None, after: str | None = None) -> Injection:
    return Injection(kind, expected, table or "narrative", None, -1, -1, line, before, after)


def _placeholder(front: list[str], at: dict[str, int], rng: random.Random) -> Injection:
    choice = rng.choice(("cover", "expense", "heading"))
    i = at[choice]
    before = front[i]
    if choice == "cover":
        front[i] = "XX局"
    elif choice == "expense":
        amount = before.split("其中基本支出", 1)[1].split("万元", 1)[0]
        front[i] = before.replace(f"基本支出{amount}万元", "基本支出XX万元", 1)
    else:
        front[i] = "第二部分 20XX年度部门决算情况说明"
    return _label("disclosure.placeholder", i + 1, before=before, after=front[i])


def _year(front: list[str], at: dict[str, int], rng: random.Random, year: int) -> Injection:
    i = at[rng.choice(("income", "expense"))]
    before = front[i]
    front[i] = before.replace(f"{year}年度", f"{year + rng.choice((-1, 1))}年度", 1)
    return _label("disclosure.year", i + 1, before=before, after=front[i])


def _direction(front: list[str], at: dict[str, int]) -> list[Injection]:
    i = at["income"]
    before = front[i]
    flip = "减少" if "比上年增加" in before else "增加"
    front[i] = before.replace("比上年增加", "比上年" + flip).replace("比上年减少", "比上年" + flip)
    return [
        _label("disclosure.direction", i + 1, before=before, after=front[i]),
        _label("narrative.growth", i + 1, expected="source_inconsistency"),
    ]


def _punctuation(front: list[str], at: dict[str, int], rng: random.Random) -> Injection:
    i = at[rng.choice(("income", "expense"))]
    before = front[i]
    how = rng.choice(("。。", "，，", "twice"))
    if how == "twice":
        front.insert(i + 1, before)
        for k, v in at.items():
            at[k] = v + 1 if v > i else v
        return _label("disclosure.punctuation", i + 2, before=before, after=before)
    front[i] = before.replace(how[0], how, 1) if how == "，，" else before + "。"
    return _label("disclosure.punctuation", i + 1, before=before, after=front[i])


def _share(front: list[str], at: dict[str, int], rng: random.Random) -> list[Injection]:
    i = at["expense"]
    before = front[i]
    head, tail = before.split("占", 1)
    pct = tail.split("%", 1)[0]
    front[i] = f"{head}占{Decimal(pct) + rng.randint(101, 150)}%{tail.split('%', 1)[1]}"
    return [
        _label("disclosure.implausible", i + 1, before=before, after=front[i]),
        _label("narrative.share", i + 1, expected="source_inconsistency"),
    ]


def _table_line(lines: list[str], table_id: str, startswith: str) -> int:
    """The index of the first line after ``table_id``'s label that starts with ``startswith``
    (before the next table's label)."""
    start = lines.index(table_id)
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("公开") and lines[i].endswith("表") and i > start + 1:
            break
        if lines[i].startswith(startswith):
            return i
    raise ValueError(f"no {startswith!r} line under {table_id}")


def _empty_table(lines: list[str], rng: random.Random, drop: bool) -> Injection:
    empties = [t for t in ("公开07表", "公开08表") if _has_line(lines, t, _STATEMENT)]
    if empties and drop:
        table = rng.choice(empties)
        i = _table_line(lines, table, _STATEMENT)
        before, lines[i] = lines[i], ""
        return _label("disclosure.empty_table", None, table, before=before, after="")
    table = rng.choice(("公开02表", "公开03表", "公开05表"))
    i = _table_line(lines, table, "注：") + 1  # the blank line under the table's note
    lines[i] = _STATEMENT
    # the finding names the table (its first line), not the statement's line
    return _label("disclosure.empty_table", None, table, before="", after=_STATEMENT)


def _has_line(lines: list[str], table_id: str, text: str) -> bool:
    try:
        _table_line(lines, table_id, text)
    except ValueError:
        return False
    return True


def _zero_total(lines: list[str], doc: dict[str, Any]) -> list[Injection]:
    row = _row(doc, "公开03表", "合计")
    i = row["line"] - 1
    cells = lines[i].split("\t")
    before = row["values"][0]
    at = next(k for k, c in enumerate(cells) if c.replace(",", "") == before)
    cells[at] = "0.00"
    lines[i] = "\t".join(cells)
    row["values"][0] = "0.00"
    return [
        _label("disclosure.implausible", i + 1, "公开03表", before=before, after="0.00"),
        _label("source.total", i + 1, "公开03表", expected="source_inconsistency"),
    ]


def make_disclosure_case(
    seed: int, kind: str | None
) -> tuple[str, dict[str, Any], list[Injection]]:
    """(report text, truth document, labels) of a generated 决算 with a cover and a
    情况说明, clean (kind None) or with one disclosure defect. Deterministic from (seed, kind)."""
    if kind is not None and kind not in DISCLOSURE_KINDS:
        raise ValueError(f"unknown disclosure kind {kind!r}; one of {', '.join(DISCLOSURE_KINDS)}")
    doc = copy.deepcopy(generate_final_report(seed))
    rng = random.Random(f"disclosure:{seed}:{kind}")
    front, at = _front(doc, rng)
    labels: list[Injection] = []
    if kind == "disclosure.placeholder":
        labels.append(_placeholder(front, at, rng))
    elif kind == "disclosure.year":
        labels.append(_year(front, at, rng, int(doc["meta"]["year"])))
    elif kind == "disclosure.direction":
        labels.extend(_direction(front, at))
    elif kind == "disclosure.punctuation":
        labels.append(_punctuation(front, at, rng))
    elif kind == "disclosure.implausible" and seed % 2 == 0:  # a share; odd seeds a total
        labels.extend(_share(front, at, rng))
    lines = render_report(doc, TextStyle()).split("\n")
    if kind == "disclosure.empty_table":
        labels.append(_empty_table(lines, rng, drop=seed % 2 == 0))
    elif kind == "disclosure.implausible" and not labels:
        labels.extend(_zero_total(lines, doc))
    by = len(front)
    _shift_lines(doc, by)
    # the table lines were counted without the front lines above them
    labels = [
        replace(lb, line=lb.line + by)
        if lb.line is not None and lb.table_id != "narrative"
        else lb
        for lb in labels
    ]
    return "\n".join(front + lines), doc, labels


# ------------------------------------------------------------------ an altered real report

_TABLE_LABEL = re.compile(r"^公开\d{2}表$")
_CHANGE = re.compile(r"(增加|减少)(\d[\d,，]*(?:\.\d+)?万元[，,])(增长|下降)")


def _is_prose(line: str) -> bool:
    return "\t" not in line and len(line.strip()) >= 20


def alter_report(
    text: str, year: int, department: str, department_line: int, remove: str = "公开08表"
) -> tuple[str, list[Injection]]:
    """The six changes of issue 17's altered 决算, made on any report text: the department
    printed as "XX" on its cover line, the first sentence about the year's 收入/支出 given
    the year before, the first change on the year before with 增加/减少 flipped, a 。 doubled,
    the first non-zero 合计 printed as 0.00, and the table labelled ``remove`` blanked out
    (its lines kept, empty, so the other labels keep their lines). Raises StopIteration or
    ValueError when the report has no place for one of them."""
    lines = text.split("\n")
    labels = [_label("disclosure.placeholder", department_line)]
    # the name as printed, letter-spaced or not ("长 治 市 …")
    printed = r"\s*".join(map(re.escape, department))
    lines[department_line - 1] = re.sub(printed, "XX", lines[department_line - 1], count=1)
    this_year = re.compile(rf"^{year}\s*年度?(?=\S{{0,8}}(?:收入|支出))")
    i = next(k for k, x in enumerate(lines) if _is_prose(x) and this_year.search(x))
    lines[i] = this_year.sub(f"{year - 1}年度", lines[i], count=1)
    labels.append(_label("disclosure.year", i + 1))
    i = next(k for k, x in enumerate(lines) if k != i and _CHANGE.search(x))
    lines[i] = _CHANGE.sub(
        lambda m: ("减少" if m.group(1) == "增加" else "增加") + m.group(2) + m.group(3),
        lines[i],
        count=1,
    )
    labels.append(_label("disclosure.direction", i + 1))
    used = {lb.line for lb in labels}
    i = next(k for k, x in enumerate(lines) if _is_prose(x) and "。" in x and k + 1 not in used)
    lines[i] = lines[i].replace("。", "。。", 1)
    labels.append(_label("disclosure.punctuation", i + 1))
    i = next(
        k
        for k, x in enumerate(lines)
        if x.startswith("合计\t") and any(_nonzero(c) for c in x.split("\t")[1:])
    )
    cells = lines[i].split("\t")
    cells[next(j for j, c in enumerate(cells) if j and _nonzero(c))] = "0.00"
    lines[i] = "\t".join(cells)
    labels.append(_label("disclosure.implausible", i + 1))
    starts = [k for k, x in enumerate(lines) if _TABLE_LABEL.match(_compact(x))]
    at = next(n for n, k in enumerate(starts) if _compact(lines[k]) == remove)
    if at + 1 >= len(starts):
        raise ValueError(f"{remove} is the last table: nothing marks where it ends")
    for k in range(_title_of(lines, starts[at]), _title_of(lines, starts[at + 1])):
        lines[k] = ""
    labels.append(_label("extract.table_missing", None, remove, expected="extraction_error"))
    return "\n".join(lines), labels


def _compact(line: str) -> str:
    return re.sub(r"\s", "", line)


def _title_of(lines: list[str], label: int) -> int:
    """The title line above a table's 公开NN表 label."""
    return max(k for k in range(label) if lines[k].strip())


def _nonzero(cell: str) -> bool:
    try:
        return Decimal(cell.replace(",", "").strip() or "0") != 0
    except ArithmeticError:
        return False
