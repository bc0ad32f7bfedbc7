"""The demo's pages with published lists in place: the widgets the shop overrides, the demo sign-in."""

import pytest
from django.contrib.auth import get_user_model

from crosssell_app.models import Order

pytestmark = pytest.mark.django_db


def test_the_product_page_shows_the_bundle_with_its_total_and_the_upgrade_with_its_difference(client, published):
    stand = published[0]
    page = client.get(f"/products/{stand.pk}/").text
    assert "Frequently bought together" in page and "Bought together in 525 orders" in page
    assert "Price for all 3</span>: <span class=\"price\" data-bundle-total>£20.65</span>" in page  # 12.75+2.95+4.95
    assert "Upgrade to" in page and "+£7.20" in page and "Adds 4 TIER" in page and "Chosen by 12 customers" in page
    assert page.count('name="product_ids"') == 3, "one bundle form with a checkbox per product"


def test_the_widgets_are_the_shops_overrides_not_the_apps_defaults(client, published):
    page = client.get(f"/products/{published[0].pk}/").text
    assert 'class="cs-widget"' in page and "crosssell-together" not in page


def test_a_product_without_published_lists_shows_no_empty_widgets(client, published):
    page = client.get(f"/products/{published[3].pk}/").text
    assert "Frequently bought together" not in page and "Upgrade to" not in page


def test_the_cart_suggests_what_completes_the_order_but_not_what_is_in_it(client, published):
    stand, teacup, bunting, _, holder = published
    client.post("/cart/add-many/", {"product_ids": [stand.pk, teacup.pk]})
    page = client.get("/cart/").text
    section = page[page.index("Complete your order"):]
    assert bunting.name in section and holder.name in section
    assert teacup.name not in section and stand.name not in section


def test_a_visitor_sees_best_sellers_on_the_home_page_headed_as_best_sellers(client, published):
    page = client.get("/").text
    assert "Best sellers" in page and published[4].name in page and "Recommended for you" not in page
    assert "Best seller: in 88 orders in the last 30 days of the data" in page, "a best seller says why it is shown"


def test_a_signed_in_shopper_without_orders_sees_best_sellers_not_picks_from_past_orders(client, published):
    client.force_login(get_user_model().objects.create_user("newcomer"))
    page = client.get("/").text
    assert "Best sellers" in page and published[4].name in page
    assert "Recommended for you" not in page and "past orders" not in page


def test_a_personal_pick_says_which_past_purchase_it_comes_from(client, published):
    from crosssell_app.models import ActiveVersion, Kind, Recommendation

    stand, teacup, _, big_stand, holder = published
    shopper = get_user_model().objects.create_user("regular")
    Recommendation.objects.create(version_id=ActiveVersion.objects.current_id(), kind=Kind.FOR_YOU, user=shopper,
                                  target=big_stand, rank=1, score=1.0, explanation={"because_of": [teacup.pk]})
    client.force_login(shopper)
    page = client.get("/").text
    assert "Recommended for you" in page and f"Because you bought {teacup.name}" in page
    assert "topped up with best sellers" in page and "Best seller: in 88 orders" in page


def test_the_sign_in_page_lists_demo_customers_with_their_order_counts_and_no_one_else(client):
    User = get_user_model()
    customer = User.objects.create_user("customer17850", password="demo")
    User.objects.create_user("alice", password="secret")
    User.objects.create_superuser("admin", "", "admin")
    Order.objects.create(external_id="536365", user=customer)
    Order.objects.create(external_id="536366", user=customer)
    page = client.get("/login/").text
    assert "Sign in as customer17850" in page and "2 past orders" in page
    assert "alice" not in page and "Sign in as admin" not in page


def test_the_one_click_demo_sign_in_signs_the_customer_in(client):
    get_user_model().objects.create_user("customer17850", password="demo")
    response = client.post("/login/", {"username": "customer17850", "password": "demo", "next": ""})
    assert response.status_code == 302
    assert "Hi, customer17850" in client.get("/").text


def test_the_admin_is_named_for_the_shop(admin_client):
    page = admin_client.get("/admin/").text
    assert "Gift Shop admin" in page
