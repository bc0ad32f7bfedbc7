"""Turn sales lines into basket matrices, split them in time and draw leave-one-out cases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass(frozen=True)
class Cases:
    """Leave-one-out test cases: each basket's remaining items and the item hidden from it."""

    baskets: list[np.ndarray]
    hidden: np.ndarray

    def __len__(self) -> int:
        return len(self.hidden)


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
    matrix = sp.csr_matrix((np.ones(len(known), dtype=np.float32), (rows, cols)), shape=(len(order_first), len(codes)))
    matrix.data[:] = 1.0
    return matrix


def leave_one_out(lines: pd.DataFrame, codes: pd.Index, seed: int = 0, max_cases: int | None = None) -> Cases:
    """Hide one random known item from every basket with two or more known items.

    Items unknown to training (new codes) are removed from the basket first: no model can
    recommend them, so counting them would only add the same misses to every model.
    """
    rng = np.random.default_rng(seed)
    matrix = basket_matrix(lines, codes)
    sizes = np.diff(matrix.indptr)
    eligible = np.flatnonzero(sizes >= 2)
    if max_cases is not None and len(eligible) > max_cases:
        eligible = np.sort(rng.choice(eligible, size=max_cases, replace=False))
    baskets, hidden = [], []
    for row in eligible:
        items = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        position = rng.integers(len(items))
        hidden.append(items[position])
        baskets.append(np.delete(items, position).astype(np.int64))
    return Cases(baskets=baskets, hidden=np.asarray(hidden, dtype=np.int64))


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
