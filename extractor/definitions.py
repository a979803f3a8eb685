"""Report definitions: data files in ``schemas/`` validated by pydantic when loaded.

A definition says how to recognise a table (title patterns, printed label), which columns it
has by meaning, which row roles its two-sided or sectioned rows take, and which identities hold.
The 决算 and 预算 families, and a user's own, differ here and not in code.
"""

from __future__ import annotations

import re
import re._parser as _re_parser  # type: ignore[import-not-found]  # titles read back as text
import tomllib
from collections.abc import Sequence
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractor.errors import DefinitionError
from extractor.extract.layout_names import Layout


class _Def(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_regexes(values: list[str]) -> list[str]:
    for v in values:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"bad regex {v!r}: {exc}") from exc
    return values


class ColumnDef(_Def):
    key: str = Field(description="identity name of the column, e.g. c1")
    names: list[str] = Field(description="regexes searched in the header's last level")
    under: list[str] = Field(default_factory=list, description="regexes for the upper levels")
    col_no: str | None = Field(default=None, description="usual 栏次; a tie-breaker only")

    _v = field_validator("names", "under")(_check_regexes)


class RowDef(_Def):
    role: str
    names: list[str] = Field(default_factory=list, description="regexes on the row name")
    classes: bool = Field(default=False, description="matches 类 names; role becomes class:CODE")
    multi: bool = Field(default=False, description="the role may be taken by many rows")

    _v = field_validator("names")(_check_regexes)


class SectionDef(_Def):
    key: str
    names: list[str] = Field(description="regexes for the section's printed heading")
    columns: list[ColumnDef]
    rows: list[RowDef] = Field(default_factory=list)


class IdentityDef(_Def):
    expr: str = Field(default="", description="equation (verify/rules.py); trees need none")
    family: Literal["R", "H", "T", "X", "D", "N", "B", "G"]
    kind: Literal["row", "tree", "econ_tree", "column_total", "cell", "foreach"] = Field(
        default="cell",
        description="row: every row; tree/econ_tree: code trees; column_total: the total row "
        "= Σ the other rows, per column; cell: one equation",
    )
    section: str | None = Field(default=None, description="for row identities of a section")
    columns: list[str] = Field(default_factory=list, description="instantiate {col} for each")
    foreach: Literal["class", "code"] | None = None
    severity: Literal["hard", "soft"] | None = Field(
        default=None, description="default: soft for D and N, hard otherwise"
    )

    @property
    def effective_severity(self) -> Literal["hard", "soft"]:
        if self.severity is not None:
            return self.severity
        return "soft" if self.family in ("D", "N") else "hard"


def _shortest(parsed: Any) -> str:
    """The shortest string a parsed regex matches (optional parts left out, the first of
    alternatives and of character sets taken)."""
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, _, sub = arg
            out.append(_shortest(sub) * low)
        elif name == "SUBPATTERN":
            out.append(_shortest(arg[-1]))
        elif name == "BRANCH":
            out.append(min((_shortest(b) for b in arg[1]), key=len))
        elif name == "IN":
            first = next((a for o, a in arg if str(o) == "LITERAL"), None)
            out.append(chr(first) if first is not None else "")
    return "".join(out)


class TableDef(_Def):
    id: str
    label: str | None = Field(default=None, description="usual printed number, e.g. 公开02表")
    titles: list[str] = Field(description="regexes fully matching the normalised title")
    layout: Layout = "generic"
    extends: str | None = Field(
        default=None,
        description="id of a table whose layout, columns, sections, rows and identities this "
        "one takes (where it gives none of its own)",
    )
    columns: list[ColumnDef] = Field(default_factory=list)
    sections: list[SectionDef] = Field(default_factory=list)
    rows: list[RowDef] = Field(default_factory=list)
    identities: list[IdentityDef] = Field(default_factory=list)

    _v = field_validator("titles")(_check_regexes)

    @cached_property
    def title_res(self) -> list[re.Pattern[str]]:
        return [re.compile(t) for t in self.titles]

    @property
    def title(self) -> str:
        """The shortest text the first title pattern matches, as a reader would see it
        ("(部门|单位)?财政拨款收支预算总表" -> "财政拨款收支预算总表")."""
        return _shortest(_re_parser.parse(self.titles[0]))


