"""Clicks and impressions re-rank the next retrain's lists: clicks over expected clicks, smoothed, per widget."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from crosssell_app.models import Kind, Recommendation, RecommendationVersion, TrainingRun, WidgetEvent
from crosssell_app.training import retrain_in_process
from crosssell_app.training.feedback import WidgetCounts, count_feedback, multipliers, rerank


# ---------------------------------------------------------------------------- the arithmetic
def test_each_product_gets_its_clicks_over_the_clicks_its_positions_predict_smoothed_toward_one():
    # Item 0 and item 2 were shown 100 times in first place, item 1 200 times in second place.
    counts = WidgetCounts(shown=np.array([[100.0, 0, 100], [0, 200, 0]]),
                          clicks=np.array([[20.0, 0, 0], [0, 10, 0]]))
    # First place is clicked 20/200 = 0.1, second 10/200 = 0.05, so each item expects 10 clicks.
    # The widget's rate is 30/400 = 0.075: 40 prior renders are 3 clicks on both sides.
    assert multipliers(counts, prior_impressions=40) == pytest.approx([23 / 13, 13 / 13, 3 / 13])
    # Item 1's raw click-through rate is half of item 0's, but only because it sat second.
    assert multipliers(counts, prior_impressions=0) == pytest.approx([2.0, 1.0, 0.0])


def test_a_stronger_prior_pulls_every_multiplier_closer_to_one():
    counts = WidgetCounts(shown=np.array([[100.0, 100]]), clicks=np.array([[15.0, 5]]))
    weak, strong = multipliers(counts, 10), multipliers(counts, 1000)
    assert np.all(np.abs(strong - 1) < np.abs(weak - 1))


def test_a_product_is_measured_against_the_picks_of_its_own_version():
    # A good version: first place clicked 30 in 100. A poor one (an experiment's random arm):
    # first place clicked 1 in 100. Item 1 held the poor version's first place, clicked once.
    good = WidgetCounts(shown=np.array([[100.0, 0, 0]]), clicks=np.array([[30.0, 0, 0]]))
    poor = WidgetCounts(shown=np.array([[0.0, 100, 0]]), clicks=np.array([[0.0, 1, 0]]))
    # Pooled, item 1 would expect 100 x 31/200 = 15.5 clicks; per version it expects 1, got 1.
    assert multipliers([good, poor], prior_impressions=0) == pytest.approx([1.0, 1.0, 1.0])


def test_without_clicks_or_impressions_nothing_moves():
    assert multipliers(WidgetCounts.empty(4, 3), 200).tolist() == [1.0] * 4
    shown_only = WidgetCounts(shown=np.array([[50.0, 50]]), clicks=np.zeros((1, 2)))
    assert multipliers(shown_only, 200).tolist() == [1.0, 1.0]


def test_a_candidate_overtakes_the_one_above_only_when_its_multiplier_beats_the_rank_discount():
    candidates = np.array([[5, 7, 9, -1]])
    scores = np.array([[3.0, 2.0, 1.0, np.nan]])
    factor = np.ones(10)
    factor[7] = 2.0  # 2 / log2(3) = 1.26 beats the first place's 1 / log2(2) = 1
    ids, moved = rerank(candidates, scores, factor)
    assert ids.tolist() == [[7, 5, 9, -1]]
    assert moved[0, :3].tolist() == [2.0, 3.0, 1.0]  # scores travel with their products
    factor[7] = 1.5  # 1.5 / 1.58 = 0.95: not enough
    assert rerank(candidates, scores, factor)[0].tolist() == [[5, 7, 9, -1]]


def test_all_ones_or_no_factor_keep_the_models_order():
    candidates = np.array([[3, 1, 2], [0, -1, -1]])
    scores = np.array([[0.5, 0.4, 0.3], [1.0, np.nan, np.nan]])
    assert rerank(candidates, scores, np.ones(4))[0].tolist() == candidates.tolist()
    assert rerank(candidates, scores, None)[0] is candidates


# ---------------------------------------------------------------------------- reading the events
def _events(widget, version, source, impressions, clicks=(), when=None):
    """Store ``impressions`` renders of ``widget`` on ``source`` and a click on each target of ``clicks``."""
    when = when or timezone.now()
    rows = [WidgetEvent(event=WidgetEvent.Event.IMPRESSION, widget=widget, version=version, source=source,
                        created_at=when) for _ in range(impressions)]
    rows += [WidgetEvent(event=WidgetEvent.Event.CLICK, widget=widget, version=version, source=source,
                         target=target, created_at=when) for target in clicks]
    WidgetEvent.objects.bulk_create(rows)


def _published(items, lists, kind=Kind.UPGRADE):
    version = RecommendationVersion.objects.create(complete=True)
    Recommendation.objects.bulk_create(
        Recommendation(version=version, kind=kind, source=items[source], target=items[target], rank=rank, score=0)
        for source, targets in lists.items() for rank, target in enumerate(targets, start=1))
    return version


@pytest.mark.django_db
def test_impressions_are_read_back_through_the_lists_they_showed_and_scaled_by_the_sample_rate(shop):
    items = shop["items"]
    index = {item.pk: n for n, item in enumerate(items)}
    version = _published(items, {0: [1, 2, 3, 4]})
    _events("upgrade", version.pk, items[0], impressions=3, clicks=[items[2], items[2], items[4]])
    counted = count_feedback(index, since=timezone.now() - timedelta(days=1), positions=3, sample_rate=0.5)
    assert list(counted["upgrade"]) == [version.pk] and counted["together"] == {}
    found = counted["upgrade"][version.pk]
    assert found.shown[:, :5].tolist() == [[0, 6, 0, 0, 0], [0, 0, 6, 0, 0], [0, 0, 0, 6, 0]]
    # the click on item 4 (fourth place, beyond what counts as shown) cannot be placed
    assert found.clicks.sum() == 2 and found.clicks[1, 2] == 2


@pytest.mark.django_db
def test_a_pick_added_with_the_bundle_button_counts_as_clicked(shop):
    items = shop["items"]
    index = {item.pk: n for n, item in enumerate(items)}
    version = _published(items, {0: [1, 2]}, kind=Kind.BOUGHT_TOGETHER)
    _events("together", version.pk, items[0], impressions=4, clicks=[items[1]])
    WidgetEvent.objects.create(event=WidgetEvent.Event.ADD_TO_CART, widget="together", version=version.pk,
                               source=items[0], target=items[2])
    found = count_feedback(index, since=timezone.now() - timedelta(days=1), positions=3,
                           sample_rate=1.0)["together"][version.pk]
    assert found.clicks[0, 1] == 1 and found.clicks[1, 2] == 1


@pytest.mark.django_db
def test_events_of_a_pruned_or_unfinished_version_or_before_the_window_are_left_out(shop):
    items = shop["items"]
    index = {item.pk: n for n, item in enumerate(items)}
    unfinished = _published(items, {0: [1, 2]})
    RecommendationVersion.objects.filter(pk=unfinished.pk).update(complete=False)
    old = _published(items, {0: [1, 2]})
    _events("upgrade", unfinished.pk, items[0], impressions=5, clicks=[items[1]])
    _events("upgrade", 999_999, items[0], impressions=5, clicks=[items[1]])
    _events("upgrade", old.pk, items[0], impressions=5, clicks=[items[1]], when=timezone.now() - timedelta(days=40))
    found = count_feedback(index, since=timezone.now() - timedelta(days=30), positions=3, sample_rate=1.0)["upgrade"]
    assert found == {}


# ---------------------------------------------------------------------------- the retrain
def _upgrades(version, source):
    rows = Recommendation.objects.filter(version_id=version, kind=Kind.UPGRADE, source=source).order_by("rank")
    return list(rows.values_list("target_id", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("enabled", [True, False])
def test_the_next_retrain_moves_up_what_was_clicked_more_than_its_place_predicts(shop, crosssell, enabled):
    crosssell(IMPRESSION_SAMPLE_RATE=1.0, FEEDBACK_PRIOR_IMPRESSIONS=50, FEEDBACK_ENABLED=enabled)
    items = shop["items"]
    first = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert _upgrades(first.version, items[0]) == [items[1].pk, items[2].pk, items[3].pk]
    assert _upgrades(first.version, items[1]) == [items[2].pk, items[3].pk]
    # The cake stand (3) is clicked 30 times third on the cup's list and 30 times second on the
    # saucer's; the teapot (2), first or second, never. Places: 1st 0/200, 2nd 30/200, 3rd 30/100.
    # Expected clicks: teapot 100 x 0 + 100 x 0.15 = 15, cake stand 100 x 0.15 + 100 x 0.3 = 45.
    # Prior: 50 renders at 60/500 = 6 clicks. Cake stand (60+6)/(45+6) = 1.29, teapot 6/21 = 0.29,
    # saucer (shown first, never clicked, expected 0) 6/6 = 1.
    _events("upgrade", first.version, items[0], impressions=100, clicks=[items[3]] * 30)
    _events("upgrade", first.version, items[1], impressions=100, clicks=[items[3]] * 30)
    second = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert second.status == TrainingRun.Status.SUCCEEDED, second.error
    if enabled:
        # cup's list keys: saucer 1/1, teapot 0.29/1.58 = 0.18, cake stand 1.29/2 = 0.65
        assert _upgrades(second.version, items[0]) == [items[1].pk, items[3].pk, items[2].pk]
        assert _upgrades(second.version, items[1]) == [items[3].pk, items[2].pk]
    else:
        assert _upgrades(second.version, items[0]) == [items[1].pk, items[2].pk, items[3].pk]
        assert _upgrades(second.version, items[1]) == [items[2].pk, items[3].pk]
