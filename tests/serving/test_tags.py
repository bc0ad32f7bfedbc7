"""The template tags: what each renders, what it costs, and that it never breaks a page."""

import subprocess
import sys
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import RequestFactory

from crosssell_app.models import Kind, WidgetEvent
from tests.factories import ItemFactory, OrderLineFactory, UserFactory

from .published import publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_impressions(settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 0}


def render(source: str, user=None, **context) -> str:
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    return Template("{% load crosssell_tags %}" + source).render(Context({"request": request, **context}))


@pytest.fixture
def mug():
    return ItemFactory(title="Mug", cost=Decimal("4.00"))


def test_bought_together_renders_the_bundle_its_total_and_one_form_to_the_cart(mug, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "ADD_TO_CART_URL": "/cart/add-many/"}
    plate, cup = ItemFactory(title="Plate", cost=Decimal("6.00")), ItemFactory(title="Cup", cost=Decimal("2.50"))
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup]}, explain=lambda *row: {"orders_together": 42})
    html = render("{% frequently_bought_together product limit=3 %}", product=mug)
    assert "Plate" in html and "Cup" in html
    assert "12.50" in html
    assert html.count("<form") == 1 and 'action="/cart/add-many/"' in html
    assert html.count('name="product_ids"') == 3
    assert "Bought together in 42 orders" in html


def test_the_bundle_form_posts_to_a_named_url(mug, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "ADD_TO_CART_URL": "item"}  # needs args: not a reversible name
    publish({(Kind.BOUGHT_TOGETHER, mug): [ItemFactory()]})
    settings.CROSSSELL = {**settings.CROSSSELL, "ADD_TO_CART_URL": "admin:index"}
    assert 'action="/admin/"' in render("{% frequently_bought_together product %}", product=mug)


def test_without_an_add_to_cart_url_the_bundle_has_no_form(mug):
    publish({(Kind.BOUGHT_TOGETHER, mug): [ItemFactory()]})
    assert "<form" not in render("{% frequently_bought_together product %}", product=mug)


def test_upgrade_cards_show_the_price_difference_and_the_explanation(mug):
    big = ItemFactory(title="Big mug", cost=Decimal("6.00"))
    publish({(Kind.UPGRADE, mug): [big]}, explain=lambda *row: {
        "added_words": ["BIG", 3], "chosen_by": 12, "chosen_by_unit": "customers"})
    html = render("{% upgrade_to product %}", product=mug)
    assert "Big mug" in html and "+2.00" in html and "(50%)" in html
    assert "Adds BIG" in html and "Chosen by 12 customers" in html


def test_evidence_sentences_are_built_by_the_template_in_singular_and_plural(mug):
    one, many = ItemFactory(title="One"), ItemFactory(title="Many")
    publish({(Kind.BOUGHT_TOGETHER, mug): [one, many]},
            explain=lambda kind, source, target: {"orders_together": 1 if target == one else 7})
    html = render("{% frequently_bought_together product %}", product=mug)
    assert "Bought together in 1 order<" in html and "Bought together in 7 orders" in html


def test_an_upgrade_counted_in_orders_says_orders_not_customers(mug):
    big = ItemFactory(title="Big mug", cost=Decimal("6.00"))
    publish({(Kind.UPGRADE, mug): [big]}, explain=lambda *row: {"chosen_by": 1, "chosen_by_unit": "orders"})
    assert "Bought in 1 order<" in render("{% upgrade_to product %}", product=mug)


def test_an_upgrade_with_a_malformed_explanation_still_renders(mug):
    big = ItemFactory(title="Big mug", cost=None)
    publish({(Kind.UPGRADE, mug): [big]}, explain=lambda *row: {"price_difference": "lots", "added_words": "x", "chosen_by": "many"})
    html = render("{% upgrade_to product %}", product=mug)
    assert "Big mug" in html and "lots" not in html


def test_recommended_for_you_shows_the_users_picks_then_trending():
    shopper, mine, hot = UserFactory(), ItemFactory(title="Mine"), ItemFactory(title="Hot")
    publish({(Kind.FOR_YOU, shopper): [mine]}, trending=[hot])
    html = render("{% recommended_for_you limit=8 %}", user=shopper)
    assert html.index("Mine") < html.index("Hot")
    assert "Mine" not in render("{% recommended_for_you %}")


def test_personal_picks_say_which_past_purchase_they_come_from_and_best_sellers_say_so(mug):
    shopper, mine, hot = UserFactory(), ItemFactory(title="Mine"), ItemFactory(title="Hot")
    publish({(Kind.FOR_YOU, shopper): [mine]}, trending=[hot], explain=lambda kind, source, target: (
        {"because_of": [mug.pk]} if kind == Kind.FOR_YOU else {"orders_recent": 9, "days": 30}))
    html = render("{% recommended_for_you %}", user=shopper)
    assert "Recommended for you" in html and "Because you bought Mug" in html
    assert "Best seller: in 9 orders in the last 30 days" in html


