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
from contextlib import contextmanager
from contextvars import ContextVar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import connections, models, router
from django.db.models import Sum, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from . import queries as statements
from ..conf import crosssell_settings
from ..models import ActiveVersion, Kind, Recommendation
from ..products import get_adapter
from .customers import History, read_history
from .params import parse_product_pk
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
    #: the list the pick comes from: the list's own kind, ``"trending"`` for a best seller that
    #: fills up personal picks, or ``"buy_again"`` for a repeat purchase, so a widget can head and
    #: label each for what it is
    kind: str = ""
    #: titles of the products a pick names: the past purchases (or views) a personal pick comes from,
    #: or the products like a new product that a bought-together pick is bought with; best first
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
                   lambda version: _name_reasons(_single_list(rows, limit, rules, version)))


def for_user(user: Any, *, limit: int, rules: Rules) -> list[Pick]:
    """Return the user's own picks, filled up with trending products (only trending when anonymous)."""
    user_id = _user_id(user)
    return _cached(("user", user_id, limit, rules.cache_key()),
                   lambda version: _name_reasons(_published_personal(user_id, limit, rules, version)))


def for_visitor(user: Any, session_key: str = "", *, limit: int, rules: Rules, cart: Iterable = ()) -> list[Pick]:
    """Return personal picks that follow the visitor's latest order, views and cart, without a retrain.

    The bought-together and similar lists of the visitor's latest items (:meth:`.customers.History.recent`:
    the latest order's, then what they viewed or put in the ``cart``) are summed at request time,
    and those picks alternate with the retrain's own personal picks, then best sellers fill up.
    A visitor who is not signed in gets picks from this session's views and cart alone. Each
    combined pick names the item it comes from (``because_of`` a purchase, ``because_viewed``
    otherwise), with kind ``for_you``.
    """
    cart_ids = [getattr(item, "pk", item) for item in cart or ()]
    history = read_history(user, session_key, cart=cart_ids)
    if not history:
        return for_user(user, limit=limit, rules=rules)
    user_id = _user_id(user)
    recent = history.recent(int(crosssell_settings.RECENT_ITEMS))
    key = ("visitor", user_id, tuple(map(str, recent)), tuple(map(str, history.bought[:len(recent)])), limit,
           rules.cache_key())

    def compute(version: int | None) -> list[Pick]:
        fresh = _from_recent_items(history, recent, limit, _with_excluded(rules, recent), version)
        published = _published_personal(user_id, limit, rules, version)
        personal = [pick for pick in published if pick.kind == Kind.FOR_YOU]
        trending = [pick for pick in published if pick.kind != Kind.FOR_YOU]
        alternating = [pick for pair in _zip_longest(fresh, personal) for pick in pair if pick is not None]
        return _name_reasons(_merge_pins(get_adapter(), alternating + trending, [], limit, kind=Kind.FOR_YOU))

    return _cached(key, compute)


def buy_it_again(user: Any, *, limit: int, rules: Rules) -> list[Pick]:
    """Return what the signed-in ``user`` bought before, most bought (with recency decay) first; ``[]`` when anonymous.

    Each pick is of kind ``buy_again`` and says how many orders held it and when the latest was
    (:class:`crosssell_app.explanations.BuyAgain`). ``rules`` apply as to any list, except that
    past purchases are what this list is for (``purchased_by`` is ignored).
    """
    if _user_id(user) is None:
        return []
    history = read_history(user, views=False)
    picks = _repeat_picks(history, limit, replace(rules, purchased_by=None))
    for rank, pick in enumerate(picks, start=1):
        pick.rank = rank
    return picks


def for_basket(product_ids: Iterable, *, limit: int, rules: Rules, user: Any = None) -> list[Pick]:
    """Return products bought together with the basket's, best first, none already in it.

    A product that goes with several basket items scores the sum of its scores, so it outranks
    one that goes with a single item. For a signed-in ``user`` with orders, the lists of their
    latest purchases join the basket's, and their own repeat purchases compete with the
    completions (:func:`_basket_with_history`).
    """
    ids = list(dict.fromkeys(product_ids))[: int(crosssell_settings.MAX_LIMIT)]
    if not ids:
        return []
    if _user_id(user) is not None:
        history = read_history(user, views=False)
        if history.bought:
            return _basket_with_history(ids, history, limit, rules)
    rules = _with_excluded(rules, ids)
    basket = _Rows(Kind.BOUGHT_TOGETHER, "basket",
                   lambda values: models.Q(kind=Kind.BOUGHT_TOGETHER, source_id__in=values["sources"]), sources=ids,
                   summed=True, order=("-cs_total", "rank", "target_id"))
    return _cached(("basket", tuple(sorted(map(str, ids))), limit, rules.cache_key()),
                   lambda version: _single_list(basket, limit, rules, version))


