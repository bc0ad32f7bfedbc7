"""The TensorFlow MLP, listed in ``RECOMMENDERS``, is fitted, saved in Keras format and published by a retrain."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tensorflow")

from crosssell_app.models import Kind, Recommendation, TrainingRun  # noqa: E402
from crosssell_app.recommenders import MLP  # noqa: E402
from crosssell_app.training import retrain_in_process, service  # noqa: E402

pytestmark = pytest.mark.django_db

SMALL = {"embedding_dim": 4, "hidden": 4, "epochs": 2, "positive_pairs": 200, "batch_size": 64}


def test_an_mlp_listed_alone_publishes_its_lists_and_keeps_its_keras_file(shop, crosssell, settings):
    crosssell(RECOMMENDERS={"neural": {"class": "crosssell_app.recommenders.MLP", "options": SMALL}})
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    kinds = set(Recommendation.objects.filter(version_id=run.version).values_list("kind", flat=True))
    assert {Kind.BOUGHT_TOGETHER, Kind.SIMILAR, Kind.FOR_YOU} <= kinds
    folder = Path(settings.CROSSSELL["MODEL_DIR"]) / f"run-{run.pk}"
    assert sorted(p.name for p in folder.iterdir()) == ["model-neural.keras", "model-neural.npz"]
    reopened = MLP.load(folder / "model-neural.npz")
    assert reopened.keras_model().count_params() > 0


def test_an_mlp_listed_after_the_hybrid_publishes_the_kinds_it_is_given(shop, crosssell):
    """Kinds go to the first entry that lists them; an entry left with none is refused, not fitted for nothing."""
    crosssell(RECOMMENDERS={
        "hybrid": {"class": "crosssell_app.recommenders.Hybrid", "options": {"factors": 2}, "kinds": ["together"]},
        "neural": {"class": "crosssell_app.recommenders.MLP", "options": SMALL},
    })
    assert {spec.name: spec.kinds for spec in service.recommender_specs()} == {
        "hybrid": ("together",), "neural": ("similar", "for_you")}


def test_an_entry_left_with_no_kind_to_publish_is_a_setting_error(shop, crosssell):
    """Listed after the hybrid with no ``kinds``, every kind it offers is taken: it would publish nothing."""
    from django.core.exceptions import ImproperlyConfigured

    crosssell(RECOMMENDERS={"hybrid": {"class": "crosssell_app.recommenders.Hybrid"},
                            "neural": {"class": "crosssell_app.recommenders.MLP", "options": SMALL}})
    with pytest.raises(ImproperlyConfigured, match=r"\['neural'\]: publishes nothing"):
        service.recommender_specs()
