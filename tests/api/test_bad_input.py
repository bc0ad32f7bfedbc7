"""Hostile request bodies and credentials: each is refused with a 4xx, none reaches a 500.

The NUL byte in credentials matters on PostgreSQL (it refuses NUL in text); run the suite with
``CROSSSELL_TEST_DB=postgres`` to see that fault.
"""

import base64

import pytest
from rest_framework.test import APIClient

from crosssell_app.models import Order
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/recommendations/api"


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.mark.parametrize("body", ['{"product_ids": [1e400]}', '{"product_ids": [-1e400]}',
                                  '{"product_ids": [1], "limit": 1e400}'])
def test_a_number_too_large_for_a_float_is_400(api, body):
    ItemFactory()
    response = api.post(f"{API}/basket/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_a_json_body_nested_thousands_deep_is_400(api, opening, closing):
    body = '{"product_ids": ' + opening * 5000 + "1" + closing * 5000 + "}"
    response = api.post(f"{API}/basket/", body, content_type="application/json")
    assert response.status_code == 400
    assert "deep" in response.json()["detail"]


def test_a_json_body_nested_a_little_deeper_than_any_request_needs_is_still_read(api):
    """The limit refuses abuse, not bodies of the API's own shape (an order is three levels deep)."""
    body = '{"product_ids": [1], "x": ' + "[" * 20 + "]" * 20 + "}"
    assert api.post(f"{API}/basket/", body, content_type="application/json").status_code == 200


def test_the_depth_limit_also_guards_the_write_endpoints(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    body = '{"order_id": "A", "lines": ' + "[" * 5000 + "]" * 5000 + "}"
    assert client.post(f"{API}/orders/", body, content_type="application/json").status_code == 400
    assert not Order.objects.exists()


@pytest.mark.parametrize("username, password", [("ad\x00min", "secret"), ("admin", "sec\x00ret"),
                                                ("\x00", "\x00")])
def test_a_nul_byte_in_basic_credentials_is_refused_as_not_authenticated(username, password):
    """401, or 403 when the first authentication class (DRF's default: the session) sends no challenge."""
    UserFactory(username="admin", is_staff=True)
    response = APIClient().get(f"{API}/training-runs/", HTTP_AUTHORIZATION=_basic(username, password))
    assert response.status_code in (401, 403)
    assert response.json()["detail"] == "Invalid username/password."


def test_good_basic_credentials_still_work():
    admin = UserFactory(username="admin", is_staff=True)
    admin.set_password("secret")
    admin.save()
    response = APIClient().get(f"{API}/training-runs/", HTTP_AUTHORIZATION=_basic("admin", "secret"))
    assert response.status_code == 200