def _basket_with_history(ids: list, history: History, limit: int, rules: Rules) -> list[Pick]:
    """Return the completions of the basket and of the customer's latest purchases, mixed with their repeat purchases.

    Completions are the summed bought-together lists of the basket's items and of up to
    ``RECENT_ITEMS`` of the latest purchases; repeat purchases are scored by frequency with
    recency decay (:mod:`.customers`). Each side is scaled to its best pick, repeat purchases
    weighted by ``REPEAT_WEIGHT``, and a product on both sides adds both. A completion that comes
    from a past purchase rather than the basket names it (``because_of``); a pick that is mostly
    a repeat purchase says so (kind ``buy_again``).
    """
    recent = [pk for pk in history.bought[: int(crosssell_settings.RECENT_ITEMS)] if pk not in ids]
    rules = _with_excluded(rules, ids)
    weight = float(crosssell_settings.REPEAT_WEIGHT)
    key = ("basket-history", tuple(sorted(map(str, ids))), tuple(map(str, recent)),
           tuple(sorted((str(pk), round(r.score, 3)) for pk, r in history.repeats.items() if pk not in ids))[:limit * 4],
           weight, limit, rules.cache_key())

    def compute(version: int | None) -> list[Pick]:
        rows = _Rows(Kind.BOUGHT_TOGETHER, "basket", lambda values: models.Q(kind=Kind.BOUGHT_TOGETHER,
                                                                           source_id__in=values["sources"]),
                     sources=[*ids, *recent], summed=True, order=("-cs_total", "rank", "target_id"))
        found, pinned = _fetch(rows, rules, version, count=limit)
        adapter = get_adapter()
        completions = [_pick(adapter, row, score=row.cs_total) for row in found]
        basket = set(ids)
        for pick in completions:
            if pick.source_id not in basket:
                pick.kind, pick.explanation = Kind.FOR_YOU, {"because_of": [pick.source_id]}
        repeats = _repeat_picks(history, limit, rules) if weight > 0 else []
        best_completion = max((pick.score for pick in completions), default=0.0) or 1.0
        best_repeat = max((pick.score for pick in repeats), default=0.0) or 1.0
        scored: dict[Any, tuple[float, Pick]] = {}
        for pick in completions:
            scored[pick.pk] = (pick.score / best_completion, pick)
        for pick in repeats:
            share = weight * pick.score / best_repeat
            total, completion = scored.get(pick.pk, (0.0, None))
            chosen = pick if completion is None or share > total else completion
            scored[pick.pk] = (total + share, chosen)
        ranked = [pick for _, pick in sorted(scored.values(), key=lambda entry: -entry[0])]
        served = completions[0].version if completions else None
        for pick in ranked:  # a repeat purchase is shown beside the version's picks: count its clicks there
            if pick.version is None:
                pick.version = served
        return _name_reasons(_merge_pins(adapter, ranked, pinned, limit, kind=Kind.BOUGHT_TOGETHER))

    return _cached(key, compute)


def _repeat_picks(history: History, limit: int, rules: Rules) -> list[Pick]:
    """Return up to ``limit`` of the customer's past purchases that obey ``rules``, best repeat score first (one query)."""
    best = sorted(history.repeats.items(), key=lambda item: (-item[1].score, str(item[0])))
    wanted = [pk for pk, _ in best if pk not in rules.exclude_ids][: limit * 2]
    if not wanted:
        return []
    adapter = get_adapter()
    key = adapter.model._meta.pk
    related = display_related()

    def build(values: dict[str, list]) -> models.QuerySet:
        given = replace(rules, exclude_ids=frozenset(values["exclude"]))
        products = adapter.get_queryset().filter(pk__in=values["products"]).filter(given.product_q())
        return products.select_related(*related) if related else products

    # Compiled once per shape, like the lists (:mod:`.queries`): only the ids change.
    shape = ("repeat", replace(rules, exclude_ids=frozenset(), purchased_by=None))
    found = {product.pk: product for product in statements.fetch(
        adapter.model, shape, build, {"products": (key, wanted), "exclude": (key, sorted(rules.exclude_ids, key=str))})}
    picks = []
    for pk in wanted:
        if pk in found:
            repeat = history.repeats[pk]
            picks.append(_shown(adapter, found[pk], score=repeat.score, explanation=repeat.explanation(),
                                kind="buy_again"))
    return picks[:limit]


#: a pick's summed score is scaled by this for each place its item stands below the visitor's latest
RECENCY = 0.7
#: the published lists of a visitor's latest items their personal picks come from: what is bought
#: with each (curated, so short in a small shop) and the model's nearest items to each
RECENT_KINDS = (Kind.BOUGHT_TOGETHER, Kind.SIMILAR)


