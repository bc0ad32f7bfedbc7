"""Load historical orders from a CSV export into the tracking tables.

The default column mapping is the UCI Online Retail export's; other shops pass their own. Each
line goes through :class:`crosssell_app.tracking.order_rows.LineRules`; skipped lines are counted per
reason, never raised. Orders already recorded (same order id) are left as they are, so running
the import twice imports once.

Lines are grouped by order in memory (about 250 bytes a line: the 541,909-line Online Retail
file needs roughly 150 MB) and written with batched bulk inserts.
"""

from __future__ import annotations

import csv
import gzip
import io
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from . import order_rows
from ..adapters import ProductAdapter
from ..models import insert_rows
from ..models import Order, OrderLine
from ..products import get_adapter

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


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a CSV file, gzip-compressed or not, as text."""
    path = Path(path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


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
    return {str(code): pk for pk, code in adapter.get_queryset().values_list("pk", lookup).iterator(chunk_size=5000)}


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
    (optional) to the file's column names; ``code_field`` is the product field holding the codes
    the file uses (default: ``CROSSSELL["PRODUCT_FIELDS"]["code"]``, else the primary key).
    ``progress`` is called with the number of rows read since its last call.
    """
    started = time.perf_counter()
    adapter = get_adapter()
    columns = {**ONLINE_RETAIL_COLUMNS, **(columns or {})}
    rules = rules or order_rows.LineRules()
    tz = ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()
    codes = product_codes(adapter, code_field or adapter.fields.get("code"))
    summary = ImportSummary()
    pending: dict[str, _PendingOrder] = {}

    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        missing = [c for key, c in columns.items() if key != "customer" and c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: columns {missing} not found; the file has {reader.fieldnames}")
        for row in _rows_with_progress(reader, progress):
            summary.rows += 1
            order_id = (row.get(columns["order"]) or "").strip()
            code = (row.get(columns["product"]) or "").strip()
            reason = rules.skip_reason(order_id, code, row.get(columns["quantity"]), row.get(columns["price"]))
            if reason is None and code not in codes:
                reason = order_rows.UNKNOWN_PRODUCT
            ordered_at = None
            if reason is None:
                ordered_at = parse_datetime(row.get(columns["date"]), tz)
                if ordered_at is None:
                    reason = order_rows.BAD_DATE
            if reason is not None:
                summary.skipped[reason] += 1
                continue
            order = pending.get(order_id)
            if order is None:
                customer = (row.get(columns.get("customer") or "", "") or "").strip()
                order = pending[order_id] = _PendingOrder(ordered_at, customer)
            pk = codes[code]
            quantity = order_rows.parse_quantity(row[columns["quantity"]])
            price = order_rows.parse_price(row[columns["price"]])
            if pk in order.lines:
                order.lines[pk][0] += quantity
            else:
                order.lines[pk] = [quantity, price]

    order_ids = list(pending)
    for start in range(0, len(order_ids), batch_size):
        _write_batch({oid: pending[oid] for oid in order_ids[start:start + batch_size]}, summary)
    summary.seconds = time.perf_counter() - started
    return summary


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
    """Insert the orders of ``batch`` not yet recorded, with their lines, in one transaction."""
    with transaction.atomic():
        present = set(Order.objects.filter(external_id__in=list(batch)).values_list("external_id", flat=True))
        summary.orders_already_present += len(present)
        new = [
            Order(external_id=oid, customer_ref=order.customer, ordered_at=order.ordered_at, source=Order.Source.IMPORT)
            for oid, order in batch.items()
            if oid not in present
        ]
        if not new:
            return
        Order.objects.bulk_create(new)
        if any(order.pk is None for order in new):  # backends that cannot return ids
            ids = dict(Order.objects.filter(external_id__in=[o.external_id for o in new]).values_list("external_id", "pk"))
            for order in new:
                order.pk = ids[order.external_id]
        lines = [
            (order.pk, pk, qty, price, "")
            for order in new
            for pk, (qty, price) in batch[order.external_id].lines.items()
        ]
        _insert_lines(lines)
        summary.orders_created += len(new)
        summary.lines_created += len(lines)


#: the order line columns an import writes, in the order of the tuples it builds
LINE_FIELDS = ("order", "product", "quantity", "unit_price", "attributed_widget")


def _insert_lines(rows: list[tuple]) -> None:
    """Insert ``(order pk, product pk, quantity, unit price, widget)`` rows with one statement."""
    insert_rows(OrderLine, [OrderLine._meta.get_field(name).column for name in LINE_FIELDS], rows)
