"""Fresh and personal, in the demo's embedded default (SQLite, eager Celery), with no retrain after the first.

A product added after the retrain has bought-together and upgrade lists through the API within
30 seconds and enters another product's upgrades; a new customer's picks after one order hold at
least three products that are not best sellers.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from crosssell_app.models import ActiveVersion, Kind, Recommendation, TrainingRun
from crosssell_app.training import retrain_in_process
from demo_shop.shop.models import Product

pytestmark = pytest.mark.django_db
API = "/recommendations/api"


@pytest.fixture(scope="module")
def trained(django_db_setup, django_db_blocker, tmp_path_factory):
    """The generated demo shop, retrained once with the shipped recommenders and default settings.

    Built once for the module (a retrain takes a while) and committed; each test's own changes
    roll back, and the tables are emptied after the last test.
    """
    models = tmp_path_factory.mktemp("models")
    with django_db_blocker.unblock(), override_settings(CROSSSELL={**settings.CROSSSELL, "MODEL_DIR": str(models)}):
        call_command("seed_demo", "--generate", "--customers", "2")
        run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
        assert run.status == TrainingRun.Status.SUCCEEDED, run.error
        yield ActiveVersion.objects.current_id()
        call_command("flush", interactive=False, verbosity=0)


def _a_product_with_an_upgrade_and_a_bought_together_list(version: int) -> tuple[Product, Product]:
    """Return a product with both lists and its first upgrade."""
    together = Recommendation.objects.filter(version_id=version, kind=Kind.BOUGHT_TOGETHER).values("source_id")
    row = (Recommendation.objects.filter(version_id=version, kind=Kind.UPGRADE, rank=1, source_id__in=together)
           .select_related("source", "target").order_by("source_id").first())
    assert row is not None, "the generated shop has a product with an upgrade and a bought-together list"
    return row.source, row.target


def test_a_product_added_after_the_retrain_has_lists_through_the_api_within_30_seconds(
        client, trained, django_capture_on_commit_callbacks):
    source, upgrade = _a_product_with_an_upgrade_and_a_bought_together_list(trained)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):  # the shop's save commits: the task runs (eager)
        new = Product.objects.create(sku="NEW-1", name=f"Mini {source.name}", category=source.category,
                                     price=source.price, description=source.description)
    together = client.get(f"{API}/products/{new.pk}/together/").json()["results"]
    upgrades = client.get(f"{API}/products/{new.pk}/upgrades/", {"limit": 50}).json()["results"]
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert together and upgrades
    assert upgrade.pk in [pick["id"] for pick in upgrades], "the product it is like upgrades to this one: so does it"
    assert ActiveVersion.objects.current_id() == trained, "no retrain"
    for pick in together:
        assert "orders_together" not in pick["explanation"], "nobody bought the new product yet"
        assert pick["explanation"]["new_product"] is True


def test_a_product_added_after_the_retrain_enters_the_upgrades_of_the_product_it_betters(
        client, trained, django_capture_on_commit_callbacks):
    source, _upgrade = _a_product_with_an_upgrade_and_a_bought_together_list(trained)
    with django_capture_on_commit_callbacks(execute=True):
        new = Product.objects.create(sku="NEW-2", name=f"{source.name} Deluxe", category=source.category,
                                     price=(source.price * Decimal("1.5")).quantize(Decimal("0.01")))
    upgrades = client.get(f"{API}/products/{source.pk}/upgrades/", {"limit": 50}).json()["results"]
    assert new.pk in [pick["id"] for pick in upgrades]
    page = client.get(f"/products/{new.pk}/").text
    assert 'aria-labelledby="cs-together-heading"' in page, "its page shows its widgets at once"
    assert "Frequently bought together" not in page, "and does not claim what nobody did"


def test_a_new_customers_picks_after_one_order_hold_three_products_that_are_not_best_sellers(client, trained):
    best_sellers = set(Recommendation.objects.filter(version_id=trained, kind=Kind.TRENDING)
                       .values_list("target_id", flat=True))
    together = (Recommendation.objects.filter(version_id=trained, kind=Kind.BOUGHT_TOGETHER)
                .exclude(source_id__in=best_sellers).values_list("source_id", flat=True).distinct())
    bought = list(together[:2])
    customer = get_user_model().objects.create_user("newcomer", password="pw")
    client.force_login(customer)
    before = [pick["id"] for pick in client.get(f"{API}/for-you/", {"limit": 8}).json()["results"]]
    assert set(before) <= best_sellers, "before any order: best sellers only"
    client.post("/cart/add-many/", {"product_ids": bought})
    assert client.post("/checkout/", {"email": ""}).status_code == 302
    after = client.get(f"{API}/for-you/", {"limit": 8}).json()["results"]
    fresh = [pick for pick in after if pick["id"] not in best_sellers]
    assert len(fresh) >= 3, after
    assert all(pick["explanation"]["because_of"][0] in bought for pick in fresh if pick["kind"] == "for_you")
    page = client.get("/").text
    assert "Recommended for you" in page and "Because you bought" in page


def test_a_visitor_not_signed_in_is_inspired_by_what_they_viewed(client, trained):
    together = (Recommendation.objects.filter(version_id=trained, kind=Kind.BOUGHT_TOGETHER)
                .values_list("source_id", flat=True).first())
    client.get(f"/products/{together}/")
    page = client.get("/").text
    assert "Inspired by what you viewed" in page and "Because you viewed" in page
