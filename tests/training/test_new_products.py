"""A product added after the retrain gets lists from its content, type and category, and enters others'."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crosssell_app.models import ActiveVersion, Kind, Recommendation, RecommendationVersion, TrainingRun
from crosssell_app.signals import product_saved
from crosssell_app.training import retrain_in_process
from crosssell_app.training.new_products import place, publish_product_lists
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def _list(version, kind, source):
    return list(Recommendation.objects.filter(version_id=version, kind=kind, source=source).order_by("rank")
                .values_list("target_id", "explanation"))


@pytest.fixture
def retrained(shop):
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    return run.version


@pytest.fixture
def big_cup(shop, retrained):
    """A dearer tea cup added after the retrain (the shop's tea cup costs 2), in the same section."""
    cup = shop["items"][0]
    return ItemFactory(section=cup.section, cost=Decimal("5"), title="Large Tea Cup", blurb="A cup for a big thirst")


def test_a_new_product_gets_bought_together_lists_borrowed_from_the_products_like_it(shop, retrained, big_cup):
    cup = shop["items"][0]
    publish_product_lists(big_cup.pk)
    theirs = [target for target, _ in _list(retrained, Kind.BOUGHT_TOGETHER, cup)]
    mine = _list(retrained, Kind.BOUGHT_TOGETHER, big_cup)
    assert theirs and [target for target, _ in mine][:len(theirs)] == theirs
    for _target, explanation in mine[:len(theirs)]:
        assert explanation["similar_to"] == [cup.pk] and explanation["new_product"] is True
        assert "orders_together" not in explanation, "nobody bought the new cup with anything"


def test_a_new_product_enters_the_upgrade_list_of_the_cheaper_product_it_can_replace(shop, retrained, big_cup):
    cup = shop["items"][0]
    publish_product_lists(big_cup.pk)
    upgrades = dict(_list(retrained, Kind.UPGRADE, cup))
    assert big_cup.pk in upgrades
    assert upgrades[big_cup.pk]["price_difference"] == 3.0
    assert upgrades[big_cup.pk]["added_words"] == ["LARGE"]
    # and the other way round: the new cup's own similar list holds the old one first
    assert _list(retrained, Kind.SIMILAR, big_cup)[0][0] == cup.pk


def test_a_new_product_gets_its_own_upgrades_from_dearer_products_of_its_type(shop, retrained, big_cup):
    cup = shop["items"][0]
    small = ItemFactory(section=cup.section, cost=Decimal("1"), title="Small Tea Cup", blurb="A cup")
    publish_product_lists(small.pk)
    upgrades = [target for target, _ in _list(retrained, Kind.UPGRADE, small)]
    assert cup.pk in upgrades, "2 is within the band of 1.1-3 times 1"
    assert big_cup.pk not in upgrades, "5 is above it"
    assert shop["items"][1].pk not in upgrades, "a saucer (3) cannot replace a tea cup"


def test_publishing_twice_writes_the_same_lists_and_the_row_count_follows(shop, retrained, big_cup):
    publish_product_lists(big_cup.pk)
    once = list(Recommendation.objects.filter(version_id=retrained).order_by("kind", "source_id", "rank")
                .values_list("kind", "source_id", "target_id"))
    publish_product_lists(big_cup.pk)
    assert list(Recommendation.objects.filter(version_id=retrained).order_by("kind", "source_id", "rank")
                .values_list("kind", "source_id", "target_id")) == once
    version = RecommendationVersion.objects.get(pk=retrained)
    assert version.row_count == Recommendation.objects.filter(version=version).count()


def test_a_product_the_retrain_published_is_left_alone(shop, retrained):
    cup = shop["items"][0]
    before = list(Recommendation.objects.filter(version_id=retrained).order_by("pk").values_list(
        "kind", "source_id", "target_id", "rank"))
    assert publish_product_lists(cup.pk) == {}
    assert list(Recommendation.objects.filter(version_id=retrained).order_by("pk").values_list(
        "kind", "source_id", "target_id", "rank")) == before


def test_nothing_is_written_before_the_first_retrain(shop):
    assert ActiveVersion.objects.current_id() is None
    assert publish_product_lists(shop["items"][0].pk) == {}


def test_a_failure_while_writing_leaves_the_lists_as_they_were(shop, retrained, big_cup, monkeypatch):
    before = list(Recommendation.objects.filter(version_id=retrained).order_by("pk").values_list("pk", "rank"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Recommendation.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        publish_product_lists(big_cup.pk)
    assert list(Recommendation.objects.filter(version_id=retrained).order_by("pk").values_list("pk", "rank")) == before


def test_saving_a_new_product_publishes_its_lists_at_once(shop, retrained, eager_celery,
                                                          django_capture_on_commit_callbacks):
    cup = shop["items"][0]
    with django_capture_on_commit_callbacks(execute=True):
        new = ItemFactory(section=cup.section, cost=Decimal("5"), title="Large Tea Cup", blurb="For a big thirst")
    assert _list(retrained, Kind.BOUGHT_TOGETHER, new) and _list(retrained, Kind.SIMILAR, new)
    assert new.pk in [target for target, _ in _list(retrained, Kind.UPGRADE, cup)]


def test_with_realtime_updates_off_a_new_product_waits_for_the_retrain(shop, retrained, crosssell, eager_celery,
                                                                       django_capture_on_commit_callbacks):
    crosssell(REALTIME_UPDATES=False)
    with django_capture_on_commit_callbacks(execute=True):
        new = ItemFactory(section=shop["items"][0].section, cost=Decimal("5"), title="Large Tea Cup")
    assert not Recommendation.objects.filter(source=new).exists()


def test_a_host_announces_products_saved_without_post_save(shop, retrained, eager_celery,
                                                           django_capture_on_commit_callbacks):
    new = ItemFactory.build(section=shop["items"][0].section, cost=Decimal("5"), title="Large Tea Cup")
    type(new).objects.bulk_create([new])
    new = type(new).objects.get(title="Large Tea Cup")
    with django_capture_on_commit_callbacks(execute=True):
        product_saved.send(sender=type(new), product=new.pk)
    assert _list(retrained, Kind.SIMILAR, new)


def test_place_keeps_the_published_order_and_inserts_after_the_last_closer_entry():
    current = [("a", 0.9, {}), ("b", 0.8, {}), ("c", 0.7, {})]
    placed = place(current, ("new", 0.0, {"x": 1}), 0.5, [0.6, 0.2, 0.55], k=5)
    assert [t for t, _, _ in placed] == ["a", "b", "c", "new"]
    assert placed[3][1] == 0.7
    assert [t for t, _, _ in place(current, ("new", 0.0, {}), 0.9, [0.6, 0.2, 0.55], k=5)] == ["new", "a", "b", "c"]
    assert place(current, ("new", 0.0, {}), 0.1, [0.6, 0.2, 0.55], k=3) is None, "it would fall off a full list"
