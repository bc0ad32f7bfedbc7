"""Fixtures shared by the demo shop's tests."""

from decimal import Decimal

import pytest

from crosssell_app.models import ActiveVersion, Kind, Recommendation, RecommendationVersion
from demo_shop.shop.models import Category, Product
from tests.demo.browser import browser, chromium, open_page  # noqa: F401  (fixtures: one browser per session)


@pytest.fixture
def products(db):
    """Five products of one category, priced like the real catalogue."""
    home = Category.objects.create(name="Home Decor")
    names = ["Regency Cakestand 3 Tier", "Roses Regency Teacup", "Party Bunting", "Large Cakestand 4 Tier",
             "Heart T-Light Holder"]
    prices = ["12.75", "2.95", "4.95", "19.95", "2.55"]
    return [Product.objects.create(sku=f"2242{i}", name=name, category=home, price=Decimal(price))
            for i, (name, price) in enumerate(zip(names, prices))]


@pytest.fixture
def published(products):
    """An active version: the cake stand goes with the teacup and bunting, upgrades to the 4 tier one."""
    stand, teacup, bunting, big_stand, holder = products
    version = RecommendationVersion.objects.create(complete=True)
    rows = [
        (Kind.BOUGHT_TOGETHER, stand, teacup, {"orders_together": 525}),
        (Kind.BOUGHT_TOGETHER, stand, bunting, {"orders_together": 395}),
        (Kind.BOUGHT_TOGETHER, teacup, holder, {"orders_together": 120}),
        (Kind.UPGRADE, stand, big_stand, {"added_words": ["4 TIER"], "chosen_by": 12, "chosen_by_unit": "customers"}),
        (Kind.TRENDING, None, holder, {"orders_recent": 88, "days": 30}),
    ]
    Recommendation.objects.bulk_create(
        Recommendation(version=version, kind=kind, source=source, target=target, rank=1, score=1.0, explanation=why)
        for kind, source, target, why in rows
    )
    ActiveVersion.objects.update_or_create(pk=1, defaults={"version": version})
    return products
