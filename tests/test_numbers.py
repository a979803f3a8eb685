from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.numbers import AmountKind, format_amount, normalize_text, parse_amount


@pytest.mark.parametrize(
    ("raw", "text", "precision"),
    [
        ("3, 676. 35", "3676.35", 2),
        ("0. 00", "0.00", 2),
        ("3,676.35", "3676.35", 2),
        ("１２３．４５", "123.45", 2),  # full width
        ("\u30003,676.35\u3000", "3676.35", 2),  # U+3000
        ("1,535.174", "1535.174", 3),
        ("0.3", "0.3", 1),
        ("60", "60", 0),
        ("-12.50", "-12.50", 2),
        ("−3.2", "-3.2", 1),  # U+2212
        ("(1,234.00)", "-1234.00", 2),
        ("1 556.32", "1556.32", 2),
    ],
)
def test_parses_printed_forms(raw: str, text: str, precision: int) -> None:
    a = parse_amount(raw)
    assert a is not None and a.kind is AmountKind.NUMBER
    assert a.text == text
    assert a.precision == precision
    assert a.value == Decimal(text)


def test_blank_and_dash() -> None:
    blank = parse_amount("   ")
    assert blank is not None and blank.kind is AmountKind.BLANK and blank.number == 0
    dash = parse_amount("——")
    assert dash is not None and dash.kind is AmountKind.DASH and dash.text == "——"
    ocr_dash = parse_amount("一一")  # OCR reads a printed "——" as two CJK ones
    assert ocr_dash is not None and ocr_dash.kind is AmountKind.DASH and ocr_dash.text == "——"
    assert parse_amount("一") is None
    with pytest.raises(ValueError):
        _ = dash.number


@pytest.mark.parametrize(
    "raw", ["abc", "100%", "1,53", "12 34", "一般公共服务", "2023年", "1.2.3", "--5"]
)
def test_rejects_non_numbers(raw: str) -> None:
    assert parse_amount(raw) is None


def test_half_unit_follows_printed_precision() -> None:
    assert parse_amount("0.3").half_unit == Decimal("0.05")  # type: ignore[union-attr]
    assert parse_amount("60").half_unit == Decimal("0.5")  # type: ignore[union-attr]
    assert parse_amount("1.535").half_unit == Decimal("0.0005")  # type: ignore[union-attr]


def test_normalize_text_removes_cjk_spacing_only() -> None:
    assert normalize_text("本 年 收 入 合 计") == "本年收入合计"
    assert normalize_text("对附属单位补 助支出") == "对附属单位补助支出"
    assert normalize_text("ABC 2023") == "ABC 2023"


amounts = st.tuples(
    st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=0, max_value=3)
).map(lambda t: (Decimal(t[0]).scaleb(-t[1]), t[1]))


@given(amounts, st.booleans(), st.sampled_from(["", " ", "\u3000"]), st.booleans())
def test_round_trip(
    amount: tuple[Decimal, int], thousands: bool, pad: str, ocr_spaces: bool
) -> None:
    value, precision = amount
    printed = format_amount(value, precision, thousands=thousands)
    if ocr_spaces:
        printed = printed.replace(",", ", ").replace(".", ". ")
    a = parse_amount(pad + printed + pad)
    assert a is not None and a.kind is AmountKind.NUMBER
    assert a.value == value
    assert a.precision == precision
    assert a.text == format_amount(value, precision)


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=2))
def test_round_trip_full_width(n: int, precision: int) -> None:
    printed = format_amount(Decimal(n).scaleb(-precision), precision, thousands=True)
    wide = printed.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789,."})
    a = parse_amount(wide)
    assert a is not None and a.text == format_amount(Decimal(n).scaleb(-precision), precision)


@given(st.text(alphabet=st.sampled_from("二三支出收入合计项目abc%年（）"), min_size=1, max_size=12))
def test_rejects_text(s: str) -> None:
    assert parse_amount(s) is None
