"""System checks: each misconfiguration gets an id and a hint."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured

from .conf import DEFAULTS


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
    errors: list[checks.CheckMessage] = []
    user = getattr(settings, "CROSSSELL", {}) or {}
    fields = {**DEFAULTS["PRODUCT_FIELDS"], **user.get("PRODUCT_FIELDS", {})}
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
def check_adapter_and_optional_parts(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The adapter imports; TensorFlow is installed when a configured recommender needs it."""
    from django.utils.module_loading import import_string

    user = getattr(settings, "CROSSSELL", {}) or {}
    messages: list[checks.CheckMessage] = []
    path = user.get("PRODUCT_ADAPTER", DEFAULTS["PRODUCT_ADAPTER"])
    if isinstance(path, str):
        try:
            import_string(path)
        except ImportError as exc:
            messages.append(checks.Error(
                f"CROSSSELL['PRODUCT_ADAPTER'] = {path!r} cannot be imported: {exc}",
                hint="Give the dotted path of a subclass of crosssell_app.adapters.ProductAdapter.",
                id="crosssell_app.E004",
            ))
    recommenders = user.get("RECOMMENDERS", DEFAULTS["RECOMMENDERS"])
    for name, spec in recommenders.items():
        spec = spec if isinstance(spec, dict) else {"class": str(spec)}
        needs_tf = spec.get("class", "").endswith(".MLP") or bool(spec.get("options", {}).get("use_mlp"))
        if needs_tf:
            import importlib.util

            if importlib.util.find_spec("tensorflow") is None:
                messages.append(checks.Error(
                    f"Recommender {name!r} needs TensorFlow, which is not installed.",
                    hint="pip install 'crosssell[mlp]', or remove the MLP from CROSSSELL['RECOMMENDERS'].",
                    id="crosssell_app.E005",
                ))
    return messages


def _lookup_exists(model, lookup: str) -> bool:
    """Return True when ``lookup`` (``a__b`` allowed) is a field path or attribute of ``model``."""
    current = model
    parts = lookup.split("__")
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.is_relation and index < len(parts) - 1:
            current = field.related_model
    return True
