"""The demo shop: a small Django shop that installs crosssell_app."""

from .celery import app as celery_app

__all__ = ("celery_app",)
