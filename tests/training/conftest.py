"""Fixtures of the retrain tests: a small shop whose right answers are known, and recommender settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.celery_app import app as celery_app
from tests.factories import ItemFactory, SectionFactory, UserFactory

T0 = datetime(2026, 1, 1, tzinfo=UTC)

TINY = {
    "together": {"class": "tests.training.recommenders.CoCounts", "options": {}},
    "upgrade": {"class": "tests.training.recommenders.PricierInCategory", "options": {}},
}


@pytest.fixture
def eager_celery():
    """Run tasks in-process (the fast tests have no worker)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield celery_app
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def crosssell(settings, tmp_path):
    """Return a function that sets ``CROSSSELL`` keys on top of the test settings (MODEL_DIR in tmp)."""
    base = {**settings.CROSSSELL, "RECOMMENDERS": TINY, "MODEL_DIR": str(tmp_path / "models"), "TOP_K": 5}
    settings.CROSSSELL = base

    def configure(**values):
        settings.CROSSSELL = {**base, **values}

    return configure


@pytest.fixture
def shop(crosssell):
    """Kitchen items 0-3 bought together, garden items 4-5 bought together; item 6 never sold.

    Prices rise with the index inside a section, so each item's upgrade is the next one.
    Two shoppers have accounts; one imported customer has only a reference.
    """
    from crosssell_app.tracking.recording import record_order

    kitchen, garden = SectionFactory(label="Kitchen"), SectionFactory(label="Garden")
    items = [ItemFactory(section=kitchen, cost=Decimal(p), title=t)
             for p, t in (("2", "Tea Cup"), ("3", "Saucer"), ("4", "Teapot"), ("5", "Cake Stand"))]
    items += [ItemFactory(section=garden, cost=Decimal(p), title=t)
              for p, t in (("10", "Watering Can"), ("12", "Plant Pot"))]
    items.append(ItemFactory(section=garden, cost=Decimal(99), title="Unsold thing"))
    alice, bob = UserFactory(), UserFactory()
    baskets = [
        ([0, 1], alice, ""), ([0, 1, 2], alice, ""), ([0, 1], bob, ""), ([2, 3], bob, ""),
        ([4, 5], None, "C-17"), ([4, 5], None, "C-17"), ([0, 1], None, ""), ([4, 5, 0], None, ""),
    ]
    for n, (basket, user, ref) in enumerate(baskets):
        record_order(f"T-{n}", [(items[i], 1, items[i].cost) for i in basket], user=user, customer_ref=ref,
                     ordered_at=T0 + timedelta(days=n))
    return {"items": items, "alice": alice, "bob": bob}
