"""Training runs and the retrain trigger: for admins only."""

import pytest

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


def test_an_admin_triggers_a_retrain_and_gets_202_with_the_run_id(admin_api, admin_user, fake_training):
    response = admin_api.post(f"{RUNS}retrain/")
    assert response.status_code == 202
    run = TrainingRun.objects.get()
    assert response.json() == {"run": run.pk, "status": "queued"}
    assert fake_training == [("api", admin_user)]


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
