"""Picks that follow the visitor: their latest order and views, their cart, and what they buy again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import RequestFactory

from crosssell_app.models import Kind
from crosssell_app.serving import lists as serving
from crosssell_app.serving.customers import read_history, repeat_scores
from crosssell_app.serving.explanations import describe
from crosssell_app.serving.rules import default_rules
from tests.factories import ItemFactory, OrderFactory, OrderLineFactory, ProductViewFactory, UserFactory

from .published import publish

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_impressions(settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 0}


def buy(user, products, when):
    order = OrderFactory(user=user, ordered_at=when)
    for product in products:
        OrderLineFactory(order=order, product=product)
    return order


def render(source: str, user=None, session=None, **context) -> str:
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = session or SessionStore()
    return Template("{% load crosssell_tags %}" + source).render(Context({"request": request, **context}))


@pytest.fixture
def shop():
    """A teapot that goes with cups and a tray, a lamp that goes with bulbs; best sellers elsewhere."""
    teapot, lamp = ItemFactory(title="Teapot"), ItemFactory(title="Lamp")
    cups = [ItemFactory(title=f"Cup {i}") for i in range(4)]
    bulbs = [ItemFactory(title=f"Bulb {i}") for i in range(4)]
    best = [ItemFactory(title=f"Best seller {i}") for i in range(8)]
    publish({(Kind.BOUGHT_TOGETHER, teapot): cups, (Kind.BOUGHT_TOGETHER, lamp): bulbs}, trending=best,
            explain=lambda kind, source, target: {"orders_together": 9} if kind == Kind.BOUGHT_TOGETHER else {})
    return {"teapot": teapot, "lamp": lamp, "cups": cups, "bulbs": bulbs, "best": best}


def pks(picks):
    return [pick.pk for pick in picks]


def test_a_new_customers_picks_follow_their_first_order_at_once(shop):
    customer = UserFactory()
    assert set(pks(serving.for_visitor(customer, limit=8, rules=default_rules(user=customer)))) <= set(pks(shop["best"]))
    buy(customer, [shop["teapot"]], T0)
    picks = serving.for_visitor(customer, limit=8, rules=default_rules(user=customer))
    assert pks(picks)[:4] == pks(shop["cups"]), "what goes with the teapot, before the best sellers"
    assert picks[0].kind == Kind.FOR_YOU and picks[0].explanation == {"because_of": [shop["teapot"].pk]}
    assert picks[0].because == ["Teapot"]
    assert [pick.kind for pick in picks[4:]] == [Kind.TRENDING] * 4


def test_what_the_customer_bought_is_not_among_the_picks(shop):
    customer = UserFactory()
    buy(customer, [shop["teapot"], shop["cups"][0]], T0)
    picks = pks(serving.for_visitor(customer, limit=8, rules=default_rules(user=customer)))
    assert shop["cups"][0].pk not in picks and shop["teapot"].pk not in picks and shop["cups"][1].pk in picks


def test_the_latest_order_comes_first_and_the_retrains_picks_alternate_with_it(shop):
    customer = UserFactory()
    publish({(Kind.BOUGHT_TOGETHER, shop["teapot"]): shop["cups"], (Kind.BOUGHT_TOGETHER, shop["lamp"]): shop["bulbs"],
             (Kind.FOR_YOU, customer): shop["best"][:2]}, trending=shop["best"])
    buy(customer, [shop["teapot"]], T0)
    buy(customer, [shop["lamp"]], T0 + timedelta(days=3))
    picks = pks(serving.for_visitor(customer, limit=6, rules=default_rules(user=customer)))
    assert picks[0] == shop["bulbs"][0].pk, "the lamp was bought last"
    assert picks[1] == shop["best"][0].pk, "then the retrain's own first pick"
    # the teapot's best pick (1 x 0.7, an order older) outranks the lamp's second (1/2)
    assert picks[2] == shop["cups"][0].pk and picks[3] == shop["best"][1].pk
    assert picks[4] == shop["bulbs"][1].pk and len(picks) == 6


def test_a_visitor_who_is_not_signed_in_gets_picks_from_this_sessions_views(shop):
    session = SessionStore()
    session.create()
    ProductViewFactory(product=shop["lamp"], session_key=session.session_key)
    ProductViewFactory(product=shop["teapot"], session_key="someone-else")
    html = render("{% recommended_for_you limit=4 %}", session=session)
    assert "Inspired by what you viewed" in html
    assert all(bulb.title in html for bulb in shop["bulbs"]) and "Cup 0" not in html
    assert "Because you viewed Lamp" in html


def test_the_cart_counts_as_viewed(shop):
    html = render("{% recommended_for_you limit=4 cart=cart %}", cart=[shop["teapot"]])
    assert "Inspired by what you viewed" in html and "Cup 0" in html and "Teapot</a>" not in html


def test_a_visitor_without_views_sees_best_sellers(shop):
    html = render("{% recommended_for_you limit=4 %}")
    assert "Best sellers" in html and "Inspired" not in html


def test_repeat_scores_count_orders_and_decay_with_age_before_the_latest_order():
    lines = [("tea", T0), ("tea", T0 - timedelta(days=90)), ("tea", T0 - timedelta(days=180)), ("jam", T0)]
    scores = repeat_scores(lines, half_life_days=90)
    assert scores["tea"].times == 3 and scores["tea"].score == pytest.approx(1 + 0.5 + 0.25)
    assert scores["jam"].times == 1 and scores["jam"].score == pytest.approx(1)
    assert scores["tea"].last == T0 and scores["tea"].explanation()["times_bought"] == 3


def test_history_reads_orders_and_views_in_one_query(shop, django_assert_num_queries):
    customer = UserFactory()
    buy(customer, [shop["teapot"]], T0 - timedelta(days=1))
    buy(customer, [shop["lamp"]], T0)
    ProductViewFactory(product=shop["cups"][2], user=customer, viewed_at=T0)
    ProductViewFactory(product=shop["lamp"], user=customer, viewed_at=T0)
    with django_assert_num_queries(1):
        history = read_history(customer)
    assert history.bought == [shop["lamp"].pk, shop["teapot"].pk]
    assert history.viewed == [shop["cups"][2].pk], "a product bought is not also a view"


@pytest.mark.parametrize("orders", [2, 6])
def test_signed_in_picks_cost_a_fixed_number_of_queries_however_long_the_history(shop, orders, settings,
                                                                                   django_assert_num_queries):
    """Personal picks for a signed-in customer, uncached: four queries for "for you" (the history; the
    latest items' lists with their titles; the retrain's picks with best sellers; the titles of the
    purchases those picks name) and two for "buy it again" (the history; the products). Orders add
    rows to read, never queries."""
    settings.CROSSSELL = {**settings.CROSSSELL, "CACHE_TIMEOUT": 0}
    customer = UserFactory()
    publish({(Kind.BOUGHT_TOGETHER, shop["teapot"]): shop["cups"], (Kind.BOUGHT_TOGETHER, shop["lamp"]): shop["bulbs"],
             (Kind.FOR_YOU, customer): shop["best"][6:]}, trending=shop["best"],
            explain=lambda kind, source, target: {"because_of": [shop["teapot"].pk]} if kind == Kind.FOR_YOU else {})
    for day in range(orders):
        buy(customer, [shop["teapot"], shop["lamp"], shop["best"][day]], T0 + timedelta(days=day))
    rules = default_rules(user=customer)
    with django_assert_num_queries(4):
        picks = serving.for_visitor(customer, limit=6, rules=rules)
    assert any(pick.kind == Kind.FOR_YOU and pick.because == ["Teapot"] and pick.pk in pks(shop["best"])
               for pick in picks), "a retrain pick names the purchase it comes from"
    with django_assert_num_queries(2):
        again = serving.buy_it_again(customer, limit=6, rules=rules)
    assert set(pks(again)[:2]) == {shop["teapot"].pk, shop["lamp"].pk}, "bought in every order"


def test_buy_it_again_ranks_by_frequency_with_recency_and_says_how_often_and_when(shop):
    customer = UserFactory()
    tea, jam = ItemFactory(title="Tea"), ItemFactory(title="Jam")
    for days in (0, 30, 60, 90):
        buy(customer, [tea], T0 - timedelta(days=days))
    buy(customer, [jam], T0 - timedelta(days=400))
    buy(customer, [jam], T0 - timedelta(days=401))
    picks = serving.buy_it_again(customer, limit=5, rules=default_rules(user=customer))
    assert pks(picks) == [tea.pk, jam.pk]
    assert picks[0].kind == "buy_again" and picks[0].explanation == {"times_bought": 4, "last_bought": "2026-03-10"}
    why = describe(picks[0].explanation)
    assert why.times_bought == 4 and why.last_bought.month == 3


def test_the_buy_it_again_widget_says_you_bought_this_4_times_last_in_march(shop, settings):
    customer = UserFactory()
    tea = ItemFactory(title="Tea")
    for days in (0, 30, 60, 90):
        buy(customer, [tea], T0 - timedelta(days=days))
    html = render("{% buy_it_again %}", user=customer)
    assert "Buy it again" in html and "Tea" in html
    assert "You bought this 4 times, last in March" in html


def test_buy_it_again_is_empty_for_a_visitor_not_signed_in_and_leaves_out_the_cart(shop):
    assert render("{% buy_it_again %}") == ""
    customer = UserFactory()
    tea = ItemFactory(title="Tea")
    buy(customer, [tea], T0)
    assert render("{% buy_it_again cart=cart %}", user=customer, cart=[tea]) == ""


def test_buy_it_again_leaves_out_products_no_longer_on_sale(shop):
    customer = UserFactory()
    tea = ItemFactory(title="Tea", on_sale=False)
    buy(customer, [tea], T0)
    assert serving.buy_it_again(customer, limit=5, rules=default_rules()) == []


def test_complete_the_cart_mixes_in_what_the_customer_buys_again(shop):
    customer = UserFactory()
    tea = ItemFactory(title="Tea")
    for days in (0, 30, 60):
        buy(customer, [tea], T0 - timedelta(days=days))
    anonymous = pks(serving.for_basket([shop["teapot"].pk], limit=4, rules=default_rules()))
    assert tea.pk not in anonymous
    picks = serving.for_basket([shop["teapot"].pk], limit=4, rules=default_rules(), user=customer)
    assert tea.pk in pks(picks)
    tea_pick = next(pick for pick in picks if pick.pk == tea.pk)
    assert tea_pick.kind == "buy_again" and tea_pick.explanation["times_bought"] == 3
    assert shop["teapot"].pk not in pks(picks)


def test_complete_the_cart_adds_the_lists_of_the_customers_latest_purchases_naming_them(shop, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "REPEAT_WEIGHT": 0}
    customer = UserFactory()
    buy(customer, [shop["lamp"]], T0)
    picks = serving.for_basket([shop["teapot"].pk], limit=8, rules=default_rules(), user=customer)
    assert set(pks(shop["cups"])) <= set(pks(picks)) and set(pks(shop["bulbs"])) <= set(pks(picks))
    bulb = next(pick for pick in picks if pick.pk == shop["bulbs"][0].pk)
    assert bulb.explanation == {"because_of": [shop["lamp"].pk]} and bulb.because == ["Lamp"]
    cup = next(pick for pick in picks if pick.pk == shop["cups"][0].pk)
    assert cup.explanation == {"orders_together": 9}, "a completion of the cart keeps its own evidence"


def test_the_cart_widget_says_why_each_pick_is_there(shop):
    customer = UserFactory()
    tea = ItemFactory(title="Tea", cost=Decimal("3"))
    buy(customer, [tea], T0)
    buy(customer, [tea], T0 - timedelta(days=10))
    html = render("{% complete_the_cart cart limit=6 %}", user=customer, cart=[shop["teapot"]])
    assert "You bought this 2 times, last in March" in html
    assert "Bought together in 9 orders" in html


def test_the_nearest_items_of_what_was_just_bought_count_too_where_few_pairs_are_published(shop):
    """A small shop publishes few bought-together pairs (a floor of customers per pair): the model's nearest items fill in."""
    customer = UserFactory()
    kettle, mugs = ItemFactory(title="Kettle"), ItemFactory.create_batch(3)
    publish({(Kind.SIMILAR, kettle): mugs}, trending=shop["best"])
    buy(customer, [kettle], T0)
    picks = serving.for_visitor(customer, limit=5, rules=default_rules(user=customer))
    assert pks(picks)[:3] == pks(mugs) and picks[0].because == ["Kettle"]
