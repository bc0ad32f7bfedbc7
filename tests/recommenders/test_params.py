"""Hyperparameters as scikit-learn defines them: ``get_params(deep=...)`` and ``set_params``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import clone

from crosssell_app.recommenders import ALGORITHMS, Hybrid, ItemCF, Popularity, Upgrade
from crosssell_app.recommenders.base import ScoringRecommender

from .conftest import KITCHEN


class Shortlist(ScoringRecommender):
    """A model whose hyperparameter is another model (only its parameters are used here)."""

    def __init__(self, inner: ScoringRecommender | None = None, top: int = 3) -> None:
        self.inner = inner
        self.top = top


@pytest.mark.parametrize("cls", [*ALGORITHMS.values(), Upgrade], ids=lambda cls: cls.__name__)
def test_the_parameters_are_the_constructor_arguments(cls):
    names = [name for name in inspect.signature(cls.__init__).parameters if name != "self"]
    model = cls()
    assert list(model.get_params(deep=False)) == names
    assert model.get_params(deep=True) == model.get_params(deep=False)  # no nested estimators


def test_deep_parameters_reach_into_a_nested_estimator():
    model = Shortlist(inner=ItemCF(neighbours=7), top=2)
    deep = model.get_params(deep=True)
    assert deep["inner"] is model.inner and deep["top"] == 2
    assert deep["inner__neighbours"] == 7 and deep["inner__similarity"] == "cosine"
    assert set(model.get_params(deep=False)) == {"inner", "top"}


def test_set_params_sets_nested_and_top_level_names_and_returns_the_model():
    model = Shortlist(inner=ItemCF(), top=2)
    assert model.set_params(top=5, inner__neighbours=9, inner__similarity="lift") is model
    assert model.top == 5 and model.inner.neighbours == 9 and model.inner.similarity == "lift"
    replacement = Popularity()
    model.set_params(inner=replacement, inner__recent_fraction=0.5)  # the new estimator gets the nested value
    assert model.inner is replacement and replacement.recent_fraction == 0.5


@pytest.mark.parametrize(
    "params", [{"neighbors": 5}, {"inner__no_such_thing": 1}, {"top__size": 1}], ids=["typo", "nested", "not-nested"]
)
def test_set_params_refuses_a_name_that_is_no_parameter(params):
    model = Shortlist(inner=ItemCF())
    with pytest.raises(ValueError):
        model.set_params(**params)


def test_a_model_with_set_params_answers_as_one_built_with_them(two_clusters):
    tuned = ItemCF().set_params(similarity="lift", neighbours=3).fit(two_clusters)
    built = ItemCF(similarity="lift", neighbours=3).fit(two_clusters)
    for a, b in zip(tuned.complete_basket([KITCHEN[0]], 5), built.complete_basket([KITCHEN[0]], 5)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "model", [Hybrid(usercf_weight=2.0), Shortlist(inner=ItemCF(neighbours=4))], ids=["hybrid", "nested"]
)
def test_scikit_learn_can_clone_a_recommender(model):
    """``sklearn.base.clone`` relies on exactly these two methods: a fresh, unfitted equal model."""
    copy = clone(model)
    assert type(copy) is type(model) and copy is not model
    assert copy.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert {k: v for k, v in copy.get_params().items() if not hasattr(v, "fit")} == {
        k: v for k, v in model.get_params().items() if not hasattr(v, "fit")
    }
