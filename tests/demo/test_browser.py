"""The demo shop in a real headless Chromium, on the real Online Retail data, trained for real.

What a shopper and a shop owner do, end to end: a product page shows "Frequently bought together"
and "Upgrade to" from the published lists, the bundle goes into the cart in one click, the cart
suggests what completes the order, the checkout is recorded by the app; a demo customer sees
"Recommended for you"; the owner presses "Retrain now" in the admin and watches the run succeed.
Screenshots go to ``artefacts/screenshots/`` for a person to look at.

Seeding the whole export and training take one to two minutes, and pytest-django empties the
database after every test that uses ``live_server``; so the journeys on the real data are the
subtests of one test that seeds once, and the page checks that need no real data use a small
published fixture.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from tests.demo.browser import screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RETRAIN_TIMEOUT_S = 240


@pytest.fixture
def seeded_shop(live_server) -> str:
    """Seed the shop from the Online Retail export (generated when it is absent), train; return its URL."""
    from demo_shop.shop.catalogue_data import online_retail_path

    quiet = {"stdout": StringIO(), "stderr": StringIO()}
    call_command("seed_demo", *([] if online_retail_path().exists() else ["--generate"]), **quiet)
    call_command("crosssell_retrain", "--sync", **quiet)
    return live_server.url


def product_with_both_widgets():
    """Return the product to show: it has upgrades, and its three best bought-together picks have
    the strongest evidence (the most orders shared by the weakest of them), so the screenshot shows
    the data at its most convincing rather than whatever comes first."""
    from collections import defaultdict

    from crosssell_app.models import ActiveVersion, Kind, Recommendation
    from demo_shop.shop.models import Product

    rows = Recommendation.objects.filter(version_id=ActiveVersion.objects.current_id())
    upgradable = rows.filter(kind=Kind.UPGRADE).values("source_id")
    evidence = defaultdict(list)
    together = rows.filter(kind=Kind.BOUGHT_TOGETHER, rank__lte=3, source_id__in=upgradable, source__in_stock=True)
    for source_id, explanation in together.values_list("source_id", "explanation"):
        evidence[source_id].append(int((explanation or {}).get("orders_together") or 0))
    ranked = sorted((min(counts), -source_id) for source_id, counts in evidence.items() if len(counts) == 3)
    assert ranked, "the retrain published no product with both three bought-together picks and an upgrade"
    return Product.objects.get(pk=-ranked[-1][1])


def price(text: str) -> Decimal:
    """Return the first "£1,234.56" amount in ``text``."""
    return Decimal(re.search(r"£\s*([\d,]+\.\d{2})", text).group(1).replace(",", ""))


def test_shoppers_and_the_owner_use_the_recommendations_trained_on_the_online_retail_data(
        seeded_shop, open_page, subtests):
    """The three journeys on one seeded and trained shop, each reported as its own subtest."""
    with subtests.test("a shopper adds the bought-together bundle and the app records the order"):
        shopper_buys_the_bundle(open_page())
    with subtests.test("a demo customer signs in from the list and sees recommended for you"):
        demo_customer_sees_recommended_for_you(open_page())
    with subtests.test("the owner presses retrain now in the admin and the run succeeds"):
        owner_retrains(open_page())


def shopper_buys_the_bundle(page) -> None:
    from crosssell_app.models import Order

    product = product_with_both_widgets()
    page.goto(f"/products/{product.pk}/")
    page.get_by_role("heading", level=1, name=product.name).wait_for()

    together = page.locator("section", has=page.get_by_role("heading", name="Frequently bought together"))
    upgrade = page.locator("section", has=page.get_by_role("heading", name="Upgrade to"))
    assert together.is_visible() and upgrade.is_visible()
    bundle = together.get_by_role("checkbox")
    assert bundle.count() >= 2, "the bundle offers the product and at least one pick"
    bundle_ids = {int(bundle.nth(i).get_attribute("value")) for i in range(bundle.count())}
    assert product.pk in bundle_ids
    assert together.get_by_text("Bought together in").count() >= 1, "picks say why they are shown"
    card_prices = [price(text) for text in together.locator(".price").all_inner_texts()]
    bundle_total = price(together.locator("[data-bundle-total]").inner_text())
    assert card_prices[-1] == bundle_total == sum(card_prices[:-1])
    last = bundle.nth(bundle.count() - 1)
    last.uncheck()
    assert price(together.locator("[data-bundle-total]").inner_text()) == bundle_total - card_prices[-2], \
        "unticking a pick takes its price off the total"
    last.check()

    upgrade_card = upgrade.get_by_role("listitem").first
    assert re.search(r"\+£\d+\.\d{2}", upgrade_card.inner_text()), "an upgrade shows its price difference"
    assert upgrade_card.locator(".cs-reason, .cs-why").count() >= 1, "an upgrade says why it is the better buy"
    screenshot(page, "product")

    together.get_by_role("button", name="Add selected to cart").click()
    page.get_by_role("heading", level=1, name="Your cart").wait_for()
    assert page.locator("table.cart tbody tr").count() == len(bundle_ids)
    page.get_by_role("heading", name="Complete your order").wait_for()
    screenshot(page, "cart")

    page.get_by_role("link", name="Check out").click()
    page.get_by_label("E-mail for the receipt").fill("shopper@example.com")
    page.get_by_role("button", name="Place order").click()
    number = page.locator("#order-number").inner_text()
    recorded = Order.objects.get(external_id=number)
    assert {line.product_id: line.quantity for line in recorded.lines.all()} == dict.fromkeys(bundle_ids, 1)


def demo_customer_sees_recommended_for_you(page) -> None:
    page.goto("/")
    assert page.get_by_role("heading", name="Best sellers").is_visible(), "a visitor sees the best sellers"
    trending = set(page.locator("[data-crosssell-widget] h3").all_inner_texts())

    page.goto("/login/")
    screenshot(page, "login_demo_customers")
    demo_buttons = page.get_by_role("button", name=re.compile(r"^Sign in as customer\d+"))
    assert demo_buttons.count() >= 1
    username = demo_buttons.first.inner_text().removeprefix("Sign in as ").strip()
    demo_buttons.first.click()

    page.get_by_text(f"Hi, {username}").wait_for()
    for_you = page.locator("section", has=page.get_by_role("heading", name="Recommended for you"))
    picks = set(for_you.locator("h3").all_inner_texts())
    assert len(picks) >= 4 and picks - trending, "the customer's own picks come before the trending ones"
    screenshot(page, "home_recommended_for_you")


def owner_retrains(page) -> None:
    from crosssell_app.models import TrainingRun

    before = TrainingRun.objects.count()
    page.goto("/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("admin")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("link", name="Gift Shop admin").is_visible()
    for link in ("Training runs", "Pinned and blocked pairs", "Widget performance"):
        assert page.locator("#gift-shop-recommendations").get_by_role("link", name=link).is_visible()

    page.goto("/admin/crosssell_app/trainingrun/")
    retrain = page.get_by_role("button", name=re.compile("Retrain now")).or_(
        page.get_by_role("link", name=re.compile("Retrain now"))).first
    # Celery runs eagerly in the demo's embedded set-up: the response comes once training is done.
    retrain.click(timeout=RETRAIN_TIMEOUT_S * 1000)
    assert re.search(r"/trainingrun/\d+/change/", page.url), "Retrain now leads to the run's own page"
    status = page.locator(".field-status .readonly")  # the admin's read-only status field
    deadline = time.monotonic() + RETRAIN_TIMEOUT_S
    while status.inner_text().strip() in ("queued", "running"):
        assert time.monotonic() < deadline, "the retrain did not finish in time"
        page.wait_for_timeout(1000)
        page.reload()
    run = TrainingRun.objects.first()
    assert status.inner_text().strip() == "succeeded", f"run {run.pk} {run.status}: {run.error}"
    assert TrainingRun.objects.count() > before and run.status == TrainingRun.Status.SUCCEEDED
    assert run.metrics, "the run page has offline metrics to show"
    screenshot(page, "admin_training_run")

    page.goto("/admin/")
    page.locator("#gift-shop-recommendations").get_by_role("link", name="Widget performance").click()
    page.get_by_role("heading", name="Widget report").wait_for()

    owner_pins_a_product(page)


def owner_pins_a_product(page) -> None:
    """A pair pinned in the admin leads the product's bought-together list from the next page view."""
    from demo_shop.shop.models import Product

    product = product_with_both_widgets()
    pinned = Product.objects.filter(in_stock=True).exclude(pk=product.pk).order_by("-price").first()
    page.goto("/admin/crosssell_app/merchandisingrule/add/")
    page.get_by_label("Kind").select_option(label="frequently bought together")
    page.get_by_label("Action").select_option(label="pin")
    page.get_by_label("Source").fill(str(product.pk))
    page.get_by_label("Target").fill(str(pinned.pk))
    page.get_by_label("Position").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was added successfully").wait_for()

    page.goto(f"/products/{product.pk}/")
    together = page.locator('[data-crosssell-widget="together"]')
    assert together.locator("h3 a").first.inner_text() == pinned.name
    # the pin was never bought with the product, so the widget no longer claims it was
    assert together.get_by_role("heading", name="Goes well with this item").is_visible()


def test_pages_are_keyboard_reachable_labelled_and_fit_a_phone(published, open_page):
    tab = open_page(width=375, height=740)
    for path in ("/", f"/products/{published[0].pk}/", "/login/", "/products/"):
        tab.goto(path)
        tab.keyboard.press("Tab")
        focused = tab.evaluate(
            "() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]")
        assert focused == ["Skip to content", "solid"], f"{path}: the first Tab shows the skip link with a ring"
        assert tab.locator("h1").count() == 1, f"{path} has one main heading"
        unlabelled = tab.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.outerHTML)""")
        assert unlabelled == [], f"{path}: every form field has a label"
        overflow = tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways on a phone by {overflow}px"
    tab.goto(f"/products/{published[0].pk}/")
    screenshot(tab, "product_phone")
