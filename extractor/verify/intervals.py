"""Interval tolerance (SPEC.md §3; XBRL Calculations 1.1 round-to-nearest).

Every printed amount stands for an interval of ± half a unit of its last digit. An identity
holds when the interval of the total and that of the sum of its items overlap, boundaries
included: |Δ| ≤ Σ half-units. No global epsilon.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from extractor.numbers import Amount, AmountKind

Relation = Literal["=", "<=", ">="]


@dataclass(frozen=True)
class Outcome:
    status: Literal["pass", "rounding", "suspect", "fail"]
    lhs: Decimal
    rhs: Decimal
    delta: Decimal  # lhs - rhs
    bound: Decimal


def _sum(terms: list[tuple[int, Amount]]) -> Decimal:
    return sum(
        (Decimal(sign) * a.number for sign, a in terms if a.kind is not AmountKind.DASH), Decimal(0)
    )


def compare(
    lhs: list[tuple[int, Amount]], rhs: list[tuple[int, Amount]], relation: Relation = "="
) -> Outcome:
    """Compare two signed sums of amounts under interval tolerance.

    ``pass``: Δ = 0 (or the inequality holds outright); ``rounding``: within the bound;
    ``suspect``: within the bound but |Δ| above one unit of the total's last printed digit
    (real rounding never went that far, a misread hundredths digit can); ``fail``: outside.
    """
    left, right = _sum(lhs), _sum(rhs)
    delta = left - right
    bound = sum((a.half_unit for _, a in lhs + rhs), Decimal(0))
    if relation == "<=":
        ok_exact, ok_tol = delta <= 0, delta <= bound
    elif relation == ">=":
        ok_exact, ok_tol = delta >= 0, -delta <= bound
    else:
        ok_exact, ok_tol = delta == 0, abs(delta) <= bound
    if ok_exact:
        return Outcome("pass", left, right, delta, bound)
    if not ok_tol:
        return Outcome("fail", left, right, delta, bound)
    numbers = [a for _, a in lhs if a.kind is AmountKind.NUMBER] or [
        a for _, a in rhs if a.kind is AmountKind.NUMBER
    ]
    unit = numbers[0].unit if numbers else Decimal("0.01")
    status: Literal["rounding", "suspect"] = "suspect" if abs(delta) > unit else "rounding"
    return Outcome(status, left, right, delta, bound)


@dataclass(frozen=True)
class Interval:
    """The closed interval [lo, hi] a printed number stands for; empty when lo > hi (or a
    bound is not a number)."""

    lo: Decimal
    hi: Decimal

    @classmethod
    def around(cls, value: Decimal, half: Decimal) -> Interval:
        """``value`` ± ``half`` (half a unit of its last printed digit)."""
        return cls(value - half, value + half)

    @property
    def empty(self) -> bool:
        # `not lo <= hi`, not `lo > hi`: a NaN bound makes no interval either
        return self.lo.is_nan() or self.hi.is_nan() or not self.lo <= self.hi

    @property
    def bounded(self) -> bool:
        return not self.empty and self.lo.is_finite() and self.hi.is_finite()

    def contains(self, x: Decimal) -> bool:
        return not self.empty and self.lo <= x <= self.hi

    def mid(self) -> Decimal | None:
        """The midpoint, or None for an empty or unbounded interval."""
        return (self.lo + self.hi) / 2 if self.bounded else None

    def overlaps(self, other: Interval) -> bool:
        return not (self.empty or other.empty) and self.lo <= other.hi and other.lo <= self.hi


def ratio(num: Interval, den: Interval, scale: Decimal = Decimal(1)) -> Interval | None:
    """``scale · num / den`` over the intervals: the hull of the quotients of the bounds.
    None when it is unbounded or undefined: ``den`` contains 0, or an interval is empty or
    unbounded."""
    if not (num.bounded and den.bounded) or den.contains(Decimal(0)):
        return None
    quotients = [scale * n / d for n in (num.lo, num.hi) for d in (den.lo, den.hi)]
    return Interval(min(quotients), max(quotients))
