"""Reading lists through the API: shapes, filters, personal data, and bad input."""

from decimal import Decimal

import pytest

from crosssell_app.models import Kind, MerchandisingRule
from tests.factories import ItemFactory, SectionFactory, UserFactory
from tests.serving.published import publish

pytestmark = pytest.mark.django_db

API = "/recommendations/api"


@pytest.fixture
def mug():
    return ItemFactory(title="Mug", cost=Decimal("4.00"))


@pytest.mark.parametrize("kind, path", [(Kind.BOUGHT_TOGETHER, "together"), (Kind.UPGRADE, "upgrades"),
                                        (Kind.SIMILAR, "similar")])
def test_a_products_list_is_returned_with_its_version(api, mug, kind, path):
    plate = ItemFactory(title="Plate", cost=Decimal("6.50"))
    version = publish({(kind, mug): [plate]}, explain=lambda *row: {"orders_together": 42})
    response = api.get(f"{API}/products/{mug.pk}/{path}/")
    assert response.status_code == 200
    body = response.json()
    token = body.pop("click_token")
    assert body == {"version": version.pk, "results": [{
        "id": plate.pk, "title": "Plate", "url": f"/items/{plate.pk}/", "price": "6.50", "image": "",
        "rank": 1, "score": 1.0, "pinned": False, "kind": kind, "explanation": {"orders_together": 42},
    }], "arm": None}
    assert (token is None) == (path == "similar"), "a widget's list carries the token that attributes its sales"


def test_a_known_product_without_a_list_gets_an_empty_one(api, mug):
    assert api.get(f"{API}/products/{mug.pk}/together/").json() == {"version": None, "results": [], "arm": None,
                                                                    "click_token": None}


def test_an_unknown_product_is_404_even_when_a_global_pin_exists(api, mug):
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="pin", target=mug)
    response = api.get(f"{API}/products/987654/together/")
    assert response.status_code == 404


@pytest.mark.parametrize("bad", ["abc", "1.5", "99999999999999999999999999", "-"])
def test_a_malformed_product_id_is_400_with_a_message(api, bad):
    response = api.get(f"{API}/products/{bad}/together/")
    assert response.status_code == 400
    assert "not a valid product id" in response.json()["id"][0]


@pytest.mark.parametrize("query, field", [("limit=abc", "limit"), ("limit=0", "limit"), ("min_price=x", "min_price"),
                                          ("min_price=5&max_price=1", "max_price")])
def test_a_malformed_parameter_is_400_naming_it(api, mug, query, field):
    response = api.get(f"{API}/products/{mug.pk}/together/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_an_oversized_limit_is_clamped_to_max_limit(api, mug, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "MAX_LIMIT": 3}
    publish({(Kind.SIMILAR, mug): ItemFactory.create_batch(5)})
    response = api.get(f"{API}/products/{mug.pk}/similar/?limit=99999999999")
    assert response.status_code == 200 and len(response.json()["results"]) == 3


def test_filters_apply_to_the_api_as_to_the_tags(api, mug):
    cheap, dear = ItemFactory(cost=Decimal("1")), ItemFactory(cost=Decimal("20"))
    publish({(Kind.UPGRADE, mug): [cheap, dear]})
    results = api.get(f"{API}/products/{mug.pk}/upgrades/?min_price=10").json()["results"]
    assert [row["id"] for row in results] == [dear.pk]


def test_for_you_returns_the_callers_own_picks_only(api):
    shopper, other = UserFactory(), UserFactory()
    mine, theirs, hot = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.FOR_YOU, shopper): [mine], (Kind.FOR_YOU, other): [theirs]}, trending=[hot])
    api.force_authenticate(shopper)
    assert [row["id"] for row in api.get(f"{API}/for-you/").json()["results"]] == [mine.pk, hot.pk]
    api.force_authenticate(None)
    assert [row["id"] for row in api.get(f"{API}/for-you/").json()["results"]] == [hot.pk]


def test_each_pick_says_whether_it_is_personal_or_a_best_seller_filling_up(api):
    shopper, mine, hot = UserFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.FOR_YOU, shopper): [mine]}, trending=[hot],
            explain=lambda kind, source, target: {"because_of": [hot.pk]} if kind == Kind.FOR_YOU else {})
    api.force_authenticate(shopper)
    results = api.get(f"{API}/for-you/").json()["results"]
    assert [(row["id"], row["kind"]) for row in results] == [(mine.pk, "for_you"), (hot.pk, "trending")]
    assert results[0]["explanation"] == {"because_of": [hot.pk]}  # product ids, as everywhere in the API


def test_cross_category_keeps_only_picks_of_other_categories(api, mug):
    plate, spade = ItemFactory(), ItemFactory(section=SectionFactory(label="Garden"))
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, spade]})
    results = api.get(f"{API}/products/{mug.pk}/together/?cross_category=true").json()["results"]
    assert [row["id"] for row in results] == [spade.pk]
    assert len(api.get(f"{API}/products/{mug.pk}/together/?cross_category=false").json()["results"]) == 2


def test_basket_completion_returns_what_goes_with_the_basket_and_not_its_products(api, mug):
    plate, spoon = ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, spoon]})
    response = api.post(f"{API}/basket/", {"product_ids": [mug.pk, plate.pk], "limit": 4}, format="json")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [spoon.pk]


@pytest.mark.parametrize("body", [{}, {"product_ids": []}, {"product_ids": ["abc"]}, {"product_ids": "1"},
                                  {"product_ids": [1], "limit": "many"}, [1, 2]])
def test_a_malformed_basket_is_400(api, body):
    response = api.post(f"{API}/basket/", body, format="json")
    assert response.status_code == 400
    assert response.json()


def test_a_body_that_is_not_json_is_400(api):
    response = api.post(f"{API}/basket/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_permission_classes_come_from_settings(api, mug, settings):
    settings.CROSSSELL = {**settings.CROSSSELL,
                          "API_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
    assert api.get(f"{API}/products/{mug.pk}/together/").status_code == 403


def test_throttle_classes_come_from_settings(api, mug, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "API_THROTTLE_CLASSES": ["tests.api.test_lists.NoMoreThanOne"]}
    assert api.get(f"{API}/products/{mug.pk}/together/").status_code == 200
    assert api.get(f"{API}/products/{mug.pk}/together/").status_code == 429


class NoMoreThanOne:
    """A throttle that lets the first request through and refuses the rest."""

    seen = 0

    def allow_request(self, request, view):
        NoMoreThanOne.seen += 1
        return NoMoreThanOne.seen <= 1

    def wait(self):
        return 60
