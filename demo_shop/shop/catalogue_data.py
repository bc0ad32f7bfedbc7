"""Build the demo catalogue: from the real Online Retail export, or generated when it is absent.

Real data: one product per stock code; its name is the code's most frequent description, its
price the most frequent unit price of its sales lines (the shop's list price; bulk discounts are
rarer prices), its category :func:`demo_shop.shop.categories.categorize` of the description, and
codes that differ only by a trailing letter (``85123A``/``85123B``) share a ``base_sku``, so the
app can tell variants apart.

Generated data (a fresh clone without the file): a smaller catalogue and order history with the
same structure — themed products in several categories and sizes, baskets that mix a theme's
products, a long tail of rarely bought items — written as an Online Retail style CSV so it goes
through the very same import.
"""

from __future__ import annotations

import csv
import gzip
import os
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .categories import categorize

VARIANT = re.compile(r"^(\d{5})[A-Za-z]+$")


def online_retail_path() -> Path:
    """Return the Online Retail export: ``$CROSSSELL_ONLINE_RETAIL_CSV``, or ``../shared/data`` beside the checkout."""
    default = Path(__file__).resolve().parents[3] / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
    return Path(os.environ.get("CROSSSELL_ONLINE_RETAIL_CSV") or default)


@dataclass(frozen=True)
class ProductRow:
    sku: str
    name: str
    description: str
    price: float
    category: str
    base_sku: str


def products_from_export(path: Path) -> list[ProductRow]:
    """Return one product per stock code of the export at ``path``."""
    from crosssell_app.evaluation.order_export import load_order_export

    lines = load_order_export(path)
    lines = lines[lines["description"] != ""]
    description = lines.groupby("code")["description"].agg(lambda s: s.value_counts().index[0])
    price = lines.groupby("code")["price"].agg(lambda s: s.value_counts().index[0])
    bases: dict[str, int] = {}
    for code in description.index:
        match = VARIANT.match(code)
        if match:
            bases[match.group(1)] = bases.get(match.group(1), 0) + 1
    rows = []
    for code, text in description.items():
        match = VARIANT.match(code)
        base = match.group(1) if match and bases.get(match.group(1), 0) > 1 else ""
        rows.append(ProductRow(code, _title(text), text, round(float(price[code]), 2), categorize(text), base))
    return rows


def _title(text: str) -> str:
    """Title-case a shouted description, keeping sizes like ``6`` and ``3D`` as they are."""
    return " ".join(w if any(c.isdigit() for c in w) else w.capitalize() for w in text.split())


THEMES = ["Vintage Rose", "Red Spotty", "Blue Polkadot", "Woodland", "Retro Spot", "Paisley Park",
          "Regency", "Scandinavian", "Jungle Pop", "Pantry"]
ITEMS = [  # (noun, base price)
    ("Tea Cup And Saucer", 2.95), ("Cake Stand", 9.95), ("Lunch Bag", 1.65), ("Jumbo Shopper Bag", 2.08),
    ("Tea Light Holder", 1.25), ("Lantern", 4.95), ("Notebook", 1.65), ("Wrapping Paper", 0.42),
    ("Greeting Card", 0.42), ("Paper Napkins", 0.85), ("Cushion Cover", 3.75), ("Photo Frame", 2.55),
    ("Doormat", 7.95), ("Alarm Clock", 3.75), ("Baking Set", 4.95), ("Party Bunting", 4.95),
]
SIZES = [("Small", 1.0), ("Large", 1.8), ("Set Of 3", 2.6)]


def generate_export(path: Path, *, orders: int = 2500, customers: int = 300, seed: int = 7) -> Path:
    """Write a generated Online Retail style export to ``path`` and return it."""
    rng = random.Random(seed)
    products = []
    code = 20000
    for theme in THEMES:
        for noun, base in ITEMS:
            for size, factor in SIZES[: rng.choice([1, 2, 3])]:
                code += 1
                name = f"{size.upper()} {theme.upper()} {noun.upper()}" if size != "Small" else f"{theme.upper()} {noun.upper()}"
                products.append((str(code), name, round(base * factor, 2), theme))
    by_theme: dict[str, list] = {}
    for product in products:
        by_theme.setdefault(product[3], []).append(product)
    ranks = list(range(len(products)))
    rng.shuffle(ranks)
    popularity = {product: 1.0 / (rank + 1) ** 0.8 for product, rank in zip(products, ranks)}
    start = datetime(2011, 1, 3, 9, 0)
    with gzip.open(path, "wt", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"])
        for number in range(orders):
            customer = rng.randrange(customers)
            theme = THEMES[(customer + rng.randrange(3)) % len(THEMES)]
            size = max(1, int(rng.expovariate(1 / 6)))
            basket = set()
            for _ in range(size):
                pool = by_theme[theme] if rng.random() < 0.75 else products
                weights = [popularity[p] for p in pool]
                basket.add(rng.choices(pool, weights)[0])
            when = start + timedelta(minutes=number * 97 + rng.randrange(60))
            for sku, name, price, _theme in sorted(basket):
                out.writerow([f"G{580000 + number}", sku, name, rng.choice([1, 2, 4, 6, 12]),
                              when.strftime("%Y-%m-%d %H:%M:%S"), price, 10000 + customer, "United Kingdom"])
    return path
