"""``manage.py seed_demo``: fill the demo shop with products, history and demo accounts."""

from __future__ import annotations

import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crosssell_app.tracking.importing import import_orders
from crosssell_app.models import Order
from demo_shop.shop.catalogue_data import generate_export, online_retail_path, products_from_export
from demo_shop.shop.models import Category, Product

DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = (
        "Load products and historical orders from the UCI Online Retail export (../shared/data/"
        "online_retail/online_retail.csv.gz, or --path), or generate a smaller shop when it is absent; "
        "create demo customer accounts and an admin. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Online Retail style CSV export (default: the shared data folder)")
        parser.add_argument("--generate", action="store_true", help="use a generated shop even if the file exists")
        parser.add_argument("--customers", type=int, default=4, help="demo customer accounts to create")

    def handle(self, *args, **options):
        path = Path(options["path"]) if options["path"] else online_retail_path()
        if options["path"] and not path.exists():
            raise CommandError(f"{path} does not exist.")
        if options["generate"] or not path.exists():
            self.stdout.write(f"No export at {path}: generating a demo shop instead.")
            path = generate_export(Path(tempfile.mkdtemp()) / "generated_orders.csv.gz")
        self.stdout.write(f"Loading products from {path} ...")
        rows = products_from_export(path)
        created = self._load_products(rows)
        self.stdout.write(f"{len(rows):,} products ({created:,} new) in {Category.objects.count()} categories.")
        self.stdout.write("Importing order history ...")
        summary = import_orders(path)
        self.stdout.write(
            f"{summary.orders_created:,} orders with {summary.lines_created:,} lines imported "
            f"({summary.rows_per_second:,.0f} rows/s); skipped {sum(summary.skipped.values()):,} rows: "
            + ", ".join(f"{n:,} {reason}" for reason, n in summary.skipped.most_common())
        )
        self._demo_accounts(options["customers"])

    @transaction.atomic
    def _load_products(self, rows) -> int:
        categories = {name: Category.objects.get_or_create(name=name)[0] for name in sorted({r.category for r in rows})}
        existing = set(Product.objects.values_list("sku", flat=True))
        new = [
            Product(sku=r.sku, base_sku=r.base_sku, name=r.name[:200], description=r.description,
                    category=categories[r.category], price=Decimal(str(r.price)))
            for r in rows if r.sku not in existing
        ]
        Product.objects.bulk_create(new, batch_size=1000)
        return len(new)

    def _demo_accounts(self, count: int) -> None:
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "", "admin")
        refs = Counter(
            Order.objects.exclude(customer_ref="").values_list("customer_ref", flat=True).iterator()
        )
        # Customers with a real but not enormous history: the wholesalers with hundreds of orders
        # make poor demo shoppers.
        chosen = [ref for ref, n in refs.most_common() if 8 <= n <= 40][:count]
        for ref in chosen:
            user, _ = User.objects.get_or_create(username=f"customer{ref}")
            user.set_password(DEMO_PASSWORD)
            user.save()
            Order.objects.filter(customer_ref=ref, user__isnull=True).update(user=user)
        names = ", ".join(f"customer{ref}" for ref in chosen)
        self.stdout.write(f"Demo accounts (password '{DEMO_PASSWORD}'): {names}; admin account: admin / admin.")
