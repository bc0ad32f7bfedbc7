"""The traffic simulator's pieces: the shopper model, reading picks off a page, the data split, the verdicts."""

from __future__ import annotations

import random
from decimal import Decimal

import pandas as pd
import pytest

from bench.traffic import (
    Behaviour,
    Outcome,
    RecordedShop,
    bundle_form,
    figures_of,
    page_picks,
    shuffled_lists,
    split_orders,
    verdicts,
    visit,
)

PRICES = {n: Decimal(n) for n in range(1, 20)}
#: a shopper who does exactly what the model says when it is sure: every wanted pick clicked
SURE = Behaviour(find=0, click=1, bundle=0, stray=0, add=1, abandon=0)


class Logged(RecordedShop):
    """A recorded shop that also remembers what the shopper did, in order."""

    def __init__(self, pages):
        super().__init__(pages, PRICES)
        self.log = []

    def open(self, product, via):
        self.log.append(("open", product, via))
        return super().open(product, via)

    def add(self, product):
        self.log.append(("add", product))
        super().add(product)

    def add_bundle(self, source, products):
        self.log.append(("bundle", source, list(products)))
        super().add_bundle(source, products)


def test_a_wanted_pick_is_clicked_bought_and_counted_as_sold_by_the_widget():
    shop = Logged({1: [("together", 2), ("together", 9)], 2: [("upgrade", 3)]})
    outcome = visit([1, 2, 3], shop, random.Random(0), SURE)
    assert shop.log == [("open", 1, None), ("add", 1), ("open", 2, ("together", 1)), ("add", 2),
                        ("open", 3, ("upgrade", 2)), ("add", 3)]
    assert outcome.clicks == 2 and outcome.from_widgets == {2, 3}
    assert outcome.ordered and outcome.revenue == Decimal(6)


def test_without_widgets_a_shopper_buys_only_what_they_find_themselves():
    outcome = visit([1, 2, 3], Logged({}), random.Random(0), SURE)
    assert outcome.cart == [1] and outcome.revenue == Decimal(1)
    found_all = visit([1, 2, 3], Logged({}), random.Random(0), Behaviour(find=1, click=1, stray=0, add=1, abandon=0))
    assert sorted(found_all.cart) == [1, 2, 3] and found_all.clicks == 0 and not found_all.from_widgets


def test_wanted_bought_together_picks_go_in_with_the_bundle_button_and_upgrades_are_still_clicked():
    shop = Logged({1: [("together", 2), ("together", 4), ("upgrade", 3)]})
    outcome = visit([1, 2, 3, 4], shop, random.Random(0), Behaviour(find=0, click=1, bundle=1, stray=0, add=1,
                                                                    abandon=0))
    assert ("bundle", 1, [2, 4]) in shop.log and ("open", 3, ("upgrade", 1)) in shop.log
    assert outcome.bundle_adds == 2 and sorted(outcome.cart) == [1, 2, 3, 4]


def test_a_stray_click_is_looked_at_but_never_bought_and_an_abandoned_cart_is_no_order():
    shop = Logged({1: [("together", 9)]})
    outcome = visit([1, 2], shop, random.Random(0), Behaviour(find=0, click=1, stray=1, add=1, abandon=1))
    assert ("open", 9, ("together", 1)) in shop.log and 9 not in outcome.cart
    assert outcome.clicks == 1 and not outcome.ordered and outcome.revenue == 0


def test_a_shopper_opens_at_most_max_pages_pages():
    chain = {n: [("together", n + 1)] for n in range(1, 19)}
    outcome = visit(list(range(1, 19)), Logged(chain), random.Random(0), Behaviour(find=0, click=1, stray=0, add=1,
                                                                                   abandon=0, max_pages=5))
    assert outcome.cart == [1, 2, 3, 4, 5]


def test_the_same_seed_makes_the_same_choices():
    pages = {1: [("together", n) for n in range(2, 9)], 2: [("upgrade", n) for n in range(9, 15)]}
    runs = [visit([1, 2, 5, 9, 12], RecordedShop(pages, PRICES), random.Random("7:3")) for _ in range(2)]
    assert runs[0] == runs[1]


