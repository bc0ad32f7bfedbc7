"""Tracking: what the host tells the app about its shoppers.

:mod:`.recording` stores product views and orders as they happen (idempotently: the same order
recorded twice counts once); :mod:`.importing` loads a shop's order history from a CSV export,
line by line through the rules of :mod:`.order_rows`. The functions a host calls are re-exported
here, ``from crosssell_app.tracking import record_order``, and loaded on first use, so the
Django-free :mod:`.order_rows` can be imported (by the offline evaluation) without settings.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["Line", "forget_user", "record_order", "record_view", "visitor"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module(".recording", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
