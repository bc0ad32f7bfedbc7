"""Lists for a product newer than the last retrain, from its content, type and category, in seconds.

A retrain knows only the products that existed when it read the catalogue, so a product added
after it would have no list, and appear in none, until the next one. When the host saves a new
product (``post_save``, or the ``product_saved`` signal for saves that bypass it), a task
(:func:`crosssell_app.tasks.publish_new_product`) calls :func:`publish_product_lists`, which
writes into the *active* version, in one transaction:

* **similar**: the products whose text is closest (TF-IDF cosine of title and description),
  those of the product's own type first (same type = substitute, ``docs/product_types.md``);
* **upgrade**: its substitutes (same type; same category when the type is unknown) priced within
  ``UPGRADE_PRICE_BAND`` of it, closest text first, explained as a retrain's upgrade is (price
  difference, added words, text similarity) minus the purchase evidence it cannot have;
* **bought together**: nobody has bought it yet, so nothing is claimed to be "bought together".
  Its closest substitutes' published bought-together lists are borrowed (what goes with a
  product like it goes with it), each pick naming the substitutes it comes from
  (``similar_to``); complements of other types come first, as curation puts them. When those
  run short, the category's best sellers of other types fill up (``category_orders``).
* it enters **other products' lists**: the upgrade lists of the substitutes it is an upgrade of
  (it costs 1.1-3x theirs) and the similar lists of its closest substitutes, placed by the rule
  of :mod:`.realtime`: right after the last entry whose text is at least as close, so the
  retrain's order of what it published is kept; lists are cut back to ``TOP_K``.

Every row written carries ``new_product: true``, so a reader can tell a pick from content from
one from purchases, and a product whose lists a retrain published is left alone (a host saving
an old product again changes nothing). The transaction locks the active-version row and writes
to the version it read, so a retrain that switches meanwhile wins, and a failure rolls back,
leaving the lists serving as they were. Product lists hold no user, so forgets (tombstones) have
nothing to remove here. The next retrain replaces all of it with lists learnt from purchases.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, F
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from ..conf import crosssell_settings
from ..explanations import keep_known
from ..models import ActiveVersion, Kind, OrderLine, Recommendation, RecommendationVersion
from ..products import get_adapter
from ..recommenders.product_types import UNKNOWN, catalogue_types, singular, words
from ..recommenders.upgrade import added_phrases
from ..signals import recommendations_published
from .curation import Variants

logger = logging.getLogger(__name__)

#: closest substitutes whose bought-together lists a new product borrows
NEIGHBOURS = 3
#: most other products whose upgrade or similar list a new product may enter
MAX_OTHER_LISTS = 50
#: the kinds of list written here
KINDS = (Kind.SIMILAR, Kind.UPGRADE, Kind.BOUGHT_TOGETHER)


class Catalogue:
    """The host's catalogue as arrays, with text vectors, types and a variant test."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.pks = [row["pk"] for row in rows]
        self.index = {pk: i for i, pk in enumerate(self.pks)}
        self.titles = [row["title"] or row["text"] for row in rows]
        self.categories = [row["category"] for row in rows]
        self.prices = np.array([np.nan if row["price"] is None else row["price"] for row in rows], dtype=float)
        self.available = np.array([row["available"] for row in rows], dtype=bool)
        self.types, names = catalogue_types(self.titles, self.categories, [row["type"] for row in rows])
        self.groups = [row["variant_group"] for row in rows]
        self.title_words = [frozenset(singular(w) for w in words(title)) for title in self.titles]
        self.variants = Variants(self.titles, self.types, self.groups, names)
        texts = [" ".join(filter(None, (row["title"], row["text"]))) for row in rows]
        vectorizer = TfidfVectorizer(analyzer=lambda text: [singular(w) for w in words(text)], sublinear_tf=True,
                                     dtype=np.float32)
        self.vectors = normalize(vectorizer.fit_transform(texts)) if any(texts) else None

    def __len__(self) -> int:
        return len(self.pks)

    def similarity(self, i: int) -> np.ndarray:
        """Return the text cosine of product ``i`` with every product (0 without any text)."""
        if self.vectors is None:
            return np.zeros(len(self))
        return np.asarray((self.vectors @ self.vectors[i].T).toarray()).ravel()

    def substitutes(self, i: int) -> np.ndarray:
        """Return a mask of the products that can replace ``i``: its type, else (type unknown) its category."""
        if self.types[i] != UNKNOWN:
            mask = self.types == self.types[i]
        else:
            mask = np.array([bool(c) and c == self.categories[i] for c in self.categories])
        return mask

    def same_item(self, i: int, j: int) -> bool:
        """Return whether ``j`` is ``i`` under another code: one variant group, or the same title words.

        The upgrade model's rule: a LARGE TEAPOT may replace a TEAPOT, so finer variant tests
        are for bought-together lists only.
        """
        return bool((self.groups[i] and self.groups[i] == self.groups[j]) or self.title_words[i] == self.title_words[j])

    def shown(self, i: int, *, variants: bool = False) -> np.ndarray:
        """Return a mask of what a list about ``i`` may show: available, not ``i`` nor the same item.

        With ``variants``, no variant of ``i`` either (:class:`.curation.Variants`), as a
        bought-together list requires.
        """
        mask = self.available.copy()
        mask[i] = False
        same = self.variants if variants else self.same_item
        for j in np.flatnonzero(mask):
            if same(i, int(j)):
                mask[j] = False
        return mask

    def upgrade_of(self, source: int, target: int) -> bool:
        """Return whether ``target`` is priced within ``UPGRADE_PRICE_BAND`` of ``source``."""
        low, high = crosssell_settings.UPGRADE_PRICE_BAND
        a, b = self.prices[source], self.prices[target]
        return bool(np.isfinite(a) and np.isfinite(b) and a > 0 and low * a <= b <= high * a)

    def upgrade_explanation(self, source: int, target: int, similarity: float) -> dict:
        a, b = self.prices[source], self.prices[target]
        return keep_known(Kind.UPGRADE, {
            "price_difference": round(float(b - a), 2),
            "price_difference_percent": round(float(100.0 * (b - a) / a), 1),
            "added_words": added_phrases(self.titles[source], self.titles[target]),
            "text_similarity": round(float(similarity), 3),
            "new_product": True,
        })