PAGE = """<section data-crosssell-widget="together"><form method="post" action="/cart/add-many/" data-bundle>
<input type="hidden" name="csrfmiddlewaretoken" value="tok">
<input type="hidden" name="cs_token" value="a&amp;b">
<a class="thumb" href="/recommendations/click/together/12/?from=5&amp;v=3">T</a>
<h3><a href="/recommendations/click/together/12/?from=5&amp;v=3">Twelve</a></h3>
<input type="checkbox" name="product_ids" value="12" checked>
</form></section>
<section><a href="/recommendations/click/upgrade/7/?from=5&amp;v=3">Seven</a></section>"""


def test_picks_are_read_off_the_page_once_each_in_page_order_with_their_links():
    picks, links = page_picks(PAGE)
    assert picks == [("together", 12), ("upgrade", 7)]
    assert links[("together", 12)] == "/recommendations/click/together/12/?from=5&v=3"


def test_the_bundle_form_gives_its_action_and_hidden_fields_but_not_the_checkboxes():
    assert bundle_form(PAGE) == ("/cart/add-many/", {"csrfmiddlewaretoken": "tok", "cs_token": "a&b"})
    assert bundle_form("<p>no widget</p>") is None


def test_the_split_keeps_the_most_ordered_products_and_makes_shoppers_of_later_orders_with_two_of_them():
    day = pd.Timestamp("2011-01-01")
    rows = [("o1", "A", day), ("o1", "B", day), ("o2", "A", day), ("o2", "C", day), ("o3", "A", day),
            ("o4", "A", day + pd.Timedelta(days=30)), ("o4", "B", day + pd.Timedelta(days=30)),
            ("o5", "A", day + pd.Timedelta(days=30)), ("o5", "D", day + pd.Timedelta(days=30)),
            ("o6", "B", day + pd.Timedelta(days=30)), ("o6", "C", day + pd.Timedelta(days=30)),
            ("o6", "A", day + pd.Timedelta(days=30))]
    lines = pd.DataFrame(rows, columns=["order_id", "code", "date"])
    split = split_orders(lines, products=2, test_weeks=2)
    assert split.codes == ["A", "B"]  # A in 3 orders, B and C in 1: B wins the tie by code order
    assert sorted(split.history["order_id"].unique()) == ["o1", "o2", "o3"]
    assert set(split.history["code"]) == {"A", "B"}
    assert split.shoppers == [["A", "B"], ["B", "A"]]  # o5 holds one chosen product only


def test_shuffled_lists_keep_each_lists_length_and_never_name_the_source():
    lists = {1: [2, 3, 4], 2: [1], 3: []}
    shuffled = shuffled_lists(lists, range(1, 30), random.Random(0))
    assert {source: len(targets) for source, targets in shuffled.items()} == {1: 3, 2: 1, 3: 0}
    assert all(source not in targets for source, targets in shuffled.items())
    assert shuffled[1] != [2, 3, 4]


@pytest.mark.django_db
def test_the_verdict_is_the_sign_of_a_difference_whose_interval_leaves_out_zero():
    from crosssell_app.experiments.models import Arm, Experiment

    experiment = Experiment.objects.create(name="sim")
    for name in ("A", "B"):
        Arm.objects.create(experiment=experiment, name=name)
    clicked = [Outcome(arm="B", clicks=1, ordered=True, revenue=Decimal(5)) for _ in range(200)]
    idle = [Outcome(arm="A", ordered=n % 2 == 0, revenue=Decimal(5) if n % 2 == 0 else Decimal(0)) for n in range(200)]
    signs = verdicts(figures_of(experiment, clicked + idle))
    assert signs["ctr"] == 1 and signs["conversion"] == 1 and signs["revenue_per_visitor"] == 1
    assert signs["cart_add_rate"] == 0 and signs["aov"] == 0  # nobody added with a widget; every order is 5
    mirrored = verdicts(figures_of(experiment, [Outcome(arm="A", clicks=1) for _ in range(200)]
                                   + [Outcome(arm="B") for _ in range(200)]))
    assert mirrored["ctr"] == -1
