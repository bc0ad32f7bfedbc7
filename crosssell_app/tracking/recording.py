"""Record what shoppers view and buy; forget a user on request.

These are the functions a host calls (the mixin and signals call them too). They never raise on
a repeated order: the shop's order id is unique, so recording it twice stores it once. An order
the database could not hold (limits in :mod:`.order_rows`), dated beyond ``MAX_CLOCK_SKEW``
ahead of this server's clock, or of a forgotten person and dated before their forget raises
:class:`OrderRefused` before anything is written.

Forgetting (:func:`forget_user`) deletes a person's events and leaves a
:class:`~crosssell_app.models.Tombstone`, which publishing and the importer honour. Django gives
a session a new key when its visitor signs in; :func:`link_session_to_user` gives the user the
events recorded under the old key, so a forget reaches what they did before signing in too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ..conf import crosssell_settings
from ..models import (
    ActiveVersion,
    Order,
    OrderLine,
    ProductView,
    Recommendation,
    Tombstone,
    WidgetEvent,
    session_digest,
)
from ..signals import order_recorded, user_forgotten
from . import order_rows

logger = logging.getLogger(__name__)

#: the session entry holding the key the visitor's events were recorded under before signing in
ANONYMOUS_KEY = "crosssell_anonymous_key"


class OrderRefused(ValueError):
    """An order :func:`record_order` will not store; ``field`` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def latest_order_time() -> datetime:
    """Return the latest date an order may carry: now plus ``MAX_CLOCK_SKEW``.

    "Trending" counts back from the newest order, so one order dated years ahead would decide
    it until then; a shop's clock a little ahead of ours is allowed for.
    """
    return timezone.now() + timedelta(seconds=crosssell_settings.MAX_CLOCK_SKEW)


@dataclass(frozen=True)
class Line:
    """One order line as the host hands it over: a product (or its pk), a quantity, a unit price."""

    product: Any
    quantity: int
    unit_price: Decimal

    @property
    def product_id(self) -> Any:
        return self.product.pk if isinstance(self.product, models.Model) else self.product


def visitor(request) -> tuple[Any, str]:
    """Return ``(user or None, session key)`` of a request, creating a session key if needed.

    An anonymous visitor's key is also kept in the session, for :func:`link_session_to_user`.
    """
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    session = getattr(request, "session", None)
    key = ""
    if session is not None:
        if not session.session_key:
            session.save()
        key = session.session_key or ""
        if user is None and key and session.get(ANONYMOUS_KEY) != key:
            session[ANONYMOUS_KEY] = key
    return user, key


def link_session_to_user(sender, request, user, **kwargs) -> None:
    """Give ``user`` the views, clicks and orders recorded under their session's key before they signed in.

    Connected to ``user_logged_in``. Django's ``login()`` gives the session a new key but keeps its
    data, where :func:`visitor` noted the old key. Signing in as another user in the same browser
    empties the session first, so nothing of the first visitor is linked to the second.
    """
    session = getattr(request, "session", None)
    key = session.pop(ANONYMOUS_KEY, "") if session is not None else ""
    if not key or user is None or user.pk is None:
        return
    for model in (ProductView, WidgetEvent, Order):
        model.objects.filter(session_key=key, user__isnull=True).update(user=user)


def record_view(product, *, user=None, session_key: str = "", source_widget: str = "",
                viewed_at: datetime | None = None) -> ProductView:
    """Store one product view."""
    return ProductView.objects.create(
        product_id=getattr(product, "pk", product),
        user=user,
        session_key=session_key or "",
        source_widget=(source_widget or "")[:32],
        viewed_at=viewed_at or timezone.now(),
    )


def record_view_from_request(product, request) -> ProductView:
    """Store a view of ``product`` by the visitor of ``request`` (and the widget it came from)."""
    user, key = visitor(request)
    widget = request.GET.get(crosssell_settings.WIDGET_PARAM, "") if hasattr(request, "GET") else ""
    return record_view(product, user=user, session_key=key, source_widget=widget)


