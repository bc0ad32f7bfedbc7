"""Drop-in tracking for the host's product views."""

from __future__ import annotations

from .signals import product_viewed


class ProductViewMixin:
    """Mix into a ``DetailView`` of products: each successful GET announces ``product_viewed``.

    The app's own receiver records the view (user or session, and the widget the link came from);
    other receivers may listen too.
    """

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        product = getattr(self, "object", None)
        if product is not None and response.status_code == 200:
            product_viewed.send(sender=type(product), product=product, request=request)
        return response
