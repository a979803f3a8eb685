from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from extractor.definitions import Definitions, load_definitions

# No network, by construction (tests/netguard/sitecustomize.py): this process and every Python
# process the tests start refuse connections beyond this machine, and no LLM setting or key of
# the environment reaches a test. The live tier opts out with EXTRACTOR_LIVE_LLM=1.
LIVE = os.environ.get("EXTRACTOR_LIVE_LLM") == "1"
if not LIVE:
    _guard = Path(__file__).resolve().parent / "netguard"
    for _name in [n for n in os.environ if n.startswith(("EXTRACTOR_LLM_", "OPENAI_"))]:
        del os.environ[_name]
    os.environ["EXTRACTOR_TEST_NETGUARD"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(_guard), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    sys.path.insert(0, str(_guard))
    import sitecustomize as _netguard

    if getattr(_netguard, "REFUSED", None) is None:  # another sitecustomize came first
        del sys.modules["sitecustomize"]
        _netguard = importlib.import_module("sitecustomize")
    _netguard.install()

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
