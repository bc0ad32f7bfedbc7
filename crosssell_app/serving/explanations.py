"""Read a published pick's explanation (:mod:`crosssell_app.explanations`) into what a card shows.

The stored JSON follows the schema training wrote, but rows outlive code (an older version, a
hand-edited row), so every reader here is defensive: a value of the wrong type is dropped, never
an error on a product page. The sentences themselves are in the widget templates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone


@dataclass
class Explanation:
    """What a card may say about why a product is shown; ``None`` or empty means "nothing to say".

    ``chosen_by_unit`` is ``"customers"`` or ``"orders"`` (a shop without customer ids counts orders).
    """

    orders_together: int | None = None
    added_words: list[str] = field(default_factory=list)
    chosen_by: int | None = None
    chosen_by_unit: str = "customers"
    price_difference: Decimal | None = None
    price_difference_percent: float | None = None
    orders_recent: int | None = None
    days: int | None = None
    because_of: list[Any] = field(default_factory=list)
    because_viewed: list[Any] = field(default_factory=list)
    #: a new product's bought-together pick: the products like it that the pick is bought with
    similar_to: list[Any] = field(default_factory=list)
    #: a new product's bought-together pick that is a best seller of its category: orders holding it
    category_orders: int | None = None
    #: the pick was chosen from content, type and category (a product newer than the last retrain)
    new_product: bool = False
    #: a repeat purchase: orders of the customer that held it, and the latest one's date
    times_bought: int | None = None
    last_bought: date | None = None

    @property
    def dearer(self) -> bool:
        """Whether the pick costs more than the product it is shown for."""
        return self.price_difference is not None and self.price_difference > 0

    @property
    def last_bought_this_year(self) -> bool:
        """Whether the latest purchase was this year (a card then names the month alone: "last in March")."""
        return self.last_bought is not None and self.last_bought.year == timezone.localdate().year


def describe(explanation: Any, *, price: Decimal | None = None, base_price: Decimal | None = None) -> Explanation:
    """Return the readable parts of ``explanation``; the price difference comes from the prices when known.

    Today's prices win over the stored difference: a price changed since the retrain must not
    show a stale "+2.00".
    """
    data = explanation if isinstance(explanation, dict) else {}
    unit = data.get("chosen_by_unit")
    result = Explanation(
        orders_together=_count(data.get("orders_together")),
        added_words=_words(data.get("added_words")),
        chosen_by=_count(data.get("chosen_by")),
        chosen_by_unit=unit if unit in ("customers", "orders") else "customers",
        orders_recent=_count(data.get("orders_recent")),
        days=_count(data.get("days")),
        because_of=_ids(data.get("because_of")),
        because_viewed=_ids(data.get("because_viewed")),
        similar_to=_ids(data.get("similar_to")),
        category_orders=_count(data.get("category_orders")),
        new_product=data.get("new_product") is True,
        times_bought=_count(data.get("times_bought")),
        last_bought=_date(data.get("last_bought")),
    )
    if price is not None and base_price is not None:
        result.price_difference = price - base_price
        result.price_difference_percent = float(result.price_difference / base_price * 100) if base_price else None
    else:
        result.price_difference = _number(data.get("price_difference"), Decimal)
        result.price_difference_percent = _number(data.get("price_difference_percent"), float)
    return result


def _ids(value: Any) -> list[Any]:
    return [pk for pk in value if isinstance(pk, (int, str)) and not isinstance(pk, bool)] if isinstance(value, list) else []


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _words(value: Any) -> list[str]:
    return [word for word in value if isinstance(word, str) and word] if isinstance(value, list) else []


def _count(value: Any) -> int | None:
    number = _number(value, int)
    return number if number is not None and number >= 0 else None


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = kind(str(value)) if kind is Decimal else kind(value)
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        return None
    return number if math.isfinite(number) else None
