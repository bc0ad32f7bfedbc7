"""Personal lists through the API: picks that follow the latest order, buy it again, and the cart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crosssell_app.models import Kind
from tests.factories import ItemFactory, OrderFactory, OrderLineFactory, UserFactory
from tests.serving.published import publish

pytestmark = pytest.mark.django_db

API = "/recommendations/api"
T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)


def buy(user, products, when=T0):
    order = OrderFactory(user=user, ordered_at=when)
    for product in products:
        OrderLineFactory(order=order, product=product)


@pytest.fixture
def shop():
    teapot, tea = ItemFactory(title="Teapot"), ItemFactory(title="Tea")
    cups = ItemFactory.create_batch(3)
    best = ItemFactory.create_batch(5)
    publish({(Kind.BOUGHT_TOGETHER, teapot): cups}, trending=best)
    return {"teapot": teapot, "tea": tea, "cups": cups, "best": best}


def ids(response) -> list:
    return [pick["id"] for pick in response.json()["results"]]


def test_for_you_follows_the_customers_latest_order(api, shop):
    customer = UserFactory()
    api.force_authenticate(customer)
    assert set(ids(api.get(f"{API}/for-you/"))) <= {p.pk for p in shop["best"]}
    buy(customer, [shop["teapot"]])
    response = api.get(f"{API}/for-you/")
    assert ids(response)[:3] == [cup.pk for cup in shop["cups"]]
    assert response.json()["results"][0]["explanation"] == {"because_of": [shop["teapot"].pk]}
    assert response.json()["results"][0]["kind"] == "for_you"


def test_buy_again_lists_the_customers_repeat_purchases_with_how_often_and_when(api, shop):
    customer = UserFactory()
    for days in (0, 30, 60, 90):
        buy(customer, [shop["tea"]], T0 - timedelta(days=days))
    buy(customer, [shop["teapot"]], T0 - timedelta(days=5))
    api.force_authenticate(customer)
    response = api.get(f"{API}/buy-again/", {"limit": 5})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [pick["id"] for pick in results] == [shop["tea"].pk, shop["teapot"].pk]
    assert results[0]["kind"] == "buy_again"
    assert results[0]["explanation"] == {"times_bought": 4, "last_bought": "2026-03-10"}


def test_buy_again_is_an_empty_list_for_a_visitor_not_signed_in(api, shop):
    response = api.get(f"{API}/buy-again/")
    assert response.status_code == 200 and response.json() == {"version": None, "results": [], "arm": None,
                                                               "click_token": None}


@pytest.mark.parametrize("query", [{"limit": "many"}, {"limit": "0"}, {"min_price": "-1"},
                                   {"min_price": "5", "max_price": "1"}, {"category": "x" * 600}])
def test_buy_again_refuses_bad_input_with_a_400_and_a_message(api, shop, query):
    api.force_authenticate(UserFactory())
    response = api.get(f"{API}/buy-again/", query)
    assert response.status_code == 400
    assert response.json()


def test_the_basket_of_a_signed_in_customer_holds_what_they_buy_again(api, shop):
    customer = UserFactory()
    for days in (0, 30):
        buy(customer, [shop["tea"]], T0 - timedelta(days=days))
    body = {"product_ids": [shop["teapot"].pk], "limit": 6}
    assert shop["tea"].pk not in ids(api.post(f"{API}/basket/", body, format="json"))
    api.force_authenticate(customer)
    response = api.post(f"{API}/basket/", body, format="json")
    assert shop["tea"].pk in ids(response)
    assert set(ids(response)) >= {cup.pk for cup in shop["cups"]}


def test_buy_again_is_in_the_schema_with_each_status_it_answers_with(api):
    schema = api.get(f"{API}/schema/", {"format": "json"}).json()
    operation = schema["paths"][f"{API}/buy-again/"]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PickList"}
