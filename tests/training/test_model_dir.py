"""``MODEL_DIR``: where a run's files live, and what a shop without one is left with."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from crosssell_app.models import TrainingRun
from crosssell_app.training import files, retrain_in_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def machine_temp(tmp_path, monkeypatch):
    """Make the system temporary folder a fresh one, so the test sees everything put there."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


def test_without_a_model_dir_a_retrain_works_in_a_temporary_folder_and_leaves_nothing(shop, crosssell, machine_temp):
    crosssell(MODEL_DIR=None)
    assert files.model_root().parent == machine_temp
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    assert not files.run_dir(run.pk).exists()
    assert [p for p in machine_temp.rglob("*") if p.is_file()] == []  # no model files either


def test_with_a_model_dir_the_fitted_models_of_a_published_run_stay(shop, settings, machine_temp):
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert files.model_root() == Path(settings.CROSSSELL["MODEL_DIR"])
    assert sorted(p.name for p in files.run_dir(run.pk).iterdir()) == ["model-together.npz", "model-upgrade.npz"]
    assert list(machine_temp.iterdir()) == []


def test_two_databases_on_one_machine_get_separate_temporary_folders(crosssell, settings, monkeypatch):
    crosssell(MODEL_DIR=None)
    first = files.model_root()
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", "another_shop")
    assert files.model_root() != first and files.model_root().parent == first.parent