def test_best_sellers_alone_are_headed_as_best_sellers_even_for_a_signed_in_shopper():
    hot = ItemFactory(title="Hot")
    publish(trending=[hot])
    for user in (None, UserFactory()):
        html = render("{% recommended_for_you %}", user=user)
        assert "Best sellers" in html and "Recommended for you" not in html


def test_cross_category_keeps_only_picks_of_other_categories(mug):
    from tests.factories import SectionFactory

    plate, spade = ItemFactory(title="Plate"), ItemFactory(title="Spade", section=SectionFactory(label="Garden"))
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, spade]}, explain=lambda *row: {"orders_together": 3})
    html = render("{% frequently_bought_together product cross_category=True %}", product=mug)
    assert "Spade" in html and "Plate" not in html
    assert "Plate" in render("{% frequently_bought_together product %}", product=mug)


def test_a_bundle_with_a_pick_never_bought_with_the_product_is_not_headed_bought_together(mug):
    from crosssell_app.models import MerchandisingRule

    plate, pinned = ItemFactory(title="Plate"), ItemFactory(title="Pinned")
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]}, explain=lambda *row: {"orders_together": 3})
    assert "Frequently bought together" in render("{% frequently_bought_together product %}", product=mug)
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="pin", source=mug, target=pinned)
    html = render("{% frequently_bought_together product %}", product=mug)
    assert "Pinned" in html and "Frequently bought together" not in html and "Goes well with this item" in html


def test_bought_together_still_shows_what_the_visitor_bought_before(mug):
    buyer, plate = UserFactory(), ItemFactory(title="Plate")
    OrderLineFactory(order__user=buyer, product=plate)
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    assert "Plate" in render("{% frequently_bought_together product %}", user=buyer, product=mug)


def test_complete_the_cart_leaves_out_what_is_in_the_cart(mug):
    plate, spoon = ItemFactory(title="Plate"), ItemFactory(title="Spoon")
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, spoon]})
    html = render("{% complete_the_cart cart limit=4 %}", cart=[{"product": mug}, plate.pk, "junk"])
    assert "Spoon" in html and "Plate" not in html


@pytest.mark.parametrize("tag", [
    "{% frequently_bought_together product %}", "{% upgrade_to product %}",
    "{% recommended_for_you %}", "{% complete_the_cart cart %}",
])
def test_a_tag_with_nothing_to_show_renders_nothing(tag, mug):
    publish({(Kind.SIMILAR, mug): [ItemFactory()]})
    assert render(tag, product=mug, cart=[mug]).strip() == ""


def test_an_error_inside_a_tag_is_logged_and_renders_nothing(mug, monkeypatch, caplog):
    from crosssell_app.serving import lists as serving

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(serving, "for_product", broken)
    assert render("before{% upgrade_to product %}after", product=mug) == "beforeafter"
    assert "database on fire" in caplog.text


def test_a_widget_template_can_be_overridden_per_variant(mug, tmp_path, settings):
    folder = tmp_path / "crosssell_app" / "widgets"
    folder.mkdir(parents=True)
    (folder / "upgrade_to_compact.html").write_text("compact:{% for pick in picks %}{{ pick.title }}{% endfor %}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    publish({(Kind.UPGRADE, mug): [ItemFactory(title="Big mug")]})
    assert render('{% upgrade_to product variant="compact" %}', product=mug) == "compact:Big mug"
    assert "compact" not in render('{% upgrade_to product variant="other" %}', product=mug)


def test_widget_links_go_through_the_click_redirect_with_the_widget_and_version(mug):
    plate = ItemFactory()
    version = publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    html = render("{% frequently_bought_together product %}", product=mug)
    assert f'href="/recommendations/click/together/{plate.pk}/?from={mug.pk}&amp;v={version.pk}"' in html


def test_a_failed_impression_write_still_shows_the_widget(mug, settings, monkeypatch, caplog):
    import crosssell_app.serving.attribution

    def broken(impressions):
        raise RuntimeError("database went away")

    monkeypatch.setattr(crosssell_app.serving.attribution, "_store", broken)
    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 1}
    publish({(Kind.UPGRADE, mug): [ItemFactory(title="Big mug")]})
    assert "Big mug" in render("{% upgrade_to product %}", product=mug)
    assert "Could not store 1 sampled widget impressions" in caplog.text


def test_a_widget_linking_through_the_click_redirect_never_asks_for_the_products_url(mug, monkeypatch):
    from tests.testapp.models import Item

    asked = []
    monkeypatch.setattr(Item, "get_absolute_url", lambda item: asked.append(item.pk) or f"/items/{item.pk}/")
    plate = ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate], (Kind.UPGRADE, mug): [plate]})
    assert "/recommendations/click/together/" in render("{% frequently_bought_together product %}", product=mug)
    assert "/recommendations/click/upgrade/" in render("{% upgrade_to product %}", product=mug)
    assert asked == []
    from crosssell_app.serving import lists as serving
    from crosssell_app.serving.rules import default_rules

    assert serving.for_product(Kind.UPGRADE, mug, limit=3, rules=default_rules())[0].url == f"/items/{plate.pk}/"
    assert asked == [plate.pk]


