"""Offline evaluation of up-sell ("upgrade") lists on an order history with a time split.

The question asked of an upgrade list is the one a shop cares about: *when a customer who bought
A later bought a higher-priced substitute B instead of A, would ``upgrades(A)`` have shown B in
its top 10?* The ground truth must not reuse the model's own signals (text similarity, shared
customers, co-views) or it would grade the model by itself, so a *substitute* is defined here
independently:

* **same product type**: A and B have the same *head noun*, the right-most word of the title
  that is in :data:`HEAD_NOUNS`, a fixed list of product types written for this evaluation (MUG,
  BAG, HOLDER, NECKLACE, CLOCK, ...). One word from a closed lexicon, not a similarity score; the
  model never sees the lexicon. (The rule baseline's category comes from yet another rule,
  ``demo_shop.shop.categories``.)
* **a replacement, not an addition**: B is in a test-period order of the customer that does not
  hold A again;
* **higher value**: ``price_band[0] * price(A) <= price(B) <= price_band[1] * price(A)``, prices
  being each product's median unit price over the training weeks (the catalogue price);
* **a new choice**: the customer had not bought B in the training weeks, and B is not a variant
  of A (same base stock code), which the model excludes on purpose.

One case is one (customer, A) pair with every such B of that customer as its relevant set.
Metrics: HitRate@k (any relevant B in the top k), Recall@k and MRR@k, averaged over cases.

Pure pandas/numpy: no Django, no recommender import (the caller passes the lists to score).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

# only the word normaliser is shared with the model (MUGS -> MUG); no signal is
from crosssell_app.recommenders.upgrade import singular

from crosssell_app.evaluation.splits import basket_matrix, item_index, item_table, order_customers

#: product types for the ground truth's "same head noun" (singular, upper case)
HEAD_NOUNS: frozenset[str] = frozenset(
    """
    HOLDER BOX COVER DECORATION BAG NECKLACE BOWL MUG BRACELET CANDLE RING CHARM EARRING SIGN CLOCK
    CARD BOTTLE FRAME CASE HOOK LIGHT STICKER TRAY MIRROR GARLAND KIT NOTEBOOK PLATE TISSUE WRAP
    PURSE CUP CABINET MAGNET CUTLERY BUNTING STAND JAR RIBBON BASKET DISH HANGER DOILY TAPE TIN TOY
    POT LETTER PARASOL UMBRELLA HANDBAG TAG BALL GLASS TREE APRON BELL BEAKER SAUCER RACK CURTAIN
    LAMPSHADE BEAD PLACEMAT WASHBAG NAPKIN DOORSTOP LAMP CONTAINER CANDLEHOLDER TUBE BOOK WREATH
    BUCKET ORGANISER THERMOMETER COASTER PEN FAN INCENSE MOBILE JOURNAL CANDLESTICK JUG MATCHES KNOB
    SHEET LANTERN DOLL STICK PATCH HELICOPTER CHAIN COMB CLIP BALLOON STRAW SPOON WINDMILL FLANNEL
    CAN BANK DRAWER TIDY CHAIR BOARD SUCKER TASSEL ALBUM SPONGE RULER GLOVE GNOME LID GAME HAMMOCK
    SCALE CORNICE BACKPACK WARMER TEDDY SCREEN KEYRING BANGLE RUBBER SCISSOR SHARPENER ERASER BURNER
    HAIRSLIDE MEASURE HEADPHONE STOOL SHELF CHANDELIER TOWEL DOORMAT CUSHION TEAPOT PENCIL CAKESTAND
    LUNCHBOX PAD PLANTER VASE BROOCH PENDANT TABLE PUZZLE JIGSAW CRAYON WALLET SLIPPER SCARF HAT
    BLANKET QUILT THROW PICTURE PLAQUE TILE TIMER FLASK TUMBLER GOBLET CANISTER CAKETIN STOCKING
    CRACKER BAUBLE ORNAMENT
    """.split()  # noqa: SIM905 - a word list reads best as words
)

_WORD = re.compile(r"[A-Za-z0-9]+")


def head_noun(description: str) -> str | None:
    """Return the product type of ``description``: its right-most word in :data:`HEAD_NOUNS`."""
    for word in reversed(_WORD.findall((description or "").upper())):
        if word in HEAD_NOUNS:
            return word
        if singular(word) in HEAD_NOUNS:
            return singular(word)
    return None


# ---------------------------------------------------------------------------- data preparation
@dataclass
class Catalogue:
    """The training weeks as matrices plus the item table every model and baseline gets."""

    codes: pd.Index  #: stock code of each item index
    items: pd.DataFrame  #: text, category, price, variant_group, available
    orders: sp.csr_matrix  #: orders x items
    users: sp.csr_matrix  #: customers x items
    customers: np.ndarray  #: each order row's customer (-1: unknown), the ``customers`` a recommender's fit takes
    heads: np.ndarray  #: head noun of each item (None when the title has none)

    def index(self, codes: Sequence[str]) -> np.ndarray:
        """Return item indices of ``codes`` (-1 where unknown)."""
        return self.codes.get_indexer(pd.Index(codes))


def variant_group(code: str) -> str:
    """Return the base stock code: Online Retail variants share the digits, e.g. 85123A/85123B."""
    match = re.match(r"\d+", code)
    return match.group(0) if match else code


def build_catalogue(lines: pd.DataFrame, categorize: Callable[[str], str]) -> Catalogue:
    """Return the :class:`Catalogue` of the order ``lines`` (as from ``load_online_retail``).

    Each product is described by its most frequent description and priced at its median unit
    price (wholesale lines vary the price by quantity; the median is the list price).
    """
    codes = item_index(lines)
    known = lines.loc[lines["customer"] != ""]
    table = item_table(lines, codes)
    items = pd.DataFrame(
        {
            "text": table["text"],
            "category": [categorize(t) for t in table["text"]],
            "price": np.asarray(table["price"], dtype=np.float64),
            "variant_group": [variant_group(c) for c in codes],
            "available": np.ones(len(codes), dtype=bool),
        }
    )
    return Catalogue(
        codes=codes,
        items=items,
        orders=basket_matrix(lines, codes),
        users=basket_matrix(known.assign(order_id=known["customer"]), codes),
        customers=order_customers(lines, codes)[0],
        heads=np.array([head_noun(t) for t in table["text"]], dtype=object),
    )


# ---------------------------------------------------------------------------- ground truth
@dataclass
class Case:
    """One evaluation case: ``customer`` bought ``source`` in training, later chose ``targets``."""

    customer: str
    source: int
    targets: frozenset[int]


def in_band(
    source_price: float | np.ndarray, target_price: float | np.ndarray, band: tuple[float, float]
) -> np.ndarray:
    """Return where ``target_price`` lies within ``band`` times ``source_price`` (nan -> False)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.asarray(target_price, dtype=np.float64) / np.asarray(source_price, dtype=np.float64)
        return np.isfinite(ratio) & (ratio >= band[0]) & (ratio <= band[1])


