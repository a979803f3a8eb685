"""Family N: the claims of the 情况说明 (narrative) checked at their printed precision.

A report restates its numbers in prose, and the prose is often wrong. What is read here:

- growth: "(与上年相比)增加X万元，增长P%" / "减少X万元，下降P%": P = X / (current ∓ X), the
  current amount being the last one stated before the change;
- share: "X万元，占(比)P%" of the list's head amount ("支出A万元，其中/主要用于：…"), or
  "占<whole>的P%" where that whole is stated with its amount earlier in the sentence;
- completion: "年初预算A万元，(支出)决算B万元，完成年初预算的P%": P = B / A;
- breakdown: "A万元，其中：x1万元，x2万元…" (in the sentence, or one item per line below
  it): A = Σ x (one item: x ≤ A). Lists introduced by 主要包括/主要用于 are not exhaustive
  and are not summed;
- restated class amounts: an item of such a list naming a 类 ("一般公共服务 1641.88 万元")
  must be printed for that 类 in some table.

Numbers split over lines ("58.55万" / "元") are joined; 元 and 万元 are converted. Every check
is soft (family N): a failure is a source inconsistency reported as a finding, never a fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from extractor.barrier import Barrier, Guard, or_reraise
from extractor.definitions import Definitions
from extractor.errors import Code
from extractor.extract.meaning import class_code
from extractor.model import CellRef, Check, CheckStatus, Table
from extractor.numbers import normalize_text, plain_decimal, value_decimal
from extractor.verify.intervals import Interval, ratio

_AMOUNT = re.compile(r"(?<![\d.])(\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(亿元|万元|元)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_GROWTH = re.compile(
    r"(增加|减少)\s*(\d[\d,，]*(?:\.\d+)?)\s*(亿元|万元|元)[，,、]?\s*(?:增长|增加|减少|下降|降低)了?"
    r"\s*\d+(?:\.\d+)?\s*[%％]"
)
_TOTAL_ROLES = {"grand_total", "income_total", "expense_total"}
_TOTAL_CLAIM = re.compile(
    r"(收、?支总计|收入总计|支出总计|本年收入合计|本年支出合计|收入合计|支出合计)\s*(?:为|是)?\s*"
    r"\d[\d,，]*(?:\.\d+)?\s*(?:亿元|万元|元)"
)
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|第.{1,3}部分)"
)
_SENTENCE_END = ("。", "：", ":", "！", "；", ";")
_TO_WAN = {"元": Decimal("0.0001"), "万元": Decimal(1), "亿元": Decimal(10000)}


@dataclass(frozen=True)
class Amount:
    value: Decimal  # in 万元
    half: Decimal  # half a unit of the printed precision, in 万元
    text: str
    start: int
    end: int
    line: int | None
    page: int | None


@dataclass(frozen=True)
class Paragraph:
    text: str
    lines: list[tuple[int, int | None, int | None]]  # (offset in text, source line, page)

    def line_at(self, offset: int) -> int | None:
        return self._at(offset)[0]

    def page_at(self, offset: int) -> int | None:
        return self._at(offset)[1]

    def _at(self, offset: int) -> tuple[int | None, int | None]:
        found = self.lines[0][1:]
        for off, ln, pg in self.lines:
            if off <= offset:
                found = (ln, pg)
        return found


ProseLine = tuple[str | None, int | None, int | None]  # text (None: a break), line, page


def _paragraphs(lines: Sequence[ProseLine]) -> list[Paragraph]:
    """Prose lines joined while a sentence runs on (no 。 or ： at the end of a line); a
    blank line or a table row ends a paragraph."""
    out: list[Paragraph] = []
    text = ""
    offs: list[tuple[int, int | None, int | None]] = []
    for raw, ln, pg in lines:
        line = normalize_text(raw).strip() if raw else ""
        if not line:
            if text:
                out.append(Paragraph(text, offs))
                text, offs = "", []
            continue
        if text and (text.endswith(_SENTENCE_END) or _HEADING.match(line)):
            out.append(Paragraph(text, offs))
            text, offs = "", []
        offs.append((len(text), ln, pg))
        text += line
    if text:
        out.append(Paragraph(text, offs))
    return out


def _amounts(p: Paragraph, start: int = 0, end: int | None = None) -> list[Amount]:
    out: list[Amount] = []
    for m in _AMOUNT.finditer(p.text, start, len(p.text) if end is None else end):
        digits = m.group(1).replace(",", "").replace("，", "")
        value = plain_decimal(digits)
        if value is None:
            continue  # digits run together (OCR), not an amount anyone printed
        scale = _TO_WAN[m.group(2)]
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        half = Decimal(5) / Decimal(10) ** (decimals + 1) * scale
        out.append(
            Amount(
                value * scale,
                half,
                m.group(0),
                m.start(),
                m.end(),
                p.line_at(m.start()),
                p.page_at(m.start()),
            )
        )
    return out


def _pct_interval(num: Amount, den_value: Decimal, den_half: Decimal) -> Interval | None:
    """The interval of 100·num/den when both are known to their printed precision; None
    when the base may be 0 or less (the year before had nothing: any percentage fits)."""
    den = Interval.around(den_value, den_half)
    if den.lo <= 0:
        return None
    return ratio(Interval.around(num.value, num.half), den, Decimal(100))


def _in_wan(value: str | None, unit: Decimal) -> Decimal | None:
    """A table value in 万元: a blank is 0; a dash, or text that is no amount, is None."""
    if not value:
        return Decimal(0)
    d = value_decimal(value)
    return None if d is None else d * unit


@dataclass
class _Claims:
    checks: list[Check]
    tables: Sequence[Table]
    definitions: Definitions
    barrier: Barrier = field(default_factory=lambda: Barrier(reraise=True))
    totals_printed: list[Decimal] = field(default_factory=list)  # summary totals, in 万元
    by_class: dict[str, list[Decimal]] = field(default_factory=dict)  # 类 code -> its cells

    def __post_init__(self) -> None:
        # what the tables print, read once for every claim of the prose
        for t in self.tables:
            unit = _TO_WAN.get(t.unit or "万元", Decimal(1))
            for r in [*t.rows, *(r for s in t.sections for r in s.rows)]:
                numbers = [(v, _in_wan(v, unit)) for v in r.values]
                if r.role in _TOTAL_ROLES:
                    self.totals_printed.extend(d for v, d in numbers if v and d is not None)
                role_code = r.role.split(":", 1)[1] if r.role and ":" in r.role else None
                for code in {c for c in (r.code, role_code) if c}:
                    self.by_class.setdefault(code, []).extend(
                        d for _, d in numbers if d is not None
                    )

    def guard(self, kind: str, p: Paragraph, at: int) -> Guard:
        """One claim under the barrier: if checking it raises, it is ``internal.narrative``
        and the other claims are still checked."""
        return self.guard_at(kind, (p.line_at(at), p.page_at(at)), p.text[at : at + 40])

    def guard_at(self, kind: str, where: tuple[int | None, int | None], claim: str) -> Guard:
        return self.barrier.guard(
            "narrative",
            f"narrative {_where(where)}: the {kind} claim {claim!r}",
            line=where[0],
            page=where[1],
            undo=self.checks,
        )

    def emit(
        self,
        kind: str,
        where: tuple[int | None, int | None],
        printed: str,
        computed: str | None,
        ok: bool | None,
        message: str,
        delta: str | None = None,
    ) -> None:
        """One claim's check; ``ok`` None: the claim cannot be checked (``not_evaluated``)."""
        line, page = where
        status: CheckStatus = "not_evaluated" if ok is None else "pass" if ok else "fail"
        self.checks.append(
            Check(
                id=f"narrative/{kind}@{_where(where)}/{len(self.checks)}",
                rule=Code.VERIFY_NARRATIVE,
                family="N",
                severity="soft",
                status=status,
                classification="source_inconsistency" if ok is False else None,
                expression=kind,
                expected=computed,
                actual=printed,
                delta=delta,
                cells=[
                    CellRef(
                        table="narrative",
                        row=f"l.{line}" if line is not None else f"p.{page}",
                        column=kind,
                        value=printed,
                        line=line,
                        page=page,
                        table_index=-1,
                        row_index=-1,
                        col_index=-1,
                    )
                ],
                message=message,
            )
        )

    # ------------------------------------------------------------ claim kinds

    def percent(
        self,
        kind: str,
        where: tuple[int | None, int | None],
        pct: re.Match[str],
        interval: Interval | None,
        what: str,
    ) -> None:
        """A printed percentage against the interval the amounts give (None: unbounded, the
        base may be 0, and the claim is not evaluated)."""
        printed = plain_decimal(pct.group(1))
        mid = interval.mid() if interval is not None else None
        if printed is None or interval is None or mid is None:
            why = (
                "the percentage is no plausible number"
                if printed is None
                else ("its base may be 0 at the printed precision: any percentage fits")
            )
            self.emit(
                kind,
                where,
                pct.group(0),
                None,
                None,
                f"narrative {_where(where)}: {what}: printed {pct.group(0)}; not evaluated: {why}",
            )
            return
        decimals = len(pct.group(1).split(".")[1]) if "." in pct.group(1) else 0
        # one unit of the last printed digit: reports round or truncate percentages
        u = Decimal(1) / Decimal(10) ** decimals
        ok = printed + u >= interval.lo and printed - u <= interval.hi
        computed = f"{mid:.{max(decimals, 2)}f}%"
        self.emit(
            kind,
            where,
            pct.group(0),
            computed,
            ok,
            f"narrative {_where(where)}: {what}: printed {pct.group(0)}, "
            f"the amounts give {computed}",
        )

    def growth(self, p: Paragraph) -> None:
        for m in _GROWTH.finditer(p.text):
            with self.guard("growth", p, m.start()):
                self._growth(p, m)

    def _growth(self, p: Paragraph, m: re.Match[str]) -> None:
        x = next(iter(_amounts(p, m.start(2), m.end(3))), None)
        cur = _current(p, m.start())
        if x is None or cur is None:
            return
        sign = 1 if m.group(1) == "增加" else -1
        prior = cur.value - sign * x.value
        pct = re.search(r"(\d+(?:\.\d+)?)\s*[%％]", m.group(0)[m.end(3) - m.start() :])
        assert pct is not None
        self.percent(
            "growth",
            (x.line, x.page),
            pct,
            _pct_interval(x, prior, cur.half + x.half),
            f"{m.group(1)}{x.text} against {cur.text} (the year before: {prior.normalize()}万元)",
        )

    def completion(self, p: Paragraph) -> None:
        for m in re.finditer(r"完成(年初|全年)预算(数)?的\s*(\d+(?:\.\d+)?)\s*[%％]", p.text):
            with self.guard("completion", p, m.start()):
                self._completion(p, m)

    def _completion(self, p: Paragraph, m: re.Match[str]) -> None:
        seg_start = max(p.text.rfind("。", 0, m.start()), p.text.rfind("；", 0, m.start())) + 1
        seg = p.text[seg_start : m.start()]
        budget = list(re.finditer(r"(年初|全年)预算(数)?(为)?\s*(?=\d)", seg))
        actual = list(re.finditer(r"决算(数)?(为)?\s*(?=\d)", seg))
        if not budget or not actual:
            return
        a = _amounts(p, seg_start + budget[-1].end(), seg_start + budget[-1].end() + 20)
        b = _amounts(p, seg_start + actual[-1].end(), seg_start + actual[-1].end() + 20)
        if not a or not b or a[0].value == 0:
            return
        pct = re.search(r"(\d+(?:\.\d+)?)\s*[%％]", m.group(0))
        assert pct is not None
        self.percent(
            "completion",
            (p.line_at(m.start()), p.page_at(m.start())),
            pct,
            _pct_interval(b[0], a[0].value, a[0].half),
            f"决算 {b[0].text} / 年初预算 {a[0].text}",
        )

    def share(self, p: Paragraph, head: Amount | None) -> None:
        for m in re.finditer(r"占(比)?(?:(\S{2,20}?)的)?\s*(\d+(?:\.\d+)?)\s*[%％]", p.text):
            with self.guard("share", p, m.start()):
                self._share(p, head, m)

    def _share(self, p: Paragraph, head: Amount | None, m: re.Match[str]) -> None:
        before = [a for a in _amounts(p, 0, m.start()) if a.end <= m.start()]
        if not before or m.start() - before[-1].end > 3:
            return
        x = before[-1]
        whole: Amount | None = head
        if m.group(2):
            named = p.text.rfind(m.group(2), 0, x.start)
            hits = [a for a in _amounts(p, named, x.start)] if named >= 0 else []
            whole = hits[0] if hits and hits[0].start - named - len(m.group(2)) <= 6 else None
        if whole is None or whole is x or whole.value == 0:
            return
        pct = re.search(r"(\d+(?:\.\d+)?)\s*[%％]", m.group(0))
        assert pct is not None
        self.percent(
            "share",
            (x.line, x.page),
            pct,
            _pct_interval(x, whole.value, whole.half),
            f"{x.text} of {whole.text}",
        )

    def breakdown(
        self,
        head: Amount,
        parts: list[tuple[Amount, str]],
        where: tuple[int | None, int | None],
        exhaustive: bool = True,
    ) -> None:
        if not parts:
            return
        total = sum((a.value for a, _ in parts), Decimal(0))
        bound = head.half + sum((a.half for a, _ in parts), Decimal(0))
        if len(parts) == 1 or not exhaustive:
            ok = total <= head.value + bound
            rel = "≥"
        else:
            ok = abs(total - head.value) <= bound
            rel = "="
        self.emit(
            "breakdown",
            where,
            head.text,
            f"{total.normalize()}万元",
            ok,
            f"narrative {_where(where)}: {head.text} {rel} Σ 其中 "
            + " + ".join(a.text for a, _ in parts)
            + f" = {total.normalize()}万元",
            delta=str((head.value - total).normalize()),
        )
        for a, label in parts:
            self.class_amount(a, label)

    def totals(self, p: Paragraph) -> None:
        """ "收、支总计3682.51万元", "收入合计…": a total the summary tables print."""
        printed = self.totals_printed
        if not printed:
            return
        for m in _TOTAL_CLAIM.finditer(p.text):
            with self.guard("total", p, m.start()):
                self._total(p, m, printed)

    def _total(self, p: Paragraph, m: re.Match[str], printed: list[Decimal]) -> None:
        found = _amounts(p, m.end(1), m.end())
        if not found:
            return  # "收入合计1,万元": digits, but no amount
        a = found[0]
        ok = any(abs(v - a.value) <= a.half + Decimal("0.005") for v in printed)
        self.emit(
            "total",
            (a.line, a.page),
            a.text,
            ", ".join(sorted({str(v.normalize()) for v in printed})[:6]),
            ok,
            f"narrative {_where((a.line, a.page))}: {m.group(1)} {a.text}"
            + ("" if ok else "; no summary table prints that total"),
        )

    def class_amount(self, a: Amount, label: str) -> None:
        """An item naming a 类 must be printed for that 类 in some table."""
        name = re.sub(r"[（(]类[)）]|[:：\s]", "", label)
        name = re.sub(r"^\S*?[，,、；;]", "", name)
        if not name or len(name) > 16:
            return
        code = class_code(name, self.definitions) or class_code(name + "支出", self.definitions)
        if code is None:
            return
        printed = self.by_class.get(code, [])
        if not printed and a.value == 0:
            return
        ok = any(abs(v - a.value) <= a.half + Decimal("0.005") for v in printed)
        seen = ", ".join(sorted({f"{v.normalize()}" for v in printed})[:6]) or "none"
        self.emit(
            "class_amount",
            (a.line, a.page),
            a.text,
            seen,
            ok,
            f"narrative {_where((a.line, a.page))}: {name} {a.text}; "
            f"the tables print for 类 {code}: {seen}",
        )


