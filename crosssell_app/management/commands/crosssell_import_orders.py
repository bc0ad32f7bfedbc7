"""``manage.py crosssell_import_orders FILE``: load historical orders from a CSV export."""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from crosssell_app.tracking import order_rows
from crosssell_app.tracking.importing import ONLINE_RETAIL_COLUMNS, import_orders


class Command(BaseCommand):
    help = (
        "Import historical orders from a CSV (or .csv.gz) file. The default columns are those of the "
        "UCI Online Retail export; map others with --column key=Name. Lines that are not sales of "
        "known products, or that the shop could not store, are counted per reason and skipped; orders "
        "already recorded are left alone. A file is imported whole or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file, optionally gzip-compressed")
        parser.add_argument(
            "--column", action="append", default=[], metavar="KEY=NAME",
            help=f"map a column, KEY one of {', '.join(ONLINE_RETAIL_COLUMNS)} (repeatable)",
        )
        parser.add_argument("--code-field", help="product field holding the file's product codes")
        parser.add_argument("--product-code-pattern", default=order_rows.DEFAULT_PRODUCT_CODE_PATTERN,
                            help="regular expression a product code must match ('' accepts every code)")
        parser.add_argument("--cancellation-prefix", default=order_rows.DEFAULT_CANCELLATION_PREFIX,
                            help="order ids starting with this are cancellations ('' for none)")
        parser.add_argument("--time-zone", help="time zone of naive dates in the file (default: TIME_ZONE)")
        parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")

    def handle(self, *args, **options):
        columns = {}
        for item in options["column"]:
            key, _, name = item.partition("=")
            if key not in ONLINE_RETAIL_COLUMNS or not name:
                raise CommandError(f"--column {item!r}: expected KEY=NAME with KEY in {list(ONLINE_RETAIL_COLUMNS)}")
            columns[key] = name
        try:
            rules = order_rows.LineRules(options["product_code_pattern"], options["cancellation_prefix"])
        except re.error as exc:
            raise CommandError(f"--product-code-pattern {options['product_code_pattern']!r} is not a regular "
                               f"expression: {exc}") from exc
        bar = None
        if not options["no_progress"]:
            from tqdm import tqdm

            bar = tqdm(unit=" rows", unit_scale=True, desc="reading", file=self.stderr._out)
        try:
            summary = import_orders(
                options["path"], columns=columns, code_field=options["code_field"], rules=rules,
                time_zone=options["time_zone"], progress=bar.update if bar else None,
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"The database refused the import, so nothing was imported: "
                               f"{type(exc).__name__}: {exc}") from exc
        finally:
            if bar:
                bar.close()
        self.stdout.write(
            f"Read {summary.rows:,} rows in {summary.seconds:.1f} s ({summary.rows_per_second:,.0f} rows/s)."
        )
        self.stdout.write(
            f"Created {summary.orders_created:,} orders with {summary.lines_created:,} lines; "
            f"{summary.orders_already_present:,} orders were already recorded."
        )
        skipped = sum(summary.skipped.values())
        self.stdout.write(f"Skipped {skipped:,} rows:" if skipped else "Skipped no rows.")
        for reason in order_rows.SKIP_REASONS:
            if summary.skipped.get(reason):
                self.stdout.write(f"  {summary.skipped[reason]:>9,}  {reason}")
