"""Clicks teach the next retrain: each product's clicks over its expected clicks, per widget, re-rank its lists.

A widget's impressions and clicks are recorded (:mod:`crosssell_app.serving.attribution`), and
until now nothing read them: a pick shown a thousand times and never clicked kept its place. At
each retrain (``FEEDBACK_ENABLED``) this module turns them into a *multiplier* per product and
widget, and the lists of that widget's kind are re-ranked with it before curation.

What was shown. An impression stores the widget, the version and the source product, not the
picks (a sampled render writes one small row). The picks are read back from that version's list
for the source: its first ``FEEDBACK_POSITIONS`` rows (the tags show three by default). Versions
already pruned (``KEEP_VERSIONS``) cannot be read back, so their impressions and clicks are left
out alike; read-time rules (stock, cart, pins) that changed what a shopper saw are not known
either. Impressions are sampled (``IMPRESSION_SAMPLE_RATE``), so each counts ``1 / rate`` renders.

Position. A first place is clicked more than a third whatever it holds, so a raw click-through
rate would reward the products the model already put first. Instead each product's clicks are
set against its *expected* clicks: the widget's click-through rate at each position of the same
version, times the times the product was shown there ("clicks over expected clicks"). Per
version, because an experiment may serve a poorer version beside the active one: what it showed
is compared with the other picks of its own lists, not marked down for the version's weakness.
A click counts at the place its target held in its source's list of its version; a click that
cannot be placed is left out. A product added with the bought-together box's button was chosen
without a click, and counts as one.

Shrinkage. A product shown a handful of times would swing on one click, so the ratio is smoothed
toward 1 as if every product had also been shown ``FEEDBACK_PRIOR_IMPRESSIONS`` times at the
widget's average rate: ``(clicks + a) / (expected + a)``, ``a`` = that many impressions' worth
of the widget's clicks. With equal rates at every position this is the click-through rate under
a Beta prior centred on the widget's own rate, divided by that rate. No clicks at all: every
multiplier is 1 and nothing moves.

Ranking. Model scores have no common scale (a blend may score below zero), so the re-ranking
reads ranks, not scores: a candidate's key is its multiplier over ``log2(rank + 1)`` (rank from
1), the discount of DCG. The second candidate overtakes the first when its multiplier is more
than 1.58 times the first's. The published scores stay the model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.db.models import Count
from django.utils import timezone

from ..conf import crosssell_settings
from ..models import Kind, Recommendation, RecommendationVersion, WidgetEvent
from . import files

#: the widgets whose clicks re-rank a kind of list (a widget whose impressions name a source)
WIDGET_KINDS = {"together": Kind.BOUGHT_TOGETHER, "upgrade": Kind.UPGRADE}
#: what counts as a click on a pick: a click, or an add to the cart with the widget's own button
#: (the bundle's "Add selected to cart"), which chooses the pick without opening its page
ENGAGED = (WidgetEvent.Event.CLICK, WidgetEvent.Event.ADD_TO_CART)
#: the file of a run's folder that holds the multipliers, one array per kind
FILE = "feedback.npz"


@dataclass
class WidgetCounts:
    """One widget's feedback over the dataset's items: estimated renders per position, placed clicks.

    ``shown[r, i]`` is how often item ``i`` was shown at position ``r + 1``; ``clicks[r, i]``
    how often it was clicked there.
    """

    shown: np.ndarray
    clicks: np.ndarray

    @classmethod
    def empty(cls, n_items: int, positions: int) -> WidgetCounts:
        return cls(np.zeros((positions, n_items)), np.zeros((positions, n_items)))


def count_feedback(index: dict[Any, int], *, since: datetime, positions: int,
                   sample_rate: float) -> dict[str, dict[int, WidgetCounts]]:
    """Return each widget's :class:`WidgetCounts` per version since ``since``, over ``index``'s items (pk -> column)."""
    kept = list(RecommendationVersion.objects.filter(complete=True).values_list("pk", flat=True))
    weight = 1.0 / sample_rate if sample_rate > 0 else 0.0
    counts: dict[str, dict[int, WidgetCounts]] = {}
    for widget, kind in WIDGET_KINDS.items():
        events = WidgetEvent.objects.filter(widget=widget, created_at__gte=since, version__in=kept,
                                            source__isnull=False)
        renders = dict(((version, source), n) for version, source, n in (
            events.filter(event=WidgetEvent.Event.IMPRESSION).values_list("version", "source")
            .annotate(n=Count("pk")).order_by().iterator()))
        clicked = {(version, source, target): n for version, source, target, n in (
            events.filter(event__in=ENGAGED).values_list("version", "source", "target")
            .annotate(n=Count("pk")).order_by().iterator())}
        versions = {version for version, _ in renders} | {version for version, _, _ in clicked}
        found = {version: WidgetCounts.empty(len(index), positions) for version in versions}
        rows = (Recommendation.objects.filter(kind=kind, version_id__in=versions, rank__lte=positions)
                .values_list("version_id", "source_id", "target_id", "rank").iterator(chunk_size=5000))
        for version, source, target, rank in rows if versions else ():
            column = index.get(target)
            if column is None:
                continue
            found[version].shown[rank - 1, column] += renders.get((version, source), 0) * weight
            found[version].clicks[rank - 1, column] += clicked.get((version, source, target), 0)
        counts[widget] = found
    return counts


def multipliers(counts: WidgetCounts | Sequence[WidgetCounts], prior_impressions: float) -> np.ndarray:
    """Return each item's smoothed clicks over expected clicks (1 where nothing is known).

    ``counts`` are one widget's, one :class:`WidgetCounts` per version. The expected clicks of an
    item are, summed over versions and positions, its renders there times that version's
    click-through rate at that position: a product is measured against the other picks of the
    same lists, so a deliberately poor version of an experiment does not mark down what it showed.
    ``prior_impressions`` renders at the widget's average rate are added to both sides.
    """
    parts = [counts] if isinstance(counts, WidgetCounts) else list(counts)
    if not parts:
        raise ValueError("multipliers needs the counts of at least one version")
    expected, clicks = np.zeros(parts[0].shown.shape[1]), np.zeros(parts[0].shown.shape[1])
    total_shown = total_clicks = 0.0
    for part in parts:
        shown_at, clicks_at = part.shown.sum(axis=1), part.clicks.sum(axis=1)
        rate_at = np.divide(clicks_at, shown_at, out=np.zeros_like(shown_at), where=shown_at > 0)
        expected += rate_at @ part.shown
        clicks += part.clicks.sum(axis=0)
        total_shown, total_clicks = total_shown + shown_at.sum(), total_clicks + clicks_at.sum()
    if total_shown <= 0 or total_clicks <= 0:
        return np.ones(len(expected))
    prior = prior_impressions * total_clicks / total_shown
    if prior <= 0:
        return np.divide(clicks, expected, out=np.ones_like(expected), where=expected > 0)
    return (clicks + prior) / (expected + prior)


def rerank(candidates: np.ndarray, scores: np.ndarray, factor: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``candidates`` and their ``scores`` re-ordered per row by ``factor[item] / log2(rank + 1)``.

    Rows are -1 padded and stay so; ties keep the model's order, so all-ones factors change nothing.
    """
    if factor is None:
        return candidates, scores
    candidates = np.asarray(candidates, dtype=np.int64)
    valid = candidates >= 0
    discount = 1.0 / np.log2(np.arange(candidates.shape[1]) + 2.0)
    keys = np.where(valid, factor[np.maximum(candidates, 0)] * discount, -np.inf)
    order = np.argsort(-keys, axis=1, kind="stable")
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(np.asarray(scores), order, axis=1)


