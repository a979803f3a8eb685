"""The generators' catalogues (function and economic codes and names, bureaus, pools of items,
column headers, notes) as JSON package data in ``data/``, each value read into the Python type
its module declares."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TypeVar

from pydantic import TypeAdapter

T = TypeVar("T")

__all__ = ["Catalog"]


class Catalog:
    """One JSON file of ``data/``: named values."""

    def __init__(self, name: str) -> None:
        path = resources.files("extractor_evals").joinpath("data", f"{name}.json")
        self._values: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))

    def get(self, key: str, shape: type[T]) -> T:
        """The value ``key`` as ``shape``: its arrays become the tuples and sets ``shape``
        names, its object keys the int keys."""
        return TypeAdapter(shape).validate_python(self._values[key])
