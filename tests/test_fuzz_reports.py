"""Property tests: the sample reports, mutated the ways real reports and OCR damage them,
through every stage (regions, identify, map, repair, verify, prose, annexes, findings).

Whatever the mutation (a number replaced by '0', '-', '.', '%', '1e30', '0.000', 'NaN',
spaced digits or 500 digits; lines deleted, duplicated, swapped or split; prose claiming 0%,
100% or 1e6%), extraction never raises, every document gets a status and a result that
serialises to JSON, and no stage needs the fault barrier: an ``internal.*`` error here is a
bug the mutation found. Hypothesis runs derandomized with no deadline, so a run is the same
on every machine and never depends on its speed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.config import ExtractConfig
from extractor.definitions import Definitions, load_definitions
from extractor.ingest.text import read_text
from extractor.model import DocumentInfo, DocumentResult
from extractor.numbers import MAX_DECIMALS, MAX_INTEGER_DIGITS, parse_amount
from extractor.output import result_json
from extractor.pipeline import _from_rows, extract_text_bytes
from extractor.verify.narrative import narrative_checks

from .conftest import ROOT
from .test_llm_repair import ocr_rows


def _dataset_inputs(*names: str) -> list[Path]:
    """The text inputs the datasets list (seeds_budget's case is a seeds file)."""
    out: set[Path] = set()
    for name in names:
        folder = ROOT / "evals" / "datasets" / name
        cases = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))["cases"]
        out.update((folder / c["input"]).resolve() for c in cases)
    return sorted(p for p in out if p.suffix == ".txt")


SEEDS = _dataset_inputs("seeds", "seeds_budget")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")

REPLACEMENTS = [
    "0", "-", ".", "%", "1e30", "0.000", "NaN", "Infinity", "1 2 3", "3 676. 35", "9" * 500,
    "0." + "0" * 40 + "1", "", "——", "(12.50)", "１２３．４５", "-0.00", "1,,2", "1.2.3",
    "①", "²", "1" * 5000,  # isdigit() but no int(); more digits than int() reads
]  # fmt: skip
AMOUNTS = ["0", "0.000", "100", "1e6", "1e30", "1,000", "9" * 40, "-5", "NaN"]
PERCENTS = ["0", "100", "1e6", "1000000", "0.0001", "NaN", "-3"]
SENTENCES = [
    "收入总计{a}万元。与上年相比，增加{b}万元，增长{p}%。",
    "支出总计{a}万元，与上年相比，支出总计减少{b}万元，下降{p}%。",
    "支出合计{a}万元，其中：基本支出{b}万元，占{p}%；项目支出{c}万元，占{q}%。",
    "年初预算为{a}万元，支出决算为{b}万元，完成年初预算的{p}%。",
    "收、支总计{a}万元，占{p}%。",
    "增加1e30万元，增长0%。",
    "主要用于：一般公共服务（类）{a}万元，占{p}%；其中{b}万元。",
]


@cache
def _lines(path: str) -> tuple[str, ...]:
    return tuple((ROOT / path).read_text(encoding="utf-8").split("\n"))


@cache
def _definitions() -> Definitions:
    return load_definitions()


@dataclass(frozen=True)
class Op:
    kind: str
    at: int
    text: str = ""


_AT = st.integers(min_value=0, max_value=10**6)
OPS = st.one_of(
    st.builds(Op, st.just("number"), _AT, st.sampled_from(REPLACEMENTS)),
    st.builds(Op, st.sampled_from(["delete", "duplicate", "swap"]), _AT),
    st.builds(Op, st.just("split"), _AT, st.integers(0, 200).map(str)),
    st.builds(
        Op,
        st.just("prose"),
        _AT,
        st.builds(
            lambda s, a, b, c, p, q: s.format(a=a, b=b, c=c, p=p, q=q),
            st.sampled_from(SENTENCES),
            *[st.sampled_from(AMOUNTS)] * 3,
            *[st.sampled_from(PERCENTS)] * 2,
        ),
    ),
)
MUTATIONS = st.lists(OPS, min_size=1, max_size=6)