def publish_product_lists(product_pk: Any) -> dict[str, int]:
    """Publish the new product's lists into the active version and enter it in others'; return rows written per kind.

    Nothing is written (``{}``) before the first retrain, for a product not in the adapter's
    catalogue, or for one whose lists a retrain published.
    """
    if ActiveVersion.objects.current_id() is None:
        return {}
    catalogue = Catalogue(list(get_adapter().catalogue()))
    i = catalogue.index.get(product_pk)
    if i is None:
        return {}
    k = crosssell_settings.TOP_K
    similarity = catalogue.similarity(i)
    shown = catalogue.shown(i)
    substitutes = catalogue.substitutes(i) & shown
    with transaction.atomic():
        version = ActiveVersion.objects.lock().version_id
        if version is None or _published_by_a_retrain(version, product_pk):
            return {}
        rows = Recommendation.objects.filter(version_id=version)
        own = {
            Kind.SIMILAR: _similar(catalogue, i, similarity, shown, substitutes, k),
            Kind.UPGRADE: _upgrades(catalogue, i, similarity, substitutes, k),
            Kind.BOUGHT_TOGETHER: _together(catalogue, i, similarity, catalogue.shown(i, variants=True), substitutes,
                                            rows, k),
        }
        written = {str(kind): len(entries) for kind, entries in own.items()}
        changed = {(kind, product_pk): entries for kind, entries in own.items()}
        changed.update(_entered(catalogue, i, similarity, rows, k))
        delta = 0
        for (kind, source), entries in changed.items():
            existing = rows.filter(kind=kind, source_id=source)
            delta += len(entries) - existing.count()
            existing.delete()
            Recommendation.objects.bulk_create(
                Recommendation(version_id=version, kind=kind, source_id=source, target_id=target, rank=rank,
                               score=score, explanation=explanation)
                for rank, (target, score, explanation) in enumerate(entries, start=1))
        RecommendationVersion.objects.filter(pk=version).update(row_count=F("row_count") + delta)
        transaction.on_commit(lambda: recommendations_published.send(sender=RecommendationVersion, version=version))
    written["others"] = len(changed) - len(own)
    logger.info("Published lists of new product %s into version %s: %s", product_pk, version, written)
    return written


