"""Up-sell as a model: higher-value *substitutes* of a product, with an explanation for each.

An upgrade for product A is a product B that does the same job as A (a substitute) and is worth
more, shown before the purchase decision. Cross-sell adds a complement to A; up-sell replaces A.
So two things must hold for B: it must be substitutable for A, and it must not be a complement
of A (something bought *with* A). See ``docs/upsell.md`` for the definition and the evaluation.

**Same type.** Substitutes are products of the same *type* (``docs/product_types.md``): the
items column ``type`` when the host has one, else the type inferred from the titles by
:mod:`.product_types`, within the host's category when items have one (a kitchen BOWL and a dog
BOWL are two types). With ``same_type=True`` (the default) only same-type products are
candidates: the type says *whether* B can replace A, the signals below say *how well*. A host
whose catalogue has no usable type opts out with ``same_type=False``, and candidates are then the
pairs with some substitutability evidence, as below.

Signals of substitutability, each a number in [0, 1] per pair (A, B):

* **content** – cosine of TF-IDF vectors of the title/description (words singularised, so
  ``CANDLES`` matches ``CANDLE``), optionally with the category appended as a one-hot block.
  Products that are described alike tend to do the same job.
* **purchases** (when each order's customer is given) – customers who bought both A and B, but
  not in the same order: ``max(shared customers - shared orders, 0) / sqrt(customers_A *
  customers_B)``. Buying A one week and B another week is how people switch between
  alternatives; buying them in one basket is how they combine complements.
* **views** (when a sessions x items matrix is given) – co-views not followed by co-purchase,
  the same formula with sessions in place of customers.

The substitutability is the weighted mean of the signals available. A pair whose same-order
co-purchase is strong (at least ``complement_min_orders`` shared orders *and* lift above
``complement_lift``) is a complement and never qualifies, whatever its similarity. Candidates
must be priced within ``min_price_ratio`` .. ``max_price_ratio`` times A's price, be available,
and not be a variant of A: the same ``variant_group``, or the same title under another code.

Ranking: ``(substitutability + 0.01) * (1 + popularity_weight * chosen_B) * (1 + subtype_weight *
same_subtype) * (price_B / price_A) ** uplift_weight``. ``same_subtype`` is 1 when B is of A's
subtype (the same fixed compound: KEY RING, not any RING). ``chosen_B`` in [0, 1] is the
evidence that B gets chosen: ``log1p(buyers_B)`` over the catalogue's largest (distinct
customers, or orders when no customers are given; with views, scaled by B's view-to-purchase
rate against the catalogue's). So popularity lifts a candidate by at most ``popularity_weight``
(25 % by default) and only breaks near-ties: a best seller no longer outranks a product twice as
similar.

Item-item work runs over blocks of source items and only over candidate pairs (the same type;
or, with ``same_type=False``, a shared word, customer or session), as sparse products; a block
holds at most ``block_budget`` pairs and only the best ``n_candidates`` upgrades (and
substitutes) per item are kept, so memory never grows as ``n_items x n_items``. The order,
customer and view matrices serve the fit only: the fitted model, and so its saved file, holds
per-item lists, counts and type ids, not anyone's purchases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ..explanations import Upgrade as UpgradeExplanation
from ._topk import plan_blocks
from .product_types import UNKNOWN, catalogue_types, encode_types, same_type, singular, words
from .base import (
    CUSTOMERS,
    ITEMS,
    UPGRADE,
    VIEWS,
    Items,
    Recommender,
    as_csr,
    binarize,
    customer_matrix,
    empty_result,
    item_column,
    pad_answers,
)

#: added to the substitutability when ranking, so same-type candidates without any shared word or
#: customer are still ordered (by evidence of being chosen and by price step) instead of tied at 0
_RANK_FLOOR = 0.01

#: the per-candidate arrays, aligned with ``candidate_ids_`` and cut per item by ``candidate_indptr_``
_CANDIDATE_ARRAYS = (
    "candidate_ids_",
    "candidate_scores_",
    "candidate_substitutability_",
    "candidate_text_",
    "candidate_shared_buyers_",
    "candidate_shared_orders_",
)
_FLOAT_CANDIDATE_ARRAYS = ("candidate_scores_", "candidate_substitutability_", "candidate_text_")


def _analyze(text: str) -> list[str]:
    """Tokenise a title for TF-IDF: singular upper-case words (numbers kept: SET OF 6 matters)."""
    return [singular(w) for w in words(text)]


def added_phrases(source_title: str, target_title: str) -> list[str]:
    """Return the runs of words in ``target_title`` that ``source_title`` lacks, in title order.

    Consecutive new words stay together, so "SET OF 6 PINK MUGS" against "PINK MUG" gives
    ``["SET OF 6"]`` and "JUMBO BAG RED" against "BAG RED" gives ``["JUMBO"]``. A phrase is
    given once, however often the title repeats it.
    """
    have = {singular(w) for w in words(source_title)}
    phrases: list[str] = []
    run: list[str] = []
    for word in words(target_title):
        if singular(word) in have:
            if run:
                phrases.append(" ".join(run))
                run = []
        else:
            run.append(word)
            have.add(singular(word))  # said once: a text that repeats the title does not repeat it
    if run:
        phrases.append(" ".join(run))
    return phrases


def _row_norms(counts: np.ndarray) -> np.ndarray:
    """Return ``sqrt(counts)`` with zeros replaced by ones (safe denominators)."""
    out = np.sqrt(counts.astype(np.float64))
    out[out == 0] = 1.0
    return out


@dataclass(frozen=True)
class Evidence:
    """What the pair signals are counted from: item-major 0/1 matrices and per-item counts.

    Built by :meth:`Upgrade.fit` and dropped when it returns: the model keeps the lists and the
    counts their explanations quote, never these matrices (they hold every order and customer).
    A signal without data has a matrix with no columns.
    """

    text: sp.csr_matrix  #: items x terms, the L2-normalised content vectors
    orders: sp.csr_matrix  #: items x orders
    users: sp.csr_matrix  #: items x customers
    views: sp.csr_matrix  #: items x sessions
    types: sp.csr_matrix  #: items x types, one-hot; no columns when candidates come from the evidence
    order_counts: np.ndarray  #: orders holding each item
    buyers: np.ndarray  #: customers who bought each item (orders holding it when there are no customers)
    viewers: np.ndarray  #: sessions that viewed each item

    @property
    def n_orders(self) -> int:
        return self.orders.shape[1]

    def blocks(self, budget: int) -> list[tuple[int, int]]:
        """Return ``(start, stop)`` source-item blocks whose pair count fits ``budget``.

        A row's cost is an upper bound of the pairs it can produce (the items sharing a type, a
        word, a customer, an order or a session with it, capped at ``n_items``), as in :mod:`._topk`.
        """
        n = self.text.shape[0]
        costs = np.zeros(n, dtype=np.float64)
        for matrix in (*self.candidate_sources(), self.orders):
            if matrix.shape[1]:
                per_column = np.diff(sp.csc_matrix(matrix).indptr).astype(np.float64)
                costs += (matrix != 0).astype(np.float64) @ per_column
        return list(plan_blocks(np.minimum(costs, max(n, 1)), budget))

    def candidate_sources(self) -> tuple[sp.csr_matrix, ...]:
        """Return the matrices whose shared columns make a pair a candidate: the type, else any evidence."""
        if self.types.shape[1]:
            return (self.types,)
        return (self.text, self.users, self.views)


class Upgrade(Recommender):
    """Recommend higher-value substitutes ("upgrades") of a product.

    ``fit`` computes every item's lists at once, block by block of items: its best
    ``n_candidates`` upgrades (with the signals that explain each), its ``n_candidates`` nearest
    substitutes at any price, and its complements. Queries read those lists; the order, customer
    and view matrices are not kept, so a saved model holds no one's purchases. In exchange
    :meth:`similar_items` returns at most ``n_candidates`` items, and :meth:`explain` quotes pair
    counts only for the pairs the model kept.

    Parameters
    ----------
    min_price_ratio, max_price_ratio : float, default 1.1 and 3.0
        An upgrade costs between these multiples of the source price: below the band it is no
        upgrade, above it a different purchase altogether.
    same_type : bool, default True
        Only products of the source's type are upgrades (and substitutes). The type is the items
        column ``type`` when given, else inferred from the titles; an unknown type has none.
        False opts out: any product with substitutability evidence is a candidate.
    subtype_weight : float, default 1.0
        A candidate of the source's *subtype* (the same fixed compound: KEY RING for a key ring,
        not any RING) has its score multiplied by ``1 + subtype_weight``, so the closest kind
        leads the list and the rest of the type only fills it.
    text_weight, purchase_weight, view_weight : float, default 1.0, 0.5, 0.5
        Weights of the content, purchase and view substitutability signals; a signal whose data
        is absent drops out of the weighted mean.
    category_weight : float, default 0.0
        Weight of the one-hot category block against the TF-IDF words in the content vector.
        Off by default: on Online Retail validation a coarse shop category made every product of
        the category look alike and lowered hit@10 (0.19 at 0.5 against 0.25 at 0).
    complement_lift : float, default 2.0
        Lift of same-order co-purchase above which a pair is a complement, not a substitute.
    complement_min_orders : int, default 5
        A pair must share at least this many orders before its lift can mark it a complement, so
        a few chance baskets do not veto a real upgrade. 5, not 3, since types are inferred
        within categories: a wholesaler stocking three sizes of one scissor in a few orders
        vetoed every upgrade of 440 products, and the coverage fell below 85 %
        (``docs/upsell.md``).
    popularity_weight : float, default 0.25
        The most that evidence of being chosen lifts a candidate's score (0.25: by 25 % for the
        catalogue's best seller), so popularity breaks near-ties and never outvotes similarity.
    uplift_weight : float, default -0.5
        Exponent on the price ratio: positive favours larger upgrades, negative smaller ones
        (validation preferred modest steps up: customers trade up by a little more often).
    min_substitutability : float, default 0.05
        Candidates less substitutable than this are dropped; an empty list beats a random one.
        Not applied when ``same_type`` is on: there the shared type is the evidence.
    n_candidates : int, default 50
        Upgrades and substitutes kept per item by ``fit`` (the longest list ``upgrades`` and
        ``similar_items`` can return).
    block_budget : int, default 2_000_000
        Most item pairs scored at once: a block holds ``block_budget // n_items`` source items
        (at least one), so the transient memory is a few tens of MB at any catalogue size.

    Attributes
    ----------
    blocks_ : int array of shape (n_blocks, 3)
        A record of the fit: each block's first and past-the-last source item and the pairs it
        scored (the memory bound ``block_budget`` holds for every block of two or more items).
    """

    publishes = (UPGRADE,)
    accepts = frozenset({ITEMS, CUSTOMERS, VIEWS})
    learned_attributes = (
        "n_items_",
        "prices_",
        "titles_",
        "types_",
        "subtypes_",
        "buyers_",
        "viewers_",
        "has_customers_",
        "candidate_indptr_",
        *_CANDIDATE_ARRAYS,
        "similar_indptr_",
        "similar_ids_",
        "similar_scores_",
        "complements_",
        "blocks_",
    )

    def __init__(
        self,
        min_price_ratio: float = 1.1,
        max_price_ratio: float = 3.0,
        same_type: bool = True,
        subtype_weight: float = 1.0,
        text_weight: float = 1.0,
        purchase_weight: float = 0.5,
        view_weight: float = 0.5,
        category_weight: float = 0.0,
        complement_lift: float = 2.0,
        complement_min_orders: int = 5,
        popularity_weight: float = 0.25,
        uplift_weight: float = -0.5,
        min_substitutability: float = 0.05,
        n_candidates: int = 50,
        block_budget: int = 2_000_000,
    ) -> None:
        self.min_price_ratio = min_price_ratio
        self.max_price_ratio = max_price_ratio
        self.same_type = same_type
        self.subtype_weight = subtype_weight
        self.text_weight = text_weight
        self.purchase_weight = purchase_weight
        self.view_weight = view_weight
        self.category_weight = category_weight
        self.complement_lift = complement_lift
        self.complement_min_orders = complement_min_orders
        self.popularity_weight = popularity_weight
        self.uplift_weight = uplift_weight
        self.min_substitutability = min_substitutability
        self.n_candidates = n_candidates
        self.block_budget = block_budget

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        interactions: sp.spmatrix,
        items: Items | None = None,
        customers: np.ndarray | None = None,
        views: sp.spmatrix | None = None,
    ) -> Upgrade:
        """Learn substitutability and precompute every item's lists; return self.

        Parameters
        ----------
        interactions : sparse matrix, orders x items
            Order lines; values are ignored (an order holds an item or not).
        items : DataFrame or mapping, optional
            Columns ``text``, ``category``, ``price``, optionally ``title`` (the name alone,
            read for the type and for same-title variants; ``text`` when absent), ``type`` (the
            host's product type, used as it is), ``available`` (bool) and ``variant_group``
            (items sharing a non-empty group are variants of one another). Without prices no
            upgrade can be priced, so every list is empty.
        customers : int array of shape (n_orders,), optional
            The customer of each order row (-1: unknown). Enables the purchase signal (what each
            customer bought over all their orders) and counts buyers as distinct customers.
        views : sparse matrix, sessions x items, optional
            Enables the co-view signal and the view-to-purchase evidence.
        """
        orders = binarize(as_csr(interactions)).T.tocsr()  # items x orders: row slices are cheap
        n = orders.shape[0]
        self.n_items_ = n
        users = _item_rows(customer_matrix(interactions, customers), n, "customers")
        seen = _item_rows(views, n, "views")
        order_counts = np.asarray(orders.getnnz(axis=1), dtype=np.int64)
        self.has_customers_ = bool(users.shape[1])
        self.buyers_ = np.asarray(users.getnnz(axis=1), dtype=np.int64) if users.shape[1] else order_counts.copy()
        self.viewers_ = np.asarray(seen.getnnz(axis=1), dtype=np.int64)
        available, groups = self._read_items(items, n)
        self.types_, self.subtypes_ = self._types(items, n)
        evidence = Evidence(
            text=self._content_vectors(items, n),
            orders=orders,
            users=users,
            views=seen,
            types=_one_hot(self.types_) if self.same_type else sp.csr_matrix((n, 0), dtype=np.float32),
            order_counts=order_counts,
            buyers=self.buyers_,
            viewers=self.viewers_,
        )
        self._precompute(evidence, available, groups)
        return self

    def _read_items(self, items: Items | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Set ``prices_`` and ``titles_`` from the items table; return availability and variant ids.

        The variant ids stack two rows: the host's variant group and the title (spelling aside),
        so the same title under another code is a variant too.
        """
        price = item_column(items, "price", n)
        self.prices_ = (
            np.full(n, np.nan) if price is None else np.array([_as_float(p) for p in price], dtype=np.float64)
        )
        column = item_column(items, "available", n)
        available = (
            np.ones(n, dtype=bool)
            if column is None
            else np.array([False if _missing(a) else bool(a) for a in column], dtype=bool)
        )
        column = item_column(items, "variant_group", n)
        groups = np.full(n, -1, dtype=np.int64) if column is None else encode_types(column)[0]
        text = item_column(items, "text", n)
        titles = [""] * n if text is None else ["" if _missing(t) else str(t) for t in text]
        self.titles_ = np.array(titles, dtype=str)
        return available, np.stack([groups, _title_keys(_titles(items, n) or titles)])

    def _types(self, items: Items | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Return each item's type and subtype ids: the host's ``type`` column as it is (for both),
        else both inferred from the titles and categories (:func:`.product_types.catalogue_types`)."""
        category = item_column(items, "category", n)
        titles = _titles(items, n) or list(self.titles_)
        categories = None if category is None else list(category)
        types, inferred = catalogue_types(titles, categories, item_column(items, "type", n))
        if inferred is None:  # the host's types: no finer subtype to rank by
            return types, types
        return types, catalogue_types(titles, categories, detail=True)[0]

    def _content_vectors(self, items: Items | None, n: int) -> sp.csr_matrix:
        """Return L2-normalised [TF-IDF of the title | weighted one-hot category] rows."""
        blocks = []
        if any(self.titles_):
            vectorizer = TfidfVectorizer(analyzer=_analyze, sublinear_tf=True, dtype=np.float32)
            blocks.append(vectorizer.fit_transform(list(self.titles_)))
        category = item_column(items, "category", n)
        if category is not None and self.category_weight > 0:
            labels = ["" if _missing(c) else str(c) for c in category]
            codes = {k: i for i, k in enumerate(sorted(set(labels) - {""}))}
            rows = [i for i, c in enumerate(labels) if c]
            cols = [codes[labels[i]] for i in rows]
            onehot = sp.csr_matrix(
                (np.full(len(rows), self.category_weight, dtype=np.float32), (rows, cols)),
                shape=(n, max(len(codes), 1)),
            )
            if blocks:
                blocks[0] = normalize(blocks[0])
            blocks.append(onehot)
        if not blocks:
            return sp.csr_matrix((n, 0), dtype=np.float32)
        return normalize(sp.hstack(blocks, format="csr", dtype=np.float32)).astype(np.float32)

    # ------------------------------------------------------------------ item-item blocks
    def _combine(
        self,
        evidence: Evidence,
        a: np.ndarray,
        b: np.ndarray,
        text: np.ndarray,
        shared_buyers: np.ndarray,
        shared_orders: np.ndarray,
        coviews: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(substitutability, complement)`` of the pairs ``(a[i], b[i])`` from their counts.

        Everything is element-wise over 1-D arrays, so every use shares one definition.
        """
        weights, parts = [], []
        if evidence.text.shape[1]:
            weights.append(self.text_weight)
            parts.append(text)
        if evidence.users.shape[1]:
            norm = _row_norms(evidence.buyers)
            weights.append(self.purchase_weight)
            parts.append(np.minimum(np.maximum(shared_buyers - shared_orders, 0) / (norm[a] * norm[b]), 1.0))
        if evidence.views.shape[1]:
            norm = _row_norms(evidence.viewers)
            weights.append(self.view_weight)
            parts.append(np.minimum(np.maximum(coviews - shared_orders, 0) / (norm[a] * norm[b]), 1.0))
        total = float(sum(weights))
        sub = sum(w * p for w, p in zip(weights, parts)) / total if total > 0 else np.zeros(len(a))
        counts = evidence.order_counts.astype(np.float64)
        expected = counts[a] * counts[b] / max(evidence.n_orders, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = np.where(expected > 0, shared_orders / expected, 0.0)
        complement = (shared_orders >= self.complement_min_orders) & (lift > self.complement_lift)
        return np.asarray(sub, dtype=np.float64), complement

    def _pairs(self, evidence: Evidence, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Return the signals of every candidate pair ``(rows[i], j)``.

        Only pairs of one type (or, without types, pairs sharing a word, a customer or a
        session: any other pair has zero substitutability) are scored, so a block costs its
        candidates, not ``len(rows) x n_items``. 1-D arrays
        under keys ``position`` (into ``rows``), ``source``, ``target``, ``text``,
        ``shared_buyers``, ``shared_orders``, ``substitutability`` and ``complement``, plus the
        complements among all pairs sharing an order, under ``complement_source``,
        ``complement_target`` and ``complement_orders``.
        """
        n = self.n_items_
        counts = {}
        for name, matrix in (
            ("text", evidence.text),
            ("orders", evidence.orders),
            ("users", evidence.users),
            ("views", evidence.views),
        ):
            product = (matrix[rows] @ matrix.T).tocoo() if matrix.shape[1] else sp.coo_matrix((len(rows), n))
            counts[name] = (product.row.astype(np.int64) * n + product.col, product.data.astype(np.float64))
        if evidence.types.shape[1]:
            product = (evidence.types[rows] @ evidence.types.T).tocoo()
            candidates = [product.row.astype(np.int64) * n + product.col]
        else:
            candidates = [counts[name][0] for name in ("text", "users", "views")]
        union = np.sort(np.concatenate(candidates))
        union = union[np.concatenate([[True], union[1:] != union[:-1]])] if len(union) else union
        aligned = {}
        for name, (keys, data) in counts.items():
            values = np.zeros(len(union), dtype=np.float64)
            if len(union):
                pos = np.searchsorted(union, keys)
                found = (pos < len(union)) & (union[np.minimum(pos, len(union) - 1)] == keys)
                values[pos[found]] = data[found]
            aligned[name] = values
        position, target = np.divmod(union, n)
        source = rows[position]
        shared_buyers = aligned["users"] if evidence.users.shape[1] else aligned["orders"]
        sub, complement = self._combine(
            evidence, source, target, aligned["text"], shared_buyers, aligned["orders"], aligned["views"]
        )
        # complements: every pair sharing an order, with or without other evidence (itself excluded)
        keys, shared_orders = counts["orders"]
        with_source, with_target = rows[keys // n], keys % n
        zeros = np.zeros(len(keys))
        _, bought_with = self._combine(evidence, with_source, with_target, zeros, zeros, shared_orders, zeros)
        bought_with &= with_source != with_target
        return {
            "position": position,
            "source": source,
            "target": target,
            "text": aligned["text"],
            "shared_buyers": shared_buyers,
            "shared_orders": aligned["orders"],
            "substitutability": sub,
            "complement": complement,
            "complement_source": with_source[bought_with],
            "complement_target": with_target[bought_with],
            "complement_orders": shared_orders[bought_with],
        }

    def _chosen(self, evidence: Evidence) -> np.ndarray:
        """Return each item's ranking factor for evidence of being chosen, 1 .. ``1 + popularity_weight``."""
        chosen = np.log1p(evidence.buyers.astype(np.float64))
        if evidence.viewers.any():
            rate = (evidence.order_counts + 1.0) / (evidence.viewers + 1.0)
            chosen = chosen * np.clip(rate / np.median(rate), 0.5, 2.0)  # one signal, not a veto
        top = chosen.max() if len(chosen) else 0.0
        return 1.0 + self.popularity_weight * (chosen / top if top > 0 else chosen)

    def _upgrade_scores(
        self, pairs: dict[str, np.ndarray], chosen: np.ndarray, available: np.ndarray, groups: np.ndarray
    ) -> np.ndarray:
        """Return each pair's upgrade score, ``-inf`` where the target is no upgrade of the source."""
        a, b = pairs["source"], pairs["target"]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = self.prices_[b] / self.prices_[a]
        ok = np.isfinite(ratio) & (ratio >= self.min_price_ratio) & (ratio <= self.max_price_ratio)
        ok &= available[b] & (a != b) & ~pairs["complement"] & ~_variants(groups, a, b)
        ok &= self._similar_enough(pairs)
        step = np.where(ok, ratio, 1.0) ** self.uplift_weight
        closest = 1.0 + self.subtype_weight * same_type(self.subtypes_, a, b)
        score = (pairs["substitutability"] + _RANK_FLOOR) * chosen[b] * step * closest
        return np.where(ok, score, -np.inf)

    def _similar_enough(self, pairs: dict[str, np.ndarray]) -> np.ndarray:
        """Return where a pair may be a substitute: one type (when required), else substitutable enough."""
        if self.same_type:
            return same_type(self.types_, pairs["source"], pairs["target"])
        return pairs["substitutability"] >= self.min_substitutability

    def _substitute_scores(self, pairs: dict[str, np.ndarray], available: np.ndarray) -> np.ndarray:
        """Return each pair's substitutability where the target may be shown as a substitute, else ``-inf``.

        Any price and variants qualify; unavailable items, complements, the item itself and (when
        ``same_type``) other types do not.
        """
        sub = pairs["substitutability"]
        ok = available[pairs["target"]] & ~pairs["complement"] & self._similar_enough(pairs)
        ok &= pairs["target"] != pairs["source"]
        return np.where(ok, sub, -np.inf)

    def _precompute(self, evidence: Evidence, available: np.ndarray, groups: np.ndarray) -> None:
        """Fill every item's upgrade, substitute and complement lists, one block of items at a time."""
        chosen = self._chosen(evidence)
        k = max(int(self.n_candidates), 0)
        upgrades: dict[str, list[np.ndarray]] = {name: [] for name in _CANDIDATE_ARRAYS}
        substitutes: dict[str, list[np.ndarray]] = {"ids": [], "scores": []}
        complements: dict[str, list[np.ndarray]] = {"rows": [], "cols": [], "orders": []}
        upgrade_lengths = np.zeros(self.n_items_, dtype=np.int64)
        substitute_lengths = np.zeros(self.n_items_, dtype=np.int64)
        record = []
        for start, stop in evidence.blocks(self.block_budget):  # in increasing order, as the indptrs need
            rows = np.arange(start, stop)
            pairs = self._pairs(evidence, rows)
            record.append((start, stop, len(pairs["target"])))
            complements["rows"].append(pairs["complement_source"])
            complements["cols"].append(pairs["complement_target"])
            complements["orders"].append(pairs["complement_orders"])
            if k == 0:
                continue
            scores = self._upgrade_scores(pairs, chosen, available, groups)
            keep = _best_per_group(pairs["position"], scores, pairs["target"], k)
            upgrade_lengths[rows] = np.bincount(pairs["position"][keep], minlength=len(rows))
            upgrades["candidate_ids_"].append(pairs["target"][keep])
            upgrades["candidate_scores_"].append(scores[keep])
            for name in ("substitutability", "text", "shared_buyers", "shared_orders"):
                upgrades[f"candidate_{name}_"].append(pairs[name][keep])
            sub = self._substitute_scores(pairs, available)
            keep = _best_per_group(pairs["position"], sub, pairs["target"], k)
            substitute_lengths[rows] = np.bincount(pairs["position"][keep], minlength=len(rows))
            substitutes["ids"].append(pairs["target"][keep])
            substitutes["scores"].append(sub[keep])
        self.blocks_ = np.array(record, dtype=np.int64).reshape(-1, 3)
        self.candidate_indptr_ = _indptr(upgrade_lengths)
        for name, chunks in upgrades.items():
            dtype = np.float32 if name in _FLOAT_CANDIDATE_ARRAYS else np.int64
            setattr(self, name, _joined(chunks, dtype))
        self.similar_indptr_ = _indptr(substitute_lengths)
        self.similar_ids_ = _joined(substitutes["ids"], np.int64)
        self.similar_scores_ = _joined(substitutes["scores"], np.float32)
        self.complements_ = sp.csr_matrix(
            (
                _joined(complements["orders"], np.int64),
                (_joined(complements["rows"], np.int64), _joined(complements["cols"], np.int64)),
            ),
            shape=(self.n_items_, self.n_items_),
        )

    # ------------------------------------------------------------------ queries
    def upgrades(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` upgrades of ``item``, best first, as ``(ids, scores)``.

        Unknown items, items without a price and items with no qualifying substitute give empty
        arrays.
        """
        if not 0 <= int(item) < getattr(self, "n_items_", 0):
            return empty_result()
        lo, hi = self.candidate_indptr_[item], self.candidate_indptr_[item + 1]
        hi = min(hi, lo + max(int(n), 0))
        return self.candidate_ids_[lo:hi].copy(), self.candidate_scores_[lo:hi].copy()

    def upgrades_batch(self, items: Sequence[int], n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return upgrade lists for many items, shape ``(len(items), n)``, padded with -1 / nan."""
        return pad_answers([self.upgrades(int(i), n) for i in items], n)

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Return up to ``n`` (at most ``n_candidates``) substitutes of ``item`` at any price.

        Scores are the substitutability; complements are excluded, variants count as substitutes,
        unavailable items do not.
        """
        if not 0 <= int(item) < getattr(self, "n_items_", 0):
            return empty_result()
        lo, hi = self.similar_indptr_[item], self.similar_indptr_[item + 1]
        hi = min(hi, lo + max(int(n), 0))
        return self.similar_ids_[lo:hi].copy(), self.similar_scores_[lo:hi].copy()

    def complements(self, item: int) -> np.ndarray:
        """Return the items frequently bought with ``item`` (same-order lift rule): never upgrades."""
        if not 0 <= int(item) < getattr(self, "n_items_", 0):
            return np.empty(0, dtype=np.int64)
        row = self.complements_[int(item)]
        return np.sort(row.indices).astype(np.int64)

    def complete_basket(
        self, items: Sequence[int], n: int = 10, history: Sequence[Sequence[int]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return upgrades of anything in the basket (the best score per candidate), none in it.

        An up-sell model has no complements to offer; for a basket it proposes replacements,
        which is what a cart's "upgrade your choice" widget shows. ``history`` is not used.
        """
        basket = self.known_items(items)
        best: dict[int, float] = {}
        for item in basket:
            ids, scores = self.upgrades(int(item), self.n_candidates)
            for i, s in zip(ids.tolist(), scores.tolist()):
                best[i] = max(best.get(i, -math.inf), s)
        for item in basket.tolist():
            best.pop(item, None)
        if not best:
            return empty_result()
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[: max(int(n), 0)]
        return np.array([i for i, _ in ranked], dtype=np.int64), np.array([s for _, s in ranked], dtype=np.float32)

    # ------------------------------------------------------------------ explanations
    def explain(self, source: int, target: int) -> UpgradeExplanation:
        """Explain why ``target`` is (or is not) an upgrade of ``source``: numbers and words only.

        The keys are those of :class:`crosssell_app.explanations.Upgrade`: ``price_difference``,
        ``price_difference_percent`` (float or None), ``added_words`` (phrases of the target's
        title the source lacks), ``text_similarity``, ``substitutability``, ``shared_customers``,
        ``bought_together_orders``, ``chosen_by`` (int), ``chosen_by_unit`` ("customers" or
        "orders") and ``viewed_by`` (sessions; 0 without views). Sentences are the widget
        templates' job, so they can be translated.

        The pair's own signals are kept for the stored upgrades only (the model keeps no
        purchases to count them from): for any other pair ``text_similarity``,
        ``substitutability`` and ``shared_customers`` are None, and ``bought_together_orders``
        is known for a complement and None otherwise.
        """
        n = getattr(self, "n_items_", 0)
        if not (0 <= int(source) < n and 0 <= int(target) < n):
            raise IndexError(f"source {source} or target {target} is not an item of this model")
        source, target = int(source), int(target)
        lo, hi = self.candidate_indptr_[source], self.candidate_indptr_[source + 1]
        hit = np.flatnonzero(self.candidate_ids_[lo:hi] == target)
        if len(hit):
            at = lo + int(hit[0])
            text_sim = float(self.candidate_text_[at])
            sub = float(self.candidate_substitutability_[at])
            shared_buyers = int(self.candidate_shared_buyers_[at])
            shared_orders = int(self.candidate_shared_orders_[at])
        else:  # not a stored upgrade: only a complement's shared orders were kept
            text_sim = sub = shared_buyers = shared_orders = None
            row = self.complements_[source]
            found = np.flatnonzero(row.indices == target)
            if len(found):
                shared_orders = int(row.data[found[0]])
        p_a, p_b = self.prices_[source], self.prices_[target]
        priced = bool(np.isfinite(p_a) and np.isfinite(p_b) and p_a > 0)
        difference = round(float(p_b - p_a), 2) if priced else None
        percent = round(float(100.0 * (p_b - p_a) / p_a), 1) if priced else None
        added = added_phrases(str(self.titles_[source]), str(self.titles_[target]))
        return {
            "price_difference": difference,
            "price_difference_percent": percent,
            "added_words": added,
            "text_similarity": None if text_sim is None else round(text_sim, 4),
            "substitutability": None if sub is None else round(sub, 4),
            "shared_customers": shared_buyers if self.has_customers_ else 0,
            "bought_together_orders": shared_orders,
            "chosen_by": int(self.buyers_[target]),
            "chosen_by_unit": "customers" if self.has_customers_ else "orders",
            "viewed_by": int(self.viewers_[target]),
        }


def _best_per_group(group: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray, k: int) -> np.ndarray:
    """Return indices of the ``k`` best finite ``scores`` of each ``group``, by group then best first.

    Ties go to the lower ``tiebreak`` (the item index), so lists are deterministic.
    """
    finite = np.flatnonzero(np.isfinite(scores))
    order = finite[np.lexsort((tiebreak[finite], -scores[finite], group[finite]))]
    grouped = group[order]
    rank = np.arange(len(order)) - np.searchsorted(grouped, grouped, side="left")
    return order[rank < k]


def _one_hot(types: np.ndarray) -> sp.csr_matrix:
    """Return items x types with a 1 at each known type (an unknown type's row is empty)."""
    known = np.flatnonzero(types != UNKNOWN)
    width = int(types.max()) + 1 if len(known) else 0
    data = np.ones(len(known), dtype=np.float32)
    return sp.csr_matrix((data, (known, types[known])), shape=(len(types), width))


def _titles(items: Items | None, n: int) -> list[str] | None:
    """Return the items' ``title`` column (names only, no description), or None when there is none."""
    column = item_column(items, "title", n)
    return None if column is None else ["" if _missing(t) else str(t) for t in column]


def _title_keys(titles: Sequence[str]) -> np.ndarray:
    """Return an id per distinct title, spelling aside (case, spaces, plurals); -1 for no title."""
    return encode_types([" ".join(singular(w) for w in words(t)) for t in titles])[0]


def _variants(groups: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return where ``b[i]`` is a variant of ``a[i]``: one variant group, or one title under two codes.

    ``groups`` stacks two rows of ids (variant group, title); -1 is "none" and never matches.
    """
    return np.any((groups[:, a] == groups[:, b]) & (groups[:, a] >= 0), axis=0)


def _item_rows(matrix: sp.spmatrix | None, n: int, name: str) -> sp.csr_matrix:
    """Return ``matrix`` (rows x items) transposed to binary items x rows, or one with no columns."""
    if matrix is None:
        return sp.csr_matrix((n, 0), dtype=np.float32)
    m = binarize(as_csr(matrix))
    if m.shape[1] != n:
        raise ValueError(f"{name} has {m.shape[1]} item columns, interactions has {n}")
    return m.T.tocsr()


def _indptr(lengths: np.ndarray) -> np.ndarray:
    """Return the CSR-style offsets of consecutive per-item lists of the given ``lengths``."""
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def _joined(chunks: list[np.ndarray], dtype: type) -> np.ndarray:
    """Return the per-block ``chunks`` as one array of ``dtype`` (empty when there are none)."""
    return np.concatenate(chunks).astype(dtype) if chunks else np.empty(0, dtype=dtype)


def _missing(value: Any) -> bool:
    """Return True for None and NaN, the two spellings of "no value" in an items table."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_float(value: Any) -> float:
    """Return ``value`` as a float, or nan when it is missing or not a number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


__all__ = ["Upgrade", "added_phrases", "singular", "words"]
