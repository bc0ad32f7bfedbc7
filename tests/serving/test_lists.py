"""Reading published lists: the active version only, ranked, merged for a basket, cached per version."""

import pytest

from crosssell_app.serving import lists as serving
from crosssell_app.models import Kind
from crosssell_app.serving.rules import default_rules
from crosssell_app.signals import recommendations_published
from tests.factories import ItemFactory, UserFactory

from .published import publish

pytestmark = pytest.mark.django_db


def products(picks):
    return [pick.product for pick in picks]


def test_only_the_active_version_is_read():
    mug, plate, cup = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    publish({(Kind.BOUGHT_TOGETHER, mug): [cup]}, activate=False)
    assert products(serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=5, rules=default_rules())) == [plate]


def test_nothing_is_served_before_a_version_is_published():
    assert serving.for_product(Kind.BOUGHT_TOGETHER, ItemFactory(), limit=5, rules=default_rules()) == []


def test_a_list_is_in_rank_order_and_cut_to_the_limit():
    mug, *others = ItemFactory.create_batch(5)
    version = publish({(Kind.UPGRADE, mug): others})
    picks = serving.for_product(Kind.UPGRADE, mug, limit=2, rules=default_rules())
    assert [(pick.product, pick.rank, pick.version) for pick in picks] == [
        (others[0], 1, version.pk), (others[1], 2, version.pk)]


def test_a_users_own_picks_come_first_then_trending_without_repeats():
    shopper, mine, both, hot = UserFactory(), ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.FOR_YOU, shopper): [mine, both]}, trending=[both, hot])
    assert products(serving.for_user(shopper, limit=3, rules=default_rules())) == [mine, both, hot]


def test_another_users_picks_are_never_shown():
    shopper, other, secret, hot = UserFactory(), UserFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.FOR_YOU, other): [secret]}, trending=[hot])
    assert products(serving.for_user(shopper, limit=3, rules=default_rules())) == [hot]


def test_an_anonymous_visitor_gets_trending_products():
    from django.contrib.auth.models import AnonymousUser

    hot = ItemFactory()
    publish(trending=[hot])
    assert products(serving.for_user(AnonymousUser(), limit=3, rules=default_rules())) == [hot]


def test_basket_completion_ranks_a_product_that_goes_with_several_items_first():
    mug, teapot, plate, spoon, sugar = ItemFactory.create_batch(5)
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, spoon, teapot], (Kind.BOUGHT_TOGETHER, teapot): [spoon, sugar]})
    picks = serving.for_basket([mug.pk, teapot.pk], limit=3, rules=default_rules())
    assert products(picks) == [spoon, plate, sugar]
    assert picks[0].score == pytest.approx(1 / 2 + 1)


def test_an_empty_basket_gets_nothing():
    assert serving.for_basket([], limit=3, rules=default_rules()) == []


@pytest.fixture
def cached(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "crosssell-tests"}}
    settings.CROSSSELL = {**settings.CROSSSELL, "CACHE_TIMEOUT": 60}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_a_cached_list_is_served_from_the_cache_until_a_new_version_is_published(cached, django_assert_num_queries):
    mug, plate, cup = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    assert products(serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())) == [plate]
    with django_assert_num_queries(0):
        assert products(serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())) == [plate]
    version = publish({(Kind.BOUGHT_TOGETHER, mug): [cup]})
    recommendations_published.send(sender=None, version=version.pk)
    assert products(serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())) == [cup]


def test_a_version_published_elsewhere_is_served_within_the_active_version_timeout(cached, settings, monkeypatch):
    import time

    settings.CROSSSELL = {**settings.CROSSSELL, "ACTIVE_VERSION_CACHE_TIMEOUT": 5}
    mug, plate, cup = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    together = lambda: products(serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules()))
    assert together() == [plate]
    publish({(Kind.BOUGHT_TOGETHER, mug): [cup]})  # by another process: this one hears no signal
    assert together() == [plate]
    now = time.monotonic()
    monkeypatch.setattr(serving.time, "monotonic", lambda: now + 5.1)
    assert together() == [cup]


def test_a_cached_list_keeps_its_product_urls(cached, monkeypatch):
    from tests.testapp.models import Item

    mug, plate = ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())
    monkeypatch.setattr(Item, "get_absolute_url", lambda item: pytest.fail("the URL was not cached"))
    [pick] = serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())
    assert pick.url == f"/items/{plate.pk}/"


def test_different_rules_are_cached_apart(cached):
    mug, plate, cup = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup]})
    assert len(serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())) == 2
    assert products(serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3,
                                        rules=default_rules(exclude_ids=[plate.pk]))) == [cup]