def _published_by_a_retrain(version: int, product_pk: Any) -> bool:
    """Return whether the version holds lists about the product that were not written here."""
    found = (Recommendation.objects.filter(version_id=version, source_id=product_pk, kind__in=KINDS)
             .values_list("explanation", flat=True))
    return any(not (isinstance(e, dict) and e.get("new_product")) for e in found)


Entry = tuple[Any, float, dict]


def _similar(catalogue: Catalogue, i: int, similarity: np.ndarray, shown: np.ndarray, substitutes: np.ndarray,
             k: int) -> list[Entry]:
    """Return the closest texts, the product's own type first."""
    candidates = np.flatnonzero(shown & (similarity > 0))
    order = sorted(candidates, key=lambda j: (not substitutes[j], -similarity[j], str(catalogue.pks[j])))[:k]
    return [(catalogue.pks[j], float(similarity[j]),
             keep_known(Kind.SIMILAR, {"text_similarity": round(float(similarity[j]), 3), "new_product": True}))
            for j in order]


def _upgrades(catalogue: Catalogue, i: int, similarity: np.ndarray, substitutes: np.ndarray, k: int) -> list[Entry]:
    """Return its substitutes in the upgrade price band, closest text first."""
    candidates = [j for j in np.flatnonzero(substitutes) if catalogue.upgrade_of(i, int(j))]
    order = sorted(candidates, key=lambda j: (-similarity[j], catalogue.prices[j], str(catalogue.pks[j])))[:k]
    return [(catalogue.pks[j], float(similarity[j]) + 0.01, catalogue.upgrade_explanation(i, int(j), similarity[j]))
            for j in order]


def _together(catalogue: Catalogue, i: int, similarity: np.ndarray, shown: np.ndarray, substitutes: np.ndarray,
              rows, k: int) -> list[Entry]:
    """Return the complements its closest substitutes are bought with, then the category's best sellers."""
    neighbours = [j for j in np.argsort(-similarity, kind="stable") if substitutes[j] and similarity[j] > 0]
    neighbour_pks = [catalogue.pks[j] for j in neighbours[:NEIGHBOURS * 4]]
    borrowed: dict[Any, list] = {}
    for source, target, rank in (rows.filter(kind=Kind.BOUGHT_TOGETHER, source_id__in=neighbour_pks)
                                 .values_list("source_id", "target_id", "rank")):
        borrowed.setdefault(source, []).append((rank, target))
    scores: dict[Any, float] = {}
    via: dict[Any, list] = {}
    used = 0
    for j in neighbours[:NEIGHBOURS * 4]:
        pk = catalogue.pks[j]
        if pk not in borrowed:
            continue
        used += 1
        for rank, target in sorted(borrowed[pk]):
            t = catalogue.index.get(target)
            if t is None or not shown[t]:
                continue
            scores[target] = scores.get(target, 0.0) + float(similarity[j]) / rank
            via.setdefault(target, []).append(pk)
        if used == NEIGHBOURS:
            break

    def complement_first(target: Any) -> tuple:
        t = catalogue.index[target]
        return (bool(catalogue.types[t] != UNKNOWN and catalogue.types[t] == catalogue.types[i]), -scores[target],
                str(target))

    chosen = sorted(scores, key=complement_first)[:k]
    entries = [(target, scores[target],
                keep_known(Kind.BOUGHT_TOGETHER, {"similar_to": via[target], "new_product": True}))
               for target in chosen]
    if len(entries) < k:
        entries += _category_best_sellers(catalogue, i, shown, {t for t, _, _ in entries}, k - len(entries))
    return entries


