"""Signal receivers the app connects in ``AppConfig.ready``."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .serving.attribution import start_queueing_impressions, write_pending_impressions
from .conf import crosssell_settings
from .queue import send_task
from .signals import order_recorded, product_viewed
from .tracking.recording import link_session_to_user, record_user_deletion, record_view_from_request

logger = logging.getLogger(__name__)

# Sampled widget impressions are written once per request, after its response (attribution.py).
request_started.connect(start_queueing_impressions, dispatch_uid="crosssell_queue_impressions")
request_finished.connect(write_pending_impressions, dispatch_uid="crosssell_write_impressions")
# Forgetting reaches what a visitor did before signing in, and deleting a user is a forget too.
user_logged_in.connect(link_session_to_user, dispatch_uid="crosssell_link_session_to_user")
post_delete.connect(record_user_deletion, sender=settings.AUTH_USER_MODEL, dispatch_uid="crosssell_user_deleted")


@receiver(product_viewed, dispatch_uid="crosssell_record_product_view")
def record_product_view(sender, product, request, **kwargs) -> None:
    """Store the view a host announced with ``product_viewed``."""
    record_view_from_request(product, request)


@receiver(order_recorded, dispatch_uid="crosssell_realtime_bought_together")
def queue_bought_together_update(sender, order, **kwargs) -> None:
    """Queue the near-real-time update of the order's bought-together lists (``REALTIME_UPDATES``).

    The task is sent by name and runs on a worker (``crosssell_app.training.realtime``), so the web
    process that records the order never imports training code.
    """
    if not crosssell_settings.REALTIME_UPDATES:
        return
    try:
        send_task("crosssell_app.tasks.update_bought_together", (order.pk,))
    except Exception:  # a broker outage must not break the shop's checkout
        logger.warning("Could not queue the bought-together update of order %s", order.pk, exc_info=True)
