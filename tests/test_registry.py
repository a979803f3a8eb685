"""The extension points each have one list: OCR engines, layout mappers, error codes."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ValidationError

import extractor
from extractor.barrier import Barrier
from extractor.cli import build_parser
from extractor.config import ExtractConfig
from extractor.definitions import TableDef, load_definitions
from extractor.errors import (
    Category,
    Code,
    ConfigError,
    Stage,
    code_of,
    code_table,
    expected_result_codes,
    internal_code,
)
from extractor.extract.layout_names import LAYOUTS
from extractor.extract.mapper import MAPPERS
from extractor.ocr.base import EngineOptions, OcrBox
from extractor.ocr.paddle import PaddleOcrOptions
from extractor.ocr.rapid import RapidOcrOptions
from extractor.ocr.registry import (
    DEFAULT_ENGINE,
    ENGINES,
    EngineSpec,
    create_engine,
    engine_registry,
    options_for,
    options_union,
)


def _subcommand_option(command: str, flag: str) -> argparse.Action:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]._option_string_actions[flag]


@pytest.mark.parametrize("command", ["extract", "batch"])
def test_cli_engine_choices_are_the_registry(command: str) -> None:
    action = _subcommand_option(command, "--ocr-engine")
    assert list(action.choices or []) == list(ENGINES) == ["rapidocr", "paddleocr"]
    assert action.default == DEFAULT_ENGINE


def test_config_union_kinds_are_the_registry() -> None:
    schema = ExtractConfig.model_json_schema()
    mapping = schema["properties"]["ocr"]["discriminator"]["mapping"]
    assert sorted(mapping) == sorted(ENGINES)
    assert {k: spec.kind for k, spec in ENGINES.items()} == {k: k for k in ENGINES}
    for kind in ENGINES:
        assert ExtractConfig.model_validate({"ocr": {"kind": kind}}).ocr.kind == kind


def test_options_are_the_engines_own() -> None:
    config = ExtractConfig.model_validate({"ocr": {"dpi": 300}})
    assert isinstance(config.ocr, RapidOcrOptions) and config.ocr.dpi == 300
    assert isinstance(ExtractConfig().ocr, RapidOcrOptions)
    paddle = ExtractConfig.model_validate({"ocr": {"kind": "paddleocr", "det_model_dir": "d"}})
    assert isinstance(paddle.ocr, PaddleOcrOptions) and paddle.ocr.det_model_dir == Path("d")
    # a setting of another engine is refused, an unknown engine names the known ones
    with pytest.raises(ValidationError, match="det_model_dir"):
        ExtractConfig.model_validate({"ocr": {"kind": "rapidocr", "det_model_dir": "d"}})
    with pytest.raises(ValidationError, match="'rapidocr', 'paddleocr'"):
        ExtractConfig.model_validate({"ocr": {"kind": "tesseract"}})
    # the batch workers get the configuration as JSON: it comes back the same
    config = ExtractConfig(ocr=RapidOcrOptions(threads=3, det_max_side=960))
    assert ExtractConfig.model_validate_json(config.model_dump_json()) == config


def test_cli_flags_go_to_the_engine_that_has_them() -> None:
    rapid = options_for("rapidocr", dpi=150, det_model_dir=Path("d"), rec_model_dir=None)
    assert rapid == RapidOcrOptions(dpi=150)
    paddle = options_for("paddleocr", dpi=150, det_model_dir=Path("d"), rec_model_dir=None)
    assert paddle == PaddleOcrOptions(dpi=150, det_model_dir=Path("d"))
    with pytest.raises(ConfigError, match="unknown OCR engine 'tesseract'"):
        options_for("tesseract")


class ToyOptions(EngineOptions):
    kind: Literal["toy"] = "toy"
    text: str = "toy"


class ToyEngine:
    name = "toy"

    def __init__(self, text: str) -> None:
        self.text = text

    def recognize(self, image: Any) -> list[OcrBox]:
        return [OcrBox(0, 0, 1, 1, self.text, 1.0)]

    def read_line(self, image: Any) -> tuple[str, float]:
        return self.text, 1.0


def test_a_new_engine_is_one_registry_line() -> None:
    registry = engine_registry(
        *ENGINES.values(), EngineSpec(ToyOptions, lambda o: ToyEngine(o.text), "extractor")
    )
    assert list(registry) == [*ENGINES, "toy"]

    class Config(BaseModel):
        ocr: options_union(registry, "toy")  # type: ignore[valid-type]

    toy = Config.model_validate({"ocr": {"kind": "toy", "text": "一二三"}}).ocr
    assert isinstance(toy, ToyOptions)
    assert isinstance(Config.model_validate({"ocr": {}}).ocr, ToyOptions)
    assert isinstance(Config.model_validate({"ocr": {"kind": "rapidocr"}}).ocr, RapidOcrOptions)
    engine = create_engine(toy, registry)
    assert isinstance(engine, ToyEngine) and engine.read_line(None) == ("一二三", 1.0)
    assert options_for("toy", registry, text="x", threads=2) == ToyOptions(text="x")
    with pytest.raises(ConfigError, match="registered twice: toy"):
        engine_registry(*registry.values(), registry["toy"])
    # the package's own registry does not know it
    with pytest.raises(ConfigError, match="unknown OCR engine 'toy'"):
        create_engine(toy)


def test_every_layout_has_one_mapper() -> None:
    assert list(MAPPERS) == list(LAYOUTS)
    assert len(set(MAPPERS.values())) == len(MAPPERS)
    schema = TableDef.model_json_schema()["properties"]["layout"]
    assert schema["enum"] == list(LAYOUTS)
    used = {t.layout for t in load_definitions().tables}
    assert used and used <= set(MAPPERS)


def test_a_layout_without_a_mapper_is_refused_by_the_definitions() -> None:
    base = {"id": "x", "titles": ["x"]}
    assert TableDef.model_validate({**base, "layout": "listing"}).layout == "listing"
    with pytest.raises(ValidationError, match="layout"):
        TableDef.model_validate({**base, "layout": "pivot"})


PACKAGE = Path(extractor.__file__).parent
# the dotted names of the eval generators (injection kinds, table ids) are not codes
SCANNED = [p for p in sorted(PACKAGE.rglob("*.py")) if "evals" not in p.relative_to(PACKAGE).parts]
PREFIXES = sorted({c.value.split(".")[0] for c in Code})
CODE_LIKE = re.compile(rf"^({'|'.join(PREFIXES)})\.[a-z][a-z0-9_]*$")


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in SCANNED]


def test_no_code_is_spelled_outside_the_registry() -> None:
    registry = PACKAGE / "errors.py"
    spelled: list[str] = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if CODE_LIKE.match(node.value):
                    assert node.value in {c.value for c in Code}, f"{path}: {node.value}"
                    if path != registry:
                        spelled.append(f"{path.name}:{node.lineno} {node.value}")
            elif isinstance(node, ast.JoinedStr) and path != registry:
                head = node.values[0] if node.values else None
                if isinstance(head, ast.Constant) and re.match(
                    rf"^({'|'.join(PREFIXES)})\.", str(head.value)
                ):
                    spelled.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert spelled == [], "emitters name a Code member: " + ", ".join(spelled)
    # the scan sees the package: the registry's own spellings are found
    assert len(SCANNED) > 50


def test_every_guarded_stage_has_its_internal_code() -> None:
    stages = set()
    for _, tree in _trees():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "guard"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                stages.add(node.args[0].value)
    assert {"map", "verify", "pipeline", "identify", "llm"} <= stages
    # narrative.py's own guard takes a claim kind and puts it under internal.narrative
    claims = {"growth", "completion", "share", "total", "breakdown"}
    for stage in sorted(stages - claims):
        assert internal_code(stage).category is Category.INTERNAL, stage
    with pytest.raises(ValueError, match=r"no internal\.mapping"):
        internal_code("mapping")
    with pytest.raises(ValueError, match=r"no internal\.mapping"):
        Barrier().guard("mapping", "a table")


def test_a_guarded_failure_carries_the_registered_code() -> None:
    barrier = Barrier()
    with barrier.guard("map", "table 3", line=7):
        raise RuntimeError("boom")
    assert [(e.code, e.line) for e in barrier.errors] == [("internal.map", 7)]
    assert type(barrier.errors[0].code) is str  # the result holds plain strings


def test_every_code_has_a_stage_and_a_category() -> None:
    values = [c.value for c in Code]
    assert len(values) == len(set(values))
    for c in Code:
        assert CODE_LIKE.match(c.value), c
        assert isinstance(c.stage, Stage) and isinstance(c.category, Category), c
        assert code_of(c.value) is c
        # a check rule is never an error of a result, a bug is always internal or raised
        assert not (c.category is Category.CHECK and c.in_result), c
    with pytest.raises(KeyError):
        code_of("input.missing")
    assert {c.value for c in Code if c.category is Category.CHECK} >= {
        "verify.row_sum",
        "verify.annex_score_total",
    }


def test_the_fuzzers_known_codes_come_from_the_registry() -> None:
    from extractor_evals.fuzz import KNOWN_CODES

    assert expected_result_codes() == KNOWN_CODES
    assert "input.corrupt" in KNOWN_CODES and "batch.timeout" in KNOWN_CODES
    # a bug is never a known outcome
    assert "batch.exception" not in KNOWN_CODES and "internal.map" not in KNOWN_CODES
    assert not {"config.invalid", "input.symlink_loop", "verify.row_sum"} & KNOWN_CODES


def test_the_readme_lists_the_registry() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert code_table() in readme, "README.md's error codes table: paste code_table()"
    mentioned = set(re.findall(r"`([a-z]+\.[a-z][a-z0-9_]*)`", readme))
    named = {m for m in mentioned if CODE_LIKE.match(m)}
    # the prose names no code that is not registered (a renamed or removed one)
    assert named - {c.value for c in Code} == set()
