"""Near-real-time bought-together updates when an order is recorded."""

from __future__ import annotations

import pytest

from crosssell_app.models import ActiveVersion, Kind, Recommendation, TrainingRun
from crosssell_app.tracking.recording import record_order
from crosssell_app.training import publishing, retrain_in_process
from crosssell_app.training.realtime import merge, orders_together, update_for_order

pytestmark = pytest.mark.django_db


def test_merge_keeps_the_model_order_and_refreshes_counts():
    current = [("a", 0.9, {"orders_together": 1}), ("b", 0.5, {"orders_together": 3})]
    merged = merge(current, {"a": 2, "b": 3}, bought_with=["a"], k=5)
    assert [(t, e["orders_together"]) for t, _, e in merged] == [("a", 2), ("b", 3)]


def test_merge_places_a_new_pair_after_the_last_entry_with_as_much_evidence():
    current = [("a", 0.9, {"orders_together": 5}), ("b", 0.8, {"orders_together": 0}),
               ("c", 0.7, {"orders_together": 2}), ("d", 0.6, {"orders_together": 1})]
    merged = merge(current, {"a": 5, "c": 2, "d": 1, "new": 2}, bought_with=["new"], k=4)
    assert [t for t, _, _ in merged] == ["a", "b", "c", "new"]
    assert merged[3][2] == {"orders_together": 2, "realtime": True}
    assert merged[3][1] == 0.7


def test_merge_puts_a_first_real_co_purchase_above_guesses_without_any():
    current = [("x", 0.4, {"orders_together": 0})]
    assert [t for t, _, _ in merge(current, {"new": 1}, bought_with=["new"], k=5)] == ["new", "x"]


def _together(version, source):
    return list(Recommendation.objects.filter(version_id=version, kind=Kind.BOUGHT_TOGETHER, source=source)
                .order_by("rank").values_list("target_id", "explanation"))


def test_merge_leaves_out_a_new_pair_fewer_customers_bought_than_the_floor():
    merged = merge([], {"new": 3}, bought_with=["new"], k=5, customers={"new": 1}, min_customers=2)
    assert merged == []
    merged = merge([], {"new": 3}, bought_with=["new"], k=5, customers={"new": 2}, min_customers=2)
    assert [t for t, _, _ in merged] == ["new"]


def test_an_order_updates_the_active_lists_of_its_products_once_enough_customers_bought_the_pair(shop):
    items, alice, bob = shop["items"], shop["alice"], shop["bob"]
    version = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version
    assert items[6].pk not in [t for t, _ in _together(version, items[3].pk)]
    first, _ = record_order("RT-1", [(items[3], 1, 5), (items[6], 1, 99)], user=alice)
    update_for_order(first.pk)
    # one customer's order publishes nothing: the pair is below MIN_PAIR_CUSTOMERS (2)
    assert items[6].pk not in [t for t, _ in _together(version, items[3].pk)]
    again, _ = record_order("RT-1b", [(items[3], 1, 5), (items[6], 1, 99)], user=alice)
    update_for_order(again.pk)
    assert items[6].pk not in [t for t, _ in _together(version, items[3].pk)], "the same customer twice is one"
    second, _ = record_order("RT-1c", [(items[3], 1, 5), (items[6], 1, 99)], user=bob)
    assert update_for_order(second.pk) == 2
    # the retrain published nothing for the cake stand: only Bob bought it with the teapot
    assert _together(version, items[3].pk) == [(items[6].pk, {"orders_together": 3, "realtime": True})]
    assert _together(version, items[6].pk) == [(items[3].pk, {"orders_together": 3, "realtime": True})]
    assert ActiveVersion.objects.current_id() == version


def test_with_realtime_updates_on_recording_an_order_updates_the_lists(shop, crosssell, eager_celery,
                                                                         django_capture_on_commit_callbacks):
    items = shop["items"]
    version = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version
    crosssell(REALTIME_UPDATES=True)
    with django_capture_on_commit_callbacks(execute=True):
        record_order("RT-2", [(items[3], 1, 5), (items[6], 1, 99)], user=shop["alice"])
        record_order("RT-2b", [(items[3], 1, 5), (items[6], 1, 99)], user=shop["bob"])
    assert items[6].pk in [t for t, _ in _together(version, items[3].pk)]


def test_with_realtime_updates_off_recording_an_order_changes_no_list(shop, crosssell, eager_celery,
                                                                      django_capture_on_commit_callbacks):
    items = shop["items"]
    version = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version
    crosssell(REALTIME_UPDATES=False)
    before = _together(version, items[3].pk)
    with django_capture_on_commit_callbacks(execute=True):
        record_order("RT-3", [(items[3], 1, 5), (items[6], 1, 99)], user=shop["alice"])
        record_order("RT-3b", [(items[3], 1, 5), (items[6], 1, 99)], user=shop["bob"])
    assert _together(version, items[3].pk) == before


def test_the_realtime_count_of_a_pair_is_the_count_the_retrain_published(shop):
    """Both sides write ``orders_together``; a reader cannot tell which did, so they count alike."""
    version = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version
    published: dict = {}
    for source, target, explanation in (Recommendation.objects.filter(version_id=version, kind=Kind.BOUGHT_TOGETHER)
                                        .order_by("source_id", "rank")
                                        .values_list("source_id", "target_id", "explanation")):
        published.setdefault(source, {})[target] = explanation["orders_together"]
    assert any(n > 1 for counts in published.values() for n in counts.values())  # not all zeros and ones
    sources = list(published)
    assert orders_together(sources, [list(published[s]) for s in sources]) == [published[s] for s in sources]
