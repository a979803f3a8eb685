"""The extension points each have one list: OCR engines, layout mappers, error codes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ValidationError

from extractor.cli import build_parser
from extractor.config import ExtractConfig
from extractor.definitions import TableDef, load_definitions
from extractor.errors import ConfigError
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
