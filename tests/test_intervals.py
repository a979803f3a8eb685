from __future__ import annotations

from decimal import Decimal

from extractor.numbers import Amount, parse_amount
from extractor.verify.intervals import compare


def A(s: str) -> Amount:
    a = parse_amount(s)
    assert a is not None
    return a


def terms(*xs: str) -> list[tuple[int, Amount]]:
    return [(1, A(x)) for x in xs]


def test_exact_is_pass() -> None:
    out = compare(terms("3676.35"), terms("3676.35", "0.00"))
    assert out.status == "pass" and out.delta == 0


def test_one_cent_over_three_terms_is_rounding() -> None:
    out = compare(terms("10.01"), terms("5.00", "5.00"))
    assert out.status == "rounding"
    assert out.bound == Decimal("0.015")


def test_beyond_bound_is_fail() -> None:
    assert compare(terms("10.02"), terms("5.00", "5.00")).status == "fail"


def test_boundary_included() -> None:
    # |Δ| = 0.01 = bound of two 2-decimal terms
    assert compare(terms("1.01"), terms("1.00")).status == "rounding"


def test_long_sum_beyond_one_unit_is_suspect() -> None:
    items = ["1.00"] * 26
    out = compare(terms("26.09"), terms(*items))
    assert out.bound == Decimal("0.135")
    assert out.status == "suspect"


def test_blank_counts_as_zero_with_no_tolerance() -> None:
    out = compare(terms("5.00"), terms("5.00", ""))
    assert out.status == "pass" and out.bound == Decimal("0.010")


def test_coarse_precision_widens_bound() -> None:
    assert compare(terms("60"), terms("59.6")).status == "rounding"  # 60 is 59.5..60.5


def test_inequalities() -> None:
    assert compare(terms("5.00"), terms("6.16"), "<=").status == "pass"
    assert compare(terms("7.00"), terms("6.16"), "<=").status == "fail"
    assert compare(terms("6.17"), terms("6.16"), "<=").status == "rounding"
