"""Widget clicks and sampled impressions, and the report that relates them to revenue.

A click is stored for the app's own widgets (orders are attributed to it by
:func:`crosssell_app.tracking.recording.record_order`), up to ``CLICK_RATE_LIMIT`` a minute per
visitor, so a script cannot fill the report (or the session table) with clicks; an impression
only for a share ``IMPRESSION_SAMPLE_RATE`` of renders, written after the response, so showing a
widget never waits for a write. The report scales sampled impressions back up to estimate the
click-through rate.

Two paths add a widget's products to the cart without the click redirect: the bundle's "Add
selected to cart" and the cart widget's one-click add. Their forms carry a signed token naming
the render (widget, version, experiment arm, products shown), which the shop's add-to-cart view
hands to :func:`record_cart_add`; API responses carry the same token for API clients.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from django.core.cache import caches
from django.core.signing import BadSignature, Signer
from django.db import connections, models, router, transaction

from ..conf import crosssell_settings
from ..experiments.assignment import count_event, visitor_key
from ..models import Arm, OrderLine, RecommendationVersion, WidgetEvent
from ..tracking.recording import visitor

logger = logging.getLogger(__name__)

#: the widgets whose clicks are recorded: the names the template tags give their links
WIDGETS = frozenset({"together", "upgrade", "for_you", "cart", "buy_again"})


def published_version(raw: str) -> int | None:
    """Return ``raw`` as the id of a complete published version, or None (malformed, unknown, unfinished).

    Only ASCII digits count (``str.isdigit`` also takes "²", which ``int`` refuses).
    """
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) < 2**31):
        return None
    return int(raw) if RecommendationVersion.objects.filter(pk=int(raw), complete=True).exists() else None


def admit_click(request) -> bool:
    """Count a click against its visitor's budget for this minute; return whether it may be stored.

    The visitor is the user, else the session the request carries, else its address: a script
    that drops the cookie would otherwise get a fresh budget, and a fresh session, per click. A
    click admitted without a session gets its session here, and that session's budget starts
    with this click. Counts live in the ``CACHE_ALIAS`` cache under a hash, never in the
    database; a cache that fails lets the click through (a lost limit beats a lost click).
    """
    limit = crosssell_settings.CLICK_RATE_LIMIT
    if not limit:
        return True
    try:
        who = _visitor_key(request)
        if _spend(who) > limit:
            return False
        if who.startswith("address:"):
            visitor(request)  # the session the click is stored under (none without the session middleware)
            now_known_as = _visitor_key(request)
            if now_known_as != who:
                _spend(now_known_as)
    except Exception:
        logger.warning("Could not count a widget click against its visitor's budget", exc_info=True)
    return True


def _visitor_key(request) -> str:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if session is not None and session.session_key:
        return f"session:{session.session_key}"
    return f"address:{request.META.get('REMOTE_ADDR', '')}"


def _spend(who: str) -> int:
    """Add one to ``who``'s click count of this minute and return the count."""
    key = f"crosssell:clicks:{int(time.time() // 60)}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"
    cache = caches[crosssell_settings.CACHE_ALIAS]
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        return 1


def record_click(request, widget: str, target: Any, *, source: Any = None, version: int | None = None,
                 arm: int | None = None) -> WidgetEvent:
    """Store a click on ``target`` in ``widget`` by the visitor of ``request`` (creating its session if needed).

    A click in an experiment's ``arm`` also counts on the visitor's participant row.
    """
    user, session_key = visitor(request)
    event = WidgetEvent.objects.create(
        event=WidgetEvent.Event.CLICK, widget=widget[:32], version=version, arm_id=arm,
        source_id=getattr(source, "pk", source), target_id=getattr(target, "pk", target),
        user=user, session_key=session_key,
    )
    if arm is not None:
        count_event(arm, visitor_key(request), "clicks")
    return event


