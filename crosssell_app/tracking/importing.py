"""Load historical orders from a CSV export into the tracking tables.

The default column mapping is the UCI Online Retail export's; other shops pass their own. Each
line goes through :class:`crosssell_app.tracking.order_rows.LineRules`; lines that are no sale, or
that the database could not hold (the limits the API applies too), or dated in the future, are
counted per reason and skipped, never raised. Orders already recorded (same order id) are left
as they are, so running the import twice imports once, and the orders of a forgotten customer
dated before the forget are skipped, so importing the file again does not bring them back.

A file lands whole or not at all: its batches are written in one transaction, so an error
(a database refusing a row, a connection lost) leaves none of its orders. Orders are inserted with
``ON CONFLICT DO NOTHING ... RETURNING``, so a second import of the same file at the same moment
waits for the first's orders (PostgreSQL; SQLite admits one writer at a time anyway) and counts
them as already present instead of failing on the unique order id.

Lines are grouped by order in memory (about 250 bytes a line: the 541,909-line Online Retail
file needs roughly 150 MB) and written with batched bulk inserts.
"""

from __future__ import annotations

import csv
import gzip
import io
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import FieldError
from django.db import connections, router, transaction
from django.db.models import Max
from django.utils import timezone

from . import order_rows
from ..adapters import ProductAdapter
from ..models import insert_rows
from ..models import Order, OrderLine, Tombstone
from ..products import get_adapter
from .recording import latest_order_time

ONLINE_RETAIL_COLUMNS = {
    "order": "InvoiceNo",
    "product": "StockCode",
    "quantity": "Quantity",
    "price": "UnitPrice",
    "date": "InvoiceDate",
    "customer": "CustomerID",
}

DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d")


@dataclass
class ImportSummary:
    """What an import did: rows read, orders and lines written, and rows skipped by reason."""

    rows: int = 0
    orders_created: int = 0
    orders_already_present: int = 0
    lines_created: int = 0
    skipped: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class _PendingOrder:
    ordered_at: datetime
    customer: str
    lines: dict = field(default_factory=dict)  # product pk -> [quantity, unit price]


class UnreadableFile(ValueError):
    """The file, or an option describing it, cannot be read as an order export; the message says why."""


