"""Training runs and the retrain trigger: for admins only."""

from unittest import mock

import pytest
from django.db import connection

from crosssell_app import retraining
from crosssell_app.models import TrainingRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RUNS = "/recommendations/api/training-runs/"


def test_admins_list_and_read_training_runs(admin_api):
    run = TrainingRun.objects.create(status="succeeded", metrics={"recall@10": 0.3}, version=4)
    listed = admin_api.get(RUNS).json()
    assert [row["id"] for row in listed["results"]] == [run.pk]
    detail = admin_api.get(f"{RUNS}{run.pk}/").json()
    assert (detail["status"], detail["metrics"], detail["version"]) == ("succeeded", {"recall@10": 0.3}, 4)


@pytest.mark.parametrize("path", ["", "987654/", "99999999999999999999999/"])
def test_non_admins_cannot_read_training_runs(api, path):
    api.force_authenticate(UserFactory())
    assert api.get(f"{RUNS}{path}").status_code == 403


def test_an_unknown_or_huge_run_id_is_404(admin_api):
    assert admin_api.get(f"{RUNS}987654/").status_code == 404
    assert admin_api.get(f"{RUNS}99999999999999999999999/").status_code == 404


@pytest.mark.parametrize("run_id", ["abc", "%C2%84", "1.5"])
def test_a_run_id_that_is_not_a_number_is_the_apis_json_404(admin_api, run_id):
    response = admin_api.get(f"{RUNS}{run_id}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_admin_triggers_a_retrain_and_gets_202_with_the_run_id(admin_api, admin_user, fake_training):
    response = admin_api.post(f"{RUNS}retrain/")
    assert response.status_code == 202
    run = TrainingRun.objects.get()
    assert response.json() == {"run": run.pk, "status": "queued", "error": ""}
    assert fake_training == [("api", admin_user)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("atomic_requests", [False, True], ids=["autocommit", "ATOMIC_REQUESTS"])
def test_a_retrain_the_broker_refuses_is_503_with_the_run_and_its_error(admin_api, monkeypatch, atomic_requests):
    """The answer comes after the run was sent, also when the host wraps each request in a transaction."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", atomic_requests)
    with mock.patch.object(retraining, "send_task", side_effect=ConnectionError("broker down")):
        response = admin_api.post(f"{RUNS}retrain/")
    run = TrainingRun.objects.get()
    assert run.status == TrainingRun.Status.FAILED
    assert response.status_code == 503
    assert response.json() == {"run": run.pk, "status": "failed", "error": run.error}
    assert "broker down" in run.error


@pytest.mark.django_db(transaction=True)
def test_a_retrain_the_broker_takes_is_202_and_queued(admin_api):
    sent = mock.Mock(id="task-1")
    with mock.patch.object(retraining, "send_task", return_value=sent) as send_task:
        response = admin_api.post(f"{RUNS}retrain/")
    run = TrainingRun.objects.get()
    send_task.assert_called_once()
    assert response.status_code == 202
    assert response.json() == {"run": run.pk, "status": "queued", "error": ""}
    assert run.task_id == "task-1"


def test_a_non_admin_cannot_trigger_a_retrain(api, fake_training):
    api.force_authenticate(UserFactory())
    assert api.post(f"{RUNS}retrain/").status_code == 403
    assert fake_training == []


def test_the_openapi_schema_describes_the_endpoints(api):
    response = api.get("/recommendations/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/recommendations/api/products/{id}/together/", "/recommendations/api/basket/",
                 "/recommendations/api/orders/", "/recommendations/api/training-runs/retrain/"):
        assert path in paths