def mutate(lines: tuple[str, ...], ops: list[Op]) -> str:
    """The report with each operation applied in turn (positions taken modulo its size)."""
    out = list(lines)
    for op in ops:
        i = op.at % len(out) if out else 0
        if op.kind == "number":
            text = "\n".join(out)
            found = list(_NUMBER.finditer(text))
            if found:
                m = found[op.at % len(found)]
                out = (text[: m.start()] + op.text + text[m.end() :]).split("\n")
        elif op.kind == "delete" and out:
            del out[i]
        elif op.kind == "duplicate" and out:
            out.insert(i, out[i])
        elif op.kind == "swap" and len(out) > 1:
            j = (i + 1) % len(out)
            out[i], out[j] = out[j], out[i]
        elif op.kind == "split" and out:
            cut = int(op.text) % (len(out[i]) + 1)
            out[i : i + 1] = [out[i][:cut], out[i][cut:]]
        elif op.kind == "prose":
            out.insert(i, op.text)
    return "\n".join(out)


def assert_delivered(result: DocumentResult) -> None:
    assert isinstance(result, DocumentResult)
    assert result.status in ("ok", "partial", "failed")
    assert result.status != "ok" or not result.errors  # a result with errors is never ok
    parsed = json.loads(result_json(result))
    assert parsed["status"] == result.status
    internal = [e for e in result.errors if e.code.startswith("internal.")]
    assert not internal, internal


SEED_PATHS = st.sampled_from([str(p.relative_to(ROOT)) for p in SEEDS])
_FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(_FUZZ, max_examples=100)
@given(seed=SEED_PATHS, ops=MUTATIONS)
def test_a_mutated_text_report_always_gets_a_result(seed: str, ops: list[Op]) -> None:
    data = mutate(_lines(seed), ops).encode("utf-8")
    result = extract_text_bytes(
        data, source_name="m.txt", config=ExtractConfig(), definitions=_definitions()
    )
    assert_delivered(result)


@settings(_FUZZ, max_examples=12)
@given(seed=SEED_PATHS, ops=MUTATIONS)
def test_a_mutated_ocr_reading_always_gets_a_result(seed: str, ops: list[Op]) -> None:
    """The same reports as OCR'd rows: the deterministic repair stage runs on them too."""
    data = mutate(_lines(seed), ops).encode("utf-8")
    rows = ocr_rows(read_text(data).rows)
    info = DocumentInfo(source="m", sha256="")
    result = _from_rows(rows, [], [], info, ExtractConfig(), _definitions(), data)
    assert_delivered(result)


@settings(_FUZZ, max_examples=300)
@given(sentences=st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=4), data=st.data())
def test_prose_claims_with_absurd_numbers_are_checked_or_not_evaluated(
    sentences: list[str], data: st.DataObject
) -> None:
    text = "".join(
        s.format(
            a=data.draw(st.sampled_from(AMOUNTS)),
            b=data.draw(st.sampled_from(AMOUNTS)),
            c=data.draw(st.sampled_from(AMOUNTS)),
            p=data.draw(st.sampled_from(PERCENTS)),
            q=data.draw(st.sampled_from(PERCENTS)),
        )
        for s in sentences
    )
    split = data.draw(st.integers(0, len(text)))
    lines = [(text[:split] or None, 1, None), (text[split:] or None, 2, None)]
    checks = narrative_checks(lines, [], _definitions())
    for c in checks:
        assert c.status in ("pass", "fail", "not_evaluated")
        assert (c.status == "fail") == (c.classification == "source_inconsistency")


@settings(_FUZZ, max_examples=500)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.from_regex(r"[-+(]?[\d,. 　]{0,30}[eE]?[+-]?\d{0,4}\)?", fullmatch=True),
    )
)
def test_any_cell_text_parses_to_a_bounded_amount_or_none(text: str) -> None:
    a = parse_amount(text)
    if a is not None and a.value is not None:
        assert a.value.is_finite()
        assert a.value.adjusted() < MAX_INTEGER_DIGITS and a.precision <= MAX_DECIMALS
        assert a.value + a.half_unit - a.half_unit == a.value  # exact arithmetic, no trap
