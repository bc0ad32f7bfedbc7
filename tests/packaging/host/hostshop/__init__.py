"""A minimal shop that installs crosssell as a host would: settings, its own product, one page.

Used only by ``tests/packaging/test_install.py``, which copies this folder next to a fresh
virtualenv; it is not part of the test suite's settings and nothing in ``tests`` imports it.
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
