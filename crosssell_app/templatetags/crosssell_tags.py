"""Template tags that show recommendations: ``{% load crosssell_tags %}``.

Each tag asks :mod:`crosssell_app.serving.lists` for a list, renders an overridable template
(``crosssell_app/widgets/<name>_<variant>.html``, then ``crosssell_app/widgets/<name>.html``) and
returns ``""`` when there is nothing to show. A failure is logged and renders nothing: a broken
recommendation must never break the page around it.
"""

from __future__ import annotations

import functools
import inspect
import logging
from contextvars import ContextVar
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import template
from django.core.exceptions import ValidationError
from django.middleware.csrf import get_token
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from crosssell_app.serving import lists as serving
from crosssell_app.experiments.assignment import arm_for_request
from crosssell_app.serving.attribution import TOKEN_FIELD, attribution_token, maybe_record_impression
from crosssell_app.conf import crosssell_settings
from crosssell_app.serving.explanations import describe
from crosssell_app.models import Kind
from crosssell_app.serving.params import clamp_limit, parse_product_pk
from crosssell_app.products import get_adapter
from crosssell_app.serving.rules import default_rules, split_words
from crosssell_app.views import click_urls

logger = logging.getLogger(__name__)
register = template.Library()


def _never_raises(func):
    """Log any exception of a tag and render nothing instead."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception:
            logger.exception("crosssell tag %s failed; rendering nothing", func.__name__)
            return ""

    return wrapper


def _in_experiment(widget: str):
    """Serve the tag as the visitor's arm of a running experiment on ``widget`` says.

    The control renders nothing (the visitor was still counted in it), a version arm reads that
    published version, a configuration arm's options replace the tag's own. The arm then travels
    with the render (:data:`_arm`): in each link, the impression and the add-to-cart token.
    Outside any experiment this costs one clock read (:mod:`crosssell_app.experiments.assignment`).
    """

    def decorate(func):
        signature = inspect.signature(func)
        options = next((name for name, parameter in signature.parameters.items()
                        if parameter.kind is inspect.Parameter.VAR_KEYWORD), None)

        @functools.wraps(func)
        def wrapper(context, *args, **kwargs):
            arm = arm_for_request(context.get("request"), widget)
            if arm is None:
                return func(context, *args, **kwargs)
            if arm.is_control:
                return ""
            if arm.options:
                bound = signature.bind(context, *args, **kwargs)
                for key, value in arm.options.items():
                    if key in signature.parameters:
                        bound.arguments[key] = value
                    elif options is not None:
                        bound.arguments.setdefault(options, {})[key] = value
                args, kwargs = bound.args[1:], bound.kwargs
            token = _arm.set(arm)
            try:
                with serving.serving_version(arm.version_id):
                    return func(context, *args, **kwargs)
            finally:
                _arm.reset(token)

        return wrapper

    return decorate


#: the experiment arm the tag being rendered serves (None outside experiments)
_arm: ContextVar[Any] = ContextVar("crosssell_tag_arm", default=None)


@register.simple_tag(takes_context=True)
@_never_raises
@_in_experiment("together")
def frequently_bought_together(context, product, limit: int = 3, variant: str = "", **filters) -> str:
    """Render the product with its bought-together picks, checkboxes, the total and one add-to-cart form.

    ``cross_category=True`` keeps only picks of other categories than the product's.
    ``bought_together`` in the template's context tells whether every pick was bought with the
    product (a merchandiser's pin may not have been), for a heading that claims only that.
    """
    picks = _product_picks(Kind.BOUGHT_TOGETHER, "together", product, limit, filters)
    if not picks:
        return ""
    adapter = get_adapter()
    prices = [adapter.price(product), *(pick.price for pick in picks)]
    for pick in picks:
        pick.why = describe(pick.explanation)
    return _render(context, "frequently_bought_together", variant, picks, product=product, widget="together", extra={
        "product_title": adapter.title(product),
        "product_price": prices[0],
        "total": sum((price for price in prices if price is not None), Decimal(0)),
        "add_to_cart_url": add_to_cart_url(),
        "bought_together": all(pick.why.orders_together for pick in picks),
    })


@register.simple_tag(takes_context=True)
@_never_raises
@_in_experiment("upgrade")
def upgrade_to(context, product, limit: int = 3, variant: str = "", **filters) -> str:
    """Render upgrade cards: each with its price difference and why it is the better buy."""
    picks = _product_picks(Kind.UPGRADE, "upgrade", product, limit, filters)
    if not picks:
        return ""
    base_price = get_adapter().price(product)
    for pick in picks:  # today's prices, not the retrain's, for the "+2.00"
        pick.why = describe(pick.explanation, price=pick.price, base_price=base_price)
    return _render(context, "upgrade_to", variant, picks, product=product, widget="upgrade")


@register.simple_tag(takes_context=True)
@_never_raises
@_in_experiment("for_you")
def recommended_for_you(context, limit: int = 8, variant: str = "", cart: Any = None, **filters) -> str:
    """Render the visitor's personal picks, following their latest order, views and ``cart`` (products or pks).

    A signed-in customer's picks combine the published lists of what they last bought and viewed
    with the retrain's own picks for them; a visitor who is not signed in gets picks from this
    session's views and cart; best sellers fill up (:func:`crosssell_app.serving.lists.for_visitor`).
    In the template's context ``personal`` tells whether any pick is the visitor's own,
    ``inspired`` whether all of those come from what they viewed (for an "Inspired by what you
    viewed" heading) and ``best_sellers`` whether any is a best seller; each pick's ``kind`` says
    which it is, and a personal pick's ``because`` holds the titles of the products it comes from.
    """
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    session = getattr(request, "session", None)
    picks = serving.for_visitor(user, getattr(session, "session_key", None) or "", limit=clamp_limit(limit, 8),
                                rules=_rules([], filters, user=user), cart=list(_product_ids(cart)))
    if not picks:
        return ""
    _link(picks, "for_you", None)
    personal = [pick for pick in picks if pick.kind == Kind.FOR_YOU]
    return _render(context, "recommended_for_you", variant, picks, product=None, widget="for_you",
                   extra={"personal": bool(personal),
                          "inspired": bool(personal) and all("because_viewed" in pick.explanation for pick in personal),
                          "best_sellers": any(pick.kind == Kind.TRENDING for pick in picks)})


@register.simple_tag(takes_context=True)
@_never_raises
@_in_experiment("cart")
def complete_the_cart(context, products, limit: int = 4, variant: str = "", **filters) -> str:
    """Render what goes with the cart's products, leaving out what is already in it.

    For a signed-in customer the lists of their latest purchases join the cart's, and what they
    buy again and again competes for a place (each such pick says so: kind ``buy_again``).
    """
    ids = list(_product_ids(products))
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    picks = serving.for_basket(ids, limit=clamp_limit(limit, 4), rules=_rules(ids, filters), user=user)
    if not picks:
        return ""
    _link(picks, "cart", None)
    return _render(context, "complete_the_cart", variant, picks, product=None, widget="cart",
                   extra={"add_to_cart_url": add_to_cart_url()})


@register.simple_tag(takes_context=True)
@_never_raises
@_in_experiment("buy_again")
def buy_it_again(context, limit: int = 6, variant: str = "", cart: Any = None, **filters) -> str:
    """Render what the signed-in customer bought before, most often and most lately bought first.

    Nothing for a visitor who is not signed in or has no orders. Products in ``cart`` are left
    out; each pick's ``why`` holds ``times_bought`` and ``last_bought`` ("You bought this 4
    times, last in March").
    """
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    exclude = list(_product_ids(cart))
    picks = serving.buy_it_again(user, limit=clamp_limit(limit, 6), rules=_rules(exclude, filters))
    if not picks:
        return ""
    _link(picks, "buy_again", None)
    return _render(context, "buy_it_again", variant, picks, product=None, widget="buy_again",
                   extra={"add_to_cart_url": add_to_cart_url()})


def add_to_cart_url() -> str:
    """Return ``ADD_TO_CART_URL`` resolved: a URL name is reversed, anything else is a path."""
    target = crosssell_settings.ADD_TO_CART_URL
    if not target:
        return ""
    try:
        return reverse(target)
    except NoReverseMatch:
        return str(target)


# --- helpers -------------------------------------------------------------------------------------
def _product_picks(kind: str, widget: str, product: Any, limit: Any, filters: dict) -> list[serving.Pick]:
    """Return the linked picks of ``kind`` for ``product`` (default length 3)."""
    picks = serving.for_product(kind, product, limit=clamp_limit(limit, 3), rules=_rules([product], filters))
    _link(picks, widget, product)
    return picks


def _rules(exclude: Iterable, filters: dict[str, Any], *, user: Any = None):
    """Return the rules of a widget; ``user`` (personal picks only) leaves out what they bought."""
    return default_rules(
        exclude_ids=[getattr(item, "pk", item) for item in exclude], user=user,
        categories=split_words(filters.get("category")), exclude_categories=split_words(filters.get("exclude_category")),
        min_price=_price(filters.get("min_price")), max_price=_price(filters.get("max_price")),
        cross_category=_flag(filters.get("cross_category")),
    )


def _flag(value: Any) -> bool:
    """Return a tag option as a boolean: ``True``, or a text such as ``"true"`` / ``"1"`` / ``"yes"``."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _price(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _product_ids(products: Any) -> Iterable:
    """Yield the pks of a cart given as products, pks, or dicts/objects with a ``product``."""
    for item in products or ():
        item = item.get("product", item) if isinstance(item, dict) else getattr(item, "product", item)
        try:
            yield parse_product_pk(item)
        except ValidationError:
            logger.warning("complete_the_cart skipped %r: not a product", item)


def _link(picks: list[serving.Pick], widget: str, product: Any) -> None:
    """Point each pick at the click-recording redirect, or (its URLs not included) at the product with ``?cs=``."""
    arm = _arm.get()
    try:
        link = click_urls(widget, source_pk=getattr(product, "pk", product), arm=None if arm is None else arm.pk)
    except NoReverseMatch:  # the host did not include the app's URLs
        link = None
    for pick in picks:
        try:
            pick.link = link(pick.pk, pick.version) if link is not None else ""
        except NoReverseMatch:
            pick.link = ""
        if not pick.link:
            url = pick.url
            separator = "&" if "?" in url else "?"
            pick.link = f"{url}{separator}{urlencode({crosssell_settings.WIDGET_PARAM: widget})}"


def _render(context, name: str, variant: str, picks: list[serving.Pick], *, product: Any, widget: str,
            extra: dict[str, Any] | None = None) -> str:
    names = [f"crosssell_app/widgets/{name}.html"]
    if variant:
        names.insert(0, f"crosssell_app/widgets/{name}_{variant}.html")
    request = context.get("request")
    arm = _arm.get()
    arm_id = None if arm is None else arm.pk
    version = picks[0].version
    maybe_record_impression(request, widget, source=product, version=version, arm=arm_id)
    for pick in picks:
        if pick.why is None:
            pick.why = describe(pick.explanation)
    values = {"picks": picks, "product": product, "widget": widget, "request": request, "arm": arm,
              # the add-to-cart forms' hidden field, signed only if a template uses it
              "attribution_field": TOKEN_FIELD,
              "attribution_token": SimpleLazyObject(functools.partial(
                  attribution_token, widget, targets=[pick.pk for pick in picks], version=version, arm=arm_id,
                  source=product)),
              **(extra or {})}
    if request is not None:
        # Rendered without the request so the host's context processors (and their queries) stay
        # out; the token is made only if the template has a form, as Django's ``csrf`` processor does.
        values["csrf_token"] = SimpleLazyObject(functools.partial(get_token, request))
    return select_template(names).render(values)
