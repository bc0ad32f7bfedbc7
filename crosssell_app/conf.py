"""The app's settings: one ``CROSSSELL`` dict in the host's settings, with defaults here.

This module is the one place that interprets a setting: it merges ``PRODUCT_FIELDS`` over the
defaults, imports every dotted path (the product adapter, each recommender's class, the API's
DRF classes) and checks every value's shape, raising :class:`SettingError` (an
``ImproperlyConfigured``) that names the exact key, e.g. ``CROSSSELL['RECOMMENDERS']['hybrid']
['class']``. The system checks (:mod:`crosssell_app.checks`) report the same errors through
:func:`setting_errors`, so ``manage.py check`` and a retrain can never disagree.

Values are read lazily (``crosssell_settings.TOP_K``) and reloaded on Django's ``setting_changed``
signal, so ``override_settings(CROSSSELL={...})`` works in tests. The product model is a separate
top-level setting, ``CROSSSELL_PRODUCT_MODEL``, because models need it at import time (like
``AUTH_USER_MODEL``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from importlib.util import find_spec
from numbers import Real
from os import PathLike
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
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
        "type": None,  # the product type (a Shopify product type, a Google category); inferred if None
    },
    # Query-string parameter that widget links carry, so a view records which widget led there.
    "WIDGET_PARAM": "cs",
    # How many items each published list keeps per product / user.
    "TOP_K": 20,
    # Recommenders the retrain fits, by name: the class (dotted path or class) and its constructor
    # arguments. Replaces the default entries as a whole; an entry set to None is skipped.
    "RECOMMENDERS": {
        "hybrid": {"class": "crosssell_app.recommenders.Hybrid", "options": {}},
        "upgrade": {"class": "crosssell_app.recommenders.Upgrade", "options": {}},
    },
    # Upgrades are priced between these multiples (low, high) of the viewed product's price.
    "UPGRADE_PRICE_BAND": (1.1, 3.0),
    # A pair is published as bought together only when at least this many distinct customers
    # bought it in one order (orders without a customer count one each). Also a privacy floor:
    # no published pair shows what one customer alone bought.
    "MIN_PAIR_CUSTOMERS": 2,
    # Most picks of the viewed product's own type in the first three bought-together places
    # (complements come first; variants of the product are never shown). 0: a shopper reads
    # another product of the same kind as a variant to choose between (docs/shopper_sample.md).
    "TOGETHER_MAX_SAME_TYPE": 0,
    # A bought-together pick of another type is shown only with a link a shopper can see: a rare
    # title word in common, or (when True) the same category. Turn it off when the categories
    # are broad or derived from the titles (the demo's are: docs/shopper_sample.md).
    "TOGETHER_LINK_BY_CATEGORY": True,
    # Published versions kept after a retrain (the active one included); older ones are pruned.
    "KEEP_VERSIONS": 3,
    # Nightly retrain, a ``celery.schedules.crontab`` keyword dict; None disables it.
    "RETRAIN_SCHEDULE": {"minute": 30, "hour": 3},
    # Folder of each run's working files and of the fitted models kept after a publish. None: a
    # temporary folder of the machine, emptied after each run (no models kept; one machine only).
    "MODEL_DIR": None,
    # Soft and hard time limits of a retrain task, in seconds.
    "RETRAIN_SOFT_TIME_LIMIT": 30 * 60,
    "RETRAIN_HARD_TIME_LIMIT": 35 * 60,
    # A running retrain whose worker has not reported for this many seconds is marked failed.
    "RETRAIN_STALE_AFTER": 5 * 60,
    # How often a working retrain reports that it is alive, in seconds.
    "RETRAIN_HEARTBEAT_SECONDS": 15,
    # A queued retrain that no worker has started after this many seconds is marked failed.
    "RETRAIN_QUEUED_TIMEOUT": 10 * 60,
    # Keep lists fresh between retrains: an order updates its products' bought-together lists
    # (pairs enter at MIN_PAIR_CUSTOMERS), and a new product gets its similar, upgrade and
    # bought-together lists from its content, type and category (a task per save; in-process
    # under eager Celery, the embedded default).
    "REALTIME_UPDATES": True,
    # Personal picks and cart completion read the visitor's latest items at request time and
    # combine the published lists of up to this many of them (the latest order's, then views).
    "RECENT_ITEMS": 5,
    # A repeat purchase's weight halves for every this many days it lies before the customer's
    # latest order (buy it again, and repeat items in complete the cart).
    "HISTORY_HALF_LIFE_DAYS": 90,
    # Weight of the customer's own repeat purchases beside the basket's completions in complete
    # the cart (each side scaled to its best pick); 0 completes the basket from the basket alone.
    "REPEAT_WEIGHT": 1.0,
    # Seconds a widget's rows stay in Django's cache; 0 disables caching.
    "CACHE_TIMEOUT": 0,
    "CACHE_ALIAS": "default",
    # With caching on: seconds the active version's id is cached; a process that did not receive
    # ``recommendations_published`` (another web server) serves the old version at most this long.
    "ACTIVE_VERSION_CACHE_TIMEOUT": 5,
    # Seconds a process serves from the running experiments it read; an experiment started or
    # stopped in another process takes effect here within this time (at once in the same one).
    "EXPERIMENT_CACHE_TIMEOUT": 5,
    # Days after a widget click during which an order of that product is attributed to it.
    "ATTRIBUTION_DAYS": 7,
    # Share of widget impressions recorded (clicks are always recorded).
    "IMPRESSION_SAMPLE_RATE": 0.1,
    # Re-rank the next retrain's bought-together and upgrade lists by each product's clicks over
    # its expected clicks in that widget (training/feedback.py). No clicks recorded: no change.
    "FEEDBACK_ENABLED": True,
    # Renders at the widget's average click-through rate added to every product's own: the
    # larger, the more clicks a product needs before its place moves.
    "FEEDBACK_PRIOR_IMPRESSIONS": 200,
    # Days of impressions and clicks the retrain reads.
    "FEEDBACK_DAYS": 30,
    # Picks of a widget counted as shown per recorded impression (the tags' default limit).
    "FEEDBACK_POSITIONS": 3,
    # Widget clicks stored per visitor and minute (more still redirect, unrecorded); 0: no limit.
    "CLICK_RATE_LIMIT": 60,
    # Seconds an order may be dated ahead of this server's clock; later ones are refused.
    "MAX_CLOCK_SKEW": 5 * 60,
    # URL name or path the bought-together bundle form posts to (the host's add-to-cart view).
    "ADD_TO_CART_URL": None,
    # Largest ``limit`` a tag or API request may ask for; larger ones are clamped.
    "MAX_LIMIT": 50,
    # Exclude products the user already bought from personal picks.
    "EXCLUDE_PURCHASED": True,
    # DRF classes of the API (dotted paths or classes); read only when the ``api`` extra is installed.
    "API_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "API_WRITE_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "API_THROTTLE_CLASSES": [],
    # DRF permission classes of the training-run endpoints and the retrain trigger (admins only).
    "API_ADMIN_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    # Categories (values of the adapter's ``category`` field) never recommended, e.g. postage.
    "EXCLUDE_CATEGORIES": [],
}

#: packages the REST API needs (the ``api`` extra); without them the API and its settings are absent
API_PACKAGES = ("rest_framework", "drf_spectacular")
#: keys a ``RECOMMENDERS`` entry may have
RECOMMENDER_KEYS = ("class", "options", "kinds", "enabled")


def api_installed() -> bool:
    """Return True when the ``api`` extra is importable (checked without importing it)."""
    return all(find_spec(name) is not None for name in API_PACKAGES)


class SettingError(ImproperlyConfigured):
    """A ``CROSSSELL`` value of the wrong shape; ``setting`` is its top-level key, ``hint`` the remedy.

    ``keys`` is the path to the value inside ``CROSSSELL`` (empty for the dict itself).
    """

    def __init__(self, keys: tuple, problem: str, hint: str = "") -> None:
        self.setting = keys[0] if keys else "CROSSSELL"
        self.hint = hint
        super().__init__(f"CROSSSELL{''.join(f'[{key!r}]' for key in keys)}: {problem}")


# ---------------------------------------------------------------------------- one reader per shape
Reader = Callable[[Any, tuple], Any]


def import_class(value: Any, keys: tuple, hint: str = "") -> type:
    """Return the class ``value`` names (a dotted path) or is."""
    if isinstance(value, type):
        return value
    if not isinstance(value, str):
        raise SettingError(keys, f"expected a dotted path or a class, not {value!r}", hint)
    try:
        found = import_string(value)
    except Exception as exc:  # whatever the host's module raises on import is a configuration error
        raise SettingError(keys, f"cannot import {value!r}: {exc}", hint) from exc
    if not isinstance(found, type):
        raise SettingError(keys, f"{value!r} is a {type(found).__name__}, not a class", hint)
    return found


def _whole(minimum: int) -> Reader:
    def read(value: Any, keys: tuple) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise SettingError(keys, f"expected a whole number of at least {minimum}, not {value!r}")
        return value
    return read


def _number(low: float, high: float = math.inf, positive: bool = False) -> Reader:
    above = "above" if positive else "at least"

    def read(value: Any, keys: tuple) -> float:
        if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value)
                or value < low or value > high or (positive and value == low)):
            bounds = f"{above} {low}" + ("" if high == math.inf else f" and at most {high}")
            raise SettingError(keys, f"expected a number {bounds}, not {value!r}")
        return value
    return read


def _flag(value: Any, keys: tuple) -> bool:
    if not isinstance(value, bool):
        raise SettingError(keys, f"expected True or False, not {value!r}")
    return value


def _text(optional: bool = False) -> Reader:
    def read(value: Any, keys: tuple) -> str | None:
        if optional and value is None:
            return None
        if not isinstance(value, str) or not value:
            raise SettingError(keys, f"expected a non-empty string{' or None' if optional else ''}, not {value!r}")
        return value
    return read


def _strings(value: Any, keys: tuple) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SettingError(keys, f"expected a list of strings, not {value!r}")
    return list(value)


def _classes(value: Any, keys: tuple) -> list[type]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise SettingError(keys, f"expected a list of dotted paths or classes, not {value!r}",
                           "e.g. ['rest_framework.permissions.IsAdminUser']")
    return [import_class(item, (*keys, index), "Give the dotted path of a Django REST framework class.")
            for index, item in enumerate(value)]


def _adapter(value: Any, keys: tuple) -> type:
    return import_class(value, keys, "Give the dotted path of a subclass of crosssell_app.adapters.ProductAdapter.")


def _product_fields(value: Any, keys: tuple) -> dict[str, Any]:
    """Merge the given field names over the defaults; ``text`` (and keys of custom adapters) may list several."""
    if not isinstance(value, Mapping):
        raise SettingError(keys, f"expected a dict of field names, not {value!r}",
                           "e.g. {'title': 'name', 'price': 'price'}; keys left out keep their defaults.")
    fields = {**DEFAULTS["PRODUCT_FIELDS"], **value}
    single = set(DEFAULTS["PRODUCT_FIELDS"]) - {"text"}
    for key, lookup in fields.items():
        several = key not in single and isinstance(lookup, (list, tuple))
        names = list(lookup) if several else [lookup]
        if lookup is not None and not all(isinstance(name, str) and name for name in names):
            kind = "a field name or None" if key in single else "a field name, a list of them, or None"
            raise SettingError((*keys, key), f"expected {kind}, not {lookup!r}",
                               "Name a field of the product model; '__' follows a relation, e.g. 'category__name'.")
    return fields


def _price_band(value: Any, keys: tuple) -> tuple[float, float]:
    """Return ``(low, high)`` as floats, 0 < low < high: an upgrade costs between these multiples."""
    hint = "e.g. (1.1, 3.0): an upgrade costs 1.1 to 3 times the viewed product's price."
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) != 2:
        raise SettingError(keys, f"expected two numbers (low, high), not {value!r}", hint)
    low, high = (_number(0.0, positive=True)(bound, (*keys, index)) for index, bound in enumerate(value))
    if not low < high:
        raise SettingError(keys, f"the low multiple must be below the high one, not {value!r}", hint)
    return float(low), float(high)


def _folder(value: Any, keys: tuple) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, (str, PathLike)) or not str(value):
        raise SettingError(keys, f"expected a folder path or None, not {value!r}")
    return Path(value).expanduser()


def _schedule(value: Any, keys: tuple) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SettingError(keys, f"expected a dict of crontab keywords or None, not {value!r}",
                           "e.g. {'minute': 30, 'hour': 3}")
    from celery.schedules import crontab

    try:
        crontab(**value)
    except Exception as exc:  # crontab raises TypeError, ValueError or its own ParseException
        raise SettingError(keys, f"not a crontab: {exc}",
                           "Give celery.schedules.crontab keywords, e.g. {'minute': 30, 'hour': 3}, or None.") from exc
    return dict(value)


def _cache_alias(value: Any, keys: tuple) -> str:
    if not isinstance(value, str) or value not in settings.CACHES:
        raise SettingError(keys, f"{value!r} is not a cache of the CACHES setting",
                           f"Use one of {sorted(settings.CACHES)}.")
    return value


def _recommenders(value: Any, keys: tuple) -> dict[str, dict[str, Any]]:
    """Return ``{name: {"class": cls, "options": dict, "kinds": tuple | None}}`` of the enabled entries."""
    entries = recommender_entries(value)
    resolved = {name: recommender_entry(name, entry) for name, entry in entries.items()}
    return {name: spec for name, spec in resolved.items() if spec is not None}


def recommender_entries(value: Any) -> Mapping[str, Any]:
    """Return the ``RECOMMENDERS`` mapping itself, or raise when it is not one."""
    if not isinstance(value, Mapping):
        raise SettingError(("RECOMMENDERS",), f"expected a dict of name -> entry, not {value!r}",
                           "e.g. {'hybrid': {'class': 'crosssell_app.recommenders.Hybrid', 'options': {}}}")
    return value


def recommender_entry(name: Any, entry: Any) -> dict[str, Any] | None:
    """Return one ``RECOMMENDERS`` entry with its class imported, or None when it is switched off."""
    keys = ("RECOMMENDERS", name)
    hint = "An entry is {'class': 'dotted.path.Class', 'options': {...}}; None or 'enabled': False skips it."
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise SettingError(keys, "a recommender's name must be letters, digits, '_' or '-' (it names files)", hint)
    if entry is None:
        return None
    if not isinstance(entry, Mapping):
        raise SettingError(keys, f"expected a dict with a 'class', not {entry!r}", hint)
    unknown = sorted(map(str, set(entry) - set(RECOMMENDER_KEYS)))
    if unknown:
        raise SettingError(keys, f"unknown keys {unknown}; an entry may have {list(RECOMMENDER_KEYS)}", hint)
    if not _flag(entry.get("enabled", True), (*keys, "enabled")):
        return None
    if "class" not in entry:
        raise SettingError(keys, "the entry has no 'class'", hint)
    cls = import_class(entry["class"], (*keys, "class"), "Give the dotted path of a recommender class, "
                       "e.g. 'crosssell_app.recommenders.Hybrid', or the class itself.")
    options = entry.get("options") or {}
    if not isinstance(options, Mapping) or not all(isinstance(key, str) for key in options):
        raise SettingError((*keys, "options"), f"expected a dict of constructor arguments, not {options!r}", hint)
    kinds = entry.get("kinds")
    return {"class": cls, "options": dict(options),
            "kinds": None if kinds is None else tuple(_strings(kinds, (*keys, "kinds")))}


#: how each key's value is read; a test keeps it in step with :data:`DEFAULTS`
READERS: dict[str, Reader] = {
    "PRODUCT_ADAPTER": _adapter,
    "PRODUCT_FIELDS": _product_fields,
    "WIDGET_PARAM": _text(),
    "TOP_K": _whole(1),
    "RECOMMENDERS": _recommenders,
    "UPGRADE_PRICE_BAND": _price_band,
    "MIN_PAIR_CUSTOMERS": _whole(1),
    "TOGETHER_MAX_SAME_TYPE": _whole(0),
    "TOGETHER_LINK_BY_CATEGORY": _flag,
    "KEEP_VERSIONS": _whole(1),
    "RETRAIN_SCHEDULE": _schedule,
    "MODEL_DIR": _folder,
    "RETRAIN_SOFT_TIME_LIMIT": _number(0, positive=True),
    "RETRAIN_HARD_TIME_LIMIT": _number(0, positive=True),
    "RETRAIN_STALE_AFTER": _number(0, positive=True),
    "RETRAIN_HEARTBEAT_SECONDS": _number(0, positive=True),
    "RETRAIN_QUEUED_TIMEOUT": _number(0, positive=True),
    "REALTIME_UPDATES": _flag,
    "RECENT_ITEMS": _whole(1),
    "HISTORY_HALF_LIFE_DAYS": _number(0, positive=True),
    "REPEAT_WEIGHT": _number(0),
    "CACHE_TIMEOUT": _number(0),
    "CACHE_ALIAS": _cache_alias,
    "ACTIVE_VERSION_CACHE_TIMEOUT": _number(0),
    "EXPERIMENT_CACHE_TIMEOUT": _number(0),
    "ATTRIBUTION_DAYS": _number(0),
    "IMPRESSION_SAMPLE_RATE": _number(0, 1),
    "FEEDBACK_ENABLED": _flag,
    "FEEDBACK_PRIOR_IMPRESSIONS": _number(0),
    "FEEDBACK_DAYS": _number(0, positive=True),
    "FEEDBACK_POSITIONS": _whole(1),
    "CLICK_RATE_LIMIT": _whole(0),
    "MAX_CLOCK_SKEW": _number(0),
    "ADD_TO_CART_URL": _text(optional=True),
    "MAX_LIMIT": _whole(1),
    "EXCLUDE_PURCHASED": _flag,
    "API_PERMISSION_CLASSES": _classes,
    "API_WRITE_PERMISSION_CLASSES": _classes,
    "API_THROTTLE_CLASSES": _classes,
    "API_ADMIN_PERMISSION_CLASSES": _classes,
    "EXCLUDE_CATEGORIES": _strings,
}


def user_settings() -> Mapping[str, Any]:
    """Return the host's ``CROSSSELL`` dict (empty when unset)."""
    value = getattr(settings, "CROSSSELL", None)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SettingError((), f"expected a dict, not {value!r}", "e.g. CROSSSELL = {'TOP_K': 20}")
    return value


