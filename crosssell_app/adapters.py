"""The one place that knows the host's product fields.

The default :class:`ProductAdapter` reads field names from ``CROSSSELL["PRODUCT_FIELDS"]``
(``__`` lookups such as ``"category__name"`` are allowed). A shop whose products need more than
a field lookup (a price from a stock record, a URL from a slug and a category) subclasses it and
names the subclass in ``CROSSSELL["PRODUCT_ADAPTER"]``, the way allauth's account adapter works.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

from django.db import models

from .conf import crosssell_settings
from .products import get_product_model

#: attributes the adapter gives for every product, in the order training reads them
ATTRIBUTES = ("title", "text", "category", "price", "available", "variant_group", "type")


class ProductAdapter:
    """Read titles, texts, categories, prices, availability, URLs and images of host products."""

    def __init__(self) -> None:
        self.model = get_product_model()
        self.fields: dict[str, Any] = dict(crosssell_settings.PRODUCT_FIELDS)

    # --- per product (serving) -------------------------------------------------------------
    def get_queryset(self) -> models.QuerySet:
        """Return the products recommendations may point at."""
        return self.model._default_manager.all()

    def title(self, product: models.Model) -> str:
        return str(self._resolve(product, self.fields.get("title")) or product)

    def text(self, product: models.Model) -> str:
        return " ".join(str(self._resolve(product, name) or "") for name in self._text_fields()).strip()

    def category(self, product: models.Model) -> str:
        return str(self._resolve(product, self.fields.get("category")) or "")

    def price(self, product: models.Model) -> Decimal | None:
        value = self._resolve(product, self.fields.get("price"))
        return None if value is None else Decimal(str(value))

    def is_available(self, product: models.Model) -> bool:
        name = self.fields.get("available")
        return True if not name else bool(self._resolve(product, name))

    def variant_group(self, product: models.Model) -> str:
        return str(self._resolve(product, self.fields.get("variant_group")) or "")

    def product_type(self, product: models.Model) -> str:
        """Return the host's product type ("" when the shop names no type field: it is inferred)."""
        return str(self._resolve(product, self.fields.get("type")) or "")

    def needs_new_lists(self, product: models.Model, *, created: bool, update_fields: Any = None) -> bool:
        """Return whether a save of ``product`` should publish its lists before the next retrain.

        Called on every ``post_save`` of the product model (with ``REALTIME_UPDATES`` on). By
        default a newly created product gets them; a shop whose products go live later (a draft
        published by a status change) overrides this to say when.
        """
        return created

    def url(self, product: models.Model) -> str:
        get_url = getattr(product, "get_absolute_url", None)
        return get_url() if callable(get_url) else ""

    def image_url(self, product: models.Model) -> str:
        value = self._resolve(product, self.fields.get("image"))
        if not value:
            return ""
        return getattr(value, "url", None) or str(value)

    # --- whole catalogue (training) ----------------------------------------------------------
    def available_filter(self) -> models.Q:
        """Return a ``Q`` that keeps available products (all of them when there is no such field)."""
        name = self.fields.get("available")
        return models.Q(**{name: True}) if name else models.Q()

    def catalogue(self, chunk_size: int = 2000) -> Iterator[dict[str, Any]]:
        """Yield one dict per product (``pk`` and :data:`ATTRIBUTES`) with streamed value reads."""
        text_fields = self._text_fields()
        columns = {
            "title": self.fields.get("title"),
            "category": self.fields.get("category"),
            "price": self.fields.get("price"),
            "available": self.fields.get("available"),
            "variant_group": self.fields.get("variant_group"),
            "type": self.fields.get("type"),
        }
        lookups = ["pk", *text_fields, *(name for name in columns.values() if name)]
        lookups = list(dict.fromkeys(lookups))
        for row in self.get_queryset().values(*lookups).iterator(chunk_size=chunk_size):
            yield {
                "pk": row["pk"],
                "title": str(row.get(columns["title"]) or "") if columns["title"] else "",
                "text": " ".join(str(row.get(name) or "") for name in text_fields).strip(),
                "category": str(row.get(columns["category"]) or "") if columns["category"] else "",
                "price": float(row[columns["price"]]) if columns["price"] and row.get(columns["price"]) is not None else None,
                "available": bool(row[columns["available"]]) if columns["available"] else True,
                "variant_group": str(row.get(columns["variant_group"]) or "") if columns["variant_group"] else "",
                "type": str(row.get(columns["type"]) or "") if columns["type"] else "",
            }

    # --- helpers -----------------------------------------------------------------------------
    def _text_fields(self) -> list[str]:
        text = self.fields.get("text") or []
        return [text] if isinstance(text, str) else list(text)

    @staticmethod
    def _resolve(product: models.Model, name: str | None) -> Any:
        """Follow a ``__`` lookup path from ``product``; None for a missing name or link."""
        if not name:
            return None
        value: Any = product
        for part in name.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value() if callable(value) else value

