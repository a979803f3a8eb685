"""What a report is about: department, year, kind (决算/预算), scope (部门/单位) and region,
read from its cover and front matter ("上海市普陀区规划和自然资源局 / 2024 年度部门决算",
"预算主管部门：…", "编制单位：…", "第一部分 X概况"), with where each was read.

The tables' own 部门/单位 lines are a fallback for the department. A fact that cannot be found
stays None and the caller says so."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from extractor.numbers import normalize_text

# how far into the document the front matter may reach (plain lines)
_FRONT_LINES = 80
# "2024 年度部门决算", "2025年区级部门预算", "2020 年度单位预算"
# (on text with spaces removed) "2024年度部门决算", "2025年区级部门预算", "2023年度 X 部门决算"
_KIND = re.compile(
    r"(?P<year>(?:19|20)\d{2})年度?(?P<mid>.{0,40}?)(?:[区市县省]级|本级)?"
    r"(?P<scope>部门|单位)?(?P<kind>决算|预算)(?!表)"
)
_LABELLED = re.compile(
    r"^(?:预算主管部门|主管部门|部门名称|单位名称|编制单位|编制部门|预算单位|填报单位|部门)"
    r"\s*[:：]\s*(?P<name>\S.{1,40}?)\s*$"
)
_PART_ONE = re.compile(r"^第一部分\s*(?P<name>\S{4,40}?)(?:\d{4}\s*年度?)?\s*概况$")
# what an organisation's name ends in
_ORG_END = re.compile(
    r"(?:局|委员会|委|办公室|办事处|人民政府|政府|院|中心|处|所|站|馆|会|部|厅|队|校|学|司|署|社|台|团)$"
)
_REGION = re.compile(
    r"^(?P<region>(?:\S{2,7}?(?:省|自治区))?(?:\S{1,7}?(?:市|自治州|州|盟|地区))?"
    r"(?:\S{1,7}?(?:区|县|旗|市))?)"
)


@dataclass(frozen=True)
class Fact:
    """One fact and where it was read."""

    value: str
    text: str  # the printed text it was read from
    line: int | None
    page: int | None
    source: str  # "cover", "label", "part heading", "tables"


@dataclass(frozen=True)
class Facts:
    department: Fact | None = None
    year: Fact | None = None
    kind: Fact | None = None  # 决算 / 预算
    scope: Fact | None = None  # 部门 / 单位
    region: Fact | None = None


PlainLine = tuple[str, int | None, int | None]  # text, line, page


def _compact(text: str) -> str:
    return normalize_text(text).replace(" ", "").replace("\u3000", "")


def _org(name: str) -> str | None:
    name = name.strip("：:，,。 ")
    return name if 4 <= len(name) <= 40 and _ORG_END.search(name) else None


def read_facts(lines: Sequence[PlainLine], table_departments: Sequence[str] = ()) -> Facts:
    """The document's facts from its first plain lines (and the tables' department lines)."""
    front = [(t, ln, pg) for t, ln, pg in lines[:_FRONT_LINES] if t.strip()]
    department = year = kind = scope = None
    for i, (text, line, page) in enumerate(front):
        c = _compact(text)
        m = _KIND.search(c)
        if m and year is None:
            where = (text, line, page)
            year = Fact(m.group("year"), *where, "cover")
            kind = Fact(m.group("kind"), *where, "cover")
            if m.group("scope"):
                scope = Fact(m.group("scope"), *where, "cover")
            if department is None:
                department = _name_around(front, i, c[: m.start()])
        if department is None:
            lab = _LABELLED.match(c) or _PART_ONE.match(c)
            if lab:
                name = _org(lab.group("name"))
                if name:
                    source = "label" if lab.re is _LABELLED else "part heading"
                    department = Fact(name, text, line, page, source)
    if department is None and table_departments:
        name, _ = Counter(table_departments).most_common(1)[0]
        department = Fact(name, name, None, None, "tables")
    region = None
    if department is not None:
        r = _REGION.match(department.value)
        if r and r.group("region") and r.group("region") != department.value:
            region = Fact(r.group("region"), department.text, department.line, department.page,
                          department.source)
    return Facts(department, year, kind, scope, region)


def _name_around(front: Sequence[PlainLine], i: int, before: str) -> Fact | None:
    """The organisation named on the cover with the year line: on the same line, before the
    year or between it and the kind ("2023年度 株洲市荷塘区医疗保障局 部门决算"), or on the
    lines just above it (a long name wraps: "上海市普陀区规划和自然" / "资源局")."""
    text, line, page = front[i]
    m = _KIND.search(_compact(text))
    for cand in (before, m.group("mid") if m else ""):
        name = _org(cand)
        if name:
            return Fact(name, text, line, page, "cover")
    joined = ""
    for j in range(i - 1, max(i - 4, -1), -1):
        prev, pline, ppage = front[j]
        joined = _compact(prev) + joined
        name = _org(joined)
        if name:
            return Fact(name, "".join(t for t, _, _ in front[j:i]), pline, ppage, "cover")
    return None
