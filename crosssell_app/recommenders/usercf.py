"""User-based (or basket-based) collaborative filtering."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._topk import sparse_topk_rows
from ._weighting import item_counts
from .base import (
    CUSTOMERS,
    ITEMS,
    Items,
    ScoringRecommender,
    as_csr,
    binarize,
    binary_matrix,
    indicator_matrix,
    row_customers,
)

ROWS = ("customers", "orders")


class UserCF(ScoringRecommender):
    """Recommend what the rows most like the query basket also hold.

    With rows as customers this is classic user-kNN (Resnick et al., CSCW 1994); with rows as
    orders it is the session-kNN (SKNN) of Jannach & Ludewig (RecSys 2017; Ludewig & Jannach,
    "Evaluation of session-based recommendation algorithms", UMUAI 2018). A basket ``q`` is
    compared to every row ``r`` by

        ``sim(q, r) = (sum of idf_i over the items i in both) / (sqrt(|q| |r|) + shrinkage)``

    (a cosine whose overlap counts rare shared items more, ``idf_i = log(rows / rows holding i)``,
    the IDF weighting of the SKNN variants in Ludewig et al., RecSys 2019), raised to ``power``;
    the ``neighbours`` most similar rows vote for their items with that weight and votes are
    summed. Why IDF: sharing a best seller says little about a basket, sharing a rare product a
    lot. Why the power (the "locality" exponent of Aiolli, RecSys 2013): it lets the few rows
    that really match the basket outvote the many that share one item with it. Both were
    chosen on the validation weeks of the generated grocery shop (``docs/recommenders.md``).

    **Customers or orders.** With ``rows="customers"`` (the default) and each row's customer
    given to :meth:`fit`, a row is a customer's profile: every item they bought, over all their
    orders, so "customers like you" is what it computes, and a neighbour's other orders vote too.
    An order of an unknown customer (-1) stays a row of its own. With no customers given, or
    ``rows="orders"``, every order is a row: the session-kNN, which :class:`Hybrid` uses (whole
    orders tell a basket's mission apart better than a customer's mixed history).

    Fitting only stores the matrix, its item-major copy and the IDF; the work is per query
    (sparse products over the rows that share an item with the basket), and :meth:`score_rows`
    runs many one-item queries as one block.

    Parameters
    ----------
    neighbours : int
        Number of most similar rows that vote.
    shrinkage : float
        Added to the cosine denominator so rows sharing one item with a large basket count less.
    idf : bool
        Weight shared items by their inverse row frequency (``False``: plain overlap count).
    power : float
        Exponent applied to the similarities before the top rows vote (1: plain cosine).
    rows : {"customers", "orders"}
        What a row is when each order's customer is known (see above).
    """

    #: session-kNN's prediction is a look-up over the past rows, so they are its learned state
    keeps_rows = True
    accepts = frozenset({ITEMS, CUSTOMERS})
    learned_attributes = ("n_items_", "rows_", "row_norms_", "idf_")

    def __init__(
        self, neighbours: int = 100, shrinkage: float = 1.0, idf: bool = True, power: float = 3.0, rows: str = "customers"
    ) -> None:
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.idf = idf
        self.power = power
        self.rows = rows

    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> UserCF:
        """Store the binary row x item matrix (customer profiles or orders), the row norms and the item weights."""
        if self.rows not in ROWS:
            raise ValueError(f"rows must be one of {ROWS}, not {self.rows!r}")
        rows = binarize(as_csr(interactions))
        if self.rows == "customers" and customers is not None:
            rows = customer_profiles(rows, customers)
        self.n_items_ = rows.shape[1]
        self.rows_ = rows
        self.row_norms_ = np.sqrt(np.diff(rows.indptr).astype(np.float64))
        counts = item_counts(rows)
        self.idf_ = np.log(max(rows.shape[0], 1) / np.maximum(counts, 1.0)) if self.idf else np.ones(self.n_items_)
        return self

    def neighbour_rows(self, baskets: sp.csr_matrix) -> sp.csr_matrix:
        """Return the ``(len(baskets), rows)`` weights of each basket's ``neighbours`` best rows.

        ``baskets`` is a binary basket x item indicator matrix; a basket sharing nothing with any
        row gets an empty row.
        """
        by_item = getattr(self, "_by_item", None)
        if by_item is None or by_item.shape[0] != self.n_items_:
            by_item = self._by_item = sp.csr_matrix(self.rows_.T)  # item-major: fast row slicing
        idf = getattr(self, "idf_", None)  # absent from files saved before the IDF weighting
        weighted = sp.csr_matrix(baskets, dtype=np.float64) @ sp.diags(np.ones(self.n_items_) if idf is None else idf)
        overlap = sp.csr_matrix(weighted @ by_item).tocoo()
        sizes = np.sqrt(np.diff(sp.csr_matrix(baskets).indptr).astype(np.float64))
        similarity = overlap.data / (self.row_norms_[overlap.col] * sizes[overlap.row] + self.shrinkage)
        similarity = similarity**self.power
        matrix = sp.csr_matrix((similarity, (overlap.row, overlap.col)), shape=overlap.shape)
        return sparse_topk_rows(matrix, self.neighbours)

    def votes(self, baskets: sp.csr_matrix) -> np.ndarray:
        """Return dense ``(len(baskets), n_items)`` votes of the neighbour rows (0 = no vote)."""
        return np.asarray((self.neighbour_rows(baskets) @ self.rows_).toarray(), dtype=np.float64)

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Return the neighbour rows' votes for each basket (0: no vote); see :meth:`votes`."""
        return self.votes(baskets)

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        votes = self.votes(indicator_matrix([items], self.n_items_))[0]
        votes[votes <= 0] = -np.inf
        return votes

    def score_rows(self, queries: np.ndarray, similar: bool) -> np.ndarray:
        """Score a block of one-item queries at once (the batch queries use this)."""
        votes = self.votes(indicator_matrix(queries[:, None], self.n_items_))
        votes[votes <= 0] = -np.inf
        return votes


def customer_profiles(orders: sp.csr_matrix, customers: np.ndarray) -> sp.csr_matrix:
    """Return one binary row per known customer (all their orders' items), then each unknown customer's order.

    Customers are in the order of their first row; an order whose customer is -1 is kept as it is.
    """
    owners = row_customers(customers, orders.shape[0])
    known = owners >= 0
    ids, first = np.unique(owners[known], return_index=True)
    profile_of = np.zeros(int(owners.max()) + 1 if known.any() else 0, dtype=np.int64)
    profile_of[ids[np.argsort(first, kind="stable")]] = np.arange(len(ids))
    target = np.empty(orders.shape[0], dtype=np.int64)
    target[known] = profile_of[owners[known]]
    target[~known] = len(ids) + np.arange(np.count_nonzero(~known))
    lengths = np.diff(orders.indptr)
    return binary_matrix(np.repeat(target, lengths), orders.indices, (len(ids) + np.count_nonzero(~known), orders.shape[1]))
