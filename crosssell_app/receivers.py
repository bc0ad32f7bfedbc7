"""Signal receivers the app connects in ``AppConfig.ready``."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .serving.attribution import start_queueing_impressions, write_pending_impressions
from .conf import crosssell_settings
from .queue import send_task
from .products import UNSET, get_adapter, get_product_model_label
from .signals import order_recorded, product_saved, product_viewed
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


def queue_new_product_lists(sender, instance, created: bool = False, raw: bool = False, update_fields=None,
                            **kwargs) -> None:
    """Queue the lists of a saved product the adapter says needs them (``REALTIME_UPDATES``).

    Sent by name once the save commits (the task reads the product), so the web process never
    imports training code; in the embedded default (eager Celery) it runs here, within a second
    or two. Fixtures being loaded (``raw``) are skipped.
    """
    if raw or not crosssell_settings.REALTIME_UPDATES:
        return
    if not get_adapter().needs_new_lists(instance, created=created, update_fields=update_fields):
        return
    _queue_product(instance.pk)


@receiver(product_saved, dispatch_uid="crosssell_product_saved")
def queue_announced_product_lists(sender, product, **kwargs) -> None:
    """Queue the lists of a product the host announced with ``product_saved`` (``REALTIME_UPDATES``)."""
    if crosssell_settings.REALTIME_UPDATES:
        _queue_product(getattr(product, "pk", product))


def _queue_product(pk) -> None:
    def send() -> None:
        try:
            send_task("crosssell_app.tasks.publish_new_product", (pk,))
        except Exception:  # a broker outage must not break the shop's catalogue admin
            logger.warning("Could not queue the lists of new product %s", pk, exc_info=True)

    transaction.on_commit(send)


# The host's product model, by label (resolved once its app is loaded), like AUTH_USER_MODEL above;
# without CROSSSELL_PRODUCT_MODEL there is nothing to listen to (the checks report it).
if get_product_model_label() != UNSET:
    post_save.connect(queue_new_product_lists, sender=get_product_model_label(),
                      dispatch_uid="crosssell_product_saved_post_save")
