"""The explanation contract: what a published pick may say about why it is shown.

Training writes one of these dicts on every published row (from what the recommenders return),
serving and the template tags read it to fill a widget, and the API returns it as it is. It holds
only numbers, product ids and word lists, never a sentence: sentences are built in templates, so
a shop can translate and reword them. This module imports nothing from Django, so the
recommenders, which must run without Django, can return these shapes too.

Every key is optional for readers (``total=False``): a reader shows what is there and skips what
is not, so an older version's rows still render after an upgrade of the app.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class BoughtTogether(TypedDict, total=False):
    """A bought-together pick (also complete-the-cart)."""

    #: orders in the training data that held both the source and this pick
    orders_together: int


class Upgrade(TypedDict, total=False):
    """An upgrade: a dearer product of the same kind, and the evidence that shoppers chose it."""

    #: the pick's price minus the source's, and that as a percentage of the source's price
    price_difference: float | None
    price_difference_percent: float | None
    #: phrases of the pick's title that the source's title lacks (``["4 TIER"]``)
    added_words: list[str]
    #: similarity of the two titles (0-1) and the blended substitutability score
    text_similarity: float
    substitutability: float
    #: how many customers (or orders, when the shop has no customer ids) bought the pick
    chosen_by: int
    chosen_by_unit: Literal["customers", "orders"]
    #: sessions that viewed the pick; customers who bought both; orders that held both
    viewed_by: int
    shared_customers: int
    bought_together_orders: int


class Trending(TypedDict, total=False):
    """A best seller: orders in the newest ``days`` days of the shop's data that held it."""

    orders_recent: int
    days: int


class ForYou(TypedDict, total=False):
    """A personal pick; ``because_of`` names the customer's past purchases it comes from."""

    because_of: list[int]


#: list kind (``crosssell_app.models.Kind`` values) -> the shape of its explanations
SCHEMAS: dict[str, type] = {
    "together": BoughtTogether,
    "upgrade": Upgrade,
    "for_you": ForYou,
    "trending": Trending,
}


def keep_known(kind: str, explanation: dict) -> dict:
    """Return ``explanation`` with only the keys the schema of ``kind`` names (training's last step)."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        return {}
    known = schema.__annotations__
    return {key: value for key, value in explanation.items() if key in known}


__all__ = ["SCHEMAS", "BoughtTogether", "ForYou", "Trending", "Upgrade", "keep_known"]
