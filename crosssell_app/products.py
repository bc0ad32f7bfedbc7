"""Find the host's product model and its adapter, the way ``get_user_model()`` does for users."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

#: placeholder the foreign keys point at when the host forgot the setting; the checks report it
UNSET = "crosssell_app.ProductModelNotSet"


def get_product_model_label() -> str:
    """Return ``settings.CROSSSELL_PRODUCT_MODEL``, or a placeholder label when it is unset."""
    return getattr(settings, "CROSSSELL_PRODUCT_MODEL", None) or UNSET


def get_product_model() -> type[models.Model]:
    """Return the host's product model class named by ``CROSSSELL_PRODUCT_MODEL``."""
    label = getattr(settings, "CROSSSELL_PRODUCT_MODEL", None)
    if not label:
        raise ImproperlyConfigured(
            "CROSSSELL_PRODUCT_MODEL is not set; set it to your product model, e.g. 'shop.Product'."
        )
    try:
        return django_apps.get_model(label, require_ready=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"CROSSSELL_PRODUCT_MODEL must be of the form 'app_label.model_name', not {label!r}."
        )
    except LookupError:
        raise ImproperlyConfigured(
            f"CROSSSELL_PRODUCT_MODEL refers to model {label!r}, which is not installed."
        )


#: the adapter instance :func:`get_adapter` returns until the settings change
_adapter = None


def get_adapter():
    """Return the configured product adapter, one instance per process.

    Serving asks for it several times per request; building one reads the settings and looks the
    product model up, so the instance is kept until ``CROSSSELL`` or ``CROSSSELL_PRODUCT_MODEL``
    change (``override_settings`` in tests). Adapters must therefore keep no per-request state.
    """
    global _adapter
    adapter = _adapter
    if adapter is None:
        from .conf import crosssell_settings

        adapter = _adapter = crosssell_settings.PRODUCT_ADAPTER()
    return adapter


def forget_adapter(**kwargs) -> None:
    """Drop the memoised adapter, so the next :func:`get_adapter` builds one from the current settings."""
    global _adapter
    _adapter = None


def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting in ("CROSSSELL", "CROSSSELL_PRODUCT_MODEL"):
        forget_adapter()


setting_changed.connect(_settings_changed, dispatch_uid="crosssell_forget_adapter")
