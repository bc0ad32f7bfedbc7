"""From a real retrain to the page: every published upgrade and bought-together pick shows why it is there.

The widget tests hand-write explanations; this one lets training write them (the generated demo
shop, the shipped recommenders) and reads the product pages and the API the way a shopper and a
client would, so a key written under one name and read under another cannot pass unnoticed.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from crosssell_app.explanations import SCHEMAS
from crosssell_app.models import ActiveVersion, Kind, Recommendation, TrainingRun
from crosssell_app.training import retrain_in_process
from demo_shop.shop.models import Product

pytestmark = pytest.mark.django_db
#: product pages read per kind of list (each shows up to three picks)
PAGES = 12


@pytest.fixture
def trained(settings, tmp_path):
    """The generated demo shop, retrained with the shipped recommenders; returns the active version id."""
    settings.CROSSSELL = {**settings.CROSSSELL, "MODEL_DIR": str(tmp_path / "models")}
    call_command("seed_demo", "--generate", "--customers", "2")
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    return ActiveVersion.objects.current_id()


def _shown(version, kind):
    """Return ``{source pk: [rows ranked 1-3]}`` of the published lists of ``kind``, for up to ``PAGES`` sources."""
    rows = (Recommendation.objects.filter(version_id=version, kind=kind, rank__lte=3)
            .select_related("target").order_by("source_id", "rank"))
    lists: dict[int, list] = {}
    for row in rows:
        lists.setdefault(row.source_id, []).append(row)
    return dict(list(lists.items())[:PAGES])


def _cards(page: str, section_id: str, card: str) -> list[str]:
    """Return the HTML of each pick's card (opening with ``card``) in the widget headed ``section_id``."""
    start = page.index(f'aria-labelledby="{section_id}"')
    section = page[start:page.index("</section>", start)]
    return section.split(card)[1:]


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_every_published_upgrade_and_bought_together_pick_renders_its_explanation(client, trained):
    upgrades, together = _shown(trained, Kind.UPGRADE), _shown(trained, Kind.BOUGHT_TOGETHER)
    assert len(upgrades) >= 5 and len(together) >= 5, "the generated shop has lists to read"
    checked = 0
    for source, rows in upgrades.items():
        cards = _cards(client.get(f"/products/{source}/").text, "cs-upgrade-heading", '<li class="card">')
        assert len(cards) == len(rows)
        base = Product.objects.get(pk=source).price
        for row, card in zip(rows, cards):
            text = _text(card)
            assert row.target.name in text
            assert f"+£{row.target.price - base}" in text, f"{row.target.name}: the price difference"
            words = row.explanation.get("added_words") or []
            if words:
                assert f"Adds {', '.join(words)}" in text, f"{row.target.name}: the added words reach the card"
            checked += 1
    for source, rows in together.items():
        cards = _cards(client.get(f"/products/{source}/").text, "cs-together-heading", '<div class="card">')
        assert len(cards) == len(rows)
        for row, card in zip(rows, cards):
            n = row.explanation["orders_together"]
            assert n >= 2 and f"Bought together in {n} orders" in _text(card), row.target.name
            checked += 1
    assert checked >= 30
    assert any(row.explanation.get("added_words") for rows in upgrades.values() for row in rows)


def test_the_api_names_products_by_id_and_explains_with_the_schemas_keys_only(client, trained):
    product_ids = set(Product.objects.values_list("pk", flat=True))
    for kind, path in ((Kind.UPGRADE, "upgrades"), (Kind.BOUGHT_TOGETHER, "together")):
        for source in list(_shown(trained, kind))[:5]:
            for pick in client.get(f"/recommendations/api/products/{source}/{path}/").json()["results"]:
                assert pick["id"] in product_ids
                assert set(pick["explanation"]) <= set(SCHEMAS[kind].__annotations__), pick["explanation"]
                assert pick["explanation"], "every pick explains itself"
    customer = get_user_model().objects.filter(username__startswith="customer").first()
    client.force_login(customer)
    picks = client.get("/recommendations/api/for-you/").json()["results"]
    personal = [pick for pick in picks if pick["kind"] == Kind.FOR_YOU]
    assert personal, "a demo customer with orders gets personal picks"
    for pick in personal:
        assert set(pick["explanation"]) == {"because_of"}
        assert set(pick["explanation"]["because_of"]) <= product_ids
    assert any(pick["explanation"]["because_of"] for pick in personal)
    page = client.get("/").text
    assert "Recommended for you" in page and "Because you bought" in page
