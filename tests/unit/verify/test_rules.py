"""The identity expression language (verify/rules.py): parsing each form of term and
selector, the errors a malformed expression gives, and the row check the mapper relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.definitions import Definitions, load_definitions
from extractor.errors import DefinitionError
from extractor.verify.rules import Ref, Selector, parse_equation, row_identity_holds


def test_row_identity_parses_into_signed_column_terms() -> None:
    eq = parse_equation("c1 = c2 + c3 - c4")
    assert eq.relation == "="
    assert [(t.sign, t.ref.col) for t in eq.lhs] == [(1, "c1")]
    assert [(t.sign, t.ref.col) for t in eq.rhs] == [(1, "c2"), (1, "c3"), (-1, "c4")]
    assert all(t.ref == Ref(None, None, Selector("row"), t.ref.col) for t in eq.lhs + eq.rhs)
    assert eq.text == "c1 = c2 + c3 - c4"


def test_optional_column_keeps_its_question_mark() -> None:
    eq = parse_equation("c1 = c2 + c4?")
    assert [t.ref.col for t in eq.rhs] == ["c2", "c4?"]


@pytest.mark.parametrize("relation", ["<=", ">="])
def test_inequalities(relation: str) -> None:
    eq = parse_equation(f"c1 {relation} c2 + c3")
    assert eq.relation == relation
    assert [t.ref.col for t in eq.lhs] == ["c1"]
    assert [t.ref.col for t in eq.rhs] == ["c2", "c3"]


def test_leading_sign_on_the_left_side() -> None:
    eq = parse_equation("-c1 + c2 = c3")
    assert [(t.sign, t.ref.col) for t in eq.lhs] == [(-1, "c1"), (1, "c2")]


def test_role_list_with_optional_roles_and_a_section() -> None:
    eq = parse_equation(
        "income[role=grand_total].c1 = income[role=income_total,use_balance?,carry_in?].c1"
    )
    (lhs,) = eq.lhs
    assert lhs.ref == Ref(None, "income", Selector("role", (("grand_total", False),)), "c1")
    (rhs,) = eq.rhs
    assert rhs.ref.section == "income"
    assert rhs.ref.selector.kind == "role"
    assert rhs.ref.selector.items == (
        ("income_total", False),
        ("use_balance", True),
        ("carry_in", True),
    )


def test_term_of_another_table_with_and_without_a_section() -> None:
    eq = parse_equation("final.summary.expense[total].c2 = final.expense[total].c1")
    assert eq.lhs[0].ref == Ref("final.summary", "expense", Selector("total"), "c2")
    assert eq.rhs[0].ref == Ref("final.expense", None, Selector("total"), "c1")


@pytest.mark.parametrize(
    ("sel", "kind", "items"),
    [
        ("code=301,303?", "code", (("301", False), ("303", True))),
        ("class=201", "class", (("201", False),)),
        ("level=类", "level", (("类", False),)),
        ("under=carry_in", "under", (("carry_in", False),)),
        ("prefix=2080505", "prefix", (("2080505", False),)),
    ],
)
def test_row_selectors(sel: str, kind: str, items: tuple[tuple[str, bool], ...]) -> None:
    eq = parse_equation(f"[total].c1 = [{sel}].c1")
    assert eq.lhs[0].ref.selector == Selector("total")
    assert eq.rhs[0].ref.selector == Selector(kind, items)  # type: ignore[arg-type]


def test_col_placeholder_parses_and_expands_per_column() -> None:
    template = "expense[role=expense_total].{col} = expense[role=class].{col}"
    assert parse_equation(template).lhs[0].ref.col == "{col}"
    cols = [parse_equation(template.replace("{col}", c)).rhs[0].ref.col for c in ("c2", "c3")]
    assert cols == ["c2", "c3"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("c1 + c2", "not an equation"),
        ("c1 =", "not an equation"),
        ("c1 = c2 = c3", "two relations"),
        ("c1 = 5", "cannot parse term '5'"),
        ("c1 = [row=3].c1", "unknown row selector 'row=3'"),
        ("c1 = income[total]", "cannot parse term 'income[total]'"),
    ],
)
def test_malformed_expressions_name_the_offending_part(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_equation(text)


def test_every_shipped_identity_parses(definitions: Definitions) -> None:
    exprs = [
        (i.expr.replace("{code}", "201"), i.columns)
        for t in definitions.tables
        for i in t.identities
        if i.expr
    ]
    assert len(exprs) > 40
    for expr, columns in exprs:
        for c in columns or ["c1"]:
            eq = parse_equation(expr.replace("{col}", c))
            assert eq.lhs and eq.rhs


# ---------------------------------------------------------------- row_identity_holds


def test_row_identity_holds_exactly_and_within_rounding() -> None:
    assert row_identity_holds("c1 = c2 + c3", {"c1": "10.00", "c2": "4.00", "c3": "6.00"})
    # three values printed to 0.01: each may be off by 0.005, so 0.01 is rounding
    assert row_identity_holds("c1 = c2 + c3", {"c1": "10.01", "c2": "4.00", "c3": "6.00"})
    assert not row_identity_holds("c1 = c2 + c3", {"c1": "10.10", "c2": "4.00", "c3": "6.00"})


def test_row_identity_with_an_optional_column_the_table_lacks() -> None:
    row: dict[str, str | None] = {"c1": "10.00", "c2": "4.00", "c3": "6.00"}
    assert row_identity_holds("c1 = c2 + c3 + c4?", row)
    assert not row_identity_holds("c1 = c2 + c3 + c4", row)  # a required column is missing


def test_row_identity_blank_cells_count_as_zero_but_all_blank_does_not_hold() -> None:
    assert row_identity_holds("c1 = c2 + c3", {"c1": "4.00", "c2": "4.00", "c3": None})
    assert not row_identity_holds("c1 = c2 + c3", {"c1": None, "c2": None, "c3": ""})


def test_row_identity_with_a_dash_does_not_hold() -> None:
    assert not row_identity_holds("c1 = c2 + c3", {"c1": "4.00", "c2": "4.00", "c3": "-"})


def test_row_identity_inequality() -> None:
    assert row_identity_holds("c1 <= c2", {"c1": "3.00", "c2": "4.00"})
    assert not row_identity_holds("c1 >= c2", {"c1": "3.00", "c2": "4.00"})


@pytest.mark.parametrize("relation", ["=", "<=", ">="])
def test_leading_sign_on_the_right_side(relation: str) -> None:
    """Regression: the tokenizer joins a sign after the relation to it ("=-"); the parser
    did not know that operator and reported "not an equation"."""
    eq = parse_equation(f"c1 {relation} -c2 + c3")
    assert eq.relation == relation
    assert [(t.sign, t.ref.col) for t in eq.lhs] == [(1, "c1")]
    assert [(t.sign, t.ref.col) for t in eq.rhs] == [(-1, "c2"), (1, "c3")]
    values: dict[str, str | None] = {"c1": "6.00", "c2": "4.00", "c3": "10.00"}
    assert row_identity_holds(f"c1 {relation} -c2 + c3", values)  # 6 = -4 + 10


_MINE = """
family = "mine"
kind = "决算"
[[tables]]
id = "mine.spend"
titles = ["我的支出表"]
layout = "function_coded"
columns = [{ key = "c1", names = ["合计"] }, { key = "c2", names = ["基本支出"] }]
  [[tables.identities]]
  kind = "row"
  family = "R"
  expr = "EXPR"
"""


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("c1 = c2 + 5", "cannot parse term '5'"),
        ("c1 = c2 = c3", "two relations"),
        ("[role=x].c1 = [row=3].c1", "unknown row selector 'row=3'"),
        ("c1 + c2", "not an equation"),
    ],
)
def test_a_malformed_identity_is_a_definition_error_when_loaded(
    tmp_path: Path, expr: str, message: str
) -> None:
    """Regression: a definition file's malformed identity loaded silently and only failed
    when a document printed that table; it is now refused with the file it came from."""
    (tmp_path / "mine.toml").write_text(_MINE.replace("EXPR", expr), encoding="utf-8")
    with pytest.raises(DefinitionError, match=f"mine.toml(.|\\n)*({message})"):
        load_definitions(extra_dirs=[tmp_path])


def test_a_well_formed_identity_of_ones_own_loads(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(_MINE.replace("EXPR", "c1 = c2"), encoding="utf-8")
    defs = load_definitions(extra_dirs=[tmp_path])
    mine = defs.table("mine.spend")
    assert mine is not None and [i.expr for i in mine.identities] == ["c1 = c2"]
