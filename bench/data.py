"""Where the benchmarks find the real data sets: ``../shared/data`` beside the checkout, or an
environment variable naming the file."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pandas as pd

from crosssell_app.evaluation.order_export import load_order_export

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def online_retail_path() -> Path:
    """Return the Online Retail CSV: ``$CROSSSELL_ONLINE_RETAIL_CSV`` or the shared data folder's copy."""
    return Path(os.environ.get("CROSSSELL_ONLINE_RETAIL_CSV")
                or SHARED_DATA / "online_retail" / "online_retail.csv.gz")


def load_online_retail(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Return the cleaned sales lines of the Online Retail export (see :func:`load_order_export`)."""
    return load_order_export(path or online_retail_path())


def tafeng_path() -> Path:
    """Return the Ta-Feng basket file: ``$CROSSSELL_TAFENG_JSON`` or the shared data folder's copy."""
    return Path(os.environ.get("CROSSSELL_TAFENG_JSON")
                or SHARED_DATA / "tafeng" / "tafeng_baskets.json.gz")


def load_tafeng(path: str | os.PathLike | None = None) -> dict[str, list[list[int]]]:
    """Return Ta-Feng as ``{customer: [basket, ...]}``, each customer's baskets oldest first.

    A basket is the list of product ids one customer bought on one day (see the data's SOURCE.md):
    ids only, no titles, prices or dates, so the evaluation splits by position, not by date.
    """
    with gzip.open(path or tafeng_path(), "rt", encoding="utf-8") as handle:
        raw = json.load(handle)
    return {str(customer): [[int(item) for item in basket] for basket in baskets]
            for customer, baskets in raw.items()}


def last_basket_split(
    sequences: dict[str, list[list[int]]],
) -> tuple[dict[str, list[list[int]]], dict[str, list[list[int]]], dict[str, list[list[int]]]]:
    """Split each customer's sequence into ``(train, validation, test)`` by position.

    The last basket is the customer's test basket and the one before it the validation basket
    (the protocol of the next-basket literature on Ta-Feng); every earlier basket is training.
    Each returned dict maps a customer to a list of baskets: ``test[c]`` and ``validation[c]``
    hold one basket, ``train[c]`` the rest (a customer with fewer than three baskets has no test).
    """
    train, validation, test = {}, {}, {}
    for customer, baskets in sequences.items():
        if len(baskets) < 3:
            train[customer] = list(baskets)
            continue
        train[customer] = list(baskets[:-2])
        validation[customer] = [baskets[-2]]
        test[customer] = [baskets[-1]]
    return train, validation, test