def upgrade_cases(
    catalogue: Catalogue, train: pd.DataFrame, test: pd.DataFrame, band: tuple[float, float] = (1.1, 3.0)
) -> list[Case]:
    """Return the ground-truth cases: later higher-priced same-type choices that replaced A.

    See the module docstring for the rules; only customers known in both periods and products
    in the training catalogue count (a model cannot recommend what it has never seen).
    """
    price = catalogue.items["price"].to_numpy(dtype=np.float64)
    group = catalogue.items["variant_group"].to_numpy(dtype=str)
    heads = catalogue.heads
    bought = (
        train.loc[train["customer"] != ""]
        .assign(item=lambda d: catalogue.index(d["code"].to_numpy(dtype=str)))
        .groupby("customer")["item"]
        .agg(lambda s: {int(i) for i in s if i >= 0})
    )
    test = test.loc[test["customer"].isin(bought.index)].assign(
        item=lambda d: catalogue.index(d["code"].to_numpy(dtype=str))
    )
    test = test.loc[test["item"] >= 0]
    found: dict[tuple[str, int], set[int]] = {}
    for (customer, _), order in test.groupby(["customer", "order_id"], sort=True):
        history = bought[customer]
        in_order = {int(i) for i in order["item"]}
        by_head: dict[str, list[int]] = {}
        for b in in_order - history:
            if heads[b] is not None:
                by_head.setdefault(heads[b], []).append(b)
        if not by_head:
            continue
        for a in history - in_order:
            targets = by_head.get(heads[a]) if heads[a] is not None else None
            if not targets:
                continue
            good = [b for b in targets if group[b] != group[a] and in_band(price[a], price[b], band)]
            if good:
                found.setdefault((customer, a), set()).update(good)
    return [Case(c, a, frozenset(t)) for (c, a), t in sorted(found.items())]