_COMPARED = re.compile(r"^(与上年相比|与上年|较上年|比上年|比\d{4}年|同比)")


def _current(p: Paragraph, at: int) -> Amount | None:
    """The amount a change at ``at`` is measured against: the latest amount printed after the
    change's subject ("支出总计减少…" -> 支出总计), else the latest amount that is not itself a
    change."""
    start = max(p.text.rfind(ch, 0, at) for ch in "，,。；;：") + 1
    subject = _COMPARED.sub("", p.text[start:at]).strip("，, ")
    before = [a for a in _amounts(p, 0, at) if a.end <= at]
    if len(subject) >= 2:
        named = [
            a
            for a in before
            if p.text[max(0, a.start - len(subject) - 2) : a.start].find(subject) >= 0
        ]
        if named:
            return named[-1]
    plain = [a for a in before if not re.search(r"(增加|减少)\s*$", p.text[: a.start])]
    return plain[-1] if plain else None


def _where(where: tuple[int | None, int | None]) -> str:
    return f"l.{where[0]}" if where[0] is not None else f"p.{where[1]}"


def _list_parts(p: Paragraph, start: int) -> list[tuple[Amount, str]]:
    """The items of a 其中 list within its sentence: the first amount of each clause."""
    end = p.text.find("。", start)
    end = len(p.text) if end < 0 else end
    parts: list[tuple[Amount, str]] = []
    pos = start
    for clause in re.split(r"[；;、]|(?<!\d)[，,]|[，,](?!\d)", p.text[start:end]):
        c_start = p.text.find(clause, pos)
        pos = c_start + len(clause)
        if "主要包括" in clause or "主要用于" in clause:
            break
        amts = _amounts(p, c_start, c_start + len(clause))
        if amts and re.search(r"增加|减少|持平|^比|^较|与上年", p.text[c_start : amts[0].start]):
            continue  # "比2024年预算增加3,355.65万元": a change, not a part
        if amts and "%" not in p.text[amts[0].end : amts[0].end + 1]:
            parts.append((amts[0], p.text[c_start : amts[0].start]))
    return parts