def test_only_a_widget_with_a_form_makes_a_csrf_token(mug, settings):
    settings.CROSSSELL = {**settings.CROSSSELL, "ADD_TO_CART_URL": "/cart/add-many/"}
    publish({(Kind.BOUGHT_TOGETHER, mug): [ItemFactory()], (Kind.UPGRADE, mug): [ItemFactory()]})
    for tag, has_form in (("upgrade_to", False), ("frequently_bought_together", True)):
        request = RequestFactory().get("/")
        request.user, request.session = AnonymousUser(), SessionStore()
        html = Template("{% load crosssell_tags %}{% " + tag + " product %}").render(
            Context({"request": request, "product": mug}))
        assert ('name="csrfmiddlewaretoken"' in html) is has_form
        assert ("CSRF_COOKIE" in request.META) is has_form  # no token, no CSRF cookie on the response


def test_a_render_records_an_impression_when_sampled(mug, settings):
    publish({(Kind.UPGRADE, mug): [ItemFactory()]})
    render("{% upgrade_to product %}", product=mug)
    assert not WidgetEvent.objects.exists()
    settings.CROSSSELL = {**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 1}
    render("{% upgrade_to product %}", product=mug)
    assert list(WidgetEvent.objects.values_list("event", "widget", "source")) == [("impression", "upgrade", mug.pk)]


@pytest.mark.parametrize("limit", [1, 20])
@pytest.mark.parametrize("tag", [
    "{% frequently_bought_together product limit=n %}", "{% upgrade_to product limit=n %}",
    "{% recommended_for_you limit=n %}", "{% complete_the_cart cart limit=n %}",
])
def test_a_widget_costs_at_most_two_queries_whatever_its_limit(tag, limit, django_assert_max_num_queries):
    """Two: the list and the pins; a personal widget reads the visitor's own history in one query more."""
    from crosssell_app.models import MerchandisingRule

    shopper, mug, teapot = UserFactory(), ItemFactory(), ItemFactory()
    others = ItemFactory.create_batch(25)
    publish({(Kind.BOUGHT_TOGETHER, mug): others, (Kind.BOUGHT_TOGETHER, teapot): others[::-1],
             (Kind.UPGRADE, mug): others, (Kind.FOR_YOU, shopper): others[:5]}, trending=others)
    for kind in (Kind.BOUGHT_TOGETHER, Kind.UPGRADE, Kind.FOR_YOU):
        MerchandisingRule.objects.create(kind=kind, action="pin", source=None, target=others[-1], position=1)
    with django_assert_max_num_queries(2 + _history_queries(tag)):
        html = render(tag, user=shopper, product=mug, cart=[mug, teapot], n=limit)
    assert html.count("<li") - html.count("crosssell-item-current") == limit


@pytest.mark.parametrize("tag", [
    "{% frequently_bought_together product limit=20 %}", "{% upgrade_to product limit=20 %}",
    "{% recommended_for_you limit=20 %}", "{% complete_the_cart cart limit=20 %}",
])
def test_a_widget_without_pins_costs_one_query(tag, django_assert_num_queries):
    from crosssell_app.models import MerchandisingRule

    shopper, mug, teapot = UserFactory(), ItemFactory(), ItemFactory()
    others = ItemFactory.create_batch(25)
    publish({(Kind.BOUGHT_TOGETHER, mug): others, (Kind.BOUGHT_TOGETHER, teapot): others,
             (Kind.UPGRADE, mug): others, (Kind.FOR_YOU, shopper): others}, trending=others)
    MerchandisingRule.objects.create(kind=Kind.SIMILAR, action="pin", source=None, target=others[0])
    MerchandisingRule.objects.create(kind=Kind.BOUGHT_TOGETHER, action="block", source=None, target=others[1])
    with django_assert_num_queries(1 + _history_queries(tag)):
        html = render(tag, user=shopper, product=mug, cart=[mug, teapot])
    assert html.count("<li") - html.count("crosssell-item-current") == 20


def _history_queries(tag: str) -> int:
    """Return the queries a tag spends reading a signed-in visitor's orders and views (one, for the personal ones)."""
    return 1 if "recommended_for_you" in tag or "complete_the_cart" in tag else 0


def test_rendering_a_tag_loads_neither_tensorflow_nor_the_recommenders_nor_training():
    """In a fresh interpreter: rendering every tag imports no recommender or training module."""
    script = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.template import Context, Template
from tests.factories import ItemFactory
from tests.serving.published import publish
mug, plate = ItemFactory(), ItemFactory()
publish({("together", mug): [plate], ("upgrade", mug): [plate]}, trending=[plate])
html = Template("{% load crosssell_tags %}{% frequently_bought_together p %}{% upgrade_to p %}"
                "{% recommended_for_you %}{% complete_the_cart c %}{% buy_it_again %}").render(Context({"p": mug, "c": [mug]}))
assert plate.title in html, html
loaded = sorted(m for m in sys.modules if m == "tensorflow" or m.startswith(("tensorflow.", "crosssell_app.recommenders", "crosssell_app.training")))
print("LOADED", loaded)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "CROSSSELL_TEST_DB": "sqlite"})
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout
