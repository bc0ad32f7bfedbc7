"""``manage.py generate_shop``: a small catalogue and a few hundred orders, the same for a seed.

Orders go through ``crosssell_app.tracking.record_order``, as a host's checkout would call it.
Each basket takes items of one theme and often one of its partner theme, so there is a pattern
for the recommenders to find.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone

from crosssell_app.tracking import record_order
from shop.models import Product

#: theme -> its five products; a basket of one theme often holds one of the next theme too
CATALOGUE = {
    "coffee": ["espresso beans", "filter coffee", "decaf beans", "cold brew bag", "coffee syrup"],
    "brewing": ["hand grinder", "pour-over cone", "paper filters", "milk frother", "moka pot"],
    "tea": ["green tea", "earl grey", "chamomile", "chai blend", "rooibos"],
    "teaware": ["teapot", "tea strainer", "cup and saucer", "tea caddy", "kettle"],
    "garden": ["trowel", "watering can", "seed tray", "pruning shears", "garden gloves"],
    "plants": ["basil seeds", "tomato seeds", "potting soil", "plant food", "terracotta pot"],
    "stationery": ["notebook", "fountain pen", "ink bottle", "pencil set", "desk tray"],
    "reading": ["book light", "bookmark", "reading stand", "book cover", "page flags"],
}


class Command(BaseCommand):
    help = "Create the catalogue and record generated orders (deterministic for a seed)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=14)
        parser.add_argument("--orders", type=int, default=400)

    def handle(self, *args, seed: int, orders: int, **options):
        rng = random.Random(seed)
        themes = list(CATALOGUE)
        products = {
            theme: [
                Product.objects.create(
                    name=name.capitalize(), description=f"{name} for {theme} lovers", category=theme,
                    price=Decimal(rng.randrange(300, 6000)) / 100,
                )
                for name in names
            ]
            for theme, names in CATALOGUE.items()
        }
        start = timezone.now() - timedelta(days=90)
        for number in range(orders):
            theme = rng.choice(themes)
            basket = rng.sample(products[theme], rng.randint(1, 3))
            if rng.random() < 0.6:
                partner = themes[(themes.index(theme) + 1) % len(themes)]
                basket.append(rng.choice(products[partner]))
            record_order(
                f"generated-{number}",
                [(product, rng.randint(1, 2), product.price) for product in basket],
                customer_ref=f"customer-{rng.randrange(120)}",
                ordered_at=start + timedelta(hours=5 * number),
            )
        self.stdout.write(f"{Product.objects.count()} products, {orders} orders.")
