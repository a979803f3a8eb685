"""The result JSON is pydantic's serialisation; it reads as the plain json.dumps form."""

from __future__ import annotations

import json

import extractor
from extractor.output import result_json

from .conftest import SEED_FILES


def test_result_json_is_the_json_dumps_form() -> None:
    r = extractor.extract(SEED_FILES["001"])
    text = result_json(r)
    assert text == json.dumps(r.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"
    assert json.loads(text) == r.model_dump(mode="json")
