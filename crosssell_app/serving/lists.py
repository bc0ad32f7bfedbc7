"""Read published recommendation lists for a product, a user or a basket.

The one service that template tags and the API share. It reads only the published rows of the
active version and the host's products — never a recommender — so serving a page never loads
NumPy models or TensorFlow. Each list costs one query whatever its length — the rows joined to
their products, with :mod:`~crosssell_app.serving.rules` and the merchandiser's blocks applied in SQL and
the limit set by the database — and a second one only when a merchandiser pinned products to it
(personal picks: one more to read the titles of the past purchases they come from). With
``CACHE_TIMEOUT`` the lists are cached under the active version's id and the latest forget's, so
publishing a new version or forgetting a user makes every cached list stale at once. Each process
remembers both ids for at most ``ACTIVE_VERSION_CACHE_TIMEOUT`` seconds (and forgets them on
``recommendations_published`` and ``user_forgotten``), so a cached widget costs no query and one
cache read, and another process sees a new version or a forget within that time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import connections, models, router
from django.db.models import Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from . import queries as statements
from ..conf import crosssell_settings
from ..models import ActiveVersion, Kind, Recommendation
from ..products import get_adapter
from .rules import Rules, display_related, not_blocked, pins, pins_exist, place_pins
from ..signals import recommendations_published, user_forgotten


class _ProductURL:
    """A :class:`Pick` field holding the product's URL, asked of the adapter only when first read.

    A widget links through the click redirect, so reversing every product's own URL (the host's
    ``get_absolute_url``) would be wasted on most renders. Being a descriptor-typed dataclass
    field, it still takes ``url=`` in the constructor, and ``pick.url`` still works in templates.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, pick: Pick | None, owner: type) -> str | None:
        if pick is None:
            return None  # the field's default: not given, looked up when read
        value = pick.__dict__.get(self.slot)
        if value is None:
            value = pick.__dict__[self.slot] = get_adapter().url(pick.product)
        return value

    def __set__(self, pick: Pick, value: str | None) -> None:
        pick.__dict__[self.slot] = value


@dataclass
class Pick:
    """One recommended product with what a widget or an API response shows of it."""

    product: Any
    title: str
    price: Decimal | None
    image: str
    score: float
    #: the product's own URL (the adapter's, looked up when first read unless given)
    url: str = _ProductURL()
    explanation: dict = field(default_factory=dict)
    version: int | None = None
    source_id: Any = None
    pinned: bool = False
    rank: int = 0
    #: where a widget's link goes (the click-recording redirect); set by the template tags
    link: str = ""
    #: the explanation read for a card (:func:`crosssell_app.serving.explanations.describe`); set by the tags
    why: Any = None
    #: the list the pick comes from: the list's own kind, or ``"trending"`` for a best seller that
    #: fills up personal picks, so a widget can head and label each for what it is
    kind: str = ""
    #: titles of the past purchases a personal pick comes from (its ``because_of``), best first
    because: list[str] = field(default_factory=list)

    @property
    def pk(self) -> Any:
        return self.product.pk


def for_product(kind: str, product: Any, *, limit: int, rules: Rules) -> list[Pick]:
    """Return up to ``limit`` picks of ``kind`` (together, upgrade, similar) for one product."""
    pk = getattr(product, "pk", product)
    rules = _with_excluded(rules, [pk])
    rows = _Rows(kind, "product", lambda ids: models.Q(kind=kind, source_id=ids["sources"][0]), sources=[pk])
    return _cached(("product", kind, pk, limit, rules.cache_key()),
                   lambda version: _single_list(rows, limit, rules, version))


def for_user(user: Any, *, limit: int, rules: Rules) -> list[Pick]:
    """Return the user's own picks, filled up with trending products (only trending when anonymous)."""
    trending = models.Q(kind=Kind.TRENDING, source__isnull=True, user__isnull=True)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    if user_id is None:
        rows = _Rows(Kind.FOR_YOU, "trending", lambda ids: trending)
    else:
        personal_first = models.Case(models.When(kind=Kind.FOR_YOU, then=0), default=1)
        rows = _Rows(Kind.FOR_YOU, "personal", lambda ids: models.Q(kind=Kind.FOR_YOU, user_id=ids["users"][0]) | trending,
                     users=[user_id], order=(personal_first, "rank"))
    # A product may be both personal and trending: fetch twice the limit so dropping repeats
    # still leaves a full list.
    return _cached(("user", user_id, limit, rules.cache_key()),
                   lambda version: _name_reasons(_single_list(rows, limit, rules, version, fetch=2 * limit)))


