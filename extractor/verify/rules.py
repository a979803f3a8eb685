"""The identity language of the report definitions, parsed once and resolved against tables.

    equation := side ("=" | "<=" | ">=") side
    side     := term (("+" | "-") term)*
    term     := COL                                   (row identities: a column of the row)
              | [TABLE "."] [SECTION] "[" SEL "]" "." COL
    SEL      := total | role=a,b? | code=301,303? | class=CODE | level=类 | under=ROLE
              | prefix=CODE   (the row of that code, or the top rows printed under it)
                ("?": optional; under=ROLE: the rows printed below the row of that role, up to
                the next numbered heading "二、…" or total)

TABLE is a definition id (``final.income``); SECTION a section key of a two-sided table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from extractor.numbers import Amount, AmountKind, parse_amount
from extractor.verify.intervals import Relation, compare

_REF = re.compile(
    r"^(?:(?P<table>[a-z_]+\.[a-z_]+)\.?)?(?P<section>[a-z_]+)?\[(?P<sel>[^\]]*)\]\.(?P<col>[\w{}]+)$"
)
_COL = re.compile(r"^c\d+\??$")  # "c5?": a column the table may not print


@dataclass(frozen=True)
class Selector:
    kind: Literal["total", "role", "code", "class", "level", "under", "prefix", "row"]
    items: tuple[tuple[str, bool], ...] = ()  # (name, optional)


@dataclass(frozen=True)
class Ref:
    table: str | None
    section: str | None
    selector: Selector
    col: str


@dataclass(frozen=True)
class Term:
    sign: int
    ref: Ref


@dataclass(frozen=True)
class Equation:
    lhs: tuple[Term, ...]
    relation: Relation
    rhs: tuple[Term, ...]
    text: str


def _parse_selector(sel: str) -> Selector:
    sel = sel.strip()
    if sel == "total":
        return Selector("total")
    key, _, rest = sel.partition("=")
    if key not in ("role", "code", "class", "level", "under", "prefix"):
        raise ValueError(f"unknown row selector {sel!r}")
    items = tuple((x.strip().rstrip("?"), x.strip().endswith("?")) for x in rest.split(","))
    return Selector(key, items)  # type: ignore[arg-type]


def _parse_term(text: str) -> Ref:
    text = text.strip()
    if _COL.match(text):
        return Ref(None, None, Selector("row"), text)
    m = _REF.match(text)
    if not m:
        raise ValueError(f"cannot parse term {text!r}")
    return Ref(
        m.group("table"), m.group("section"), _parse_selector(m.group("sel")), m.group("col")
    )


def _split_top(text: str) -> list[tuple[str, str]]:
    """Tokens outside brackets: [(operator, operand)], operators among = <= >= + -."""
    out: list[tuple[str, str]] = []
    depth, buf, op, i = 0, "", "+", 0
    while i < len(text):
        ch = text[i]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if depth == 0 and text[i : i + 2] in ("<=", ">="):
            out.append((op, buf.strip()))
            op, buf, i = text[i : i + 2], "", i + 2
            continue
        if depth == 0 and ch in "=+-":
            if buf.strip():
                out.append((op, buf.strip()))
            elif ch != "=":
                # a leading sign
                op = ch if op in "+-" else op + ch
                i += 1
                continue
            op, buf = ch, ""
        else:
            buf += ch
        i += 1
    if buf.strip():
        out.append((op, buf.strip()))
    return out


@lru_cache(maxsize=512)
def parse_equation(text: str) -> Equation:
    """Parse an identity; raises ValueError with the offending part."""
    lhs: list[Term] = []
    rhs: list[Term] = []
    relation: str | None = None
    for op, operand in _split_top(text):
        rel = op.rstrip("+-")  # "=-": the relation and the sign of the term after it
        if rel in ("=", "<=", ">="):
            if relation is not None:
                raise ValueError(f"two relations in {text!r}")
            relation, op = rel, op[len(rel) :] or "+"
        sign = -1 if op.endswith("-") else 1
        (rhs if relation else lhs).append(Term(sign, _parse_term(operand)))
    if relation is None or not lhs or not rhs:
        raise ValueError(f"not an equation: {text!r}")
    return Equation(tuple(lhs), relation, tuple(rhs), text.strip())  # type: ignore[arg-type]


def _amount(value: str | None) -> Amount:
    a = parse_amount(value or "")
    return a if a is not None else Amount(AmountKind.BLANK, "", None, None, 0)


def row_identity_holds(expr: str, row: dict[str, str | None]) -> bool:
    """True if a row identity holds within tolerance for the given column values, used by
    the mapper to decide an alignment. Missing columns or dashes count as not holding."""
    eq = parse_equation(expr)
    sides: list[list[tuple[int, Amount]]] = []
    for side in (eq.lhs, eq.rhs):
        terms: list[tuple[int, Amount]] = []
        for t in side:
            col = t.ref.col.rstrip("?")
            if col not in row:
                if t.ref.col.endswith("?"):
                    continue  # an optional column this table does not print
                return False
            a = _amount(row[col])
            if a.kind is AmountKind.DASH:
                return False
            terms.append((t.sign, a))
        sides.append(terms)
    if all(a.kind is AmountKind.BLANK for side in sides for _, a in side):
        return False
    return compare(sides[0], sides[1], eq.relation).status in ("pass", "rounding")
