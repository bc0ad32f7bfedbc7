"""The app's settings: one ``CROSSSELL`` dict in the host's settings, with defaults here.

Read lazily (``crosssell_settings.TOP_K``) and reloaded on Django's ``setting_changed`` signal,
so ``override_settings(CROSSSELL={...})`` works in tests. The product model is a separate
top-level setting, ``CROSSSELL_PRODUCT_MODEL``, because models need it at import time (like
``AUTH_USER_MODEL``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # The adapter that reads the host's product fields; subclass it for unusual models.
    "PRODUCT_ADAPTER": "crosssell_app.adapters.ProductAdapter",
    # Field names (``__`` lookups allowed) the default adapter reads. ``text`` may list several
    # fields, joined for content similarity. ``None`` means "the shop has no such field".
    "PRODUCT_FIELDS": {
        "code": None,  # the shop's product code (SKU) that imported order files refer to
        "title": "name",
        "text": ["name", "description"],
        "category": "category",
        "price": "price",
        "available": None,
        "image": None,
        "variant_group": None,
    },
    # Query-string parameter that widget links carry, so a view records which widget led there.
    "WIDGET_PARAM": "cs",
    # How many items each published list keeps per product / user.
    "TOP_K": 20,
    # Recommenders the retrain fits, by name, with their constructor arguments.
    "RECOMMENDERS": {
        "hybrid": {"class": "crosssell_app.recommenders.Hybrid", "options": {}},
        "upgrade": {"class": "crosssell_app.recommenders.Upgrade", "options": {}},
    },
    # Upgrades are priced between these multiples of the viewed product's price.
    "UPGRADE_PRICE_BAND": (1.1, 3.0),
    # Published versions kept after a retrain (the active one included); older ones are pruned.
    "KEEP_VERSIONS": 3,
    # Nightly retrain, a ``celery.schedules.crontab`` keyword dict; None disables it.
    "RETRAIN_SCHEDULE": {"minute": 30, "hour": 3},
    # Folder where fitted models are saved after a retrain (None: keep them in memory only).
    "MODEL_DIR": None,
    # Soft and hard time limits of a retrain task, in seconds.
    "RETRAIN_SOFT_TIME_LIMIT": 30 * 60,
    "RETRAIN_HARD_TIME_LIMIT": 35 * 60,
    # A running retrain whose worker has not reported for this many seconds is marked failed.
    "RETRAIN_STALE_AFTER": 5 * 60,
    # How often a working retrain reports that it is alive, in seconds.
    "RETRAIN_HEARTBEAT_SECONDS": 15,
    # Update bought-together lists when an order is recorded, before the next retrain.
    "REALTIME_UPDATES": False,
    # Seconds a widget's rows stay in Django's cache; 0 disables caching.
    "CACHE_TIMEOUT": 0,
    "CACHE_ALIAS": "default",
    # With caching on: seconds the active version's id is cached; a process that did not receive
    # ``recommendations_published`` (another web server) serves the old version at most this long.
    "ACTIVE_VERSION_CACHE_TIMEOUT": 5,
    # Days after a widget click during which an order of that product is attributed to it.
    "ATTRIBUTION_DAYS": 7,
    # Share of widget impressions recorded (clicks are always recorded).
    "IMPRESSION_SAMPLE_RATE": 0.1,
    # URL name or path the bought-together bundle form posts to (the host's add-to-cart view).
    "ADD_TO_CART_URL": None,
    # Largest ``limit`` a tag or API request may ask for; larger ones are clamped.
    "MAX_LIMIT": 50,
    # Exclude products the user already bought from personal picks.
    "EXCLUDE_PURCHASED": True,
    # DRF classes for the API, as import strings.
    "API_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "API_WRITE_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "API_THROTTLE_CLASSES": [],
    # DRF permission classes of the training-run endpoints and the retrain trigger (admins only).
    "API_ADMIN_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # Categories (values of the adapter's ``category`` field) never recommended, e.g. postage.
    "EXCLUDE_CATEGORIES": [],
}

#: settings whose values are import strings, imported on access
IMPORT_STRINGS = ("PRODUCT_ADAPTER",)


class CrosssellSettings:
    """Attribute access to ``settings.CROSSSELL`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cached: set[str] = set()

    @property
    def user_settings(self) -> dict[str, Any]:
        if not hasattr(self, "_user_settings"):
            self._user_settings = getattr(settings, "CROSSSELL", {}) or {}
        return self._user_settings

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid crosssell setting: {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        if name == "PRODUCT_FIELDS":
            value = {**DEFAULTS["PRODUCT_FIELDS"], **value}
        if name in IMPORT_STRINGS and isinstance(value, str):
            value = import_string(value)
        self._cached.add(name)
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        if hasattr(self, "_user_settings"):
            delattr(self, "_user_settings")


crosssell_settings = CrosssellSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("CROSSSELL", "CROSSSELL_PRODUCT_MODEL"):
        crosssell_settings.reload()


setting_changed.connect(_reload)
