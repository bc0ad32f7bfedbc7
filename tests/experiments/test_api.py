"""API clients: lists carry the arm and a click token; clicks reported with it are attributed; the report is served."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from crosssell_app.experiments.assignment import arm_for
from crosssell_app.models import Arm, Kind, OrderLine, Participant, WidgetEvent
from crosssell_app.tracking.recording import record_order
from tests.factories import ItemFactory
from tests.serving.published import publish

from .conftest import make_experiment

pytestmark = pytest.mark.django_db
API = "/recommendations/api"


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def visitor_of(experiment, arm_name: str) -> str:
    return next(key for key in (f"shopper-{i}" for i in range(500)) if arm_for(experiment, key).name == arm_name)


def test_an_api_client_gets_the_visitors_arm_and_reports_a_click_that_attributes_the_order(
        admin_api, django_capture_on_commit_callbacks):
    mug, plate, bowl = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    candidate = publish({(Kind.BOUGHT_TOGETHER, mug): [bowl]}, activate=False)
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("candidate", Arm.Kind.VERSION, 1))
    arm = experiment.arms.get(name="candidate")
    Arm.objects.filter(pk=arm.pk).update(version=candidate)
    experiment.refresh_from_db()

    control_visitor = visitor_of(experiment, "control")
    body = admin_api.get(f"{API}/products/{mug.pk}/together/", {"visitor": control_visitor}).json()
    assert body["results"] == [] and body["arm"] == experiment.arms.get(name="control").pk

    shopper = visitor_of(experiment, "candidate")
    body = admin_api.get(f"{API}/products/{mug.pk}/together/", {"visitor": shopper}).json()
    assert [pick["id"] for pick in body["results"]] == [bowl.pk]
    assert (body["arm"], body["version"]) == (arm.pk, candidate.pk)
    assert Participant.objects.filter(visitor_key=shopper, arm=arm).exists()

    response = admin_api.post(f"{API}/clicks/", {"token": body["click_token"], "product": bowl.pk,
                                                 "event": "add_to_cart", "session_key": "shop-session-1",
                                                 "visitor": shopper}, format="json")
    assert response.status_code == 201
    assert Participant.objects.get(visitor_key=shopper).cart_adds == 1
    assert WidgetEvent.objects.get(event="cart_add").arm_id == arm.pk
    with django_capture_on_commit_callbacks(execute=True):
        record_order("API-1", [(bowl, 1, Decimal("5"))], session_key="shop-session-1")
    line = OrderLine.objects.get()
    assert (line.attributed_widget, line.attributed_version, line.attributed_arm_id) == ("together", candidate.pk,
                                                                                         arm.pk)


@pytest.mark.parametrize("body", [
    {"token": "nonsense", "product": 1},
    {"product": 1},
    {"token": "x", "product": 1, "event": "purchase"},
    {"token": "x", "product": 1, "visitor": "has spaces"},
])
def test_a_bad_click_report_is_a_400_that_names_the_field(admin_api, body):
    ItemFactory()
    response = admin_api.post(f"{API}/clicks/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) & {"token", "product", "event", "visitor"}
    assert not WidgetEvent.objects.exists()


def test_a_token_cannot_attribute_a_product_its_list_did_not_show(admin_api):
    mug, plate, bowl = ItemFactory(), ItemFactory(), ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate]})
    token = admin_api.get(f"{API}/products/{mug.pk}/together/").json()["click_token"]
    response = admin_api.post(f"{API}/clicks/", {"token": token, "product": bowl.pk}, format="json")
    assert response.status_code == 400 and "did not show" in response.json()["token"][0]


def test_the_report_is_served_to_admins_with_its_intervals(admin_api):
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("b", Arm.Kind.VERSION, 1))
    for arm in experiment.arms.all():
        Participant.objects.bulk_create(Participant(experiment=experiment, arm=arm, visitor_key=f"{arm.pk}-{i}",
                                                    clicks=i % 2) for i in range(10))
    response = admin_api.get(f"{API}/experiments/{experiment.pk}/report/")
    assert response.status_code == 200
    report = response.json()
    assert [arm["visitors"] for arm in report["arms"]] == [10, 10]
    assert report["arms"][1]["ctr"]["value"] == 0.5 and report["arms"][1]["ctr"]["low"] < 0.5
    assert report["arms"][1]["difference"]["ctr"]["value"] == 0
    assert APIClient().get(f"{API}/experiments/{experiment.pk}/report/").status_code in (401, 403)


@pytest.mark.parametrize("path, status", [("999/report/", 404), ("abc/report/", 404), ("1x/report/?", 404)])
def test_an_unknown_experiment_is_404(admin_api, path, status):
    assert admin_api.get(f"{API}/experiments/{path}").status_code == status


@pytest.mark.parametrize("confidence", ["0.2", "1", "high", "nan"])
def test_a_bad_confidence_is_a_400(admin_api, confidence):
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("b", Arm.Kind.VERSION, 1))
    response = admin_api.get(f"{API}/experiments/{experiment.pk}/report/", {"confidence": confidence})
    assert response.status_code == 400 and "confidence" in response.json()


def test_a_configuration_arm_replaces_the_requests_options(admin_api):
    mug = ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): ItemFactory.create_batch(5)})
    experiment = make_experiment(("three", Arm.Kind.VERSION, 1), ("one", Arm.Kind.CONFIGURATION, 1))
    Arm.objects.filter(experiment=experiment, name="one").update(options={"limit": 1, "min_price": 0})
    experiment.refresh_from_db()
    for arm_name, count in (("three", 3), ("one", 1)):
        body = admin_api.get(f"{API}/products/{mug.pk}/together/",
                             {"visitor": visitor_of(experiment, arm_name), "limit": 3}).json()
        assert len(body["results"]) == count, arm_name