class FamilyDef(_Def):
    family: str
    kind: str = Field(description="决算 or 预算")
    tables: list[TableDef]
    required: list[list[str]] = Field(
        default_factory=list,
        description="tables every report of the family prints: each entry lists alternatives",
    )
    cross: list[IdentityDef] = Field(default_factory=list)


class Definitions(_Def):
    """All loaded families, plus the 类 code table."""

    families: list[FamilyDef]
    classes: dict[str, list[str]]

    @cached_property
    def tables(self) -> list[TableDef]:
        return [t for f in self.families for t in f.tables]

    @cached_property
    def class_by_name(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for code, names in self.classes.items():
            for n in names:
                out[n] = code
                out[n.removesuffix("支出")] = code
        return out

    def table(self, table_id: str) -> TableDef | None:
        return next((t for t in self.tables if t.id == table_id), None)

    def family_of(self, table_id: str) -> FamilyDef | None:
        return next((f for f in self.families if any(t.id == table_id for t in f.tables)), None)


def default_schema_dir() -> Path:
    """The report definitions shipped inside the package (``extractor/schemas``, package
    data: present in a wheel as in a checkout)."""
    folder = Path(str(resources.files("extractor").joinpath("schemas")))
    if not folder.is_dir():
        raise DefinitionError(f"the package's definitions are missing: no folder {folder}")
    return folder


def prompts_dir() -> Path:
    """The LLM prompt templates shipped inside the package (``extractor/prompts``)."""
    return Path(str(resources.files("extractor").joinpath("prompts")))


_INHERITED = ("layout", "columns", "sections", "rows", "identities")


def _resolve_extends(families: list[FamilyDef]) -> list[FamilyDef]:
    """Tables that name ``extends`` take what they leave out from that table."""
    by_id = {t.id: t for f in families for t in f.tables}

    def resolved(t: TableDef, seen: tuple[str, ...] = ()) -> TableDef:
        if t.extends is None:
            return t
        if t.extends in seen or t.extends not in by_id:
            raise DefinitionError(f"{t.id}: cannot extend {t.extends!r}")
        base = resolved(by_id[t.extends], (*seen, t.id))
        given = t.model_fields_set
        update = {k: getattr(base, k) for k in _INHERITED if k not in given}
        return t.model_copy(update=update)

    return [f.model_copy(update={"tables": [resolved(t) for t in f.tables]}) for f in families]


def _load_folder(
    folder: Path, families: list[FamilyDef], classes: dict[str, list[str]]
) -> None:
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            if "classes" in data:
                classes.update({str(k): list(v) for k, v in data["classes"].items()})
            else:
                families.append(FamilyDef.model_validate(data))
        except (tomllib.TOMLDecodeError, ValidationError, OSError) as exc:
            raise DefinitionError(f"{path.name}: {exc}") from exc


def load_definitions(
    schema_dir: Path | None = None, extra_dirs: Sequence[Path] = ()
) -> Definitions:
    """Load and validate the report definitions: every ``*.toml`` in ``schema_dir`` (default:
    the shipped set), then those of ``extra_dirs``, added to them (a region's own tables may
    ``extends`` a shipped one; a table id defined twice is an error)."""
    families: list[FamilyDef] = []
    classes: dict[str, list[str]] = {}
    for folder in (schema_dir or default_schema_dir(), *extra_dirs):
        if not folder.is_dir():
            raise DefinitionError(f"no definition folder {folder}")
        _load_folder(folder, families, classes)
    families = _resolve_extends(families)
    ids = [t.id for f in families for t in f.tables]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise DefinitionError(f"duplicate table ids: {sorted(dupes)}")
    return Definitions(families=families, classes=classes)
