"""Business rules: the same filters for every list, pins and blocks from the admin."""

from decimal import Decimal

import pytest

from crosssell_app.serving import lists as serving
from crosssell_app.models import Kind, MerchandisingRule
from crosssell_app.serving.rules import Rules, default_rules, place_pins
from tests.factories import ItemFactory, OrderLineFactory, SectionFactory, UserFactory
from tests.testapp.models import Item

from .published import publish

pytestmark = pytest.mark.django_db


def together(product, rules=None, limit=10):
    return [pick.product for pick in serving.for_product(Kind.BOUGHT_TOGETHER, product, limit=limit,
                                                         rules=rules or default_rules())]


@pytest.fixture
def mug():
    return ItemFactory(title="Mug")


def test_an_unavailable_product_is_never_recommended(mug):
    plate, sold_out = ItemFactory(), ItemFactory(on_sale=False)
    publish({(Kind.BOUGHT_TOGETHER, mug): [sold_out, plate]})
    assert together(mug) == [plate]


def test_products_already_in_the_cart_are_left_out(mug):
    plate, cup = ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup]})
    assert together(mug, default_rules(exclude_ids=[plate.pk])) == [cup]


def test_personal_picks_leave_out_what_the_user_bought_unless_disabled(settings):
    buyer, plate, cup = UserFactory(), ItemFactory(), ItemFactory()
    OrderLineFactory(order__user=buyer, product=plate)
    publish({(Kind.FOR_YOU, buyer): [plate, cup]})

    def for_you():
        return [pick.product for pick in serving.for_user(buyer, limit=5, rules=default_rules(user=buyer))]

    assert for_you() == [cup]
    settings.CROSSSELL = {**settings.CROSSSELL, "EXCLUDE_PURCHASED": False}
    assert for_you() == [plate, cup]


def test_category_include_and_exclude_filter_on_the_adapters_category(mug):
    garden = SectionFactory(label="Garden")
    spade, plate = ItemFactory(section=garden), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [spade, plate]})
    assert together(mug, default_rules(categories=("Garden",))) == [spade]
    assert together(mug, default_rules(exclude_categories=("Garden",))) == [plate]


def test_cross_category_keeps_only_products_of_other_categories_than_the_viewed_one(mug, django_assert_num_queries):
    spade, plate = ItemFactory(section=SectionFactory(label="Garden")), ItemFactory()
    loose = ItemFactory(section=None)
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, spade, loose]})
    with django_assert_num_queries(1):  # the viewed product's category is a subquery, not a query
        assert together(mug, default_rules(cross_category=True)) == [spade, loose]
    assert together(mug) == [plate, spade, loose]


def test_cross_category_leaves_out_pins_of_the_viewed_products_category(mug):
    spade, bowl = ItemFactory(section=SectionFactory(label="Garden")), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [spade]})
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="pin", source=mug, target=bowl, position=1)
    assert together(mug, default_rules(cross_category=True)) == [spade]


def test_cross_category_of_a_cart_leaves_out_the_categories_of_everything_in_it(mug):
    garden, bath = SectionFactory(label="Garden"), SectionFactory(label="Bath")
    spade, sponge, plate = ItemFactory(section=garden), ItemFactory(section=bath), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, spade, sponge], (Kind.BOUGHT_TOGETHER, spade): [sponge]})
    picks = serving.for_basket([mug.pk, spade.pk], limit=5, rules=default_rules(cross_category=True))
    assert [pick.product for pick in picks] == [sponge]


def test_cross_category_does_not_empty_personal_picks():
    buyer, plate = UserFactory(), ItemFactory()
    publish({(Kind.FOR_YOU, buyer): [plate]})
    picks = serving.for_user(buyer, limit=5, rules=default_rules(user=buyer, cross_category=True))
    assert [pick.product for pick in picks] == [plate]


def test_categories_excluded_in_settings_are_never_recommended(mug, settings):
    postage = ItemFactory(section=SectionFactory(label="Postage"))
    plate = ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [postage, plate]})
    settings.CROSSSELL = {**settings.CROSSSELL, "EXCLUDE_CATEGORIES": ["Postage"]}
    assert together(mug) == [plate]


def test_a_price_band_keeps_products_within_it(mug):
    cheap, mid, dear = ItemFactory(cost=Decimal("1")), ItemFactory(cost=Decimal("5")), ItemFactory(cost=Decimal("50"))
    publish({(Kind.BOUGHT_TOGETHER, mug): [cheap, mid, dear]})
    assert together(mug, default_rules(min_price=Decimal("2"), max_price=Decimal("10"))) == [mid]


def test_a_pinned_product_goes_to_its_position_and_is_not_repeated(mug):
    plate, cup, bowl = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup, bowl]})
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="pin", source=mug, target=bowl, position=1)
    picks = serving.for_product(Kind.BOUGHT_TOGETHER, mug, limit=3, rules=default_rules())
    assert [(pick.product, pick.pinned, pick.rank) for pick in picks] == [
        (bowl, True, 1), (plate, False, 2), (cup, False, 3)]


def test_a_pin_for_another_product_or_list_kind_does_not_apply(mug):
    plate, bowl = ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="pin", source=plate, target=bowl)
    MerchandisingRule.objects.create(kind=Kind.UPGRADE, action="pin", source=mug, target=bowl)
    assert together(mug) == [plate]


def test_a_pinned_product_that_is_unavailable_is_not_shown(mug):
    plate, sold_out = ItemFactory(), ItemFactory(on_sale=False)
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="pin", source=mug, target=sold_out)
    assert together(mug) == [plate]


def test_a_blocked_pair_is_removed_for_that_source_only(mug):
    plate, cup, teapot = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup], (Kind.BOUGHT_TOGETHER, teapot): [plate]})
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="block", source=mug, target=plate)
    assert together(mug) == [cup]
    assert together(teapot) == [plate]


def test_a_product_blocked_without_a_source_is_removed_everywhere(mug):
    plate, cup, teapot = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup], (Kind.BOUGHT_TOGETHER, teapot): [plate, cup]})
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="block", source=None, target=plate)
    assert together(mug) == [cup]
    assert together(teapot) == [cup]


def test_rules_filter_a_plain_product_queryset_for_training():
    kept, in_cart = ItemFactory(), ItemFactory()
    ItemFactory(on_sale=False)
    rules = Rules(exclude_ids=frozenset([in_cart.pk]))
    assert list(rules.apply(Item.objects.all())) == [kept]


def test_pins_past_the_end_of_the_list_go_last_and_the_list_is_cut_to_the_limit():
    assert place_pins(["a", "b"], [(9, "pin")], limit=5) == ["a", "b", "pin"]
    assert place_pins(["a", "b", "c"], [(2, "pin")], limit=3) == ["a", "pin", "b"]
