"""The demo shop as a shopper uses it: browse, search, cart, checkout, and the app records it."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from crosssell_app.models import Order, ProductView
from demo_shop.shop.models import Category, Product, ShopOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    kitchen = Category.objects.create(name="Kitchen & Baking")
    return [
        Product.objects.create(sku=f"2000{i}", name=f"Regency Cake Stand {i}", category=kitchen, price=Decimal("9.95"))
        for i in range(30)
    ]


def test_seed_demo_without_the_export_generates_a_shop_with_history_and_accounts():
    call_command("seed_demo", "--generate", "--customers", "2")
    assert Product.objects.count() > 100
    assert Category.objects.count() >= 5
    assert Order.objects.count() > 1000
    assert Order.objects.filter(user__username__startswith="customer").exists()


def test_seed_demo_twice_adds_nothing_the_second_time():
    call_command("seed_demo", "--generate")
    counts = (Product.objects.count(), Order.objects.count())
    call_command("seed_demo", "--generate")
    assert (Product.objects.count(), Order.objects.count()) == counts


def test_the_catalogue_paginates_and_searches(client, catalogue):
    page = client.get("/products/")
    assert page.status_code == 200 and "Page 1 of 2" in page.text
    found = client.get("/products/", {"q": "stand 7"})
    assert "Regency Cake Stand 7" in found.text and "Regency Cake Stand 8" not in found.text


def test_a_product_page_is_recorded_as_a_view(client, catalogue):
    product = catalogue[0]
    assert client.get(f"/products/{product.pk}/").status_code == 200
    assert ProductView.objects.filter(product=product).count() == 1


def test_checkout_creates_the_shops_order_and_records_it_through_the_app(client, catalogue):
    client.post("/cart/add-many/", {"product_ids": [catalogue[0].pk, catalogue[1].pk, "junk"]})
    client.post("/cart/add/", {"product_id": catalogue[0].pk, "quantity": 2})
    response = client.post("/checkout/", {"email": ""})
    shop_order = ShopOrder.objects.get()
    assert response.status_code == 302 and shop_order.number in response["Location"]
    recorded = Order.objects.get(external_id=shop_order.number)
    assert {(l.product_id, l.quantity) for l in recorded.lines.all()} == {(catalogue[0].pk, 3), (catalogue[1].pk, 1)}
    assert client.get("/cart/").context["lines"] == []


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client):
    response = client.post("/checkout/", {})
    assert response.status_code == 302 and response["Location"].endswith("/cart/")
    assert not ShopOrder.objects.exists()


def test_malformed_cart_input_is_a_message_not_an_error(client, catalogue):
    assert client.post("/cart/update/", {"product_id": "x", "quantity": "y"}).status_code == 302
    assert client.post("/cart/add/", {"product_id": "nope"}).status_code == 404
