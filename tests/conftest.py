from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractor.definitions import Definitions, load_definitions

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "datasets" / "seeds"
SEED_FILES = {p.name[:3]: p for p in SEEDS.glob("*.txt")}


@pytest.fixture(scope="session")
def definitions() -> Definitions:
    return load_definitions()


def truth(doc: str) -> dict[str, Any]:
    return json.loads((SEEDS / "truth" / f"{doc}.json").read_text(encoding="utf-8"))
