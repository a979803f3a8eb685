from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from extractor.definitions import Definitions, load_definitions

# property tests take no per-example deadline (a loaded CI machine is slow, not wrong) and
# draw the same examples on every run
settings.register_profile("extractor", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("extractor")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "evals" / "datasets" / "seeds"
SEED_FILES = {p.name[:3]: p for p in SEEDS.glob("*.txt")}


@pytest.fixture(scope="session")
def definitions() -> Definitions:
    return load_definitions()


def truth(doc: str) -> dict[str, Any]:
    return json.loads((SEEDS / "truth" / f"{doc}.json").read_text(encoding="utf-8"))
