"""A session cart: ``{product pk: quantity}`` in the session, nothing in the database."""

from __future__ import annotations

from decimal import Decimal

from .models import Product

SESSION_KEY = "cart"
MAX_QUANTITY = 999


class Cart:
    def __init__(self, request) -> None:
        self.session = request.session
        self.items: dict[str, int] = dict(self.session.get(SESSION_KEY, {}))

    def add(self, product_id: int, quantity: int = 1) -> None:
        key = str(product_id)
        self.items[key] = max(0, min(MAX_QUANTITY, self.items.get(key, 0) + quantity))
        self._save()

    def set(self, product_id: int, quantity: int) -> None:
        key = str(product_id)
        if quantity <= 0:
            self.items.pop(key, None)
        else:
            self.items[key] = min(MAX_QUANTITY, quantity)
        self._save()

    def clear(self) -> None:
        self.items = {}
        self._save()

    def product_ids(self) -> list[int]:
        return [int(pk) for pk, qty in self.items.items() if qty > 0]

    def lines(self) -> list[dict]:
        products = Product.objects.select_related("category").in_bulk(self.product_ids())
        lines = []
        for pk, qty in self.items.items():
            product = products.get(int(pk))
            if product is not None and qty > 0:
                lines.append({"product": product, "quantity": qty, "subtotal": product.price * qty})
        return lines

    def count(self) -> int:
        return sum(self.items.values())

    def total(self) -> Decimal:
        return lines_total(self.lines())

    def _save(self) -> None:
        self.items = {k: v for k, v in self.items.items() if v > 0}
        self.session[SESSION_KEY] = self.items
        self.session.modified = True


def lines_total(lines: list[dict]) -> Decimal:
    """Return the sum of the subtotals of ``Cart.lines()`` (without reading the products again)."""
    return sum((line["subtotal"] for line in lines), Decimal("0"))
