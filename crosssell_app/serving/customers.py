"""What serving knows of a visitor at request time: their latest items and their repeat purchases.

A published version is as old as the last retrain, so a customer who ordered or looked around
since then would see picks that ignore it. Instead of waiting for a retrain, each request reads
the visitor's own latest order lines and product views (one query: two small indexed reads,
newest first, bounded) and :mod:`~crosssell_app.serving.lists` combines the published item-to-item
lists of those items. Nothing is learnt here and nothing is written: a forgotten user's orders
and views are deleted with the forget, so they are gone from the next request.

Repeat purchases are scored the way next-basket research finds hard to beat (the customer's own
purchase frequency with recency decay, Hu et al., TIFU-KNN, SIGIR 2020; Li et al., TOIS 2023):
each order holding a product adds ``0.5 ** (days before the customer's latest order /
HISTORY_HALF_LIFE_DAYS)``. Ages count from the customer's own latest order, not from today, so an
imported history years old ranks the same as a live one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..conf import crosssell_settings
from ..models import Order, OrderLine, ProductView

#: order lines read per request (the newest); a customer's older ones no longer sway the picks
MAX_LINES = 100
#: product views read per request (the newest)
MAX_VIEWS = 30


@dataclass(frozen=True)
class Repeat:
    """A product the customer bought: in how many orders, the latest one's date, and its decayed score."""

    times: int
    #: when the latest order of it was placed
    last: datetime
    score: float

    def explanation(self) -> dict:
        """Return the :class:`crosssell_app.explanations.BuyAgain` of this product (the date in the shop's time zone)."""
        return {"times_bought": self.times, "last_bought": _day(self.last).isoformat()}