# ---------------------------------------------------------------------------- a run's file
def save_corrections(folder: Path, index: dict[Any, int], now: datetime | None = None) -> dict[str, np.ndarray]:
    """Compute each kind's multipliers from the recorded feedback and save them in ``folder`` (when enabled).

    Written at the run's dataset step, so every fit task reads the same snapshot. Returns what it
    saved: ``{kind: multipliers}``, empty when ``FEEDBACK_ENABLED`` is off.
    """
    if not crosssell_settings.FEEDBACK_ENABLED:
        return {}
    since = (now or timezone.now()) - timedelta(days=crosssell_settings.FEEDBACK_DAYS)
    counts = count_feedback(index, since=since, positions=crosssell_settings.FEEDBACK_POSITIONS,
                            sample_rate=float(crosssell_settings.IMPRESSION_SAMPLE_RATE or 0))
    strength = crosssell_settings.FEEDBACK_PRIOR_IMPRESSIONS
    corrections = {str(WIDGET_KINDS[widget]): multipliers(list(found.values()), strength)
                   for widget, found in counts.items() if found}
    with files.atomic_path(folder / FILE) as path:
        np.savez(path, **corrections)
    return corrections


def load_corrections(folder: Path) -> dict[str, np.ndarray]:
    """Return the multipliers a run saved, by kind (empty when feedback was off)."""
    path = folder / FILE
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {kind: data[kind] for kind in data.files}
