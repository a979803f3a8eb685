"""Cells of a table's grid rows: header levels, 栏次 rows, code cells, numbering prefixes."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from extractor.model import SourceCell, SourceRow
from extractor.numbers import AmountKind, fold_variants, normalize_text, parse_amount, small_int

CODE_RE = re.compile(r"^\d{3}(?:\d{2}){0,2}$")
_CODE_PART_RE = re.compile(r"^\d{2,3}$")
TOTAL_RE = re.compile(r"^(合计|总计|小计|本年合计)$")
_LABEL_WORDS = re.compile(
    r"^(项目|科目|功能科目|预算科目|功能分类|经济分类|类|款|项|编码|代码|名称|行次|栏次|单位|"
    r"项目名称|项目\(科目\)|项目（科目）|\*\*)$"
    r"|^.{0,12}(科目|分类|单位|项目)(编码|代码|名称)$|^.{0,6}(科目|分类)$"
)
# the name column heading each side of a two-sided table ("项目", "收入项目", "项目(科目)",
# "科目名称"): two of them in one header row mark the sides
# 项目 of one side, or named after its side (收入项目, 本年支出项目, 财政拨款收入项目)
_SIDE_HEAD = re.compile(r"^(?:[\u4e00-\u9fff]{0,6}?(?:收入|支出))?(?:项目(?:\(科目\))?|科目名称)$")
_SMALL_INT = re.compile(r"^\d{1,3}$")
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．])\s*"
)


def norm(text: str) -> str:
    """A cell's text as output: CJK spaces removed, all other spaces removed too."""
    return normalize_text(text).replace(" ", "")


def label(text: str) -> str:
    """A cell's text for matching labels: ``norm`` plus variant characters folded (決→决)."""
    return fold_variants(norm(text))


def strip_numbering(name: str) -> str:
    """'一、一般公共服务支出' -> '一般公共服务支出'; '(一)行政单位' -> '行政单位'."""
    return _NUMBERING.sub("", name)


def cell(row: SourceRow, j: int) -> str:
    return row.cells[j].text if j < len(row.cells) else ""


def source_cell(row: SourceRow, j: int) -> SourceCell | None:
    return row.cells[j] if j < len(row.cells) else None


def is_label_word(text: str) -> bool:
    return bool(_LABEL_WORDS.match(label(text)))


def is_side_head(text: str) -> bool:
    """A header cell naming the label column of one side of a two-sided table."""
    return bool(_SIDE_HEAD.match(label(text)))


def side_heads(row: SourceRow) -> list[int]:
    """Positions of the side headings in a header row (two or more: a two-sided header)."""
    return [j for j, t in enumerate(row.texts) if is_side_head(t)]


def is_row_number_column(rows: Sequence[SourceRow], j: int) -> bool:
    """Cells down column ``j`` are small consecutive integers (行次 1, 2, 3 …; 栏次): a row
    number column, never an amount column. At least three numbers, rising, with few gaps
    (a blank cell where a row has no number)."""
    nums: list[int] = []
    for r in rows:
        t = norm(cell(r, j))
        if not t:
            continue
        if not _SMALL_INT.match(t):
            return False
        nums.append(int(t))
    if len(nums) < 3 or any(b <= a for a, b in itertools.pairwise(nums)):
        return False
    return nums[-1] - nums[0] + 1 <= len(nums) + len(nums) // 2


def is_lanci_row(row: SourceRow) -> bool:
    """The 栏次 row: starts with 栏次, or holds (after labels) the integers 1..n in order."""
    texts = [label(t) for t in row.texts]
    if texts and texts[0] == "栏次":
        return True
    # two numbers in one cell ("4 5") when a narrow column's rule is missing
    nums = [x for t in row.texts for x in normalize_text(t).split() if x]
    while nums and not nums[0].isdigit() and (TOTAL_RE.match(nums[0]) or nums[0] == "栏次"):
        nums = nums[1:]
    placeholders = any(t in ("栏次", "**") for t in nums)
    nums = [t for t in nums if t not in ("栏次", "**")]
    found = [small_int(t) for t in nums]
    ints = [n for n in found if n is not None]
    if len(nums) < 2 or len(ints) < len(nums):
        return False
    if (placeholders or len(ints) >= 4) and len(ints) >= 3 and ints[0] == 1 and ints[-1] <= 60:
        # "** ** 1 2 3 5 6 9": a 栏次 row may skip the numbers of columns it does not print
        return all(a < b for a, b in itertools.pairwise(ints))
    return ints == list(range(ints[0], ints[0] + len(ints))) and ints[0] <= 40


def lanci_numbers(row: SourceRow) -> dict[int, str]:
    """Position -> 栏次 number printed in a 栏次 row."""
    return {j: norm(t) for j, t in enumerate(row.texts) if norm(t).isdigit()}


def is_amount_cell(text: str) -> bool:
    a = parse_amount(text)
    return a is not None and a.kind is AmountKind.NUMBER


def has_amounts(row: SourceRow, start: int = 0) -> bool:
    return any(is_amount_cell(t) for t in row.texts[start:])


def is_code(text: str) -> bool:
    return bool(CODE_RE.match(norm(text)))


def is_code_part(text: str) -> bool:
    return bool(_CODE_PART_RE.match(norm(text)))


@dataclass(frozen=True)
class HeaderColumn:
    position: int
    path: tuple[str, ...]  # header levels top-down, normalised
    col_no: str | None

    @property
    def name(self) -> str:
        return "/".join(self.path)

    @property
    def leaf(self) -> str:
        return self.path[-1] if self.path else ""


def header_paths(rows: Sequence[SourceRow], width: int) -> list[tuple[str, ...]]:
    """For each position, the header levels top-down. An empty cell takes the text to its
    left in the same row when it lies under that text's span (a lower row has text there)."""
    grid = [[norm(cell(r, j)) for j in range(width)] for r in rows]
    filled = [row[:] for row in grid]
    for r, row in enumerate(grid):
        spans = [c.colspan for c in rows[r].cells]
        if any(sp is not None for sp in spans):
            # known geometry: a spanning cell covers exactly its columns
            for j, sp in enumerate(spans):
                if sp and sp > 1 and row[j]:
                    for k in range(j + 1, min(j + sp, width)):
                        filled[r][k] = row[j]
            continue
        last: str = ""
        for j in range(width):
            if row[j]:
                last = row[j]
                continue
            below = any(grid[rr][j] for rr in range(r + 1, len(grid)))
            if last and below:
                filled[r][j] = last
            else:
                last = ""
    paths: list[tuple[str, ...]] = []
    for j in range(width):
        path: list[str] = []
        for r in range(len(rows)):
            t = filled[r][j]
            if t and (not path or path[-1] != t):
                path.append(t)
        paths.append(tuple(path))
    return paths