def _coerce_lines(lines: Iterable[Line | Mapping[str, Any] | tuple]) -> dict[Any, Line]:
    """Return lines keyed by product pk, quantities of a repeated product summed; refuse what cannot be stored."""
    merged: dict[Any, Line] = {}
    for raw in lines:
        if isinstance(raw, Line):
            product, quantity, price = raw.product, raw.quantity, raw.unit_price
        elif isinstance(raw, Mapping):
            product, quantity, price = raw["product"], raw["quantity"], raw["unit_price"]
        else:
            product, quantity, price = raw
        line = Line(product, _quantity(quantity, product), _unit_price(price))
        key = line.product_id
        if key in merged:
            line = Line(key, merged[key].quantity + line.quantity, line.unit_price)
        if line.quantity > order_rows.MAX_QUANTITY:
            raise OrderRefused("lines", f"quantity must be at most {order_rows.MAX_QUANTITY:,}, "
                                        f"got {line.quantity} for product {key}")
        merged[key] = line
    return merged


def _quantity(value: Any, product: Any) -> int:
    try:
        quantity = int(value)
    except (TypeError, ValueError, OverflowError):
        raise OrderRefused("lines", f"quantity must be a whole number, got {value!r}") from None
    if quantity <= 0:
        raise OrderRefused("lines", f"quantity must be positive, got {quantity} for product "
                                    f"{getattr(product, 'pk', product)}")
    return quantity


def _unit_price(value: Any) -> Decimal:
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise OrderRefused("lines", f"unit price must be a number, got {value!r}") from None
    if price.is_finite() and price < 0:
        raise OrderRefused("lines", f"unit price must not be negative, got {price}")
    if not order_rows.price_fits(price):
        raise OrderRefused("lines", f"unit price must have at most {order_rows.PRICE_DECIMAL_PLACES} decimals and "
                                    f"be below {order_rows.PRICE_CEILING:,}, got {price}")
    return price


def record_order(order_id: str, lines: Iterable[Line | Mapping[str, Any] | tuple], *, user=None,
                 session_key: str = "", customer_ref: str = "", ordered_at: datetime | None = None,
                 source: str = Order.Source.LIVE) -> tuple[Order, bool]:
    """Store an order with its lines once; return ``(order, created)``.

    A second call with the same ``order_id`` changes nothing and returns ``created=False``, also
    when two processes record it at the same moment (the unique constraint decides). Raises
    :class:`OrderRefused` (a ``ValueError``) for an order that cannot be stored.
    """
    order_id = str(order_id).strip()
    if not order_id:
        raise OrderRefused("order_id", "order_id must not be empty")
    problem = order_rows.identity_problem(order_id)
    if problem:
        raise OrderRefused("order_id", f"{problem}: {order_id[:80]!r}")
    problem = order_rows.identity_problem("", customer_ref or "")
    if problem:
        raise OrderRefused("customer_ref", problem)
    if ordered_at is not None and ordered_at > latest_order_time():
        raise OrderRefused("ordered_at", f"{ordered_at:%Y-%m-%d %H:%M:%S %Z} is in the future "
                                         f"(more than MAX_CLOCK_SKEW, {crosssell_settings.MAX_CLOCK_SKEW:g} s, ahead)")
    merged = _coerce_lines(lines)
    if not merged:
        raise OrderRefused("lines", "an order needs at least one line")
    if ordered_at is not None:
        _refuse_forgotten(user, customer_ref or "", ordered_at)
    existing = Order.objects.filter(external_id=order_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            order = Order.objects.create(
                external_id=order_id, user=user, session_key=session_key or "",
                customer_ref=customer_ref or "", ordered_at=ordered_at or timezone.now(), source=source,
            )
            clicks = _recent_clicks(user, session_key, list(merged), order.ordered_at)
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order, product_id=pk, quantity=line.quantity, unit_price=line.unit_price,
                    attributed_widget=clicks.get(pk, ("", None, None))[0],
                    attributed_version=clicks.get(pk, ("", None, None))[1],
                    attributed_arm_id=clicks.get(pk, ("", None, None))[2],
                )
                for pk, line in merged.items()
            )
    except IntegrityError:
        # Lost a race with another request recording the same order id.
        existing = Order.objects.filter(external_id=order_id).first()
        if existing is None:
            raise
        return existing, False
    transaction.on_commit(lambda: order_recorded.send(sender=Order, order=order))
    return order, True


def _refuse_forgotten(user, customer_ref: str, ordered_at: datetime) -> None:
    """Refuse an order of a forgotten user or customer dated before the forget.

    Replayed history must not bring them back; an order dated after the forget is a new one (the
    person came back) and is recorded.
    """
    who = models.Q(pk__in=[])
    if user is not None:
        who |= models.Q(user_id=getattr(user, "pk", user))
    if customer_ref:
        who |= models.Q(customer_ref=customer_ref)
    tombstone = Tombstone.objects.filter(who, forgotten_at__gte=ordered_at).order_by("-forgotten_at").first()
    if tombstone is not None:
        field = "customer_ref" if customer_ref and tombstone.customer_ref == customer_ref else "user"
        who = "customer" if field == "customer_ref" else "user"
        raise OrderRefused(field, f"this {who} was forgotten on {tombstone.forgotten_at:%Y-%m-%d %H:%M %Z}; "
                                  "an order dated before that is not recorded again")