def narrative_checks(
    lines: Sequence[ProseLine],
    tables: Sequence[Table],
    definitions: Definitions,
    barrier: Barrier | None = None,
) -> list[Check]:
    """Every claim of the prose in ``lines`` (table rows given as breaks), checked. Under
    ``barrier`` a claim whose check raises is ``internal.narrative``; the others are checked."""
    claims = _Claims([], tables, definitions, or_reraise(barrier))
    head: Amount | None = None  # the amount a list refers to (its 占 shares)
    pending: tuple[Amount, tuple[int | None, int | None], list[tuple[Amount, str]]] | None = None
    for p in _paragraphs(lines):
        if pending is not None:
            if _HEADING.match(p.text) or p.text.startswith("其中"):
                with claims.guard_at("breakdown", pending[1], pending[0].text):
                    claims.breakdown(pending[0], pending[2], pending[1])
                pending = None
            else:
                first = _amounts(p)
                if first:
                    pending[2].append((first[0], p.text[: first[0].start]))
        if _HEADING.match(p.text):
            head = None
        claims.growth(p)
        claims.completion(p)
        claims.totals(p)
        for m in re.finditer(r"其中[:：，,]?|主要用于(?:以下方面)?[:：]", p.text):
            with claims.guard("breakdown", p, m.start()):
                seg = p.text.rfind("。", 0, m.start())
                before = [a for a in _amounts(p, seg + 1, m.start()) if a.end <= m.start()]
                if not before:
                    continue
                where = (p.line_at(m.start()), p.page_at(m.start()))
                if m.group(0).startswith("主要用于"):
                    head = before[0]
                    for a, label in _list_parts(p, m.end()):
                        claims.class_amount(a, label)
                    continue
                head = before[-1]
                if m.group(0) == "其中" and before[-1].end < m.start() - 2:
                    continue  # "…0人次，其中外事接待费0万元": not a list of the amount before
                parts = _list_parts(p, m.end())
                if parts:
                    # "其中：a，b" lists the whole; "其中a…" (no colon) may name only some parts
                    claims.breakdown(head, parts, where, exhaustive=m.group(0) != "其中")
                elif m.end() >= len(p.text) - 1:
                    pending = (before[0], where, [])
        claims.share(p, head)
    if pending is not None:
        with claims.guard_at("breakdown", pending[1], pending[0].text):
            claims.breakdown(pending[0], pending[2], pending[1])
    return claims.checks
