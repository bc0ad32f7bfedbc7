"""Which recommenders a retrain fits, what each publishes and what it is given: read from their declarations."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.exceptions import ImproperlyConfigured

from crosssell_app.models import Kind
from crosssell_app.recommenders import Hybrid, Upgrade
from crosssell_app.training import service

from .recommenders import CoCounts, PricierInCategory


def _kinds(settings_entries, crosssell) -> dict[str, tuple[str, ...]]:
    crosssell(RECOMMENDERS=settings_entries)
    return {spec.name: spec.kinds for spec in service.recommender_specs()}


def test_a_recommender_publishes_the_kinds_its_class_declares(crosssell):
    kinds = _kinds({"hybrid": {"class": "crosssell_app.recommenders.Hybrid"},
                    "upgrade": {"class": "crosssell_app.recommenders.Upgrade"}}, crosssell)
    assert kinds == {"hybrid": Hybrid.publishes, "upgrade": Upgrade.publishes}
    assert kinds["upgrade"] == (Kind.UPGRADE,)


def test_each_kind_is_owned_by_the_first_recommender_that_lists_it(crosssell):
    kinds = _kinds({"first": {"class": "tests.training.recommenders.CoCounts", "kinds": ["similar"]},
                    "second": {"class": "tests.training.recommenders.CoCounts"},
                    "third": {"class": "tests.training.recommenders.PricierInCategory",
                              "kinds": ["upgrade", "similar"]}},
                   crosssell)
    assert kinds == {"first": ("similar",), "second": ("together", "for_you"), "third": ("upgrade",)}


def test_an_entry_may_give_the_class_itself(crosssell):
    kinds = _kinds({"upgrade": {"class": PricierInCategory, "options": {}}}, crosssell)
    assert kinds == {"upgrade": ("upgrade",)}


def test_a_class_that_cannot_be_imported_is_an_error_naming_the_setting(crosssell):
    crosssell(RECOMMENDERS={"nope": {"class": "tests.training.recommenders.DoesNotExist"}})
    with pytest.raises(ImproperlyConfigured, match=r"CROSSSELL\['RECOMMENDERS'\]\['nope'\]"):
        service.recommender_specs()


def test_a_fit_gets_only_the_inputs_its_class_accepts():
    """CoCounts.fit takes no customers or views: passing them would raise a TypeError."""
    orders = sp.csr_matrix(np.eye(3, dtype=np.float32))
    inputs = {"items": {"price": [1.0, 2.0, 3.0], "category": ["a", "a", "b"]}, "customers": np.array([0, 1, -1]),
              "views": orders}
    upgrade = service.Spec("upgrade", PricierInCategory, {}, ("upgrade",)).fit(orders, inputs)
    assert upgrade.saw_customers_ is True
    together = service.Spec("together", CoCounts, {}, ("together",)).fit(orders, inputs)
    assert together.n_items_ == 3


def test_the_up_sell_recommender_is_given_the_upgrade_price_band(crosssell):
    crosssell(RECOMMENDERS={"upgrade": {"class": "crosssell_app.recommenders.Upgrade"}}, UPGRADE_PRICE_BAND=(1.2, 2.5))
    model = service.recommender_specs()[0].build()
    assert (model.min_price_ratio, model.max_price_ratio) == (1.2, 2.5)


def test_an_entry_that_sets_its_own_price_ratios_keeps_them(crosssell):
    crosssell(RECOMMENDERS={"upgrade": {"class": "crosssell_app.recommenders.Upgrade",
                                        "options": {"min_price_ratio": 1.05}}}, UPGRADE_PRICE_BAND=(1.2, 2.5))
    model = service.recommender_specs()[0].build()
    assert (model.min_price_ratio, model.max_price_ratio) == (1.05, 2.5)


def test_a_list_kind_other_than_upgrade_gets_no_price_band(crosssell):
    crosssell(RECOMMENDERS={"hybrid": {"class": "crosssell_app.recommenders.Hybrid"}}, UPGRADE_PRICE_BAND=(1.2, 2.5))
    assert "min_price_ratio" not in service.recommender_specs()[0].options
