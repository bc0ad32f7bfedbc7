"""Record what shoppers view and buy; forget a user on request.

These are the functions a host calls (the mixin and signals call them too). They never raise on
a repeated order: the shop's order id is unique, so recording it twice stores it once. An order
the database could not hold (limits in :mod:`.order_rows`) or dated beyond ``MAX_CLOCK_SKEW``
ahead of this server's clock raises :class:`OrderRefused` before anything is written.
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
from ..models import Order, OrderLine, ProductView, Recommendation, WidgetEvent
from ..signals import order_recorded
from . import order_rows

logger = logging.getLogger(__name__)


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
    """Return ``(user or None, session key)`` of a request, creating a session key if needed."""
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    session = getattr(request, "session", None)
    key = ""
    if session is not None:
        if not session.session_key:
            session.save()
        key = session.session_key or ""
    return user, key


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
                    attributed_widget=clicks.get(pk, ("", None))[0],
                    attributed_version=clicks.get(pk, ("", None))[1],
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


def _recent_clicks(user, session_key: str, product_ids: list, at: datetime) -> dict[Any, tuple[str, int | None]]:
    """Return, per product, the widget and version of this visitor's latest click on it."""
    if user is None and not session_key:
        return {}
    who = models.Q(user=user) if user is not None else models.Q(session_key=session_key)
    since = at - timedelta(days=crosssell_settings.ATTRIBUTION_DAYS)
    clicks = (
        WidgetEvent.objects.filter(who, event=WidgetEvent.Event.CLICK, target_id__in=product_ids,
                                   created_at__gte=since, created_at__lte=at)
        .order_by("created_at")
        .values_list("target_id", "widget", "version")
    )
    return {target: (widget, version) for target, widget, version in clicks}


def forget_user(user=None, *, customer_ref: str = "", session_key: str = "") -> dict[str, int]:
    """Delete every event and personal recommendation of a user, customer or session.

    Returns the number of rows deleted per model. Deleting the user itself does the same through
    the foreign keys' cascades.
    """
    deleted: dict[str, int] = {}
    with transaction.atomic():
        for model, field in ((ProductView, None), (WidgetEvent, None), (Order, "customer_ref"),
                             (Recommendation, None)):
            query = models.Q(pk__in=[])
            if user is not None:
                query |= models.Q(user=user)
            if session_key and model is not Recommendation:
                query |= models.Q(session_key=session_key)
            if customer_ref and field:
                query |= models.Q(**{field: customer_ref})
            _, per_model = model.objects.filter(query).delete()
            for label, count in per_model.items():
                deleted[label] = deleted.get(label, 0) + count
    return deleted
