"""Tiny recommenders for the retrain tests: answers known by construction, plus misbehaving ones.

They follow :class:`crosssell_app.recommenders.base.Recommender`, so the training service cannot
tell them from the real ones; the worker tests load them by dotted path.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from crosssell_app.recommenders.base import (
    CUSTOMERS,
    ITEMS,
    UPGRADE,
    VIEWS,
    ScoringRecommender,
    as_csr,
    binarize,
    empty_result,
    pad_answers,
    rank_scores,
)


class CoCounts(ScoringRecommender):
    """Score items by how many orders they share with the basket (no evidence: not recommended)."""

    learned_attributes = ("n_items_", "co_")

    def __init__(self) -> None:
        pass

    def fit(self, interactions, items=None):
        orders = binarize(as_csr(interactions))
        self.n_items_ = orders.shape[1]
        self.co_ = np.asarray((orders.T @ orders).todense(), dtype=np.float64)
        return self

    def basket_scores(self, items):
        scores = self.co_[items].sum(axis=0)
        return np.where(scores > 0, scores, -np.inf)


class PricierInCategory(ScoringRecommender):
    """Upgrades: dearer items of the same category, cheapest first; explains with the price gap."""

    publishes = (UPGRADE,)
    accepts = frozenset({ITEMS, CUSTOMERS, VIEWS})
    learned_attributes = ("n_items_", "prices_", "categories_")

    def __init__(self) -> None:
        pass

    def fit(self, interactions, items=None, customers=None, views=None):
        self.n_items_ = interactions.shape[1]
        self.prices_ = np.asarray(items["price"], dtype=np.float64)
        self.categories_ = np.asarray(items["category"]).astype(str)
        self.saw_customers_ = customers is not None and len(customers) == interactions.shape[0]
        return self

    def basket_scores(self, items):
        source = int(items[0])
        ok = (self.categories_ == self.categories_[source]) & (self.prices_ > self.prices_[source])
        return np.where(ok, -self.prices_, -np.inf)

    def upgrades(self, item, n=10):
        if not 0 <= item < self.n_items_:
            return empty_result()
        return rank_scores(self.basket_scores(np.array([item])), n, exclude=[item])

    def upgrades_batch(self, items, n=10):
        return pad_answers([self.upgrades(int(i), n) for i in items], n)

    def explain(self, source, target):
        return {"price_difference": round(float(self.prices_[target] - self.prices_[source]), 2)}


class Exploding(CoCounts):
    """Fails while fitting, the way a bug or bad data would."""

    def fit(self, interactions, items=None):
        raise ValueError("the exploding recommender exploded on purpose")


class WaitsForFile(CoCounts):
    """Fits slowly and deterministically: announces that it started, then waits for ``release``.

    The worker tests kill the worker while it waits, so "in the middle of fitting" is certain.
    """

    def __init__(self, started: str = "", release: str = "", timeout: float = 120.0):
        self.started = started
        self.release = release
        self.timeout = timeout

    def fit(self, interactions, items=None):
        Path(self.started).touch()
        deadline = time.monotonic() + self.timeout
        while not Path(self.release).exists():
            if time.monotonic() > deadline:
                raise TimeoutError("nobody released the waiting recommender")
            time.sleep(0.05)
        return super().fit(sp.csr_matrix(interactions), items)
