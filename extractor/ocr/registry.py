"""OCR engines by name: the one list of them.

Each engine module defines its options model (a pydantic model with a ``kind`` Literal and the
engine's own settings, on top of ``EngineOptions``) and its factory; ``ENGINES`` names them.
The config's options field (``OcrOptions``, a union discriminated on ``kind``) and the CLI's
``--ocr-engine`` choices are built from ``ENGINES``, so a new engine is one module and one line
below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar, Union

from pydantic import BeforeValidator, Field

from extractor.errors import ConfigError
from extractor.ocr.base import EngineOptions, OcrEngine
from extractor.ocr.paddle import PaddleOcrOptions, create_paddle
from extractor.ocr.rapid import RapidOcrOptions, create_rapid

OptionsT = TypeVar("OptionsT", bound=EngineOptions)


@dataclass(frozen=True, slots=True)
class EngineSpec(Generic[OptionsT]):
    """One engine: its options model, the factory that builds it from them, and the
    distribution whose version a batch's configuration hash includes."""

    options: type[OptionsT]
    create: Callable[[OptionsT], OcrEngine]
    dist: str

    @property
    def kind(self) -> str:
        """The name of the engine: the default of its options model's ``kind``."""
        return str(self.options.model_fields["kind"].default)

    def validate(self, settings: Mapping[str, object]) -> EngineOptions:
        """This engine's options from a mapping of its settings (missing ones default)."""
        return self.options.model_validate(settings)


def engine_registry(*specs: EngineSpec[Any]) -> Mapping[str, EngineSpec[Any]]:
    """A read-only registry keyed by each spec's ``kind`` (two engines of one kind: an error,
    not the later one silently winning)."""
    kinds = [s.kind for s in specs]
    twice = sorted({k for k in kinds if kinds.count(k) > 1})
    if twice:
        raise ConfigError(f"OCR engines registered twice: {', '.join(twice)}")
    return MappingProxyType(dict(zip(kinds, specs, strict=True)))


ENGINES = engine_registry(
    EngineSpec(RapidOcrOptions, create_rapid, "rapidocr"),
    EngineSpec(PaddleOcrOptions, create_paddle, "paddleocr"),
)
DEFAULT_ENGINE = "rapidocr"


def options_union(engines: Mapping[str, EngineSpec[Any]], default: str) -> Any:
    """The pydantic type of an options field: the engines' models, discriminated on ``kind``;
    settings without a ``kind`` are the ``default`` engine's (as when ``kind`` had a default)."""
    models = tuple(s.options for s in engines.values())

    def default_kind(value: object) -> object:
        if isinstance(value, Mapping) and "kind" not in value:
            return {"kind": default, **value}
        return value

    return Annotated[
        Union[models],  # noqa: UP007  a union built at runtime has no `|` spelling
        Field(discriminator="kind"),
        BeforeValidator(default_kind),
    ]


if TYPE_CHECKING:
    OcrOptions = EngineOptions
else:
    OcrOptions = options_union(ENGINES, DEFAULT_ENGINE)


def default_options() -> EngineOptions:
    """The default engine with its default settings."""
    return ENGINES[DEFAULT_ENGINE].validate({})


def options_for(
    kind: str, engines: Mapping[str, EngineSpec[Any]] = ENGINES, **settings: object
) -> EngineOptions:
    """Options of engine ``kind`` from flat settings (the CLI's flags): settings the engine
    has no field for, or left None, are not passed (an engine ignores another's flags)."""
    spec = _spec(kind, engines)
    fields = spec.options.model_fields
    return spec.validate({k: v for k, v in settings.items() if k in fields and v is not None})


def create_engine(
    options: EngineOptions, engines: Mapping[str, EngineSpec[Any]] = ENGINES
) -> OcrEngine:
    """Build the engine an options model names."""
    return _spec(options.kind, engines).create(options)


def _spec(kind: str, engines: Mapping[str, EngineSpec[Any]]) -> EngineSpec[Any]:
    spec = engines.get(kind)
    if spec is None:
        raise ConfigError(f"unknown OCR engine {kind!r}; known: {', '.join(engines)}")
    return spec
