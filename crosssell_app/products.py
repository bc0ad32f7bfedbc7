"""Find the host's product model and its adapter, the way ``get_user_model()`` does for users."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
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


def get_adapter():
    """Return an instance of the configured product adapter."""
    from .conf import crosssell_settings

    return crosssell_settings.PRODUCT_ADAPTER()
