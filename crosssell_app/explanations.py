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
    """A bought-together pick (also complete-the-cart).

    A product newer than the last retrain has never been bought, so its picks say what they are
    instead (``new_product``): bought with the products most like it (``similar_to``), or a best
    seller of its category (``category_orders``); never ``orders_together``.
    """

    #: orders in the training data that held both the source and this pick
    orders_together: int
    #: the pair entered the list after the retrain, from orders recorded since (``REALTIME_UPDATES``)
    realtime: bool
    #: products like the source (same type, closest description) that this pick is bought with
    similar_to: list[int]
    #: orders that held this pick, a best seller of the source's category
    category_orders: int
    #: the list was made from the source's content, type and category, not from its purchases
    new_product: bool


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
    #: one of the two products is newer than the last retrain: chosen from content and price only
    new_product: bool


class Similar(TypedDict, total=False):
    """A similar product (a substitute at any price)."""

    #: similarity of the two products' texts (0-1), when the pick was chosen by its text
    text_similarity: float
    new_product: bool


class Trending(TypedDict, total=False):
    """A best seller: orders in the newest ``days`` days of the shop's data that held it."""

    orders_recent: int
    days: int


class ForYou(TypedDict, total=False):
    """A personal pick: the customer's past purchases it comes from, or the products they just viewed.

    Picks combined at request time from the visitor's latest orders and views name the products
    whose published lists they come from: ``because_of`` for a purchase, ``because_viewed`` for
    a product viewed (or put in the cart) and not bought.
    """

    because_of: list[int]
    because_viewed: list[int]


class BuyAgain(TypedDict, total=False):
    """A repeat purchase: how many of the customer's orders held the product, and the date of the latest."""

    times_bought: int
    #: ISO date (``YYYY-MM-DD``) of the customer's latest order of it
    last_bought: str


#: list kind (``crosssell_app.models.Kind`` values) -> the shape of its explanations
SCHEMAS: dict[str, type] = {
    "together": BoughtTogether,
    "upgrade": Upgrade,
    "similar": Similar,
    "for_you": ForYou,
    "trending": Trending,
    "buy_again": BuyAgain,
}


def keep_known(kind: str, explanation: dict) -> dict:
    """Return ``explanation`` with only the keys the schema of ``kind`` names (training's last step)."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        return {}
    known = schema.__annotations__
    return {key: value for key, value in explanation.items() if key in known}


__all__ = ["SCHEMAS", "BoughtTogether", "BuyAgain", "ForYou", "Similar", "Trending", "Upgrade", "keep_known"]