def for_basket(product_ids: Iterable, *, limit: int, rules: Rules) -> list[Pick]:
    """Return products bought together with the basket's, best first, none already in it.

    A product that goes with several basket items scores the sum of its scores, so it outranks
    one that goes with a single item.
    """
    ids = list(dict.fromkeys(product_ids))[: int(crosssell_settings.MAX_LIMIT)]
    if not ids:
        return []
    rules = _with_excluded(rules, ids)
    basket = _Rows(Kind.BOUGHT_TOGETHER, "basket",
                   lambda values: models.Q(kind=Kind.BOUGHT_TOGETHER, source_id__in=values["sources"]), sources=ids,
                   summed=True, order=("-cs_total", "rank", "target_id"))
    return _cached(("basket", tuple(sorted(map(str, ids))), limit, rules.cache_key()),
                   lambda version: _single_list(basket, limit, rules, version))


# --- internals ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Rows:
    """Which published rows a list reads: ``where`` builds their filter from the ids it is given.

    ``shape`` names the filter for :mod:`~crosssell_app.serving.queries` (the same shape always
    compiles to the same SQL); ``sources`` are the products the list is about, ``users`` the user.
    """

    kind: str
    shape: str
    where: Any
    sources: list = field(default_factory=list)
    users: list = field(default_factory=list)
    order: tuple = ("rank",)
    #: one row per product, its best-ranked one, scored the sum of its rows' scores (``cs_total``)
    summed: bool = False


def _single_list(rows: _Rows, limit: int, rules: Rules, version: int | None, *, fetch: int | None = None) -> list[Pick]:
    found, pinned = _fetch(rows, rules, version, count=fetch or limit)
    first: dict[Any, Recommendation] = {}
    for row in found:
        first.setdefault(row.target_id, row)
    # Only ``limit`` picks plus one per pin (which may repeat one) can be kept: build no more.
    adapter = get_adapter()
    kept = list(first.values())[: limit + len(pinned)]
    return _merge_pins(adapter, [_pick(adapter, row, score=row.cs_total if rows.summed else None) for row in kept],
                       pinned, limit, kind=rows.kind)


def _fetch(rows: _Rows, rules: Rules, version: int | None, *, count: int) -> tuple[list[Recommendation], list]:
    """Return the rows of the active version (or ``version``) that ``rows`` selects, and the pins of its kind.

    One query reads the rows with their products, rules and blocks applied in SQL, and whether any
    pin applies; a second one reads the pinned products only when there are pins (or no rows).
    Pinned products are not left out of the rows here: :func:`_merge_pins` drops the repeats,
    and ``count`` rows are enough because each repeat is made up for by its pin. The query's SQL
    is compiled once per shape (:mod:`~crosssell_app.serving.queries`); only its ids change.
    """
    kind, product_pk, user = rows.kind, get_adapter().model._meta.pk, Recommendation._meta.get_field("user")
    ids = {
        "sources": (product_pk, rows.sources),
        "users": (user, rows.users),
        "exclude": (product_pk, sorted(rules.exclude_ids, key=str)),
        "purchased_by": (user, [] if rules.purchased_by is None else [rules.purchased_by]),
        "version": (Recommendation._meta.get_field("version"), [] if version is None else [version]),
    }

    def build(values: dict[str, list]) -> models.QuerySet:
        given = replace(rules, exclude_ids=frozenset(values["exclude"]),
                        purchased_by=values["purchased_by"][0] if values["purchased_by"] else None)
        active = values["version"][0] if values["version"] else _active_version_sql()
        queryset = (Recommendation.objects.filter(rows.where(values), version_id=active).filter(not_blocked(kind))
                    .annotate(cs_pinned=pins_exist(kind, values["sources"])))
        queryset = given.apply(queryset, "target__", sources=values["sources"])
        if rows.summed:
            # Summed and cut in SQL, so only the rows shown are read; the filter on the window's
            # row number makes Django wrap the query in a subquery.
            target = models.F("target_id")
            queryset = queryset.annotate(
                cs_total=Window(Sum("score"), partition_by=target),
                cs_nth=Window(RowNumber(), partition_by=target, order_by=(models.F("rank").asc(), models.F("source_id").asc())),
            ).filter(cs_nth=1)
        queryset = queryset.select_related(*display_related("target__")).order_by(*rows.order)
        return queryset[:count]

    shape = (rows.shape, kind, count, replace(rules, exclude_ids=frozenset(), purchased_by=None))
    found = statements.fetch(Recommendation, shape, build, ids)
    pinned = pins(kind, rows.sources, rules) if not found or found[0].cs_pinned else []
    return found, pinned


def _active_version_sql() -> RawSQL:
    """Return ``(SELECT version_id FROM <active version> WHERE id = 1)``, cheaper to compile than a ``Subquery``."""
    quote = connections[router.db_for_read(ActiveVersion)].ops.quote_name
    meta = ActiveVersion._meta
    sql = (f"SELECT {quote(meta.get_field('version').column)} FROM {quote(meta.db_table)}"
           f" WHERE {quote(meta.pk.column)} = %s")
    return RawSQL(sql, (1,), output_field=models.IntegerField())


