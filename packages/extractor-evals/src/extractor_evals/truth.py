"""The typed form of a generated report's truth (the JSON shape of TABLE_FORMAT.md that the
generators write and the harness scores against): ``TruthDocument``.

``TruthDocument.from_json(doc)`` validates a truth mapping; ``to_json()`` gives it back key for
key in the same order, so ``json.dumps(truth.to_json(), ...)`` writes the same bytes as the
mapping did (the generated tables do not all list their keys in one order, and the injections
add keys after the fact). Keys this model does not name are kept as they are.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)

__all__ = ["TruthColumn", "TruthDocument", "TruthMeta", "TruthRow", "TruthSection", "TruthTable"]


class _Node(BaseModel):
    """A JSON object that dumps the keys it was given, in the order it was given them; strict,
    so that no value is coerced (a "1" stays a string)."""

    model_config = ConfigDict(extra="allow", strict=True)
    _keys: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_keys(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        node = handler(data)
        if isinstance(data, dict) and isinstance(node, _Node):
            node._keys = list(data)
        return node

    @model_serializer(mode="wrap")
    def _given_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        given = self.model_fields_set | set(self.model_extra or {})
        order = [*self._keys, *(k for k in out if k not in self._keys)]
        return {k: out[k] for k in order if k in out and k in given}


class TruthColumn(_Node):
    """A value column: its printed 栏次 (None when the report prints none) and header."""

    col_no: str | None = None
    name: str


class TruthRow(_Node):
    """A row: its codes and name as printed, its values (amount text or None for a blank) and
    its 1-based line in the rendered text."""

    row_no: int | None = None
    code: str | None = None
    code_as_printed: str | None = None
    code_kind: str | None = None
    level: str | None = None
    name: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    values: list[str | None]
    texts: list[str | None] | None = None
    block: int | str | None = None
    line: int | None = None


class TruthSection(_Node):
    """One side of a two-sided table (收入 / 支出)."""

    section: str
    columns: list[TruthColumn]
    rows: list[TruthRow]


class TruthTable(_Node):
    """A table: its id and title, layout, columns and rows (or sections), notes."""

    table_id: str | None = None
    toc_no: int | str | None = None  # hand-written truths print it as a string
    toc_title: str | None = None
    title: str
    definition: str | None = None
    department_as_printed: str | None = None
    unit: str | None = None
    layout: str
    thousands: bool | None = None
    columns: list[TruthColumn] | None = None
    text_columns: list[str] | None = None
    block_headers: list[str] | None = None
    rows: list[TruthRow] | None = None
    sections: list[TruthSection] | None = None
    notes: list[str] = []
    empty: bool | None = None
    empty_as_printed: str | None = None


class TruthMeta(_Node):
    """The document: what it is, who generated it from which seed, and the generator's
    options (injections add their labels here)."""

    doc: str | None = None
    generator: str | None = None
    seed: int | None = None
    kind: str | None = None
    department: str | None = None
    department_short: str | None = None
    year: int | None = None
    unit: str | None = None
    options: dict[str, Any] | None = None
    # findings a correct reading must report (a list in generated truths, free-form by hand)
    expected_findings: Any = None
    facts: dict[str, Any] | None = None
    line: str | None = None
    narrative_lines: dict[str, int] | None = None


class TruthDocument(_Node):
    """A generated report's truth: ``meta`` and ``tables``."""

    meta: TruthMeta | None = None  # a hand-made truth may give tables only
    tables: list[TruthTable] = []

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TruthDocument:
        """The typed form of a truth mapping (raises pydantic.ValidationError on a malformed
        one: a generator's defect, not a data problem)."""
        return cls.model_validate(data)

    def to_json(self) -> dict[str, Any]:
        """The truth mapping, key for key in the order it was given."""
        return self.model_dump()
