"""A generated grocery-like shop, shaped unlike Online Retail, to check defaults generalise.

Online Retail is a gift wholesaler: long baskets (about 20 distinct items), few products, long
customer histories. A grocery shop is the opposite: baskets of a handful of items, a long tail
of rarely bought products, short histories. This generator produces such a shop, seeded, with a
known structure: products belong to categories, "missions" (recipes, occasions) tie a few
products of several categories together, and a few staples are in many baskets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_WORDS = [
    "fresh",
    "organic",
    "classic",
    "light",
    "smoked",
    "sliced",
    "whole",
    "free",
    "range",
    "family",
    "pack",
    "value",
    "premium",
    "mini",
    "large",
    "spicy",
    "sweet",
    "crunchy",
]


def grocery_lines(
    n_items: int = 3000,
    n_orders: int = 20_000,
    n_customers: int = 6000,
    n_categories: int = 40,
    n_missions: int = 400,
    mission_size: int = 6,
    mean_basket: float = 4.0,
    weeks: int = 26,
    seed: int = 0,
) -> pd.DataFrame:
    """Return sales lines with the columns of :func:`online_retail.load_online_retail` plus ``category``.

    Each order picks one or two missions and draws most of its items from them, adds a staple
    with some probability and a random long-tail item otherwise. Item popularity within missions
    and the long tail follows a power law, so many products sell only once or twice.
    """
    rng = np.random.default_rng(seed)
    category = rng.integers(0, n_categories, size=n_items)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9
    popularity = rng.permutation(popularity)
    popularity /= popularity.sum()
    staples = np.argsort(-popularity)[:20]
    missions = np.array(
        [rng.choice(n_items, size=mission_size, replace=False, p=popularity) for _ in range(n_missions)]
    )
    mission_weight = 1.0 / np.arange(1, n_missions + 1) ** 0.7
    mission_weight /= mission_weight.sum()

    order_rows, item_rows = [], []
    for order in range(n_orders):
        size = 1 + rng.poisson(mean_basket - 1)
        chosen = missions[rng.choice(n_missions, size=1 + (rng.random() < 0.3), p=mission_weight)].ravel()
        basket = set(rng.choice(chosen, size=min(size, len(chosen)), replace=False).tolist())
        if rng.random() < 0.4:
            basket.add(int(rng.choice(staples)))
        if rng.random() < 0.5:
            basket.add(int(rng.choice(n_items, p=popularity)))
        order_rows.extend([order] * len(basket))
        item_rows.extend(sorted(basket))

    orders = np.asarray(order_rows)
    items = np.asarray(item_rows)
    start = pd.Timestamp("2024-01-01")
    order_dates = start + pd.to_timedelta(np.sort(rng.uniform(0, weeks * 7, size=n_orders)), unit="D")
    customers = rng.integers(0, n_customers, size=n_orders)
    names = [f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} product {i} cat{category[i]}" for i in range(n_items)]
    prices = np.round(rng.lognormal(1.0, 0.6, size=n_items), 2)
    return pd.DataFrame(
        {
            "order_id": pd.Series(orders).map("G{:06d}".format),
            "code": pd.Series(items).map("P{:05d}".format),
            "description": np.asarray(names, dtype=object)[items],
            "quantity": 1 + rng.poisson(0.3, size=len(items)),
            "price": prices[items],
            "customer": pd.Series(customers[orders]).map("C{:05d}".format),
            "date": order_dates[orders],
            "country": "Synthetic",
            "category": pd.Series(category[items]).map("cat{}".format),
        }
    )