def _pick(adapter, row: Recommendation, *, score: float | None = None) -> Pick:
    return _shown(adapter, row.target, score=row.score if score is None else score,
                  explanation=row.explanation if isinstance(row.explanation, dict) else {},
                  version=row.version_id, source_id=row.source_id, kind=row.kind)


def _shown(adapter, product: Any, **values: Any) -> Pick:
    """Return a :class:`Pick` of ``product`` with the adapter's title, price and image (its URL when read)."""
    return Pick(product=product, title=adapter.title(product), price=adapter.price(product),
                image=adapter.image_url(product), **values)


def _merge_pins(adapter, picks: list[Pick], pinned: list[tuple[int, Any, Any]], limit: int, *,
                kind: str) -> list[Pick]:
    """Drop repeated products, place the pins (of list ``kind``), cut to ``limit`` and number the ranks from 1."""
    version = next((pick.version for pick in picks), None)
    placed_pins, pinned_ids = [], set()
    for position, source_id, product in pinned:
        if product.pk not in pinned_ids:
            pinned_ids.add(product.pk)
            placed_pins.append((position, _shown(adapter, product, score=0.0, version=version,
                                                 source_id=source_id, pinned=True, kind=kind)))
    seen, unique = set(pinned_ids), []
    for pick in picks:
        if pick.pk not in seen:
            seen.add(pick.pk)
            unique.append(pick)
    placed = place_pins(unique, placed_pins, limit)
    for rank, pick in enumerate(placed, start=1):
        pick.rank = rank
    return placed


def _name_reasons(picks: list[Pick]) -> list[Pick]:
    """Fill each personal pick's ``because`` with the titles of its ``because_of`` products (one query, if any)."""
    wanted = {pick.pk: [pk for pk in pick.explanation["because_of"] if isinstance(pk, (int, str))]
              for pick in picks if pick.kind == Kind.FOR_YOU and isinstance(pick.explanation.get("because_of"), list)}
    pks = {pk for reasons in wanted.values() for pk in reasons}
    if not pks:
        return picks
    adapter = get_adapter()
    products = adapter.get_queryset().filter(pk__in=pks)
    related = display_related()
    if related:
        products = products.select_related(*related)
    titles = {product.pk: adapter.title(product) for product in products}
    for pick in picks:
        pick.because = [titles[pk] for pk in wanted.get(pick.pk, []) if pk in titles]
    return picks


def _with_excluded(rules: Rules, ids: Iterable) -> Rules:
    return replace(rules, exclude_ids=rules.exclude_ids | frozenset(ids))


def _cached(key_parts: tuple, compute) -> list[Pick]:
    """Return ``compute(version)``, from Django's cache under the active version when caching is on."""
    timeout = int(crosssell_settings.CACHE_TIMEOUT or 0)
    if timeout <= 0:
        return compute(None)
    version, forget = _remembered_active_version(min(timeout, int(crosssell_settings.ACTIVE_VERSION_CACHE_TIMEOUT)))
    if version is None:
        return []
    cache = caches[crosssell_settings.CACHE_ALIAS]
    key = f"crosssell:{version}:{forget}:{_digest(key_parts)}"
    picks = cache.get(key)
    if picks is None:
        picks = compute(version)
        for pick in picks:
            pick.url = pick.url  # resolved once and cached with the list: every API response reads it
        cache.set(key, picks, timeout)
    return picks


# ``((version id, latest forget's id), monotonic time it expires)`` of the active version this
# process serves from. Kept in the process, not in the shared cache: a cache round trip per widget
# cost more than the query it saves does every few seconds, and the bound is the same either way.
_active_version_memo: tuple[tuple[int, int | None], float] | None = None


def _remembered_active_version(seconds: float) -> tuple[int | None, int | None]:
    """Return the active version's id and the latest forget's, read from the database at most once per ``seconds``."""
    global _active_version_memo
    memo, now = _active_version_memo, time.monotonic()
    if memo is not None and memo[1] > now:
        return memo[0]
    served = ActiveVersion.objects.current_and_latest_forget()
    _active_version_memo = None if served[0] is None else (served, now + seconds)
    return served


def forget_active_version(**kwargs: Any) -> None:
    """Forget the remembered active version, so the next widget reads (and caches) the new version's lists."""
    global _active_version_memo
    _active_version_memo = None


def _forget_on_settings_change(setting: str, **kwargs: Any) -> None:
    if setting in ("CROSSSELL", "CACHES"):
        forget_active_version()


recommendations_published.connect(forget_active_version, dispatch_uid="crosssell_forget_active_version")
user_forgotten.connect(forget_active_version, dispatch_uid="crosssell_forget_active_version_on_forget")
setting_changed.connect(_forget_on_settings_change, dispatch_uid="crosssell_forget_active_version_settings")


def _digest(parts: tuple) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()