def published_arm(raw: str) -> int | None:
    """Return ``raw`` as the id of an experiment arm, or None (missing, malformed, unknown)."""
    if not (raw and raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return None
    return int(raw) if Arm.objects.filter(pk=int(raw)).exists() else None


# --- attribution of the paths that skip the click redirect ---------------------------------------
#: the form field (and API field) carrying a widget's attribution token
TOKEN_FIELD = "cs_token"
_SIGNER_SALT = "crosssell.attribution"


@dataclass(frozen=True)
class Attribution:
    """What a token says: the widget that showed ``targets`` (product ids as text), its version and arm."""

    widget: str
    version: int | None
    arm: int | None
    source: str
    targets: frozenset[str]


def attribution_token(widget: str, *, targets: Iterable[Any], version: int | None = None, arm: int | None = None,
                      source: Any = None) -> str:
    """Return a signed token naming the widget render that showed ``targets``.

    A widget's add-to-cart forms carry it (the bundle's "Add selected to cart", the cart's one-click
    add), and API responses hand it to their client, so a product added without a click through
    the redirect is still attributed to the widget, arm and version that showed it. Signed with
    ``SECRET_KEY``: a client can pass it on, not forge one for a widget that never showed the product.
    """
    source_pk = getattr(source, "pk", source)
    fields = (widget, "" if version is None else str(version), "" if arm is None else str(arm),
              "" if source_pk is None else str(source_pk), ",".join(str(getattr(t, "pk", t)) for t in targets))
    return Signer(salt=_SIGNER_SALT).sign("|".join(fields))


def read_attribution_token(token: Any) -> Attribution | None:
    """Return what a token from :func:`attribution_token` says, or None when it is malformed or forged."""
    if not isinstance(token, str) or not token or len(token) > 4000:
        return None
    try:
        value = Signer(salt=_SIGNER_SALT).unsign(token)
    except BadSignature:
        return None
    parts = value.split("|")
    if len(parts) != 5 or parts[0] not in WIDGETS:
        return None
    widget, version, arm, source, targets = parts
    return Attribution(widget, int(version) if version else None, int(arm) if arm else None, source,
                       frozenset(filter(None, targets.split(","))))


def record_cart_add(request, token: Any, product_ids: Iterable[Any]) -> int:
    """Store that the visitor added ``product_ids`` to the cart from the widget render ``token`` names.

    Call it from the shop's add-to-cart view with the posted ``cs_token`` field and the products
    added: each one the widget showed is stored as an add-to-cart event, which attributes a later
    order of it (:func:`crosssell_app.tracking.recording.record_order`) as a click does. The
    viewed product a bundle also holds is not attributed: the widget did not recommend it. A
    missing or forged token records nothing. Returns how many products were attributed.
    """
    attribution = read_attribution_token(token)
    if attribution is None:
        return 0
    shown = list(dict.fromkeys(pk for pk in product_ids if str(pk) in attribution.targets))
    if not shown:
        return 0
    user, session_key = visitor(request)
    source = attribution.source or None
    WidgetEvent.objects.bulk_create(
        WidgetEvent(event=WidgetEvent.Event.ADD_TO_CART, widget=attribution.widget, version=attribution.version,
                    arm_id=attribution.arm, source_id=source, target_id=pk, user=user, session_key=session_key)
        for pk in shown)
    if attribution.arm is not None:
        count_event(attribution.arm, visitor_key(request), "cart_adds")
    return len(shown)


def record_token_event(token: Any, target: Any, *, add_to_cart: bool = False, user: Any = None,
                       session_key: str = "", visitor: str = "") -> WidgetEvent:
    """Store a click on (or an add to cart of) ``target`` that an API client reports with a list's token.

    ``user`` and ``session_key`` are the shopper's, so their later order is attributed; ``visitor``
    is the key the list was asked for, so the event counts in their experiment arm. Raises
    ``ValueError`` for a token that is malformed or forged, or that did not show ``target``.
    """
    attribution = read_attribution_token(token)
    if attribution is None:
        raise ValueError("not a click token of this shop")
    target_pk = getattr(target, "pk", target)
    if str(target_pk) not in attribution.targets:
        raise ValueError("the list of this token did not show this product")
    event = WidgetEvent.objects.create(
        event=WidgetEvent.Event.ADD_TO_CART if add_to_cart else WidgetEvent.Event.CLICK,
        widget=attribution.widget, version=attribution.version, arm_id=attribution.arm,
        source_id=attribution.source or None, target_id=target_pk, user=user, session_key=session_key or "")
    count_event(attribution.arm, visitor, "cart_adds" if add_to_cart else "clicks")
    return event


def maybe_record_impression(request, widget: str, *, source: Any = None, version: int | None = None,
                            arm: int | None = None) -> bool:
    """Record one impression of ``widget`` for a sampled share of renders; return whether it did.

    Inside a request the impression is only queued: :func:`write_pending_impressions` stores the
    request's impressions in one insert when the request has finished, after the response went
    out (``request_finished``), so a sampled render costs the shopper no write. Outside a request
    (a shell, a management command) it is stored at once. The session is not created for it: an
    impression alone is not worth a session cookie.
    """
    rate = float(crosssell_settings.IMPRESSION_SAMPLE_RATE or 0)
    if rate <= 0 or random.random() >= rate:
        return False
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    impression = WidgetEvent(
        event=WidgetEvent.Event.IMPRESSION, widget=widget[:32], version=version, arm_id=arm,
        source_id=getattr(source, "pk", source),
        user=user if user is not None and user.is_authenticated else None,
        session_key=(session.session_key or "") if session is not None else "",
    )
    pending = getattr(_request_state, "impressions", None)
    if pending is None:
        _store_or_log([impression])
    else:
        pending.append(impression)
        if len(pending) >= MAX_PENDING_IMPRESSIONS:  # a page with very many widgets
            _store_or_log(pending[:])
            pending.clear()
    return True


#: most impressions a request queues before they are written
MAX_PENDING_IMPRESSIONS = 100

# Impressions queued by the request this thread serves; ``None`` outside a request. Django runs
# a request's ``request_started``, view and ``request_finished`` in one thread (WSGI) or in the
# one thread-sensitive thread (ASGI), so a thread-local is the request's. Concurrent ASGI requests
# share that thread: one may write impressions another queued, but every queued one is written.
_request_state = threading.local()


def start_queueing_impressions(**kwargs) -> None:
    """``request_started`` receiver: queue this request's impressions (writing any left over)."""
    write_pending_impressions()
    _request_state.impressions = []


def write_pending_impressions(**kwargs) -> None:
    """``request_finished`` receiver: store the impressions the request queued, in one insert."""
    pending = getattr(_request_state, "impressions", None)
    _request_state.impressions = None
    if pending:
        _store_or_log(pending)


def _store_or_log(impressions: list[WidgetEvent]) -> None:
    """Store sampled impressions; a failure is logged, never raised: a lost sample must not cost a page."""
    try:
        _store(impressions)
    except Exception:
        logger.warning("Could not store %d sampled widget impressions", len(impressions), exc_info=True)


def _store(impressions: list[WidgetEvent]) -> None:
    alias = router.db_for_write(WidgetEvent)
    connection = connections[alias]
    was_closed = connection.connection is None  # Django closed it at the end of the request
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        WidgetEvent.objects.using(alias).bulk_create(impressions)
    else:
        # Waiting for the write-ahead log to reach the disk was most of a sampled render's time (a
        # few ms per commit). A sampled impression does not need that: with asynchronous commit a
        # database crash can lose the last fraction of a second of impressions, never corrupt
        # anything (PostgreSQL, "Asynchronous Commit"). Only this transaction is relaxed, and only
        # when it is the app's own: inside a host's transaction the rows commit with the host's.
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            WidgetEvent.objects.using(alias).bulk_create(impressions)
    if was_closed and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # leave it as the end of the request did


@dataclass
class WidgetStats:
    """One line of the report: a widget under one recommender version."""

    widget: str
    version: int | None
    impressions: int = 0
    clicks: int = 0
    orders: int = 0
    revenue: Decimal = Decimal("0")

    @property
    def estimated_impressions(self) -> float:
        rate = float(crosssell_settings.IMPRESSION_SAMPLE_RATE or 0)
        return self.impressions / rate if rate > 0 else 0.0

    @property
    def click_through_rate(self) -> float | None:
        shown = self.estimated_impressions
        return self.clicks / shown if shown else None

    @property
    def click_through_percent(self) -> float | None:
        rate = self.click_through_rate
        return None if rate is None else rate * 100


def widget_report(since: datetime | None = None) -> list[WidgetStats]:
    """Return impressions, clicks, attributed orders and revenue per widget and version."""
    stats: dict[tuple[str, int | None], WidgetStats] = {}

    def line(widget: str, version: int | None) -> WidgetStats:
        return stats.setdefault((widget, version), WidgetStats(widget, version))

    events = WidgetEvent.objects.all()
    lines = OrderLine.objects.exclude(attributed_widget="")
    if since is not None:
        events = events.filter(created_at__gte=since)
        lines = lines.filter(order__ordered_at__gte=since)
    for row in events.values("widget", "version", "event").annotate(n=models.Count("pk")).order_by():
        entry = line(row["widget"], row["version"])
        if row["event"] == WidgetEvent.Event.CLICK:
            entry.clicks += row["n"]
        elif row["event"] == WidgetEvent.Event.IMPRESSION:
            entry.impressions += row["n"]
    revenue = models.ExpressionWrapper(models.F("quantity") * models.F("unit_price"),
                                       output_field=models.DecimalField(max_digits=20, decimal_places=4))
    attributed = (lines.values("attributed_widget", "attributed_version")
                  .annotate(orders=models.Count("order", distinct=True), revenue=models.Sum(revenue)).order_by())
    for row in attributed:
        entry = line(row["attributed_widget"], row["attributed_version"])
        entry.orders, entry.revenue = row["orders"], row["revenue"] or Decimal("0")
    return sorted(stats.values(), key=lambda entry: (entry.widget, -(entry.version or 0)))
