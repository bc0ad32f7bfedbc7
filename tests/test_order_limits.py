"""One set of limits for an order, whichever way it arrives: the API, ``record_order`` or the importer.

Each case is an order at or just beyond a limit; the three ways in must agree on keeping or
refusing it, and the database columns must hold whatever they keep.
"""

import csv
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from crosssell_app.models import Order, OrderLine
from crosssell_app.tracking import order_rows
from crosssell_app.tracking.importing import import_orders
from crosssell_app.tracking.recording import record_order
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

CASES = {
    # name: (order id, quantity, unit price, customer reference, kept?)
    "largest quantity": ("Q-1", order_rows.MAX_QUANTITY, "1.00", "", True),
    "quantity beyond the limit": ("Q-2", order_rows.MAX_QUANTITY + 1, "1.00", "", False),
    "quantity beyond any integer column": ("Q-3", 99999999999, "1.00", "", False),
    "longest order id": ("O" * order_rows.MAX_ORDER_ID_LENGTH, 1, "1.00", "", True),
    "order id one too long": ("O" * (order_rows.MAX_ORDER_ID_LENGTH + 1), 1, "1.00", "", False),
    "NUL byte in the order id": ("O\x001", 1, "1.00", "", False),
    "dearest price": ("P-1", 1, "99999999.9999", "", True),
    "price beyond the column": ("P-2", 1, "100000000", "", False),
    "price with too many decimals": ("P-3", 1, "1.23456", "", False),
    "longest customer reference": ("C-1", 1, "1.00", "C" * order_rows.MAX_CUSTOMER_REF_LENGTH, True),
    "customer reference one too long": ("C-2", 1, "1.00", "C" * (order_rows.MAX_CUSTOMER_REF_LENGTH + 1), False),
}


def _through_the_api(item, order_id, quantity, price, customer, admin):
    client = APIClient()
    client.force_authenticate(admin)
    response = client.post("/recommendations/api/orders/", {
        "order_id": order_id, "customer_ref": customer,
        "lines": [{"product": item.pk, "quantity": quantity, "unit_price": price}],
    }, format="json")
    assert response.status_code in (201, 400), response.content
    return response.status_code == 201


def _through_record_order(item, order_id, quantity, price, customer):
    try:
        record_order(order_id, [(item, quantity, price)], customer_ref=customer)
    except ValueError:
        return False
    return True


def _through_the_importer(item, order_id, quantity, price, customer, path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"])
        writer.writerow([order_id, item.code, quantity, "2010-12-01 09:45:00", price, customer])
    summary = import_orders(path, rules=order_rows.LineRules(None, None))
    return summary.orders_created == 1


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("way", ["api", "record_order", "importer"])
def test_every_way_in_keeps_or_refuses_an_order_at_the_limits_alike(case, way, tmp_path, admin_user):
    order_id, quantity, price, customer, kept = CASES[case]
    item = ItemFactory()
    if way == "api":
        stored = _through_the_api(item, order_id, quantity, price, customer, admin_user)
    elif way == "record_order":
        stored = _through_record_order(item, order_id, quantity, price, customer)
    else:
        stored = _through_the_importer(item, order_id, quantity, price, customer, tmp_path / "o.csv")
    assert stored == kept
    assert Order.objects.exists() == kept
    if kept:
        assert OrderLine.objects.filter(quantity=quantity, unit_price=Decimal(price)).count() == 1


def test_the_limits_are_the_database_columns_sizes():
    """The limits are declared once, in :mod:`order_rows`; the model's columns must be able to hold them."""
    assert Order._meta.get_field("external_id").max_length == order_rows.MAX_ORDER_ID_LENGTH
    assert Order._meta.get_field("customer_ref").max_length == order_rows.MAX_CUSTOMER_REF_LENGTH
    price = OrderLine._meta.get_field("unit_price")
    assert (price.max_digits, price.decimal_places) == (order_rows.PRICE_MAX_DIGITS, order_rows.PRICE_DECIMAL_PLACES)
    assert order_rows.MAX_QUANTITY < 2**31  # PositiveIntegerField is a 32-bit signed column on PostgreSQL
