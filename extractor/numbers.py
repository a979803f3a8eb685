"""OCR-tolerant parsing of printed amounts into ``Decimal``, keeping the printed form.

Amounts in these reports come as "3,676.35", "3, 676. 35", "0. 00", "１２３．４５" (full width),
"1,535.174", "0.3", "60", blank, or "——" (not applicable). Float never enters: the value is a
``Decimal`` built from the digits, and the printed precision (number of decimals) is kept
because the verifier's tolerance depends on it (SPEC.md §3).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "Amount",
    "AmountKind",
    "fold_variants",
    "format_amount",
    "normalize_text",
    "parse_amount",
    "plain_decimal",
    "small_int",
    "value_decimal",
]

# A printed amount has at most 15 significant integer digits (10^15 万元 is more than any
# budget) and a few decimals, and never an exponent: a longer run of digits is OCR noise
# (cells run together), not an amount. Within these bounds every sum of a table's amounts
# is exact in Decimal's 28 digits, and nothing can overflow or become NaN.
MAX_INTEGER_DIGITS = 15
MAX_DECIMALS = 8


class AmountKind(StrEnum):
    """What a value cell holds."""

    NUMBER = "number"
    BLANK = "blank"  # counts as 0 in arithmetic
    DASH = "dash"  # "——": not applicable, not a number


@dataclass(frozen=True, slots=True)
class Amount:
    """A parsed cell value: the number, its printed form and precision, and the raw text."""

    kind: AmountKind
    raw: str
    text: str | None  # canonical printed form ("3676.35", "0.00", "——"); None for blank
    value: Decimal | None  # None unless kind is NUMBER
    precision: int = 0  # decimals printed

    @property
    def number(self) -> Decimal:
        """The value for arithmetic: blank counts as 0. Raises for "——"."""
        if self.kind is AmountKind.DASH:
            raise ValueError("'——' is not a number")
        return self.value if self.value is not None else Decimal(0)

    @property
    def half_unit(self) -> Decimal:
        """Half a unit of the last printed digit; 0 for a blank (an exact zero)."""
        if self.kind is not AmountKind.NUMBER:
            return Decimal(0)
        return Decimal(5).scaleb(-(self.precision + 1))

    @property
    def unit(self) -> Decimal:
        """One unit of the last printed digit."""
        return Decimal(1).scaleb(-self.precision)


BLANK = Amount(AmountKind.BLANK, "", None, None, 0)

# Characters that appear inside printed numbers as OCR/typesetting noise.
_SPACES = re.compile(r"[\s\u3000\u00a0\u2002-\u200b]+")
_SEP_SPACES = re.compile(r"[\s\u3000\u00a0]*([,.])[\s\u3000\u00a0]*")
_DIGIT_SPACE = re.compile(r"\d[\s\u3000\u00a0]+\d")
# a run of dashes; "一一" (two CJK ones) is OCR's reading of a printed "——"
_DASH_ONLY = re.compile(r"^(?:[-—―─–－‐]+|[-—―─–－‐一]{2,})$")
_NUMBER = re.compile(r"^(?P<sign>[-+]?)(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?$")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}（）()、“”])\s+|\s+(?=[{_CJK}（）()、“”])")


# variant and traditional forms seen in scanned reports, folded for MATCHING labels only:
# output keeps the characters as printed, and numbers are never folded
_VARIANTS = str.maketrans(
    "決預財撥總計經費項類門單結餘轉與務會險業資產國營補醫療衛環節鄉區護維購車輛運關統數據號額"
    "門計劃級績評價報錶表內區縣鎮廳處於對戶貼辦費稅",
    "决预财拨总计经费项类门单结余转与务会险业资产国营补医疗卫环节乡区护维购车辆运关统数据号额"
    "门计划级绩评价报表表内区县镇厅处于对户贴办费税",
)


def fold_variants(text: str) -> str:
    """Fold variant/traditional characters (決→决) for matching labels and titles."""
    return text.translate(_VARIANTS)


def normalize_text(text: str) -> str:
    """Fold a label for comparison and output: NFKC-free, spaces between CJK removed.

    Characters are kept as printed (OCR errors are not fixed); only whitespace that OCR or
    letter-spacing put between CJK characters goes, and the U+3000/NBSP spaces.
    """
    text = text.replace("\u3000", " ").replace("\u00a0", " ").strip()
    return _CJK_SPACE.sub("", text)


def parse_amount(raw: str) -> Amount | None:
    """Parse a printed cell into an :class:`Amount`, or ``None`` if it is not an amount.

    Accepts thousands separators (also with OCR spaces: "3, 676. 35"), full-width digits and
    punctuation, U+3000, a leading minus (ASCII, U+2212 or full width) or accounting
    parentheses. Blank text is a BLANK amount; a run of dashes is DASH.
    """
    text = unicodedata.normalize("NFKC", raw).replace("\u2212", "-").strip()
    # OCR puts spaces around separators ("3, 676. 35"); a space between digit groups is a
    # thousands separator only when every later group has three digits ("3 676.35").
    text = _SEP_SPACES.sub(r"\1", text)
    if _DIGIT_SPACE.search(text):
        _head, *groups = _SPACES.split(text.split(".")[0])
        if not all(len(g) == 3 and g.isdigit() for g in groups):
            return None
    text = _SPACES.sub("", text)
    if not text:
        return Amount(AmountKind.BLANK, raw, None, None, 0)
    if _DASH_ONLY.match(text):
        printed = _SPACES.sub("", raw)
        return Amount(AmountKind.DASH, raw, "——" if len(printed) >= 2 else printed, None, 0)
    negative = False
    if text.startswith("(") and text.endswith(")") and len(text) > 2:
        negative, text = True, text[1:-1]
    m = _NUMBER.match(text)
    if m is None:
        return None
    if m.group("sign") == "-":
        negative = not negative
    int_part = m.group("int").replace(",", "")
    frac = m.group("frac") or ""
    if not _plausible(int_part, frac):
        return None
    canonical = int_part + (f".{frac}" if frac else "")
    if negative:
        canonical = "-" + canonical
    return Amount(AmountKind.NUMBER, raw, canonical, Decimal(canonical), len(frac))


def _plausible(int_part: str, frac: str) -> bool:
    return len(int_part.lstrip("0")) <= MAX_INTEGER_DIGITS and len(frac) <= MAX_DECIMALS


_PLAIN = re.compile(r"-?(\d+)(?:\.(\d+))?")


def plain_decimal(text: str) -> Decimal | None:
    """The Decimal of a plain number as the prose prints it ("1234.56", "-3", "0.000"), or
    None: no exponent, NaN or infinity, no absurd size (the bounds of :func:`parse_amount`)."""
    m = _PLAIN.fullmatch(text)
    if m is None or not _plausible(m.group(1), m.group(2) or ""):
        return None
    return Decimal(text)


def small_int(text: str) -> int | None:
    """A printed 行次/栏次 number ("12") as an int, or None. ``str.isdigit`` also accepts
    "①" and "²", which ``int`` refuses, and ``int`` refuses more than 4300 digits: a row or
    column number has at most 9 decimal digits."""
    return int(text) if text.isdecimal() and len(text) <= 9 else None


def value_decimal(value: str | None) -> Decimal | None:
    """The number of a table value (canonical or as printed); None for a blank, a dash or
    text that is not an amount."""
    a = parse_amount(value or "")
    return a.value if a is not None else None


def format_amount(value: Decimal, precision: int, *, thousands: bool = False) -> str:
    """Format a Decimal at a given precision (the inverse of :func:`parse_amount`)."""
    quantized = value.quantize(Decimal(1).scaleb(-precision))
    return f"{quantized:,.{precision}f}" if thousands else f"{quantized:.{precision}f}"