def _from_recent_items(history: History, recent: list, limit: int, rules: Rules, version: int | None) -> list[Pick]:
    """Return the summed lists (:data:`RECENT_KINDS`) of ``recent``, each pick naming the item it comes from.

    Only the first ``limit`` of each list count (the database reads a few rows per item, not whole
    lists). Twice ``limit`` are read and re-ranked so the latest items' picks come first: a
    pick's sum is scaled by :data:`RECENCY` to the power of its item's place in ``recent`` (its
    best-ranked row's item).
    """
    rows = _Rows(Kind.BOUGHT_TOGETHER, "recent",
                 lambda values: models.Q(kind__in=RECENT_KINDS, source_id__in=values["sources"], rank__lte=limit),
                 sources=recent, summed=True, order=("-cs_total", "rank", "target_id"), with_source=True)
    found, _pinned = _fetch(rows, rules, version, count=2 * limit)
    adapter = get_adapter()
    bought = set(history.bought)
    position = {pk: at for at, pk in enumerate(recent)}
    picks = []
    for row in found:
        pick = _pick(adapter, row, score=row.cs_total * RECENCY ** position.get(row.source_id, len(recent)))
        reason = "because_of" if row.source_id in bought else "because_viewed"
        pick.kind, pick.explanation = Kind.FOR_YOU, {reason: [row.source_id]}
        pick.because = [adapter.title(row.source)]  # read with the row: no query of its own
        picks.append(pick)
    picks.sort(key=lambda pick: -pick.score)  # stable: ties keep the database's order
    return picks[:limit]


def _published_personal(user_id: Any, limit: int, rules: Rules, version: int | None) -> list[Pick]:
    """Return the retrain's personal picks of ``user_id`` topped up with trending ones (only trending for None)."""
    trending = models.Q(kind=Kind.TRENDING, source__isnull=True, user__isnull=True)
    if user_id is None:
        rows = _Rows(Kind.FOR_YOU, "trending", lambda ids: trending)
    else:
        personal_first = models.Case(models.When(kind=Kind.FOR_YOU, then=0), default=1)
        rows = _Rows(Kind.FOR_YOU, "personal", lambda ids: models.Q(kind=Kind.FOR_YOU, user_id=ids["users"][0]) | trending,
                     users=[user_id], order=(personal_first, "rank"))
    # A product may be both personal and trending: fetch twice the limit so dropping repeats
    # still leaves a full list.
    return _single_list(rows, limit, rules, version, fetch=2 * limit)


def _user_id(user: Any) -> Any:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def _zip_longest(first: list, second: list) -> Iterable[tuple]:
    for at in range(max(len(first), len(second))):
        yield (first[at] if at < len(first) else None, second[at] if at < len(second) else None)


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
    #: also read each row's source product (its title names why a personal pick is there)
    with_source: bool = False


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
        related = [*display_related("target__"), *(display_related("source__") if rows.with_source else ())]
        queryset = queryset.select_related(*related).order_by(*rows.order)
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
    """Fill each pick's ``because`` with the titles of the products it names (:func:`_reasons`; one query, if any)."""
    wanted = {pick.pk: [pk for pk in _reasons(pick.explanation) if isinstance(pk, (int, str))]
              for pick in picks if not pick.because and _reasons(pick.explanation)}
    pks = sorted({parsed for reasons in wanted.values() for pk in reasons
                  if (parsed := _valid_pk(pk)) is not None}, key=str)
    if not pks:
        return picks
    adapter = get_adapter()
    related = display_related()

    def build(values: dict[str, list]) -> models.QuerySet:
        products = adapter.get_queryset().filter(pk__in=values["products"])
        return products.select_related(*related) if related else products

    # Compiled once per shape, like the lists (:mod:`.queries`): only the ids change.
    found = statements.fetch(adapter.model, ("names",), build, {"products": (adapter.model._meta.pk, pks)})
    titles = {product.pk: adapter.title(product) for product in found}
    for pick in picks:
        pick.because = [titles[parsed] for pk in wanted.get(pick.pk, [])
                        if (parsed := _valid_pk(pk)) is not None and parsed in titles]
    return picks


def _valid_pk(raw: Any) -> Any:
    """Return ``raw`` (an id stored in an explanation) as a product pk, or None when it is not one."""
    try:
        return parse_product_pk(raw)
    except ValidationError:
        return None


def _reasons(explanation: dict) -> list:
    """Return the products a pick names: a personal pick's past purchases (else products viewed), or
    the products like a new product that a bought-together pick comes from."""
    for key in ("because_of", "because_viewed", "similar_to"):
        value = explanation.get(key)
        if isinstance(value, list) and value:
            return value
    return []


def _with_excluded(rules: Rules, ids: Iterable) -> Rules:
    return replace(rules, exclude_ids=rules.exclude_ids | frozenset(ids))


#: the version an experiment's arm serves in this render (None: the active one); see :func:`serving_version`
_arm_version: ContextVar[int | None] = ContextVar("crosssell_arm_version", default=None)


@contextmanager
def serving_version(version: int | None) -> Iterator[None]:
    """Read every list inside the block from ``version`` instead of the active one (an experiment's arm).

    A context variable rather than an argument, so every list function, present and future,
    honours it through :func:`_cached`, the one place that chooses the version.
    """
    token = _arm_version.set(version)
    try:
        yield
    finally:
        _arm_version.reset(token)


def _cached(key_parts: tuple, compute) -> list[Pick]:
    """Return ``compute(version)``, from Django's cache under the active version when caching is on."""
    chosen = _arm_version.get()
    timeout = int(crosssell_settings.CACHE_TIMEOUT or 0)
    if timeout <= 0:
        return compute(chosen)
    version, forget = _remembered_active_version(min(timeout, int(crosssell_settings.ACTIVE_VERSION_CACHE_TIMEOUT)))
    if chosen is not None:
        version = chosen
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