# ---------------------------------------------------------------------------- baseline and metrics
def category_rule_upgrades(
    categories: Sequence[str],
    prices: np.ndarray,
    popularity: np.ndarray,
    groups: Sequence[str] | None = None,
    band: tuple[float, float] = (1.1, 3.0),
    n: int = 10,
) -> np.ndarray:
    """Return the rule baseline's lists: same category, priced within ``band``, most popular first.

    This is what merchants configure by hand ("same category, price above"). Variants of the
    source are skipped so the rule is not handicapped by what the ground truth excludes. Shape
    ``(n_items, n)``, padded with -1.
    """
    categories = np.asarray(categories, dtype=str)
    prices = np.asarray(prices, dtype=np.float64)
    groups_arr = np.asarray(groups, dtype=str) if groups is not None else None
    out = np.full((len(categories), n), -1, dtype=np.int64)
    for category in np.unique(categories):
        members = np.flatnonzero(categories == category)
        members = members[np.argsort(-np.asarray(popularity)[members], kind="stable")]
        for a in members:
            keep = members[in_band(prices[a], prices[members], band) & (members != a)]
            if groups_arr is not None:
                keep = keep[groups_arr[keep] != groups_arr[a]]
            out[a, : min(n, len(keep))] = keep[:n]
    return out


def case_hits(lists: np.ndarray, cases: Sequence[Case], k: int = 10) -> np.ndarray:
    """Return a ``(len(cases), 3)`` array: per case hit@k, recall@k and reciprocal rank@k."""
    out = np.zeros((len(cases), 3), dtype=np.float64)
    for row, case in enumerate(cases):
        top = [int(i) for i in lists[case.source, :k] if i >= 0]
        ranks = [r for r, i in enumerate(top) if i in case.targets]
        if ranks:
            out[row] = (1.0, len(ranks) / len(case.targets), 1.0 / (ranks[0] + 1))
    return out


def score_lists(lists: np.ndarray, cases: Sequence[Case], k: int = 10) -> dict[str, float]:
    """Return HitRate@k, Recall@k and MRR@k of ``lists`` (items x >=k ids, -1 padded) on ``cases``."""
    if not cases:
        return {"cases": 0, f"hit@{k}": float("nan"), f"recall@{k}": float("nan"), f"mrr@{k}": float("nan")}
    hit, recall, rr = case_hits(lists, cases, k).mean(axis=0)
    return {"cases": len(cases), f"hit@{k}": float(hit), f"recall@{k}": float(recall), f"mrr@{k}": float(rr)}


def bootstrap_gain(
    ours: np.ndarray, theirs: np.ndarray, cases: Sequence[Case], n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Return the 95% interval of ``mean(ours) / mean(theirs) - 1``, resampling *customers*.

    Cases of one customer are correlated (a wholesaler brings dozens), so the customer, not the
    case, is the unit resampled.
    """
    customers = pd.Index(sorted({c.customer for c in cases}))
    owner = customers.get_indexer([c.customer for c in cases])
    ours_sum = np.bincount(owner, weights=ours, minlength=len(customers))
    theirs_sum = np.bincount(owner, weights=theirs, minlength=len(customers))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(customers), size=(n_boot, len(customers)))
    counts = np.apply_along_axis(np.bincount, 1, draws, minlength=len(customers))
    with np.errstate(divide="ignore", invalid="ignore"):
        gains = (counts @ ours_sum) / (counts @ theirs_sum) - 1.0
    low, high = np.nanpercentile(gains, [2.5, 97.5])
    return float(low), float(high)


def has_substitute_above(catalogue: Catalogue, band: tuple[float, float] = (1.1, 3.0)) -> np.ndarray:
    """Return, per item, whether an available non-variant of the same head noun is priced in band."""
    price = catalogue.items["price"].to_numpy(dtype=np.float64)
    group = catalogue.items["variant_group"].to_numpy(dtype=str)
    available = catalogue.items["available"].to_numpy(dtype=bool)
    out = np.zeros(len(price), dtype=bool)
    heads = pd.Series(catalogue.heads)
    for members in heads.dropna().groupby(heads.dropna()).groups.values():
        members = np.asarray(members, dtype=np.int64)
        for a in members:
            ok = in_band(price[a], price[members], band) & (group[members] != group[a]) & available[members]
            out[a] = bool(ok.any())
    return out


def coverage(lists: np.ndarray, eligible: np.ndarray) -> float:
    """Return the share of ``eligible`` items whose list is non-empty."""
    if not eligible.any():
        return float("nan")
    return float((lists[eligible, 0] >= 0).mean())


__all__ = [
    "HEAD_NOUNS",
    "Case",
    "Catalogue",
    "bootstrap_gain",
    "build_catalogue",
    "case_hits",
    "category_rule_upgrades",
    "coverage",
    "has_substitute_above",
    "head_noun",
    "in_band",
    "score_lists",
    "upgrade_cases",
    "variant_group",
]
