"""Rules that decide whether one historical order line is a real sale of a real product.

Pure Python, shared by the CSV importer (``crosssell_import_orders``) and the offline evaluation,
so the app trains and is evaluated on exactly the same notion of a purchase.

The defaults fit the UCI Online Retail export and most shop exports like it: an invoice number
starting with ``C`` is a cancellation, a non-positive quantity is a return, and product codes are
five digits with an optional letter suffix (``85123A``), while postage, discounts, fees and
vouchers (``POST``, ``D``, ``AMAZONFEE``, ``gift_0001_20``...) are not products.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DEFAULT_PRODUCT_CODE_PATTERN = r"^\d{5}[A-Za-z]{0,2}$"
DEFAULT_CANCELLATION_PREFIX = "C"

CANCELLATION = "cancellation"
RETURN = "return or zero quantity"
NON_PRODUCT = "non-product code"
BAD_PRICE = "missing, zero or negative price"
BAD_QUANTITY = "quantity is not a number"
BAD_DATE = "date not understood"
MISSING_FIELD = "missing order id or product code"
UNKNOWN_PRODUCT = "unknown product"

#: every reason a line can be skipped, in the order a summary lists them
SKIP_REASONS = (
    CANCELLATION,
    RETURN,
    NON_PRODUCT,
    BAD_PRICE,
    BAD_QUANTITY,
    BAD_DATE,
    MISSING_FIELD,
    UNKNOWN_PRODUCT,
)


class LineRules:
    """Classify raw order lines; ``skip_reason`` returns None for a line worth keeping."""

    def __init__(
        self,
        product_code_pattern: str | None = DEFAULT_PRODUCT_CODE_PATTERN,
        cancellation_prefix: str | None = DEFAULT_CANCELLATION_PREFIX,
    ) -> None:
        self.product_code = re.compile(product_code_pattern) if product_code_pattern else None
        self.cancellation_prefix = cancellation_prefix or None

    def skip_reason(self, order_id: str, code: str, quantity: str, price: str) -> str | None:
        """Return why this line is not a sale, or None if it is one."""
        order_id = (order_id or "").strip()
        code = (code or "").strip()
        if not order_id or not code:
            return MISSING_FIELD
        if self.cancellation_prefix and order_id.startswith(self.cancellation_prefix):
            return CANCELLATION
        if self.product_code is not None and not self.product_code.match(code):
            return NON_PRODUCT
        qty = parse_quantity(quantity)
        if qty is None:
            return BAD_QUANTITY
        if qty <= 0:
            return RETURN
        unit_price = parse_price(price)
        if unit_price is None or unit_price <= 0:
            return BAD_PRICE
        return None


def parse_quantity(value: str) -> int | None:
    """Return ``value`` as an int, or None when it is not a whole number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number != int(number):  # NaN or fractional
        return None
    return int(number)


def parse_price(value: str) -> Decimal | None:
    """Return ``value`` as a Decimal, or None when it is not a finite number."""
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        return None
    return price if price.is_finite() else None