def read(name: str) -> Any:
    """Return the interpreted value of setting ``name``: the host's, else the default."""
    return READERS[name](user_settings().get(name, DEFAULTS[name]), (name,))


def setting_errors() -> list[SettingError]:
    """Return every malformed value of ``CROSSSELL``, each recommender entry on its own; never raise.

    The API's settings are left out without the ``api`` extra, since nothing reads them then.
    """
    try:
        given = user_settings()
    except SettingError as error:
        return [error]
    errors = []
    for name in DEFAULTS:
        if name.startswith("API_") and not api_installed():
            continue
        try:
            if name == "RECOMMENDERS":
                for entry_name, entry in recommender_entries(given.get(name, DEFAULTS[name])).items():
                    try:
                        recommender_entry(entry_name, entry)
                    except SettingError as error:
                        errors.append(error)
            else:
                read(name)
        except SettingError as error:
            errors.append(error)
    return errors


def unknown_keys() -> list[str]:
    """Return the keys of ``CROSSSELL`` that are no setting (typos, or keys of another version)."""
    try:
        return sorted(str(key) for key in user_settings() if key not in DEFAULTS)
    except SettingError:
        return []


class CrosssellSettings:
    """Attribute access to the interpreted settings; each is read once until the settings change."""

    def __init__(self) -> None:
        self._cached: set[str] = set()

    @property
    def user_settings(self) -> Mapping[str, Any]:
        return user_settings()

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid crosssell setting: {name!r}")
        value = read(name)
        self._cached.add(name)
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()


crosssell_settings = CrosssellSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("CROSSSELL", "CROSSSELL_PRODUCT_MODEL", "CACHES"):
        crosssell_settings.reload()


setting_changed.connect(_reload)
