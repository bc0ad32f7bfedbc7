"""Recording views and orders through the API."""

import pytest

from crosssell_app.models import Order, ProductView
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db

ORDERS = "/recommendations/api/orders/"


def test_a_view_is_recorded_for_the_user_or_session_the_server_names(admin_api):
    mug, shopper = ItemFactory(), UserFactory()
    response = admin_api.post("/recommendations/api/views/", {"product": mug.pk, "widget": "together",
                                                              "user": shopper.pk}, format="json")
    assert response.status_code == 201
    admin_api.post("/recommendations/api/views/", {"product": mug.pk, "session_key": "abc"}, format="json")
    views = list(ProductView.objects.order_by("pk").values_list("product", "user", "session_key", "source_widget"))
    assert views == [(mug.pk, shopper.pk, "", "together"), (mug.pk, None, "abc", "")]


def test_without_a_user_or_session_the_view_is_the_callers(admin_api, admin_user):
    admin_api.post("/recommendations/api/views/", {"product": ItemFactory().pk}, format="json")
    assert ProductView.objects.get().user == admin_user


def test_recording_views_needs_the_write_permission(api):
    assert api.post("/recommendations/api/views/", {"product": ItemFactory().pk}, format="json").status_code == 403


@pytest.mark.parametrize("body", [{"product": 987654}, {"product": "x"}, {"product": 1, "widget": "no spaces"},
                                  {"product": 1, "user": "nobody"}])
def test_a_view_of_an_unknown_or_malformed_product_or_user_is_400(admin_api, body):
    assert admin_api.post("/recommendations/api/views/", body, format="json").status_code == 400
    assert not ProductView.objects.exists()


def order_body(*products, order_id="S-1", **extra):
    return {"order_id": order_id, "lines": [{"product": p.pk, "quantity": 2, "unit_price": "3.50"} for p in products],
            **extra}


def test_a_new_order_is_201_and_a_repeated_order_id_is_200_with_created_false(admin_api):
    mug, plate = ItemFactory(), ItemFactory()
    first = admin_api.post(ORDERS, order_body(mug, plate), format="json")
    again = admin_api.post(ORDERS, order_body(mug), format="json")
    assert (first.status_code, first.json()) == (201, {"order_id": "S-1", "created": True, "lines": 2})
    assert (again.status_code, again.json()) == (200, {"order_id": "S-1", "created": False, "lines": 2})
    assert Order.objects.get().source == Order.Source.API


def test_an_order_names_its_buyer_by_user_id(admin_api):
    buyer = UserFactory()
    admin_api.post(ORDERS, order_body(ItemFactory(), user=buyer.pk), format="json")
    assert Order.objects.get().user == buyer


def test_recording_orders_needs_the_write_permission(api, django_user_model):
    mug = ItemFactory()
    assert api.post(ORDERS, order_body(mug), format="json").status_code == 403
    api.force_authenticate(django_user_model.objects.create(username="customer"))
    assert api.post(ORDERS, order_body(mug), format="json").status_code == 403
    assert not Order.objects.exists()


@pytest.mark.parametrize("change, field", [
    ({"order_id": " "}, "order_id"),
    ({"order_id": "x" * 65}, "order_id"),
    ({"lines": []}, "lines"),
    ({"lines": [{"product": 987654, "quantity": 1, "unit_price": "1"}]}, "lines"),
    ({"lines": [{"product": "abc", "quantity": 1, "unit_price": "1"}]}, "lines"),
    ({"lines": [{"product": "PRODUCT", "quantity": 0, "unit_price": "1"}]}, "lines"),
    ({"lines": [{"product": "PRODUCT", "quantity": 1, "unit_price": "-1"}]}, "lines"),
    ({"user": 987654}, "user"),
    ({"user": "abc"}, "user"),
])
def test_a_malformed_order_is_400_naming_the_field_and_stores_nothing(admin_api, change, field):
    mug = ItemFactory()
    body = order_body(mug, **change)
    for line in body["lines"]:
        if line["product"] == "PRODUCT":
            line["product"] = mug.pk
    response = admin_api.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Order.objects.exists()


@pytest.mark.parametrize("ordered_at", ["9999-12-31T23:59:59Z", "2999-01-01T00:00:00Z"])
def test_an_order_dated_in_the_future_is_400_naming_the_date(admin_api, ordered_at):
    response = admin_api.post(ORDERS, order_body(ItemFactory(), ordered_at=ordered_at), format="json")
    assert response.status_code == 400
    assert "ordered_at" in response.json()
    assert not Order.objects.exists()


def test_an_order_dated_a_moment_ahead_within_the_clock_skew_is_accepted(admin_api):
    from datetime import timedelta

    from django.utils import timezone

    ahead = (timezone.now() + timedelta(seconds=30)).isoformat()
    assert admin_api.post(ORDERS, order_body(ItemFactory(), ordered_at=ahead), format="json").status_code == 201
