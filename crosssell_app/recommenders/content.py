"""Content similarity: TF-IDF over the product's text and category."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._topk import DEFAULT_BLOCK_BUDGET, blocked_topk, neighbour_block_scores, neighbour_scores
from .base import Items, ScoringRecommender, item_column


class TfidfContent(ScoringRecommender):
    """Items whose descriptions share rare words, and items of the same category.

    It needs no sales at all, which is why the hybrid uses it to fill lists of new products.
    Words are weighted by scikit-learn's ``TfidfVectorizer`` (sublinear TF, L2 rows); the category
    is added as one extra token ``category_weight`` times as heavy, so two items of the same
    category are similar even when their text differs. Neighbours are the top ``neighbours`` by
    cosine, computed block by block (:mod:`._topk`).

    Parameters
    ----------
    neighbours : int
        Neighbours kept per item.
    category_weight : float
        Weight of the category token relative to the text's L2-normalised vector.
    min_df : int
        Words in fewer items than this are ignored.
    ngram_max : int
        Longest word n-gram used (1: single words).
    block_budget : int
        Most scores held at once while building neighbours.
    """

    learned_attributes = ("n_items_", "neighbours_")

    def __init__(
        self,
        neighbours: int = 100,
        category_weight: float = 0.5,
        min_df: int = 1,
        ngram_max: int = 1,
        block_budget: int = DEFAULT_BLOCK_BUDGET,
    ) -> None:
        self.neighbours = neighbours
        self.category_weight = category_weight
        self.min_df = min_df
        self.ngram_max = ngram_max
        self.block_budget = block_budget

    def fit(
        self, interactions: sp.spmatrix | None, items: Items | None = None, customers: np.ndarray | None = None
    ) -> TfidfContent:
        """Vectorise ``items['text']`` and ``items['category']`` and keep each item's neighbours.

        ``interactions`` only gives the number of items; with no text and no category every
        item simply has no neighbours.
        """
        n_items = _n_items(interactions, items)
        self.n_items_ = n_items
        vectors = self._vectors(items, n_items)
        vectors = sp.csr_matrix(vectors, dtype=np.float32)
        by_term = sp.csr_matrix(vectors.T)
        term_df = np.diff(by_term.indptr).astype(np.float64)
        costs = np.minimum((vectors != 0).astype(np.float64) @ term_df, n_items)
        self.neighbours_ = blocked_topk(
            n_items,
            n_items,
            lambda a, b: vectors[a:b] @ by_term,
            self.neighbours,
            costs=costs,
            budget=self.block_budget,
        )
        return self

    def _vectors(self, items: Items | None, n_items: int) -> sp.csr_matrix:
        """Return the L2-normalised text-plus-category matrix, one row per item."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        blocks = []
        text = item_column(items, "text", n_items)
        if text is not None:
            docs = ["" if _missing(t) else str(t) for t in text]
            try:
                vectoriser = TfidfVectorizer(sublinear_tf=True, min_df=self.min_df, ngram_range=(1, self.ngram_max))
                blocks.append(vectoriser.fit_transform(docs))
            except ValueError:  # empty vocabulary: no item has usable text
                pass
        category = item_column(items, "category", n_items)
        if category is not None and self.category_weight > 0:
            labels = np.array(["" if _missing(c) else str(c) for c in category], dtype=object)
            known = labels != ""
            if known.any():
                _, codes = np.unique(labels[known], return_inverse=True)
                one_hot = sp.csr_matrix(
                    (np.full(known.sum(), self.category_weight), (np.flatnonzero(known), codes)),
                    shape=(n_items, int(codes.max()) + 1),
                )
                blocks.append(one_hot)
        if not blocks:
            return sp.csr_matrix((n_items, 1), dtype=np.float32)
        return normalize(sp.hstack(blocks, format="csr"))

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        return neighbour_scores(self.neighbours_, items)

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Sum the neighbour rows of each basket's items in one sparse product (0: no evidence)."""
        return neighbour_block_scores(self.neighbours_, baskets)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _n_items(interactions: sp.spmatrix | None, items: Items | None) -> int:
    if interactions is not None:
        return int(interactions.shape[1])
    for name in ("text", "category", "price"):
        try:
            return len(items[name])  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            continue
    raise ValueError("TfidfContent needs an interaction matrix or an items table to know the item count")
