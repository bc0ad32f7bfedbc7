"""Business rules every list of recommended products obeys, wherever it is shown.

Template tags, the API and (if it wishes) training apply the same :class:`Rules`, expressed as SQL
filters so that a widget's rows are filtered and limited by the database in one query rather
than fetched in bulk and thinned in Python. Merchandisers' blocked pairs
(:class:`~crosssell_app.models.MerchandisingRule`) are a filter of the same query
(:func:`not_blocked`); pinned products come from :func:`pins` and are placed by :func:`place_pins`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.models.expressions import RawSQL

from ..conf import crosssell_settings
from ..models import MerchandisingRule, OrderLine, Recommendation
from ..products import get_adapter

T = TypeVar("T")


@dataclass(frozen=True)
class Rules:
    """Which products a list may contain.

    ``exclude_ids`` holds products already in the cart (or the product being viewed);
    ``purchased_by`` a user id whose past purchases are left out; category and price filters use
    the adapter's ``category`` and ``price`` field lookups. ``cross_category`` keeps only products
    of other categories than the ones the list is about (the viewed product, the cart's products):
    the cross-category cross-sell; a list about nobody's product (personal picks) ignores it.
    """

    exclude_ids: frozenset = field(default_factory=frozenset)
    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    purchased_by: Any = None
    available_only: bool = True
    cross_category: bool = False

    def product_q(self, prefix: str = "") -> models.Q:
        """Return a ``Q`` over products, its lookups prefixed (``"target__"``) for a related model."""
        adapter = get_adapter()
        fields = adapter.fields
        query = _prefixed(adapter.available_filter(), prefix) if self.available_only else models.Q()
        if self.exclude_ids:
            query &= ~models.Q(**{f"{prefix}pk__in": list(self.exclude_ids)})
        category = fields.get("category")
        if category and self.categories:
            query &= models.Q(**{f"{prefix}{category}__in": list(self.categories)})
        if category and self.exclude_categories:
            query &= ~models.Q(**{f"{prefix}{category}__in": list(self.exclude_categories)})
        price = fields.get("price")
        if price and self.min_price is not None:
            query &= models.Q(**{f"{prefix}{price}__gte": self.min_price})
        if price and self.max_price is not None:
            query &= models.Q(**{f"{prefix}{price}__lte": self.max_price})
        return query

    def apply(self, queryset: models.QuerySet, prefix: str = "", sources: Sequence = ()) -> models.QuerySet:
        """Return ``queryset`` narrowed to rows whose product (at ``prefix``) obeys the rules.

        ``sources`` are the products the list is about, for ``cross_category``.
        """
        queryset = queryset.filter(self.product_q(prefix))
        category = get_adapter().fields.get("category")
        if self.cross_category and category and sources:
            # One subquery in the same statement: no query of its own for the sources' categories.
            theirs = (get_adapter().model._default_manager.filter(pk__in=list(sources))
                      .exclude(**{f"{category}__isnull": True}).values(category))
            queryset = queryset.exclude(**{f"{prefix}{category}__in": theirs})
        if self.purchased_by is not None:
            # NOT IN an uncorrelated subquery: the database reads the user's purchases once per
            # query (a hashed subplan) instead of once per candidate row.
            bought = OrderLine.objects.filter(order__user_id=self.purchased_by).values("product_id")
            queryset = queryset.exclude(**{f"{prefix}pk__in": bought})
        return queryset

    def cache_key(self) -> str:
        """Return a short stable text that tells two rule sets apart in a cache key."""
        parts = (sorted(map(str, self.exclude_ids)), self.categories, self.exclude_categories,
                 self.min_price, self.max_price, self.purchased_by, self.available_only, self.cross_category)
        return repr(parts)


def default_rules(*, exclude_ids: Iterable = (), user=None, **filters: Any) -> Rules:
    """Return the rules a widget or request starts from: settings' exclusions plus ``filters``.

    Pass ``user`` for personal picks: with ``EXCLUDE_PURCHASED`` what they bought is left out.
    Lists about a product ignore the visitor, so a repeat buyer still sees what goes with it.
    """
    purchased_by = None
    if user is not None and getattr(user, "is_authenticated", False) and crosssell_settings.EXCLUDE_PURCHASED:
        purchased_by = user.pk
    exclude_categories = tuple(crosssell_settings.EXCLUDE_CATEGORIES) + tuple(filters.pop("exclude_categories", ()))
    return Rules(exclude_ids=frozenset(exclude_ids), purchased_by=purchased_by,
                 exclude_categories=exclude_categories, **filters)


def not_blocked(kind: str) -> models.Expression:
    """Return a filter over recommendation rows that drops the pairs a merchandiser blocked.

    A block without a source drops its target from every list of ``kind``; one with a source only
    from that source's list. It is part of the rows' own query, so blocks cost no extra query.
    Written as SQL over the app's own tables (``NOT EXISTS``, the same as an ORM ``~Exists``)
    because the ORM took longer to build and compile this subquery than the database to run it.
    It names the recommendation table itself, so it filters a top-level query over
    :class:`~crosssell_app.models.Recommendation`, not one nested in another query.
    """
    rec, rule, col = _tables()
    sql = (f"NOT EXISTS (SELECT 1 FROM {rule} cs_rule WHERE cs_rule.{col(MerchandisingRule, 'kind')} = %s"
           f" AND cs_rule.{col(MerchandisingRule, 'action')} = %s"
           f" AND cs_rule.{col(MerchandisingRule, 'target')} = {rec}.{col(Recommendation, 'target')}"
           f" AND (cs_rule.{col(MerchandisingRule, 'source')} IS NULL"
           f" OR cs_rule.{col(MerchandisingRule, 'source')} = {rec}.{col(Recommendation, 'source')}))")
    return RawSQL(sql, (str(kind), str(MerchandisingRule.Action.BLOCK)), output_field=models.BooleanField())


def _pin_rules(kind: str, source_ids: Sequence) -> models.QuerySet:
    return MerchandisingRule.objects.filter(kind=kind, action=MerchandisingRule.Action.PIN).filter(
        models.Q(source__isnull=True) | models.Q(source_id__in=list(source_ids))
    )


def pins_exist(kind: str, source_ids: Sequence) -> models.Expression:
    """Return an expression telling whether any pin applies, to ask for in the rows' own query.

    The same as ``Exists(_pin_rules(kind, source_ids))``, written as SQL for the reason
    :func:`not_blocked` gives.
    """
    _rec, rule, col = _tables()
    source = MerchandisingRule._meta.get_field("source")
    connection = connections[router.db_for_read(MerchandisingRule)]
    ids = [source.get_db_prep_value(pk, connection) for pk in dict.fromkeys(source_ids) if pk is not None]
    sources = f"cs_rule.{col(MerchandisingRule, 'source')} IS NULL"
    if ids:
        sources += f" OR cs_rule.{col(MerchandisingRule, 'source')} IN ({', '.join(['%s'] * len(ids))})"
    sql = (f"EXISTS (SELECT 1 FROM {rule} cs_rule WHERE cs_rule.{col(MerchandisingRule, 'kind')} = %s"
           f" AND cs_rule.{col(MerchandisingRule, 'action')} = %s AND ({sources}))")
    return RawSQL(sql, (str(kind), str(MerchandisingRule.Action.PIN), *ids), output_field=models.BooleanField())


def _tables() -> tuple[str, str, Any]:
    """Return the quoted tables of recommendations and merchandising rules, and a quoted column getter."""
    quote = connections[router.db_for_read(Recommendation)].ops.quote_name

    def col(model: type[models.Model], name: str) -> str:
        return quote(model._meta.get_field(name).column)

    return quote(Recommendation._meta.db_table), quote(MerchandisingRule._meta.db_table), col


def pins(kind: str, source_ids: Sequence, rules: Rules) -> list[tuple[int, Any, Any]]:
    """Return ``(position, source id, product)`` of the pins of ``kind`` for ``source_ids`` and global ones.

    Pinned products must obey ``rules`` like any other; a pin for a product that is out of stock
    simply does not show.
    """
    wanted = rules.apply(_pin_rules(kind, source_ids), "target__", sources=source_ids)
    wanted = wanted.select_related(*display_related("target__")).order_by("position", "pk")
    return [(rule.position, rule.source_id, rule.target) for rule in wanted]


def place_pins(items: list[T], pins: Sequence[tuple[int, T]], limit: int) -> list[T]:
    """Return ``items`` with each pinned item inserted at its 1-based position, cut to ``limit``."""
    placed = list(items)
    for position, item in sorted(pins, key=lambda pin: pin[0]):
        placed.insert(max(0, min(position - 1, len(placed))), item)
    return placed[:limit]


def display_related(prefix: str = "") -> list[str]:
    """Return the ``select_related`` paths that showing a product (title, price, image) needs."""
    fields = get_adapter().fields
    paths = []
    for name in ("title", "price", "image"):
        lookup = fields.get(name)
        if lookup and "__" in lookup:
            paths.append(prefix + lookup.rsplit("__", 1)[0])
    return [prefix.rstrip("_"), *paths] if prefix else paths


def split_words(value: Any) -> tuple[str, ...]:
    """Return category names from a comma-separated text or a list, blanks dropped."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(str(item).strip() for item in items if str(item).strip())


def _prefixed(query: models.Q, prefix: str) -> models.Q:
    """Return a copy of ``query`` whose lookups start with ``prefix``."""
    if not prefix:
        return query
    copy = models.Q()
    copy.connector, copy.negated = query.connector, query.negated
    copy.children = [
        _prefixed(child, prefix) if isinstance(child, models.Q) else (prefix + child[0], child[1])
        for child in query.children
    ]
    return copy
