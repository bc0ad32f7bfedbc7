"""System checks: each misconfiguration gets an id and a hint, and a check never raises.

The shape of every ``CROSSSELL`` value is judged by :mod:`crosssell_app.conf` (the same code a
retrain and a page view read the settings through); this module only gives each kind of error
its id and adds what needs the product model or an optional package.
"""

from __future__ import annotations

import difflib
from importlib.util import find_spec

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

from .conf import DEFAULTS, SettingError, crosssell_settings, setting_errors, unknown_keys

#: the id of a malformed value, by setting; every other setting's value is E009
SETTING_IDS = {
    "PRODUCT_ADAPTER": "crosssell_app.E004",
    "RECOMMENDERS": "crosssell_app.E006",
    "UPGRADE_PRICE_BAND": "crosssell_app.E007",
    "API_PERMISSION_CLASSES": "crosssell_app.E008",
    "API_WRITE_PERMISSION_CLASSES": "crosssell_app.E008",
    "API_THROTTLE_CLASSES": "crosssell_app.E008",
    "API_ADMIN_PERMISSION_CLASSES": "crosssell_app.E008",
}
OTHER_SETTING_ID = "crosssell_app.E009"


@checks.register(checks.Tags.models, "crosssell")
def check_product_model(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The product model is set and installed, and the adapter can read the named fields."""
    from .products import get_product_model

    label = getattr(settings, "CROSSSELL_PRODUCT_MODEL", None)
    if not label:
        return [checks.Error(
            "CROSSSELL_PRODUCT_MODEL is not set.",
            hint="Add CROSSSELL_PRODUCT_MODEL = 'yourapp.Product' to your settings.",
            id="crosssell_app.E001",
        )]
    try:
        model = get_product_model()
    except ImproperlyConfigured as exc:
        return [checks.Error(
            str(exc),
            hint="Use 'app_label.ModelName' of a model in an app listed in INSTALLED_APPS.",
            id="crosssell_app.E002",
        )]
    try:
        fields = crosssell_settings.PRODUCT_FIELDS
    except SettingError:
        return []  # a malformed PRODUCT_FIELDS is reported by check_settings
    errors: list[checks.CheckMessage] = []
    for key, value in fields.items():
        for lookup in ([value] if isinstance(value, str) else list(value or [])):
            if not _lookup_exists(model, lookup):
                errors.append(checks.Error(
                    f"CROSSSELL['PRODUCT_FIELDS']['{key}'] names '{lookup}', which "
                    f"{model._meta.label} has no field for.",
                    hint=f"Set it to one of {sorted(f.name for f in model._meta.get_fields())}, "
                    "to None if the shop has no such field, or subclass the product adapter.",
                    obj=model,
                    id="crosssell_app.E003",
                ))
    return errors


@checks.register("crosssell")
def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every ``CROSSSELL`` value has the right shape and its dotted paths import; unknown keys are named."""
    messages: list[checks.CheckMessage] = [
        checks.Error(str(error), hint=error.hint or _shape_hint(error.setting),
                     id=SETTING_IDS.get(error.setting, OTHER_SETTING_ID))
        for error in setting_errors()
    ]
    for key in unknown_keys():
        close = difflib.get_close_matches(key, DEFAULTS, n=1)
        messages.append(checks.Warning(
            f"CROSSSELL[{key!r}] is not a crosssell setting; it is ignored.",
            hint=f"Did you mean {close[0]!r}?" if close else "See docs/settings.md for the settings.",
            id="crosssell_app.W001",
        ))
    return messages


@checks.register("crosssell")
def check_optional_packages(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """TensorFlow is installed when an enabled recommender needs it."""
    try:
        recommenders = crosssell_settings.RECOMMENDERS
    except SettingError:
        return []  # reported by check_settings
    if find_spec("tensorflow") is not None:
        return []
    from .recommenders.mlp import MLP

    return [checks.Error(
        f"Recommender {name!r} needs TensorFlow, which is not installed.",
        hint="pip install 'crosssell[mlp]', or remove the MLP from CROSSSELL['RECOMMENDERS'].",
        id="crosssell_app.E005",
    ) for name, entry in recommenders.items() if issubclass(entry["class"], MLP)]


def _shape_hint(setting: str) -> str:
    default = DEFAULTS.get(setting)
    return f"The default is {default!r}; see docs/settings.md." if setting in DEFAULTS else "See docs/settings.md."


def _lookup_exists(model, lookup: str) -> bool:
    """Return True when ``lookup`` (``a__b`` allowed) is a field path of ``model``."""
    current = model
    parts = lookup.split("__")
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.is_relation and index < len(parts) - 1:
            current = field.related_model
            if current is None:  # a generic relation: no model to follow
                return False
    return True
