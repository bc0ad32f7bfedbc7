"""Signals the app sends and listens to.

``product_viewed``: send it (or use :class:`crosssell_app.mixins.ProductViewMixin`) when a shopper
views a product page; the app records the view. Arguments: ``product``, ``request``.

``order_recorded``: sent by the app after an order is stored and committed, once per order id.
Arguments: ``order`` (a :class:`crosssell_app.models.Order`).

``product_saved``: send it when products were added or changed in a way ``post_save`` does not
announce (``bulk_create``, an import, a raw SQL load), so that each gets its lists before the next
retrain. Arguments: ``product`` (a product or its pk). The app sends nothing itself for a
product: it listens to the product model's ``post_save`` (see ``REALTIME_UPDATES``).
"""

from django.dispatch import Signal

product_viewed = Signal()
order_recorded = Signal()
product_saved = Signal()

#: sent after a retrain (or a near-real-time update) switched the active version.
#: Arguments: ``version`` (the now active version's id). Serving uses it to drop cached widgets.
recommendations_published = Signal()

#: sent after a forget (``tracking.forget_user``, or deleting a user) committed. Arguments:
#: ``tombstone`` (the :class:`crosssell_app.models.Tombstone` recording it). Serving uses it to
#: make cached lists stale at once in this process; a host may clear its own caches.
user_forgotten = Signal()
