"""What a card says about a pick that did not come from purchases: truthful for new products and repeat buys."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import RequestFactory

from crosssell_app.explanations import SCHEMAS, keep_known
from crosssell_app.models import Kind
from crosssell_app.serving.explanations import describe
from tests.factories import ItemFactory

from .published import publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_impressions(settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 0}


def render(source: str, **context) -> str:
    request = RequestFactory().get("/")
    request.user, request.session = AnonymousUser(), SessionStore()
    return Template("{% load crosssell_tags %}" + source).render(Context({"request": request, **context}))


def test_a_new_products_pick_says_which_product_like_it_it_is_bought_with():
    mug, old_mug, plate = ItemFactory(title="Big Mug"), ItemFactory(title="Mug"), ItemFactory(title="Plate")
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]},
            explain=lambda *row: {"similar_to": [old_mug.pk], "new_product": True})
    html = render("{% frequently_bought_together product %}", product=mug)
    assert "Bought with Mug, a product like this one" in html
    assert "Bought together" not in html and "Frequently bought together" not in html
    assert "Goes well with this item" in html


def test_a_new_products_category_pick_says_it_is_a_best_seller_of_the_category():
    mug, plate = ItemFactory(title="Big Mug"), ItemFactory(title="Plate")
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]}, explain=lambda *row: {"category_orders": 12, "new_product": True})
    html = render("{% frequently_bought_together product %}", product=mug)
    assert "Popular in this category: in 12 orders" in html and "Bought together" not in html


def test_a_new_products_upgrade_shows_the_price_step_and_added_words_without_purchase_evidence():
    mug, big = ItemFactory(title="Mug", cost=Decimal("4")), ItemFactory(title="Large Mug", cost=Decimal("6"))
    publish({(Kind.UPGRADE, mug): [big]},
            explain=lambda *row: {"price_difference": 2.0, "added_words": ["LARGE"], "new_product": True})
    html = render("{% upgrade_to product %}", product=mug)
    assert "+2.00" in html and "Adds LARGE" in html and "Chosen by" not in html


def test_describe_reads_the_new_keys_and_drops_malformed_values():
    why = describe({"similar_to": [3, "x", True, None], "category_orders": "7", "new_product": True,
                    "times_bought": 4, "last_bought": "2026-03-10", "because_viewed": [5]})
    assert why.similar_to == [3, "x"] and why.category_orders == 7 and why.new_product
    assert why.times_bought == 4 and why.last_bought == date(2026, 3, 10) and why.because_viewed == [5]
    bad = describe({"similar_to": "3", "last_bought": "March", "times_bought": -1, "new_product": "yes"})
    assert bad.similar_to == [] and bad.last_bought is None and bad.times_bought is None and not bad.new_product


def test_the_schema_names_every_key_the_fresh_lists_write():
    together = {"similar_to": [1], "category_orders": 3, "new_product": True, "realtime": True, "orders_together": 2}
    assert keep_known("together", together) == together
    assert keep_known("similar", {"text_similarity": 0.5, "new_product": True, "other": 1}) == {
        "text_similarity": 0.5, "new_product": True}
    assert set(SCHEMAS["buy_again"].__annotations__) == {"times_bought", "last_bought"}
    assert "because_viewed" in SCHEMAS["for_you"].__annotations__


def test_a_malformed_product_id_in_an_explanation_names_nothing_and_breaks_nothing():
    mug, plate = ItemFactory(title="Mug"), ItemFactory(title="Plate")
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]},
            explain=lambda *row: {"similar_to": ["abc", 10 ** 30, str(mug.pk)], "new_product": True})
    html = render("{% frequently_bought_together product %}", product=mug)
    assert "Plate" in html and "Bought with Mug, a product like this one" in html
