"""Scoring of the disclosure checks (family C) per kind, apart from the source-inconsistency
figures: labels, labels found, false findings, and precision and recall over a dataset; the
``generated-disclosure:N[:SEED]`` dataset. The harness calls these (one line each)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from extractor.model import CellRef, Check

if TYPE_CHECKING:
    from extractor_evals.harness import Label


def _matches(ref: CellRef, label: Label) -> bool:
    """A disclosure finding at the label's line, or (a label naming a table only) about
    that table."""
    if label.line is not None:
        return ref.line == label.line
    return label.table is not None and ref.table == label.table


def case_scores(labels: Sequence[Label], checks: Sequence[Check]) -> dict[str, list[int]]:
    """Per disclosure kind: [labels, labels a family C check of that kind found, checks of
    that kind at no label of it (false findings)]."""
    out: dict[str, list[int]] = {}
    mine_c = [c for c in checks if c.family == "C"]
    for kind in sorted({c.expression for c in mine_c} | {lb.kind for lb in labels}):
        name = kind.removeprefix("disclosure.")
        mine = [lb for lb in labels if lb.kind == f"disclosure.{name}"]
        found = [c for c in mine_c if c.expression == name]
        if not mine and not found:
            continue
        hit = sum(1 for lb in mine if any(_matches(r, lb) for c in found for r in c.cells))
        false = sum(1 for c in found if not any(_matches(r, lb) for lb in mine for r in c.cells))
        out[name] = [len(mine), hit, false]
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None


def totals(per_case: Iterable[dict[str, list[int]]]) -> dict[str, dict[str, Any]]:
    """Precision and recall of the disclosure checks per kind over the cases."""
    sums: dict[str, list[int]] = {}
    for scores in per_case:
        for kind, counts in scores.items():
            acc = sums.setdefault(kind, [0, 0, 0])
            for i, v in enumerate(counts):
                acc[i] += v
    return {
        kind: {
            "labels": labels,
            "found": found,
            "false": false,
            "precision": _ratio(found, found + false),
            "recall": _ratio(found, labels),
        }
        for kind, (labels, found, false) in sorted(sums.items())
    }


def summary_line(scores: dict[str, dict[str, Any]]) -> str | None:
    """One line of the per-kind figures, or None when no kind was labeled or found."""
    if not scores:
        return None

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{100 * x:.2f}%"

    return "disclosure checks (family C) by kind: " + "; ".join(
        f"{k} precision {pct(v['precision'])} recall {pct(v['recall'])} "
        f"({v['labels']} labeled, {v['false']} false)"
        for k, v in scores.items()
    )


def compare(
    name: str, now: dict[str, Any], then: dict[str, Any]
) -> tuple[list[str], bool]:
    """What moved per kind against a baseline's totals; True when a figure dropped."""
    lines: list[str] = []
    regressed = False
    for kind, score in now.get("disclosure", {}).items():
        was = then.get("disclosure", {}).get(kind, {})
        for key in ("precision", "recall"):
            a, b = score.get(key), was.get(key)
            if a is not None and b is not None and a != b:
                regressed = regressed or a < b
                lines.append(
                    f"{name}: disclosure {kind} {key} {b} -> {a} ({'worse' if a < b else 'better'})"
                )
    return lines, regressed
