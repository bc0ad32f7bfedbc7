"""The click-recording redirect that widget links go through."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .serving.attribution import WIDGETS, admit_click, published_arm, published_version, record_click
from .conf import crosssell_settings
from .serving.params import parse_product_pk
from .products import get_adapter


def click_url(widget: str, target_pk, *, source_pk=None, version: int | None = None, arm: int | None = None) -> str:
    """Return the link a widget shows for ``target_pk``: it records the click, then redirects."""
    return _with_query(reverse("crosssell:click", kwargs={"widget": widget, "target": target_pk}), source_pk, version,
                       arm)


def click_urls(widget: str, *, source_pk=None, arm: int | None = None) -> Callable[..., str]:
    """Return ``link(target_pk, version=None)``, equal to :func:`click_url` for this widget's links.

    A widget links several picks through the same URL pattern; reversing it once per render and
    putting each pick's id in its place saves a ``reverse()`` per pick (a tenth of a render).
    An id the path converter might reject (empty, or holding a slash) goes through ``reverse()``.
    """
    path = reverse("crosssell:click", kwargs={"widget": widget, "target": _TARGET_PLACEHOLDER})
    head, _, tail = path.rpartition(_TARGET_PLACEHOLDER)

    def link(target_pk, version: int | None = None) -> str:
        text = str(target_pk)
        if not text or "/" in text:
            return click_url(widget, target_pk, source_pk=source_pk, version=version, arm=arm)
        return _with_query(f"{head}{quote(text, safe=RFC3986_SUBDELIMS + '/~:@')}{tail}", source_pk, version, arm)

    return link


#: a value of the click URL's ``target`` that no product id is confused with while being replaced
_TARGET_PLACEHOLDER = "crosssell-target-placeholder"


def _with_query(url: str, source_pk, version: int | None, arm: int | None = None) -> str:
    query = {key: value for key, value in (("from", source_pk), ("v", version), ("a", arm)) if value is not None}
    return f"{url}?{urlencode(query)}" if query else url


@never_cache
def click(request: HttpRequest, widget: str, target: str) -> HttpResponseRedirect:
    """Record a click on ``target`` in ``widget`` and redirect to the product's own page.

    The product page's URL gets the widget in ``WIDGET_PARAM`` so the view it records knows its
    source. Only the product's own URL is ever a destination: the view is no open redirect. A
    widget the app does not have is 404 (nothing stored, no session made); a version that is not
    a published one, or an experiment arm (``a``) that does not exist, is dropped; a click beyond
    the visitor's ``CLICK_RATE_LIMIT`` still redirects, unrecorded.
    """
    if widget not in WIDGETS:
        raise Http404(_("No such widget."))
    adapter = get_adapter()
    try:
        target_pk = parse_product_pk(target)
    except ValidationError:
        raise Http404(_("No such product."))
    source_pk = _optional_pk(request.GET.get("from"))
    found = {product.pk: product for product in adapter.get_queryset().filter(pk__in=[target_pk, source_pk])}
    product = found.get(target_pk)
    destination = adapter.url(product) if product is not None else ""
    if not destination:
        raise Http404(_("No such product."))
    if admit_click(request):
        record_click(request, widget, product, source=source_pk if source_pk in found else None,
                     version=published_version(request.GET.get("v", "")),
                     arm=published_arm(request.GET.get("a", "")))
    separator = "&" if "?" in destination else "?"
    return HttpResponseRedirect(f"{destination}{separator}{urlencode({crosssell_settings.WIDGET_PARAM: widget})}")


def _optional_pk(raw):
    """Return ``raw`` as a product pk, or None when it is missing or malformed (a source is optional)."""
    if not raw:
        return None
    try:
        return parse_product_pk(raw)
    except ValidationError:
        return None
