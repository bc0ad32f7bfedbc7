"""``crosssell_import_orders``: historical orders from a CSV, bad rows counted, never fatal."""

import csv
import gzip
from io import StringIO

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from crosssell_app.tracking import order_rows
from crosssell_app.tracking.importing import import_orders
from crosssell_app.models import Order, OrderLine
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
ROWS = [
    ["536365", "85123A", "WHITE HANGING HEART", "6", "2010-12-01 08:26:00", "2.55", "17850", "UK"],
    ["536365", "71053", "WHITE METAL LANTERN", "6", "2010-12-01 08:26:00", "3.39", "17850", "UK"],
    ["536365", "71053", "WHITE METAL LANTERN", "2", "2010-12-01 08:26:00", "3.39", "17850", "UK"],
    ["536366", "71053", "WHITE METAL LANTERN", "1", "12/1/2010 8:28", "3.39", "", "UK"],
    ["C536379", "71053", "WHITE METAL LANTERN", "-1", "2010-12-01 09:41:00", "3.39", "14527", "UK"],
    ["536380", "71053", "WHITE METAL LANTERN", "-3", "2010-12-01 09:41:00", "3.39", "14527", "UK"],
    ["536381", "POST", "POSTAGE", "1", "2010-12-01 09:41:00", "18.00", "12583", "FR"],
    ["536382", "71053", "WHITE METAL LANTERN", "1", "2010-12-01 09:45:00", "0", "", "UK"],
    ["536383", "99999", "NOT IN THE SHOP", "1", "2010-12-01 09:45:00", "1.00", "", "UK"],
    ["536384", "71053", "WHITE METAL LANTERN", "many", "2010-12-01 09:45:00", "1.00", "", "UK"],
    ["536385", "71053", "WHITE METAL LANTERN", "1", "yesterday", "1.00", "", "UK"],
    ["", "71053", "WHITE METAL LANTERN", "1", "2010-12-01 09:45:00", "1.00", "", "UK"],
]


@pytest.fixture
def products():
    return {code: ItemFactory(code=code) for code in ("85123A", "71053")}


def write_csv(path, rows, header=HEADER, compress=False):
    opener = gzip.open if compress else open
    with opener(path, "wt", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_sales_are_imported_and_every_bad_row_is_counted_by_reason(tmp_path, products):
    summary = import_orders(write_csv(tmp_path / "orders.csv", ROWS))
    assert summary.rows == len(ROWS)
    assert (summary.orders_created, summary.lines_created) == (2, 3)
    assert dict(summary.skipped) == {
        order_rows.CANCELLATION: 1, order_rows.RETURN: 1, order_rows.NON_PRODUCT: 1, order_rows.BAD_PRICE: 1,
        order_rows.UNKNOWN_PRODUCT: 1, order_rows.BAD_QUANTITY: 1, order_rows.BAD_DATE: 1,
        order_rows.MISSING_FIELD: 1,
    }
    first = Order.objects.get(external_id="536365")
    assert first.customer_ref == "17850" and first.source == Order.Source.IMPORT
    lantern = first.lines.get(product=products["71053"])
    assert (lantern.quantity, lantern.unit_price) == (8, Decimal("3.39"))
    assert Order.objects.get(external_id="536366").ordered_at.minute == 28


def test_importing_the_same_file_twice_imports_it_once(tmp_path, products):
    path = write_csv(tmp_path / "orders.csv.gz", ROWS, compress=True)
    import_orders(path)
    again = import_orders(path)
    assert (again.orders_created, again.orders_already_present) == (0, 2)
    assert OrderLine.objects.count() == 3


def test_another_shops_columns_are_mapped(tmp_path, products):
    header = ["order", "sku", "qty", "when", "each", "who"]
    rows = [["W-1", "71053", "2", "2024-03-01T10:00:00+00:00", "5.00", "c-9"]]
    path = write_csv(tmp_path / "other.csv", rows, header=header)
    columns = {"order": "order", "product": "sku", "quantity": "qty", "date": "when", "price": "each", "customer": "who"}
    summary = import_orders(path, columns=columns, rules=order_rows.LineRules(product_code_pattern=None))
    assert summary.orders_created == 1
    assert Order.objects.get().customer_ref == "c-9"


def test_a_file_without_the_needed_columns_is_a_clear_error(tmp_path, products):
    path = write_csv(tmp_path / "bad.csv", [["1", "2"]], header=["a", "b"])
    with pytest.raises(CommandError, match="columns .* not found"):
        call_command("crosssell_import_orders", str(path), "--no-progress")
    assert not Order.objects.exists()


def test_the_command_prints_rows_per_second_and_the_skip_summary(tmp_path, products):
    out = StringIO()
    call_command("crosssell_import_orders", str(write_csv(tmp_path / "o.csv", ROWS)), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "rows/s" in text and "Created 2 orders with 3 lines" in text
    assert "1  cancellation" in text and "1  unknown product" in text


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError):
        call_command("crosssell_import_orders", str(tmp_path / "nope.csv"), "--no-progress")


def test_a_bad_column_option_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="KEY=NAME"):
        call_command("crosssell_import_orders", "x.csv", "--column", "colour=Red", "--no-progress")
