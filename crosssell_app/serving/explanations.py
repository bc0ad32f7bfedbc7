"""Turn the explanation JSON a training run wrote into the few things a card shows.

Training owns the explanation's shape and may add keys or leave some out, so every reader here is
defensive: a value of the wrong type is skipped, never an error on a product page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass
class Explanation:
    """What a card may say about why a product is shown."""

    reason: str = ""
    evidence: str = ""
    differing_words: list[str] = field(default_factory=list)
    orders_together: int | None = None
    price_difference: Decimal | None = None
    price_difference_percent: float | None = None


def describe(explanation: Any, *, price: Decimal | None = None, base_price: Decimal | None = None) -> Explanation:
    """Return the readable parts of ``explanation``; the price difference comes from the prices when known."""
    data = explanation if isinstance(explanation, dict) else {}
    text = data.get("reason") or data.get("text")
    words = data.get("differing_words")
    result = Explanation(
        reason=text if isinstance(text, str) else "",
        evidence=data["evidence"] if isinstance(data.get("evidence"), str) else "",
        differing_words=[word for word in words if isinstance(word, str)] if isinstance(words, list) else [],
        orders_together=_number(data.get("orders_together"), int),
    )
    if price is not None and base_price is not None:
        result.price_difference = price - base_price
        result.price_difference_percent = float(result.price_difference / base_price * 100) if base_price else None
    else:
        result.price_difference = _number(data.get("price_difference"), Decimal)
        result.price_difference_percent = _number(data.get("price_difference_percent"), float)
    return result


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = kind(str(value)) if kind is Decimal else kind(value)
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        return None
    return number if math.isfinite(number) else None