@dataclass
class History:
    """A visitor's latest items, newest first, and their repeat purchases (empty for a new visitor)."""

    #: products of the latest orders, newest order first, each once
    bought: list = field(default_factory=list)
    #: products viewed (or put in the cart) and not bought, newest first, each once
    viewed: list = field(default_factory=list)
    #: the order lines read, ``(product, ordered_at)``, newest first
    lines: list = field(default_factory=list, repr=False)

    @functools.cached_property
    def repeats(self) -> dict[Any, Repeat]:
        """Return the repeat purchases (:func:`repeat_scores`), scored when first read: "for you" never reads them."""
        return repeat_scores(self.lines, crosssell_settings.HISTORY_HALF_LIFE_DAYS)

    def recent(self, n: int) -> list:
        """Return up to ``n`` items to combine lists from: the latest order's first, then views, then older orders."""
        latest = self.bought[: max(1, n // 2)]
        return list(dict.fromkeys([*latest, *self.viewed, *self.bought]))[:n]

    def __bool__(self) -> bool:
        return bool(self.bought or self.viewed)


def read_history(user: Any = None, session_key: str = "", *, cart: Iterable = (), views: bool = True) -> History:
    """Return the history of a signed-in ``user`` (their orders and views) or of a session (its views).

    ``cart`` (product pks) counts as viewed. Without a user, orders are not read: an anonymous
    visitor's picks come from this session alone.
    """
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    read_views = views and (user_id is not None or bool(session_key))
    lines, seen = _read(user_id, session_key, lines=user_id is not None, views=read_views)
    bought = list(dict.fromkeys(pk for pk, _ in lines))
    in_orders = set(bought)
    viewed = [pk for pk in dict.fromkeys([*cart, *(pk for pk, _ in seen)]) if pk not in in_orders]
    return History(bought=bought, viewed=viewed, lines=lines)


def _read(user_id: Any, session_key: str, *, lines: bool, views: bool) -> tuple[list, list]:
    """Return the visitor's latest order lines and views as ``(product, when)`` rows, newest first; one query.

    The statement is SQL of the app's own tables, written once per shape (:func:`_history_sql`):
    building and compiling two querysets per request cost more than running them.
    """
    if not (lines or views):
        return [], []
    by_user = user_id is not None
    params: list = []
    if lines:
        params += [user_id, MAX_LINES]
    if views:
        params += [user_id if by_user else session_key, MAX_VIEWS]
    db = router.db_for_read(OrderLine)
    with connections[db].cursor() as cursor:
        cursor.execute(_history_sql(db, lines=lines, views=views, by_user=by_user), params)
        rows = cursor.fetchall()
    # Sorted again here: SQL promises no order for the union's rows (sorted() keeps ties in place).
    found = sorted(((is_line, pk, _as_datetime(when)) for is_line, pk, when in rows), key=_newest_first)
    return [(pk, when) for is_line, pk, when in found if is_line], [(pk, when) for is_line, pk, when in found if not is_line]


@functools.cache
def _history_sql(db: str, *, lines: bool, views: bool, by_user: bool) -> str:
    """Return the history statement: each part a derived table with its own ORDER BY and LIMIT, joined by ``UNION ALL``.

    Derived tables, because SQLite refuses ORDER BY and LIMIT inside a plain compound. Newest
    first is ``COALESCE(t, t) DESC``, an expression no index serves: with ``ORDER BY ordered_at
    DESC LIMIT n`` PostgreSQL walks the whole table's date index backwards and skips everyone
    else's rows (13,000 of them for one Online Retail customer, 8 ms), betting the visitor's rows
    are spread evenly; this way it reads the visitor's own few rows by their user or session index
    and sorts them (under 1 ms).
    """
    quote = connections[db].ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    line, order, view = (quote(model._meta.db_table) for model in (OrderLine, Order, ProductView))
    parts = []
    if lines:
        ordered_at = f"{order}.{column(Order, 'ordered_at')}"
        parts.append(
            f"SELECT 1 AS cs_line, cs_l.cs_product, cs_l.cs_when FROM (SELECT {line}.{column(OrderLine, 'product')}"
            f" AS cs_product, {ordered_at} AS cs_when FROM {line} INNER JOIN {order}"
            f" ON {order}.{quote(Order._meta.pk.column)} = {line}.{column(OrderLine, 'order')}"
            f" WHERE {order}.{column(Order, 'user')} = %s ORDER BY COALESCE({ordered_at}, {ordered_at}) DESC,"
            f" {line}.{column(OrderLine, 'order')} DESC LIMIT %s) cs_l")
    if views:
        viewed_at = f"{view}.{column(ProductView, 'viewed_at')}"
        who = (f"{view}.{column(ProductView, 'user')} = %s" if by_user else
               f"{view}.{column(ProductView, 'session_key')} = %s AND {view}.{column(ProductView, 'user')} IS NULL")
        parts.append(
            f"SELECT 0 AS cs_line, cs_v.cs_product, cs_v.cs_when FROM (SELECT {view}.{column(ProductView, 'product')}"
            f" AS cs_product, {viewed_at} AS cs_when FROM {view} WHERE {who}"
            f" ORDER BY COALESCE({viewed_at}, {viewed_at}) DESC LIMIT %s) cs_v")
    return " UNION ALL ".join(parts)


def _newest_first(row: tuple) -> float:
    return -row[-1].timestamp()


def _as_datetime(value: Any) -> datetime:
    """Return a database's datetime as an aware one (SQLite returns text, some backends naive UTC)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, dt_timezone.utc)
    return value


def repeat_scores(lines: Sequence[tuple[Any, datetime]], half_life_days: float) -> dict[Any, Repeat]:
    """Return, per product of ``lines`` (``(product, ordered_at)``, one per order line), its :class:`Repeat`.

    A product appears once per order, so its lines count its orders.
    """
    if not lines:
        return {}
    latest = max(when for _, when in lines)
    found: dict[Any, list] = {}
    for pk, when in lines:
        age = max(0.0, (latest - when).total_seconds() / 86400)
        entry = found.setdefault(pk, [0, when, 0.0])
        entry[0] += 1
        entry[1] = max(entry[1], when)
        entry[2] += 0.5 ** (age / half_life_days)
    return {pk: Repeat(times=n, last=last, score=score) for pk, (n, last, score) in found.items()}


def _day(when: datetime) -> date:
    return timezone.localdate(when) if timezone.is_aware(when) else when.date()
