"""Amount arithmetic shared by the generators and the renderers (no other evals import, so
either side may use it without an import cycle)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["share_percent"]


def share_percent(part: int, whole: int) -> str:
    """part/whole as a percentage with two decimals, rounded half up (exact Decimal)."""
    pct = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return str(pct)
