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


def _order(order_id, code="71053", quantity="1", price="1.00", date="2010-12-01 09:45:00", customer=""):
    return [order_id, code, "THING", quantity, date, price, customer, "UK"]


def test_rows_the_database_would_reject_are_skipped_with_a_reason_and_the_rest_is_imported(tmp_path, products):
    rows = [_order(f"{n}") for n in range(1, 6)] + [
        _order("600001", quantity="99999999999"),
        _order("6" * 80),
        _order("600\x002"),
        _order("600003", price="123456789012"),
        _order("600004", customer="C" * 80),
        _order("600005", code="71\x0053"),
    ]
    summary = import_orders(write_csv(tmp_path / "orders.csv", rows), rules=order_rows.LineRules(None))
    assert summary.orders_created == 5
    assert dict(summary.skipped) == {order_rows.QUANTITY_OUT_OF_RANGE: 1, order_rows.ID_TOO_LONG: 2,
                                     order_rows.NUL_BYTE: 2, order_rows.BAD_PRICE: 1}
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["1", "2", "3", "4", "5"]


def test_a_database_error_midway_leaves_nothing_of_the_file(tmp_path, products, monkeypatch):
    """Batches are written in one transaction: a file lands whole or not at all."""
    from django.db import DataError

    from crosssell_app.tracking import importing

    real, batches = importing._insert_lines, []

    def fail_after_the_first_batch(rows):
        batches.append(rows)
        if len(batches) > 1:
            raise DataError("value out of range")
        real(rows)

    monkeypatch.setattr(importing, "_insert_lines", fail_after_the_first_batch)
    with pytest.raises(DataError):
        import_orders(write_csv(tmp_path / "orders.csv", [_order(f"{n}") for n in range(1, 5)]), batch_size=2)
    assert len(batches) == 2
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_an_import_the_database_refuses_is_a_command_error_saying_nothing_was_imported(tmp_path, products, monkeypatch):
    from django.db import DataError

    from crosssell_app.tracking import importing

    def refuse(rows):
        raise DataError("value out of range")

    monkeypatch.setattr(importing, "_insert_lines", refuse)
    with pytest.raises(CommandError, match="nothing was imported.*value out of range"):
        call_command("crosssell_import_orders", str(write_csv(tmp_path / "o.csv", ROWS)), "--no-progress")
    assert not Order.objects.exists()


def test_an_order_dated_beyond_the_clock_skew_is_skipped_as_in_the_future(tmp_path, products):
    rows = [_order("1", date="9999-12-31 23:59:00"), _order("2", date="2010-12-01 09:45:00")]
    summary = import_orders(write_csv(tmp_path / "orders.csv", rows))
    assert dict(summary.skipped) == {order_rows.FUTURE_DATE: 1}
    assert list(Order.objects.values_list("external_id", flat=True)) == ["2"]


def test_a_file_starting_with_a_byte_order_mark_is_imported(tmp_path, products):
    path = tmp_path / "excel.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(ROWS[0]) + "\n", encoding="utf-8-sig")
    assert import_orders(path).orders_created == 1


def test_a_truncated_gzip_file_is_a_command_error_and_imports_nothing(tmp_path, products):
    whole = write_csv(tmp_path / "orders.csv.gz", [_order(f"{n}") for n in range(2000)], compress=True)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[:-200])
    with pytest.raises(CommandError, match="cut.csv.gz"):
        call_command("crosssell_import_orders", str(cut), "--no-progress")
    assert not Order.objects.exists()


def test_a_file_that_is_not_text_is_a_command_error(tmp_path, products):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\xfa" * 50)
    with pytest.raises(CommandError, match="image.csv"):
        call_command("crosssell_import_orders", str(path), "--no-progress")


@pytest.mark.parametrize("option, value, message", [
    ("--time-zone", "Mars/Olympus_Mons", "time zone"),
    ("--time-zone", "../../etc/passwd", "time zone"),
    ("--product-code-pattern", "([unclosed", "product-code-pattern"),
    ("--column", "customer=NoSuchColumn", "NoSuchColumn.*InvoiceNo"),
    ("--column", "order=", "KEY=NAME"),
    ("--code-field", "no_such_field", "no_such_field"),
])
def test_a_bad_option_is_a_command_error_with_a_message(tmp_path, products, option, value, message):
    path = write_csv(tmp_path / "orders.csv", ROWS)
    with pytest.raises(CommandError, match=message):
        call_command("crosssell_import_orders", str(path), option, value, "--no-progress")
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_file_at_the_same_moment_store_it_once(tmp_path, products):
    """The second import waits for the first's orders and counts them as already present."""
    import threading

    from django.db import connection

    from crosssell_app.tracking import importing

    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL (CROSSSELL_TEST_DB=postgres)")
    path = write_csv(tmp_path / "orders.csv", ROWS)
    first_wrote, release = threading.Event(), threading.Event()
    real_insert = importing._insert_lines
    results = {}

    def insert_then_wait(rows):
        real_insert(rows)
        if threading.current_thread().name == "first":
            first_wrote.set()
            release.wait(timeout=30)

    def first_import():
        try:
            results["first"] = import_orders(path)
        finally:
            connection.close()

    importing._insert_lines = insert_then_wait
    try:
        first = threading.Thread(target=first_import, name="first")
        first.start()
        assert first_wrote.wait(timeout=30)
        threading.Timer(1.0, release.set).start()  # the second import is blocked by then
        results["second"] = import_orders(path)
        first.join(timeout=30)
    finally:
        importing._insert_lines = real_insert
        release.set()
    assert (results["first"].orders_created, results["second"].orders_created) == (2, 0)
    assert results["second"].orders_already_present == 2
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3
