"""A forget that lands while a worker fits: the probe of issue 16, on PostgreSQL with a real worker.

``crosssell_forget_user`` ran while ``crosssell_retrain`` was at ``fit:hybrid``; the retrain then
republished the forgotten user's personal list from the data it had read before, and the API
served them 20 picks.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from crosssell_app.models import Kind, Recommendation, TrainingRun
from crosssell_app.retraining import request_retrain

from .conftest import TINY, wait_for
from .test_retrain_worker import FIT_TIMEOUT, _ended

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _for_you(user=None) -> list:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    response = client.get("/recommendations/api/for-you/")
    assert response.status_code == 200
    return [pick["id"] for pick in response.json()["results"]]


def test_a_user_forgotten_while_the_worker_fits_is_not_published_and_gets_no_personal_picks(
        shop, start_worker, tmp_path):
    alice, bob = shop["alice"], shop["bob"]
    started, release = tmp_path / "fit-started", tmp_path / "release"
    slow = {"slow": {"class": "tests.training.recommenders.WaitsForFile",
                     "options": {"started": str(started), "release": str(release)}},
            "upgrade": TINY["upgrade"]}
    worker = start_worker(RECOMMENDERS=slow, MODEL_DIR=str(tmp_path / "models"), TOP_K=5,
                          RETRAIN_HEARTBEAT_SECONDS=0.5)
    run = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
    wait_for(started.exists, FIT_TIMEOUT, "fitting to start", worker)  # the dataset snapshot is taken

    call_command("crosssell_forget_user", "--user", alice.get_username(), stdout=StringIO())
    release.touch()
    finished = wait_for(lambda: _ended(run.pk), FIT_TIMEOUT, "the run to end", worker)

    assert finished.status == TrainingRun.Status.SUCCEEDED, finished.error
    assert finished.data_sizes["users"] == 2  # the snapshot still held alice's orders
    personal = Recommendation.objects.filter(version_id=finished.version, kind=Kind.FOR_YOU)
    assert set(personal.values_list("user_id", flat=True)) == {bob.pk}
    assert _for_you(alice) == _for_you()  # trending only, as for a visitor who is not signed in
    assert _for_you(bob) != _for_you()
