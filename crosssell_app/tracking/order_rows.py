"""Rules that decide whether one historical order line is a real sale of a real product.

Pure Python, shared by the CSV importer (``crosssell_import_orders``) and the offline evaluation,
so the app trains and is evaluated on exactly the same notion of a purchase.

The defaults fit the UCI Online Retail export and most shop exports like it: an invoice number
starting with ``C`` is a cancellation, a non-positive quantity is a return, and product codes are
five digits with an optional letter suffix (``85123A``), while postage, discounts, fees and
vouchers (``POST``, ``D``, ``AMAZONFEE``, ``gift_0001_20``...) are not products.

The limits of what an order may hold are declared here, once: the API's serializers,
:func:`crosssell_app.tracking.recording.record_order` and the importer all read them, so an order
id or a quantity one of them refuses, the others refuse too, and none reaches the database as a
value its columns cannot hold.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

DEFAULT_PRODUCT_CODE_PATTERN = r"^\d{5}[A-Za-z]{0,2}$"
DEFAULT_CANCELLATION_PREFIX = "C"

# The sizes of the order tables' columns (a test keeps them in step with the models).
MAX_ORDER_ID_LENGTH = 64
MAX_CUSTOMER_REF_LENGTH = 64
MAX_QUANTITY = 1_000_000
PRICE_MAX_DIGITS = 12
PRICE_DECIMAL_PLACES = 4
#: the smallest unit price too large for the column (8 whole digits)
PRICE_CEILING = Decimal(10) ** (PRICE_MAX_DIGITS - PRICE_DECIMAL_PLACES)
PRICE_STEP = Decimal(1).scaleb(-PRICE_DECIMAL_PLACES)

CANCELLATION = "cancellation"
RETURN = "return or zero quantity"
NON_PRODUCT = "non-product code"
BAD_PRICE = "missing, zero, negative or out-of-range price"
BAD_QUANTITY = "quantity is not a number"
QUANTITY_OUT_OF_RANGE = f"quantity above {MAX_QUANTITY:,}"
BAD_DATE = "date not understood"
FUTURE_DATE = "date in the future"
MISSING_FIELD = "missing order id or product code"
ID_TOO_LONG = f"order id or customer reference longer than {MAX_ORDER_ID_LENGTH} characters"
NUL_BYTE = "NUL byte in the order id, customer reference or product code"
UNKNOWN_PRODUCT = "unknown product"
FORGOTTEN_CUSTOMER = "customer forgotten after this order"

#: every reason a line can be skipped, in the order a summary lists them
SKIP_REASONS = (
    CANCELLATION,
    RETURN,
    NON_PRODUCT,
    BAD_PRICE,
    BAD_QUANTITY,
    QUANTITY_OUT_OF_RANGE,
    BAD_DATE,
    FUTURE_DATE,
    MISSING_FIELD,
    ID_TOO_LONG,
    NUL_BYTE,
    UNKNOWN_PRODUCT,
    FORGOTTEN_CUSTOMER,
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

    def skip_reason(self, order_id: str, code: str, quantity: str, price: str, customer: str = "") -> str | None:
        """Return why this line is not a sale the app can store, or None if it is one."""
        order_id = (order_id or "").strip()
        code = (code or "").strip()
        if not order_id or not code:
            return MISSING_FIELD
        if self.cancellation_prefix and order_id.startswith(self.cancellation_prefix):
            return CANCELLATION
        if self.product_code is not None and not self.product_code.match(code):
            return NON_PRODUCT
        problem = NUL_BYTE if "\x00" in code else identity_problem(order_id, (customer or "").strip())
        if problem:
            return problem
        qty = parse_quantity(quantity)
        if qty is None:
            return BAD_QUANTITY
        if qty <= 0:
            return RETURN
        if qty > MAX_QUANTITY:
            return QUANTITY_OUT_OF_RANGE
        unit_price = parse_price(price)
        if unit_price is None or unit_price <= 0 or not price_fits(unit_price):
            return BAD_PRICE
        return None


def identity_problem(order_id: str, customer_ref: str = "") -> str | None:
    """Return why an order id or customer reference cannot be stored (a NUL byte, too long), or None."""
    if "\x00" in order_id or "\x00" in customer_ref:
        return NUL_BYTE
    if len(order_id) > MAX_ORDER_ID_LENGTH or len(customer_ref) > MAX_CUSTOMER_REF_LENGTH:
        return ID_TOO_LONG
    return None


def price_fits(price: Decimal) -> bool:
    """Return whether the unit price column holds ``price`` exactly (8 whole digits, 4 decimals)."""
    return price.is_finite() and abs(price) < PRICE_CEILING and price == price.quantize(PRICE_STEP)


def parse_quantity(value: str) -> int | None:
    """Return ``value`` as an int, or None when it is not a whole number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number != int(number):  # NaN, infinite or fractional
        return None
    return int(number)


def parse_price(value: str) -> Decimal | None:
    """Return ``value`` as a Decimal, or None when it is not a finite number."""
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        return None
    return price if price.is_finite() else None
