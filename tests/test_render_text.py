"""Tests of evals/render_text.py on its own (no extractor import): truth tables -> report text."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from extractor_evals.render_text import TextStyle, format_amount, render_report, render_table

TRUTH = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "seeds" / "truth"
DOCS = ("000", "001")
FOOTER = re.compile(r"- \d+ -")

STYLES = {
    "default": TextStyle(),
    "plain": TextStyle(thousands=False),
    "blank_zeros": TextStyle(blank_zeros=True),
    "split": TextStyle(split_pages=True),
    "spaced": TextStyle(spaced_digits=True),
    "cells": TextStyle(layout="cell_per_line"),
    "cells_all": TextStyle(
        layout="cell_per_line", thousands=False, blank_zeros=True, split_pages=True
    ),
    "tab_all": TextStyle(blank_zeros=True, split_pages=True, spaced_digits=True),
}


def load(doc: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TRUTH / f"{doc}.json").read_text(encoding="utf-8"))
    return data


def table(doc: str, table_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [t for t in load(doc)["tables"] if t["table_id"] == table_id]
    assert len(found) == 1
    return found[0]


def all_rows(tab: dict[str, Any]) -> list[dict[str, Any]]:
    if tab.get("sections"):
        return [r for s in tab["sections"] for r in s["rows"]]
    rows: list[dict[str, Any]] = tab["rows"]
    return rows


def cells_of(lines: list[str], style: TextStyle) -> list[str]:
    """Every printed cell of the rendered lines (plain lines count as one cell in tab_rows)."""
    if style.layout == "cell_per_line":
        return [line[1:] for line in lines if line.startswith("\t")]
    return [cell for line in lines for cell in line.split("\t")]


def cell_groups(lines: list[str]) -> list[list[str]]:
    """Rows of a cell_per_line rendering: runs of TAB-led lines, ended by an empty line."""
    groups: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if line.startswith("\t"):
            current = current if current is not None else []
            current.append(line[1:])
        else:
            if current is not None:
                assert line == "", f"row not ended by an empty line: {line!r}"
                groups.append(current)
            current = None
    if current is not None:
        groups.append(current)
    return groups


@pytest.mark.parametrize(
    ("value", "style", "expected"),
    [
        ("3676.35", TextStyle(), "3,676.35"),
        ("3676.35", TextStyle(thousands=False), "3676.35"),
        ("999.99", TextStyle(), "999.99"),
        ("1000", TextStyle(), "1,000"),
        ("-1234567.8", TextStyle(), "-1,234,567.8"),
        ("1535.174", TextStyle(), "1,535.174"),
        ("60", TextStyle(), "60"),
        ("4.5", TextStyle(), "4.5"),
        ("0.00", TextStyle(), "0.00"),
        ("0.00", TextStyle(blank_zeros=True), ""),
        ("0", TextStyle(blank_zeros=True), ""),
        ("-0.00", TextStyle(blank_zeros=True), ""),
        ("0.01", TextStyle(blank_zeros=True), "0.01"),
        ("3676.35", TextStyle(spaced_digits=True), "3, 676. 35"),
        ("0.00", TextStyle(spaced_digits=True), "0. 00"),
        ("3676.35", TextStyle(spaced_digits=True, thousands=False), "3676. 35"),
        ("——", TextStyle(blank_zeros=True, spaced_digits=True), "——"),
        (None, TextStyle(), ""),
    ],
)
def test_format_amount(value: str | None, style: TextStyle, expected: str) -> None:
    assert format_amount(value, style) == expected


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("style_name", sorted(STYLES))
def test_every_style_renders_every_table(doc: str, style_name: str) -> None:
    style = STYLES[style_name]
    data = load(doc)
    report_lines = render_report(data, style).split("\n")
    position = 0
    for tab in data["tables"]:
        lines = render_table(tab, style)
        assert lines[0] == tab["title"]
        assert tab["table_id"] in lines and "单位：" + tab["unit"] in lines
        # the tables come out in truth order, each starting with its title line
        position = report_lines.index(tab["title"], position) + 1
        cells = set(cells_of(lines, style))
        for row in all_rows(tab):
            for text in (row.get("code"), row.get("name")):
                assert text is None or text in cells, (tab["table_id"], text)
            for value in row["values"]:
                printed = format_amount(value, style)
                assert not printed or printed in cells, (tab["table_id"], value, printed)
        for note in tab["notes"]:
            assert note in lines


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("style_name", sorted(STYLES))
def test_rendering_is_deterministic_and_pure(doc: str, style_name: str) -> None:
    style = STYLES[style_name]
    data = load(doc)
    before = json.dumps(data, ensure_ascii=False, sort_keys=True)
    first = render_report(data, style)
    assert render_report(copy.deepcopy(data), style).encode() == first.encode()
    assert render_report(data, style) == first
    assert json.dumps(data, ensure_ascii=False, sort_keys=True) == before  # input untouched
    assert first.endswith("\n") and "\r" not in first


@pytest.mark.parametrize("doc", DOCS)
def test_plain_values_appear_verbatim(doc: str) -> None:
    style = TextStyle(thousands=False)
    for tab in load(doc)["tables"]:
        lines = render_table(tab, style)
        cells = set(cells_of(lines, style))
        values = [v for row in all_rows(tab) for v in row["values"] if v is not None]
        missing = [v for v in values if v not in cells]
        assert not missing, (tab["table_id"], missing)
        if tab["layout"] == "function_coded":  # each coded row is one exact line
            for row in tab["rows"]:
                label = [row["code"], row["name"]] if row["code"] else [row["name"], ""]
                expected = "\t".join([*label, *(v or "" for v in row["values"])])
                assert lines.count(expected) == 1, expected


def test_function_coded_header_rows() -> None:
    lines = render_table(table("000", "公开05表"), TextStyle())
    start = lines.index("项目\t\t本年支出\t\t")
    assert lines[start : start + 4] == [
        "项目\t\t本年支出\t\t",
        "科目编码\t科目名称\t小计\t基本支出\t项目支出",
        "栏次\t\t1\t2\t3",
        "合计\t\t3,676.35\t167.72\t3,508.63",
    ]
    flat = render_table(table("000", "公开02表"), TextStyle())
    names = ["本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入"]
    names += ["附属单位上缴收入", "其他收入"]
    assert "\t".join(["项目", "", *names]) in flat
    assert not any(line.startswith("科目编码") for line in flat)  # one-level header: no 2nd row


def test_two_sided_pairs_rows_by_index() -> None:
    lines = render_table(table("000", "公开01表"), TextStyle())
    start = lines.index("收入\t\t\t支出\t\t")
    assert lines[start + 1 : start + 4] == [
        "项目\t行次\t决算数\t项目\t行次\t决算数",
        "栏次\t\t1\t栏次\t\t2",
        "一、一般公共预算财政拨款收入\t1\t3,676.35\t一、一般公共服务支出\t16\t96.57",
    ]
    assert "\t9\t\t九、金融支出\t24\t0.05" in lines  # 收入 name null -> empty cell
    assert "总计\t15\t3,682.51\t总计\t30\t3,682.51" in lines
    wide = render_table(table("000", "公开04表"), TextStyle())
    assert "栏次\t\t1\t栏次\t\t2\t3\t4\t5" in wide


def test_economic_blocks_side_by_side_and_footer() -> None:
    lines = render_table(table("000", "公开06表"), TextStyle())
    header = "经济分类科目编码\t科目名称\t决算数"
    assert "\t".join([header] * 3) in lines
    assert (
        "301\t工资福利支出\t145.86\t302\t商品和服务支出\t21.86\t307\t债务利息及费用支出\t0.00"
        in lines
    )
    assert "\t\t\t30299\t其他商品和服务支\t1.24\t\t\t" in lines  # block 1 and 3 exhausted
    assert "人员经费合计\t\t145.86\t公用经费合计\t\t\t\t\t21.86" in lines  # seed 000 l.426
    four = render_table(table("001", "公开06表"), TextStyle())
    footer = next(line for line in four if line.startswith("人员经费合计")).split("\t")
    assert len(footer) == 12
    assert (footer[2], footer[3], footer[11]) == ("381.48", "公用经费合计", "25.80")
    assert set(footer[4:11]) == {""}
    assert "——" in cells_of(four, TextStyle())


def test_single_row_three_level_header() -> None:
    lines = render_table(table("000", "公开09表"), TextStyle())
    start = lines.index("预算数\t\t\t\t\t\t决算数\t\t\t\t\t")
    half2 = "合计\t因公出国（境）费\t公务用车购置及运行维护费\t\t\t公务接待费"
    half3 = "\t\t小计\t公务用车购置费\t公务用车运行维护费\t"
    assert lines[start + 1 : start + 5] == [
        f"{half2}\t{half2}",
        f"{half3}\t{half3}",
        "\t".join(str(n) for n in range(1, 13)),
        "0.90\t0.00\t0.00\t0.00\t0.00\t0.90\t0.00\t0.00\t0.00\t0.00\t0.00\t0.00",
    ]
    no_data = render_table(table("001", "公开09表"), TextStyle())  # rows == []
    numbers = no_data.index("\t".join(str(n) for n in range(1, 13)))
    assert no_data[numbers + 1] == ""  # no data row, then the notes


def test_sectioned_table() -> None:
    lines = render_table(table("001", "公开10表"), TextStyle())
    start = lines.index("一、政府采购情况\t\t")
    assert lines[start : start + 3] == [
        "一、政府采购情况\t\t",
        "项目\t行次\t统计数",
        "合计\t1\t9.19",
    ]
    assert "工程\t3\t" in lines and "三、国有资产占用情况\t\t" in lines


@pytest.mark.parametrize("doc", DOCS)
def test_cell_per_line_has_tabs_only_at_line_start(doc: str) -> None:
    style = TextStyle(layout="cell_per_line", split_pages=True)
    for tab in load(doc)["tables"]:
        lines = render_table(tab, style)
        assert all("\t" not in line[1:] for line in lines), tab["table_id"]
        plain = [line for line in lines if line and not line.startswith("\t")]
        assert tab["title"] in plain and all(note in plain for note in tab["notes"])
        assert cell_groups(lines)  # every table has at least its header rows


def test_cell_per_line_rows_and_merged_total() -> None:
    style = TextStyle(layout="cell_per_line")
    tab = table("000", "公开02表")
    groups = cell_groups(render_table(tab, style))
    assert len(groups) == 2 + len(tab["rows"])  # header row + 栏次 row + data rows
    assert groups[0][:3] == ["项目", "", "本年收入合计"]
    assert groups[1] == ["栏次", "", "1", "2", "3", "4", "5", "6", "7"]
    # 合计 is one merged cell over code and name: one cell fewer than a coded row
    assert groups[2] == ["合计", "3,676.35", "3,676.35", "0.00", "0.00", "0.00", "0.00", "0.00"]
    assert groups[3] == ["201", "一般公共服务支出", "96.57", "96.57", *["0.00"] * 5]
    assert all(len(g) == 9 for g in groups[3:])
    empty_total = cell_groups(render_table(table("001", "公开07表"), style))[-1]
    assert empty_total == ["合计", "", "", "", "", "", ""]  # blank cells are lines of one TAB


def test_split_pages_repeats_heading_and_headers_only() -> None:
    tab = table("000", "公开02表")
    lines = render_table(tab, TextStyle(split_pages=True), page=3)
    assert lines.count(tab["title"]) == 2
    assert lines.count("公开02表") == 2
    assert lines.count("部门：株州市荷塘区医疗保障局") == 2
    assert lines.count("单位：万元") == 2
    assert lines.count("栏次\t\t1\t2\t3\t4\t5\t6\t7") == 2
    assert [line for line in lines if FOOTER.fullmatch(line)] == ["- 3 -"]
    footer = lines.index("- 3 -")
    assert lines[footer - 1] == "" and lines[footer + 1] == ""
    assert lines[footer + 2] == tab["title"]
    assert lines.count(tab["notes"][0]) == 1 and lines.index(tab["notes"][0]) > footer
    data = [line for line in lines if line.split("\t")[0] in {r["code"] for r in tab["rows"]}]
    assert len(data) == len(tab["rows"]) - 1  # every coded row once (合计 has no code)
    before = sum(1 for line in data if lines.index(line) < footer)
    assert before in (len(tab["rows"]) // 2, (len(tab["rows"]) + 1) // 2)
    short = table("000", "公开07表")  # one data row: not split
    short_lines = render_table(short, TextStyle(split_pages=True))
    assert short_lines.count(short["title"]) == 1
    assert not any(FOOTER.fullmatch(line) for line in short_lines)


def test_split_pages_report_numbers_footers() -> None:
    text = render_report(load("000"), TextStyle(split_pages=True))
    numbers = [int(m) for m in re.findall(r"^- (\d+) -$", text, flags=re.MULTILINE)]
    assert len(numbers) >= 5 and numbers == sorted(set(numbers))
    plain = render_report(load("000"), TextStyle())
    assert not re.search(r"^- \d+ -$", plain, flags=re.MULTILINE)


def test_blank_zeros_removes_zero_cells() -> None:
    data = load("000")
    plain = cells_of(render_report(data, TextStyle()).split("\n"), TextStyle())
    assert plain.count("0.00") > 100
    blank = cells_of(render_report(data, TextStyle(blank_zeros=True)).split("\n"), TextStyle())
    assert "0.00" not in blank and "0" not in blank
    assert "3,676.35" in blank and "0.05" in blank and "0.90" in blank
    lines = render_table(table("000", "公开02表"), TextStyle(blank_zeros=True))
    assert "201\t一般公共服务支出\t96.57\t96.57\t\t\t\t\t" in lines


def test_spaced_digits_like_seed() -> None:
    lines = render_table(table("000", "公开02表"), TextStyle(spaced_digits=True))
    # seed 000 l.124 prints these cells as "3, 676. 35" and "0. 00"
    assert "合计\t\t3, 676. 35\t3, 676. 35\t0. 00\t0. 00\t0. 00\t0. 00\t0. 00" in lines
    assert "201\t一般公共服务支出\t96. 57\t96. 57\t0. 00\t0. 00\t0. 00\t0. 00\t0. 00" in lines