def _category_best_sellers(catalogue: Catalogue, i: int, shown: np.ndarray, taken: set, n: int) -> list[Entry]:
    """Return up to ``n`` of the best-selling products of ``i``'s category that are of another type."""
    category = catalogue.categories[i]
    if not category:
        return []
    others = [catalogue.pks[j] for j in np.flatnonzero(shown) if catalogue.categories[j] == category
              and catalogue.pks[j] not in taken
              and not (catalogue.types[j] != UNKNOWN and catalogue.types[j] == catalogue.types[i])]
    sold = (OrderLine.objects.filter(product_id__in=others).values("product_id").annotate(n=Count("order_id"))
            .order_by("-n", "product_id").values_list("product_id", "n")[:n])
    return [(pk, 0.0, keep_known(Kind.BOUGHT_TOGETHER, {"category_orders": int(count), "new_product": True}))
            for pk, count in sold]


def _entered(catalogue: Catalogue, i: int, similarity: np.ndarray, rows, k: int) -> dict[tuple, list[Entry]]:
    """Return the other products' upgrade and similar lists the new product enters, as they become.

    A product ``j`` gets it as an upgrade when ``j`` can be replaced by it and it is priced within
    ``j``'s upgrade band; as a similar product when ``j`` is among its closest substitutes.
    """
    new_pk = catalogue.pks[i]
    if not catalogue.available[i]:
        return {}
    substitutes = catalogue.substitutes(i)
    substitutes[i] = False
    closest = [j for j in np.argsort(-similarity, kind="stable") if substitutes[j] and similarity[j] > 0]
    wanted = {
        Kind.UPGRADE: [j for j in closest if catalogue.upgrade_of(int(j), i)][:MAX_OTHER_LISTS],
        Kind.SIMILAR: closest[:MAX_OTHER_LISTS],
    }
    changed: dict[tuple, list[Entry]] = {}
    for kind, sources in wanted.items():
        sources = [j for j in sources if not catalogue.same_item(int(j), i)]
        source_pks = [catalogue.pks[j] for j in sources]
        current: dict[Any, list[Entry]] = {pk: [] for pk in source_pks}
        for source, target, score, explanation in (rows.filter(kind=kind, source_id__in=source_pks)
                                                   .order_by("source_id", "rank")
                                                   .values_list("source_id", "target_id", "score", "explanation")):
            if target != new_pk:
                current[source].append((target, score, explanation))
        for j, pk in zip(sources, source_pks):
            closeness = catalogue.similarity(j)
            entry = (new_pk, 0.0, catalogue.upgrade_explanation(int(j), i, closeness[i]) if kind == Kind.UPGRADE
                     else keep_known(Kind.SIMILAR, {"text_similarity": round(float(closeness[i]), 3),
                                                    "new_product": True}))
            updated = place(current[pk], entry, float(closeness[i]),
                            [float(closeness[catalogue.index[t]]) if t in catalogue.index else 0.0
                             for t, _, _ in current[pk]], k)
            if updated is not None:
                changed[(kind, pk)] = updated
    return changed


def place(current: Sequence[Entry], entry: Entry, closeness: float, closeness_of: Sequence[float],
          k: int) -> list[Entry] | None:
    """Return ``current`` with ``entry`` after the last entry at least as close (``closeness_of``), cut to ``k``.

    The new entry takes the score of the entry before it (the first's when it goes first), so
    scores keep falling down the list. ``None`` when it would fall off the end of a full list.
    """
    at = 0
    for position, value in enumerate(closeness_of):
        if value >= closeness:
            at = position + 1
    if at >= k:
        return None
    score = current[at - 1][1] if at else (current[0][1] if current else entry[1])
    return [*current[:at], (entry[0], score, entry[2]), *current[at:]][:k]
