"""Signal receivers the app connects in ``AppConfig.ready``."""

from __future__ import annotations

from django.dispatch import receiver

from .signals import product_viewed
from .tracking import record_view_from_request


@receiver(product_viewed, dispatch_uid="crosssell_record_product_view")
def record_product_view(sender, product, request, **kwargs) -> None:
    """Store the view a host announced with ``product_viewed``."""
    record_view_from_request(product, request)
