"""Turn sales lines into basket matrices, split them in time and draw leave-one-out cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..recommenders.base import binary_matrix
from ..recommenders.holdout import Cases, hide_random


def time_split(lines: pd.DataFrame, cut: str | pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (lines of orders before ``cut``, lines of orders from ``cut`` on).

    An order belongs to the side of its first line's date, so no basket is cut in two.
    """
    first = lines.groupby("order_id")["date"].transform("min")
    before = first < pd.Timestamp(cut)
    return lines.loc[before].reset_index(drop=True), lines.loc[~before].reset_index(drop=True)


def validation_cut(train: pd.DataFrame, weeks: int) -> pd.Timestamp:
    """Return the date ``weeks`` weeks before the end of ``train``: tuning never sees test weeks."""
    return pd.Timestamp(train["date"].max()).normalize() - pd.Timedelta(weeks=weeks)


def item_index(lines: pd.DataFrame) -> pd.Index:
    """Return the product codes of ``lines`` in a fixed (sorted) order: column ``j`` is code ``j``."""
    return pd.Index(np.sort(lines["code"].unique()))


def basket_matrix(lines: pd.DataFrame, codes: pd.Index) -> sp.csr_matrix:
    """Return the binary order x item matrix of ``lines`` (rows in time order; unknown codes dropped)."""
    known = lines.loc[codes.get_indexer(lines["code"]) >= 0]
    order_first = known.groupby("order_id")["date"].min().sort_values(kind="stable")
    rows = pd.Index(order_first.index).get_indexer(known["order_id"])
    cols = codes.get_indexer(known["code"])
    return binary_matrix(rows, cols, (len(order_first), len(codes)))


def order_customers(lines: pd.DataFrame, codes: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Return each row's customer of :func:`basket_matrix` (same rows, same order) and the customer ids.

    The vector is what a recommender's ``fit`` takes as ``customers``: ``customers[r]`` indexes
    the returned ids, -1 for an order without a customer (an empty ``customer`` column value).
    """
    known = lines.loc[codes.get_indexer(lines["code"]) >= 0]
    first = known.groupby("order_id").agg(date=("date", "min"), customer=("customer", "first"))
    first = first.sort_values("date", kind="stable")
    ids = pd.Index(np.sort(first.loc[first["customer"] != "", "customer"].unique()))
    return ids.get_indexer(first["customer"]).astype(np.int64), ids


def leave_one_out(lines: pd.DataFrame, codes: pd.Index, seed: int = 0, max_cases: int | None = None) -> Cases:
    """Hide one random known item from every basket with two or more known items.

    Items unknown to training (new codes) are removed from the basket first: no model can
    recommend them, so counting them would only add the same misses to every model. The cases
    are drawn as everywhere else (:func:`crosssell_app.recommenders.holdout.hide_random`).
    """
    return hide_random(basket_matrix(lines, codes), seed=seed, max_cases=max_cases)


def item_table(lines: pd.DataFrame, codes: pd.Index) -> dict[str, list]:
    """Return the ``items`` table the recommenders accept: text, category (when known) and price."""
    grouped = lines.groupby("code")
    text = grouped["description"].agg(lambda s: s.mode().iat[0] if len(s.mode()) else "")
    table = {
        "text": text.reindex(codes).fillna("").tolist(),
        "price": grouped["price"].median().reindex(codes).tolist(),
    }
    if "category" in lines.columns:
        table["category"] = grouped["category"].first().reindex(codes).tolist()
    return table
