"""Curate bought-together lists the way a shopper reads them: complements first, no variants.

The blend ranks candidates by how likely they land in the same order, and in a shop that sells
one design in many colours that is, most of all, the same item again: a doormat's list held
four doormats. So training asks the model for more candidates than it publishes
(``CANDIDATES_PER_PICK`` per pick) and keeps them in the model's order, except that

* a pair bought in one order by fewer than ``min_customers`` distinct customers is dropped:
  too little evidence to call it "frequently bought together", and a pair that one customer
  alone shows would tell a stranger what that customer bought (an order without a customer
  counts as a customer of its own, so a shop without customer ids counts orders);
* a *variant* of the source (the same item in another colour, print or size, see
  :class:`Variants`) is dropped, and of several variants of each other only the first stays;
* a complement without a *link* a reader can see (a distinctive title word in common,
  :class:`Links`) is not shown, where the titles could show one: in the labelled sample such
  picks were mostly unrelated, and no co-purchase statistic told them apart (lift was higher
  for the unrelated ones; ``docs/shopper_sample.md``);
* complements come first: the first ``top`` places go to products of other types than the
  source's, and at most ``max_same_type`` of the source's own type join them, only when
  complements run short (:func:`curate`).

The model's ranking is not changed, only which of its candidates are shown and the order of the
two groups. Pure numpy; no Django, so a notebook or the offline protocol can run it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..recommenders.product_types import UNKNOWN, catalogue_types, singular, words

#: candidates asked of the model per published pick: curation drops variants and weak pairs
CANDIDATES_PER_PICK = 5
#: a word is "variant-like" (a colour, a print, a size) when swapping it turns a title into
#: another title of the same type in at least this many places of the catalogue
MIN_SWAPS = 2
#: an inferred type fewer products share is not trusted to tell variants apart (:class:`Variants`)
MIN_TYPE_PRODUCTS = 5
#: a title word held by at most this share of the catalogue's titles is distinctive (:class:`Links`)
DISTINCTIVE_SHARE = 0.03
#: an inferred type more of the catalogue shares names no kind (:func:`item_types`); Online
#: Retail's largest, CANDLE, holds 3 % of its products
BROAD_TYPE_SHARE = 0.2
#: ... and at least this many products: in a small catalogue two mugs of three are still mugs
MIN_BROAD_TYPE = 20


@dataclass(frozen=True)
class PairEvidence:
    """How often each ``(source, candidate)`` pair was bought in one order: orders and customers."""

    orders: np.ndarray
    customers: np.ndarray


def pair_evidence(orders: sp.csr_matrix, order_customers: np.ndarray, sources: Sequence[int],
                  candidates: np.ndarray) -> PairEvidence:
    """Return, for each ``sources[r]`` and ``candidates[r, c]``, the orders and the customers holding both.

    ``order_customers`` holds each order row's customer (-1 when unknown: that order counts as a
    customer of its own). Padding candidates (-1) count 0. One source at a time, over only the
    candidates' orders, so no item x item matrix is built.
    """
    orders = sp.csr_matrix(orders)
    owners = np.array(order_customers, dtype=np.int64)
    anonymous = owners < 0
    owners[anonymous] = owners.max(initial=-1) + 1 + np.arange(int(anonymous.sum()))
    span = int(owners.max(initial=0)) + 1  # (pick, customer) pairs as one integer: pick * span + customer
    by_item = orders.T.tocsr()
    candidates = np.asarray(candidates, dtype=np.int64)
    counts = np.zeros(candidates.shape, dtype=np.int64)
    people = np.zeros(candidates.shape, dtype=np.int64)
    holds = np.zeros(orders.shape[0], dtype=bool)
    for r, source in enumerate(np.asarray(list(sources), dtype=np.int64)):
        valid = np.flatnonzero(candidates[r] >= 0)
        if source < 0 or not len(valid):
            continue
        source_orders = by_item.indices[by_item.indptr[source]:by_item.indptr[source + 1]]
        holds[source_orders] = True
        block = by_item[candidates[r, valid]]
        row_of = np.repeat(np.arange(len(valid)), np.diff(block.indptr))
        both = holds[block.indices]
        rows, buyers = row_of[both], owners[block.indices[both]]
        counts[r, valid] = np.bincount(rows, minlength=len(valid))
        people[r, valid] = np.bincount(np.unique(rows * span + buyers) // span, minlength=len(valid))
        holds[source_orders] = False
    return PairEvidence(orders=counts, customers=people)


class Variants:
    """Tell, from titles alone, whether two products are one item in another colour, print or size.

    What counts as a colour or a print is learned from the catalogue, not from a word list: a
    word is *variant-like* when replacing it (alone or with its neighbour) turns one title into
    the title of another product of the same type ("MINT DINER WALL CLOCK" / "PINK DINER WALL
    CLOCK") in at least ``min_swaps`` places of the catalogue (:func:`swapped_words`). Colours,
    prints, motifs and sizes swap like that in any shop that sells designs in several versions;
    the words naming what the thing is rarely do. Two products are variants when

    * the host puts them in one non-empty variant group, or their titles have the same words;
    * or they are of the same product type and either every word in which their titles differ
      is variant-like, or they share at least two thirds of the shorter title's words
      ("JUMBO BAG WOODLAND ANIMALS" / "JUMBO BAG TOYS"). Products of two different types are
      never variants (a mug and an egg cup of one design go together).

    Types inferred from titles (``names`` given) are not always right, and a wrong type would let
    every variant of a product line through ("MAGIC DRAWING SLATE SPACEBOY" typed a spaceboy). So
    an inferred type that fewer than ``MIN_TYPE_PRODUCTS`` products share, or that is named by a
    variant-like word (LARGE), counts as unknown, and for a product of unknown type the titles
    alone decide, more strictly: the differing words are variant-like anywhere in the catalogue
    (any type) and the shared words hold one that is not, or the titles share at least three
    words and two thirds of the shorter one.
    """

    def __init__(self, titles: Sequence[str], types: np.ndarray | None = None, groups: Sequence[str] | None = None,
                 names: Sequence[str] | None = None, min_swaps: int = MIN_SWAPS) -> None:
        sequences = [[singular(word) for word in words(title)] for title in titles]
        self.words = [frozenset(sequence) for sequence in sequences]
        self.types = np.full(len(sequences), UNKNOWN, dtype=np.int64) if types is None else np.array(types)
        self.groups = [str(group or "") for group in groups] if groups is not None else [""] * len(sequences)
        swaps = swapped_words(sequences, None if types is None else self.types)
        self.variant_like = frozenset(word for word, n in swaps.items() if n >= min_swaps)
        self.variant_like_anywhere = frozenset(swapped_words(sequences))
        if names is not None:
            sizes = Counter(self.types.tolist())
            doubtful = [t for t in sizes if t != UNKNOWN and (
                sizes[t] < MIN_TYPE_PRODUCTS or set(str(names[t]).upper().split()) & self.variant_like)]
            self.types[np.isin(self.types, doubtful)] = UNKNOWN

    def __call__(self, a: int, b: int) -> bool:
        """Return True when products ``a`` and ``b`` are variants of one another."""
        if self.groups[a] and self.groups[a] == self.groups[b]:
            return True
        left, right = self.words[a], self.words[b]
        if left == right:
            return bool(left)
        shared = left & right
        if not shared:
            return False
        mostly_shared = 3 * len(shared) >= 2 * min(len(left), len(right))
        if self.types[a] != UNKNOWN and self.types[b] != UNKNOWN:
            if self.types[a] != self.types[b]:
                return False
            return (left ^ right) <= self.variant_like or (len(shared) >= 2 and mostly_shared)
        anywhere = self.variant_like_anywhere
        return ((left ^ right) <= anywhere and not shared <= anywhere) or (len(shared) >= 3 and mostly_shared)


def swapped_words(sequences: Sequence[Sequence[str]], types: Sequence[int] | None = None) -> Counter:
    """Return, per word, in how many title templates it is part of one of several fillers of the gap.

    A template is a title with one word, or two adjacent words, blanked out ("_ DINER WALL
    CLOCK", "_ _ DOORMAT"); a template that titles of one product type fill in two or more ways
    shows those fillers standing in for one another. Titles of different known types are never
    compared ("RED SPOT MUG" / "RED SPOT DOORMAT" swap what the thing is, not its look); with
    unknown types every title is compared with every other.
    """
    fillers: dict[tuple, set[tuple[str, ...]]] = {}
    for n, sequence in enumerate(sequences):
        kind = UNKNOWN if types is None else int(types[n])
        for width in (1, 2):
            for i in range(len(sequence) - width + 1):
                template = (kind, *sequence[:i], "", *sequence[i + width:])
                fillers.setdefault(template, set()).add(tuple(sequence[i:i + width]))
    swaps: Counter = Counter()
    for found in fillers.values():
        if len(found) >= 2:
            swaps.update({word for filler in found for word in filler})
    return swaps


def curate(sources: Sequence[int], candidates: np.ndarray, evidence: PairEvidence, variants: Variants,
           types: np.ndarray, *, k: int, min_customers: int, max_same_type: int, top: int = 3,
           links: Links | None = None, require_link: bool = False) -> np.ndarray:
    """Return, per source, the columns of ``candidates`` to publish, in order (``(n, k)``, -1 padded).

    ``candidates`` are the model's, best first (-1 padded). After the drops the module docstring
    lists, the first ``top`` places go to complements (picks of another type than the source's),
    those a reader can see a link to first (``links``: one category, a distinctive word in common),
    each group in the model's order; picks of the source's own type take a place there only when
    complements run short, at most ``max_same_type`` of them. Everything else follows in the
    model's order. A list that cannot fill its first ``top`` places this way ends there, so the
    cap holds on every list. With ``require_link`` a complement without a link is not shown at
    all, where both titles could show one (:meth:`Links.could_link`): a reader sees no reason
    for it, and in the labelled sample such picks were mostly unrelated.
    """
    types = np.asarray(types)
    kept = np.full((len(candidates), k), -1, dtype=np.int64)
    for r, source in enumerate(np.asarray(list(sources), dtype=np.int64)):
        row = candidates[r]
        own_type = (types[row] == types[source]) & (types[source] != UNKNOWN)
        accepted: list[int] = []
        linked = 0
        for c, item in enumerate(row.tolist()):
            if len(accepted) >= k and linked >= top:
                break
            if item < 0 or evidence.customers[r, c] < min_customers or variants(source, item):
                continue
            if any(variants(row[other], item) for other in accepted):
                continue
            if require_link and links is not None and not own_type[c] and links.could_link(source, item) \
                    and not links(source, item):
                continue
            accepted.append(c)
            linked += bool(not own_type[c] and (links is None or links(source, item)))
        complements = [c for c in accepted if not own_type[c]]
        if links is not None:
            complements.sort(key=lambda c: not links(source, row[c]))  # stable: the model's order within
        head = complements[:top]
        head += [c for c in accepted if own_type[c]][:max(0, min(max_same_type, top - len(head)))]
        chosen = (head + [c for c in accepted if c not in head] if len(head) >= top else head)[:k]
        kept[r, :len(chosen)] = chosen
    return kept


class Links:
    """Tell whether a reader can see why two products go together, from their titles.

    Two products are *linked* when their titles share a distinctive word: one found in at most
    ``max_share`` of the catalogue's titles (a range such as REGENCY, a print, a motif, an
    occasion), not a word most titles hold (SET, PINK, VINTAGE), and not a word of either
    product's type (``type_words``): a coat rack and a magazine rack share RACK, which says
    they are both racks, not that they go together. With ``use_categories`` one category in
    common is a link too; off by default, because a shop's categories are broad: in the
    labelled Online Retail sample, pairs whose only link was the category were as often
    unrelated as complements (107 and 108 pairs), pairs sharing a distinctive word nearly never
    (``docs/shopper_sample.md``).
    """

    def __init__(self, titles: Sequence[str], categories: Sequence[str] | None = None,
                 max_share: float = DISTINCTIVE_SHARE, type_words: Sequence[str] | None = None,
                 use_categories: bool = False) -> None:
        words_of = [frozenset(singular(word) for word in words(title) if not any(c.isdigit() for c in word))
                    for title in titles]
        counts = Counter(word for found in words_of for word in found)
        limit = max(2, max_share * len(words_of))
        kinds = [frozenset(singular(word) for word in words(str(kind or ""))) for kind in type_words or []]
        self.words = [frozenset(word for word in found if counts[word] <= limit) - (kinds[at] if kinds else frozenset())
                      for at, found in enumerate(words_of)]
        given = [str(category or "").strip() for category in categories] if categories is not None else []
        self.categories = given if use_categories and any(given) else [""] * len(words_of)

    def __call__(self, a: int, b: int) -> bool:
        """Return True when products ``a`` and ``b`` share a distinctive title word (or, if used, a category)."""
        if self.categories[a] and self.categories[a] == self.categories[b]:
            return True
        return bool(self.words[a] & self.words[b])

    def could_link(self, a: int, b: int) -> bool:
        """Return True when both titles hold a distinctive word, so a link, if any, would show.

        A shop whose titles hold no such words (codes, generic names) shows no links at all;
        requiring one there would empty every list, so a pick is judged on the evidence alone.
        """
        return bool(self.words[a]) and bool(self.words[b]) or bool(self.categories[a] and self.categories[b])


def item_types(items) -> tuple[np.ndarray, np.ndarray | None]:
    """Return each item's type id and, when inferred from titles, the types' names (None: the host's types).

    The host's ``type`` column wins when it has one; otherwise types are inferred from titles,
    across categories (the up-sell model splits them by category, curation does not): a shop
    files products by occasion and room as well as by kind, and to a shopper two birthday cards,
    or two metal signs, are versions of one thing whichever department holds them. In the
    labelled sample, types split by category let 60 such variants into the top 3 (23 %).

    An inferred type that more than ``BROAD_TYPE_SHARE`` of the products (and at least
    ``MIN_BROAD_TYPE``) share names no kind
    (a shop of generic names, "fresh sweet product 17", infers PRODUCT for all): it counts as
    unknown, so it neither makes every pick the product's own type nor hides them all.
    """
    types, names = catalogue_types([str(title) for title in items["title"]], None, items.get("type"))
    if names is not None and len(types):
        sizes = np.bincount(types[types != UNKNOWN], minlength=len(names))
        broad = np.flatnonzero((sizes > BROAD_TYPE_SHARE * len(types)) & (sizes >= MIN_BROAD_TYPE))
        types = np.where(np.isin(types, broad), UNKNOWN, types)
    return types, names


def curated_lists(candidates: np.ndarray, scores: np.ndarray, sources: np.ndarray, k: int, *,
                  orders: sp.csr_matrix, order_customers: np.ndarray | None, items, min_customers: int,
                  max_same_type: int, require_link: bool = True,
                  link_by_category: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the curated lists of ``sources`` from the model's candidates: ``(ids, scores, orders_together)``.

    ``candidates`` and ``scores`` are a ``complete_basket_batch`` answer for ``sources`` (ask for
    ``CANDIDATES_PER_PICK`` times ``k``); each result is ``(n, k)``, padded with -1, NaN and 0.
    ``link_by_category``: one category in common is a link too (:class:`Links`).
    """
    candidates = np.asarray(candidates, dtype=np.int64)
    if order_customers is None:  # no customer ids known: every order counts as its own customer
        order_customers = np.full(orders.shape[0], -1, dtype=np.int64)
    evidence = pair_evidence(orders, order_customers, sources, candidates)
    types, names = item_types(items)
    groups = list(items["variant_group"]) if "variant_group" in items else None
    titles = [str(title) for title in items["title"]]
    variants = Variants(titles, types, groups, names)
    kinds = list(items["type"]) if names is None else [names[t] if t != UNKNOWN else "" for t in types]
    links = Links(titles, list(items["category"]) if "category" in items else None, type_words=kinds,
                  use_categories=link_by_category)
    columns = curate(sources, candidates, evidence, variants, types, k=k, min_customers=min_customers,
                     max_same_type=max_same_type, links=links, require_link=require_link)
    return (take(candidates, columns, -1), take(np.asarray(scores, dtype=np.float64), columns, np.nan),
            take(evidence.orders, columns, 0))


def complete_from_lists(ids: np.ndarray, scores: np.ndarray, baskets: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Return the ``n`` best products for each basket from per-product lists, shape ``(len(baskets), n)``.

    A product scores the sum of its scores in the lists of the basket's items (the cart widget's
    rule); the basket's own items are left out; ties go to the lower index; padding is -1.
    """
    valid = ids >= 0
    rows = np.repeat(np.arange(len(ids)), valid.sum(axis=1))
    lists = sp.csr_matrix((np.nan_to_num(scores[valid]), (rows, ids[valid])), shape=(len(ids), len(ids)))
    ranked = np.full((len(baskets), n), -1, dtype=np.int64)
    for row, basket in enumerate(baskets):
        basket = np.asarray(basket, dtype=np.int64)
        summed = lists[basket].sum(axis=0).A1 if len(basket) else np.zeros(len(ids))
        listed = np.zeros(len(ids), dtype=bool)
        listed[lists[basket].indices] = True
        listed[basket] = False
        found = np.flatnonzero(listed)
        best = found[np.lexsort((found, -summed[found]))][:n]
        ranked[row, :len(best)] = best
    return ranked


def take(values: np.ndarray, columns: np.ndarray, fill) -> np.ndarray:
    """Return ``values[r, columns[r, c]]`` for every kept column, ``fill`` where ``columns`` is -1."""
    rows = np.arange(len(columns))[:, None]
    return np.where(columns >= 0, values[rows, np.maximum(columns, 0)], fill)


__all__ = ["Links", "PairEvidence", "Variants", "complete_from_lists", "curate", "curated_lists", "item_types", "pair_evidence",
           "swapped_words", "take"]