#: what reading a damaged file raises: a cut gzip stream, bad compressed data, bytes that are not UTF-8
READ_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError, csv.Error)


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a CSV file, gzip-compressed or not, as text; a leading byte-order mark (Excel's) is dropped."""
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def parse_datetime(value: str, tz) -> datetime | None:
    """Return an aware datetime from the formats shop exports use, or None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=tz)


def product_codes(adapter: ProductAdapter, code_field: str | None) -> dict[str, object]:
    """Return ``{product code: pk}`` for every product, by ``code_field`` (or the pk itself)."""
    lookup = code_field or "pk"
    try:
        rows = adapter.get_queryset().values_list("pk", lookup)
        return {str(code): pk for pk, code in rows.iterator(chunk_size=5000)}
    except FieldError as exc:
        raise UnreadableFile(f"The product field {lookup!r} holding the file's codes does not exist: {exc}") from exc


def import_orders(
    path: str | Path,
    *,
    columns: dict[str, str] | None = None,
    code_field: str | None = None,
    rules: order_rows.LineRules | None = None,
    time_zone: str | None = None,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import the orders of a CSV file and return what happened.

    ``columns`` maps ``order``, ``product``, ``quantity``, ``price``, ``date`` and ``customer``
    (optional unless mapped) to the file's column names; ``code_field`` is the product field
    holding the codes the file uses (default: ``CROSSSELL["PRODUCT_FIELDS"]["code"]``, else the
    primary key). ``progress`` is called with the number of rows read since its last call.
    Raises :class:`UnreadableFile` (a ``ValueError``) for a file or option it cannot use, and
    ``OSError`` for a file it cannot open; nothing is written then.
    """
    started = time.perf_counter()
    adapter = get_adapter()
    rules = rules or order_rows.LineRules()
    tz = _time_zone(time_zone)
    codes = product_codes(adapter, code_field or adapter.fields.get("code"))
    summary = ImportSummary()
    try:
        with open_text(path) as handle:
            pending = _read_orders(csv.DictReader(handle), path, columns or {}, codes, rules, tz, summary, progress)
    except READ_ERRORS as exc:
        raise UnreadableFile(f"{path} cannot be read: {type(exc).__name__}: {exc}") from exc

    order_ids = list(pending)
    with transaction.atomic():
        for start in range(0, len(order_ids), batch_size):
            _write_batch({oid: pending[oid] for oid in order_ids[start:start + batch_size]}, summary)
    summary.seconds = time.perf_counter() - started
    return summary


def _time_zone(name: str | None):
    """Return the zone of the file's naive dates: ``name``, else the project's current time zone."""
    if not name:
        return timezone.get_current_timezone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnreadableFile(f"Unknown time zone {name!r}; give an IANA name such as 'Europe/London'.") from exc


def _read_orders(reader: csv.DictReader, path, given: dict[str, str], codes: dict[str, Any],
                 rules: order_rows.LineRules, tz, summary: ImportSummary, progress) -> dict[str, _PendingOrder]:
    """Return the file's sales grouped by order id, counting every skipped row in ``summary``."""
    columns = {**ONLINE_RETAIL_COLUMNS, **given}
    found = reader.fieldnames or []
    # The customer column is optional unless the caller named one.
    missing = [name for key, name in columns.items() if name not in found and (key != "customer" or key in given)]
    if missing:
        raise UnreadableFile(f"{path}: columns {missing} not found; the file has {found}")
    customer_column = columns["customer"] if columns["customer"] in found else None
    latest = latest_order_time()
    forgotten = dict(Tombstone.objects.exclude(customer_ref="").order_by().values("customer_ref")
                     .annotate(last=Max("forgotten_at")).values_list("customer_ref", "last"))
    pending: dict[str, _PendingOrder] = {}
    for row in _rows_with_progress(reader, progress):
        summary.rows += 1
        order_id = (row.get(columns["order"]) or "").strip()
        code = (row.get(columns["product"]) or "").strip()
        customer = (row.get(customer_column) or "").strip() if customer_column else ""
        quantity, price = row.get(columns["quantity"]), row.get(columns["price"])
        reason = rules.skip_reason(order_id, code, quantity, price, customer)
        if reason is None and code not in codes:
            reason = order_rows.UNKNOWN_PRODUCT
        ordered_at = None
        if reason is None:
            ordered_at = parse_datetime(row.get(columns["date"]), tz)
            if ordered_at is None:
                reason = order_rows.BAD_DATE
            elif ordered_at > latest:
                reason = order_rows.FUTURE_DATE
            elif customer in forgotten and ordered_at <= forgotten[customer]:
                reason = order_rows.FORGOTTEN_CUSTOMER
        if reason is None:
            reason = _add_line(pending, order_id, ordered_at, customer, codes[code],
                               order_rows.parse_quantity(quantity), order_rows.parse_price(price))
        if reason is not None:
            summary.skipped[reason] += 1
    return pending


def _add_line(pending: dict[str, _PendingOrder], order_id: str, ordered_at: datetime, customer: str, pk: Any,
              quantity: int, price) -> str | None:
    """Add a sale to its order, summing the quantities of a repeated product; return why not, or None.

    The order's date and customer are its first line's.
    """
    order = pending.get(order_id)
    if order is None:
        order = pending[order_id] = _PendingOrder(ordered_at, customer)
    if pk not in order.lines:
        order.lines[pk] = [quantity, price]
    elif order.lines[pk][0] + quantity > order_rows.MAX_QUANTITY:
        return order_rows.QUANTITY_OUT_OF_RANGE  # each line fits, their sum would not
    else:
        order.lines[pk][0] += quantity
    return None


def _rows_with_progress(reader, progress) -> Iterator[dict]:
    if progress is None:
        yield from reader
        return
    count = 0
    for row in reader:
        yield row
        count += 1
        if count == 10_000:
            progress(count)
            count = 0
    progress(count)


def _write_batch(batch: dict[str, _PendingOrder], summary: ImportSummary) -> None:
    """Insert the orders of ``batch`` not yet recorded, with their lines."""
    new = [Order(external_id=oid, customer_ref=order.customer, ordered_at=order.ordered_at, source=Order.Source.IMPORT)
           for oid, order in batch.items()]
    inserted = _insert_new_orders(new)
    summary.orders_already_present += len(batch) - len(inserted)
    lines = [
        (order_pk, pk, qty, price, "")
        for oid, order_pk in inserted.items()
        for pk, (qty, price) in batch[oid].lines.items()
    ]
    _insert_lines(lines)
    summary.orders_created += len(inserted)
    summary.lines_created += len(lines)


def _insert_new_orders(orders: list[Order]) -> dict[str, Any]:
    """Insert the orders whose id is not recorded yet; return ``{order id: pk}`` of those this call inserted.

    ``ON CONFLICT DO NOTHING`` leaves an order id that is already there (or that a concurrent
    import is inserting: PostgreSQL waits for that transaction) alone, and ``RETURNING`` names
    the rows this import wrote, so it links lines to its own orders only. Values are prepared by
    each field as the ORM would (``auto_now_add``, the backend's datetime format).
    """
    if not orders:
        return {}
    connection = connections[router.db_for_write(Order)]
    meta = Order._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(quote(meta.db_table), ", ".join(quote(f.column) for f in fields))
    tail = " ON CONFLICT ({}) DO NOTHING RETURNING {}, {}".format(
        quote(meta.get_field("external_id").column), quote(meta.pk.column), quote(meta.get_field("external_id").column))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted: dict[str, Any] = {}
    step = max(1, connection.ops.bulk_batch_size(fields, orders))
    with connection.cursor() as cursor:
        for start in range(0, len(orders), step):
            chunk = orders[start:start + step]
            params = [f.get_db_prep_save(f.pre_save(order, True), connection) for order in chunk for f in fields]
            cursor.execute(head + ", ".join([row] * len(chunk)) + tail, params)
            inserted.update((external_id, pk) for pk, external_id in cursor.fetchall())
    return inserted


#: the order line columns an import writes, in the order of the tuples it builds
LINE_FIELDS = ("order", "product", "quantity", "unit_price", "attributed_widget")


def _insert_lines(rows: list[tuple]) -> None:
    """Insert ``(order pk, product pk, quantity, unit price, widget)`` rows with one statement."""
    insert_rows(OrderLine, [OrderLine._meta.get_field(name).column for name in LINE_FIELDS], rows)