def _recent_clicks(user, session_key: str, product_ids: list,
                   at: datetime) -> dict[Any, tuple[str, int | None, int | None]]:
    """Return, per product, the widget, version and experiment arm of this visitor's latest click or
    add-to-cart from a widget on it (a bundle or one-click add skips the click)."""
    if user is None and not session_key:
        return {}
    who = models.Q(user=user) if user is not None else models.Q(session_key=session_key)
    since = at - timedelta(days=crosssell_settings.ATTRIBUTION_DAYS)
    clicks = (
        WidgetEvent.objects.filter(who, event__in=(WidgetEvent.Event.CLICK, WidgetEvent.Event.ADD_TO_CART),
                                   target_id__in=product_ids, created_at__gte=since, created_at__lte=at)
        .order_by("created_at", "pk")
        .values_list("target_id", "widget", "version", "arm_id")
    )
    return {target: (widget, version, arm) for target, widget, version, arm in clicks}


def forget_user(user=None, *, customer_ref: str = "", session_key: str = "") -> dict[str, int]:
    """Delete every event and personal recommendation of a user, customer or session; record the forget.

    A user's events include those recorded under any session key they were signed in with, and
    (linked at sign-in) those from before they signed in. The :class:`~crosssell_app.models.Tombstone`
    left behind makes every later publish drop the user's personal lists, even one computed from
    data read before this forget (:mod:`crosssell_app.training.publishing`), and makes every cached
    list stale (its key names the latest forget). The forget holds the active-version lock, so a
    publish's switch happens wholly before or wholly after it. Returns the rows deleted per model.
    Deleting the user does the same through the foreign keys' cascades (:func:`record_user_deletion`).
    """
    if user is None and not customer_ref and not session_key:
        raise ValueError("Give a user, a customer reference or a session key to forget.")
    problem = order_rows.identity_problem("", customer_ref or "")
    if problem or "\x00" in (session_key or ""):
        raise ValueError(f"Cannot forget this customer reference or session key: {problem or order_rows.NUL_BYTE}.")
    deleted: dict[str, int] = {}
    with transaction.atomic():
        ActiveVersion.objects.lock()  # a publish switching versions waits for this forget, or it for the switch
        tombstone = Tombstone.objects.create(user=user, customer_ref=customer_ref or "",
                                             session_digest=session_digest(session_key or ""))
        signed_in_sessions = _session_keys_of(user)
        for model, field in ((ProductView, None), (WidgetEvent, None), (Order, "customer_ref"),
                             (Recommendation, None)):
            query = models.Q(pk__in=[])
            if user is not None:
                query |= models.Q(user=user)
            if session_key and model is not Recommendation:
                query |= models.Q(session_key=session_key)
            if signed_in_sessions and model is not Recommendation:
                # Rows the host recorded with only the key of a session the user was signed in
                # with; never another user's rows.
                query |= models.Q(session_key__in=signed_in_sessions, user__isnull=True)
            if customer_ref and field:
                query |= models.Q(**{field: customer_ref})
            _, per_model = model.objects.filter(query).delete()
            for label, count in per_model.items():
                deleted[label] = deleted.get(label, 0) + count
        transaction.on_commit(lambda: user_forgotten.send(sender=Tombstone, tombstone=tombstone))
    return deleted


def _session_keys_of(user) -> set[str]:
    """Return every session key recorded with ``user``'s events."""
    if user is None:
        return set()
    keys: set[str] = set()
    for model in (ProductView, WidgetEvent, Order):
        keys.update(model.objects.filter(user=user).exclude(session_key="")
                    .values_list("session_key", flat=True).distinct())
    return keys


def record_user_deletion(sender, instance, **kwargs) -> None:
    """Leave a tombstone for a deleted user (connected to the user model's ``post_delete``).

    The cascades deleted their events and lists; the tombstone keeps a retrain that read them
    before from publishing their personal list again.
    """
    tombstone = Tombstone.objects.create(user_id=instance.pk)
    transaction.on_commit(lambda: user_forgotten.send(sender=Tombstone, tombstone=tombstone))
