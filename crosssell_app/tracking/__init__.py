"""Tracking: what the host tells the app about its shoppers.

:mod:`.recording` stores product views and orders as they happen (idempotently: the same order
recorded twice counts once); :mod:`.importing` loads a shop's order history from a CSV export,
line by line through the rules of :mod:`.order_rows`. The functions a host calls are re-exported
here: ``from crosssell_app.tracking import record_order``.
"""

from .recording import Line, forget_user, record_order, record_view, visitor

__all__ = ["Line", "forget_user", "record_order", "record_view", "visitor"]
