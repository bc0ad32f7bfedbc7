"""The admin: start and stop experiments, read the report with its chart, promote the winner."""

from __future__ import annotations

import pytest

from crosssell_app.models import ActiveVersion, Arm, Experiment, Kind, Participant
from tests.factories import ItemFactory
from tests.serving.published import publish

from .conftest import make_experiment

pytestmark = pytest.mark.django_db
ADMIN = "/admin/crosssell_app/experiment"


def test_experiments_are_started_and_stopped_with_the_admins_actions(admin_client):
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("b", Arm.Kind.VERSION, 1), start=False)
    lonely = make_experiment(("only", Arm.Kind.VERSION, 1), start=False, name="lonely")
    response = admin_client.post(f"{ADMIN}/", {"action": "start_experiments",
                                               "_selected_action": [experiment.pk, lonely.pk]}, follow=True)
    messages = [str(message) for message in response.context["messages"]]
    assert any("two arms" in message for message in messages)
    assert Experiment.objects.get(pk=experiment.pk).status == "running"
    assert Experiment.objects.get(pk=lonely.pk).status == "draft"
    admin_client.post(f"{ADMIN}/", {"action": "stop_experiments", "_selected_action": [experiment.pk]})
    assert Experiment.objects.get(pk=experiment.pk).status == "stopped"


def test_the_report_page_shows_a_chart_and_each_arm_with_its_interval(admin_client):
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("b", Arm.Kind.VERSION, 1))
    for arm in experiment.arms.all():
        Participant.objects.bulk_create(Participant(experiment=experiment, arm=arm, visitor_key=f"{arm.pk}-{i}",
                                                    clicks=int(arm.name == "b" and i < 40)) for i in range(100))
    html = admin_client.get(f"{ADMIN}/{experiment.pk}/report/").content.decode()
    assert html.count('class="cs-chart"') == 3 and 'data-metric="ctr"' in html
    # 40 of 100 visitors clicked: Wilson's centre 0.4037, half-width 0.0943
    assert "40.00 % (30.94 to 49.80)" in html
    assert "Sample ratio mismatch" not in html


def test_promoting_a_version_arm_serves_its_version_to_everyone_and_stops_the_experiment(admin_client):
    mug = ItemFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [ItemFactory()]})
    candidate = publish({(Kind.BOUGHT_TOGETHER, mug): [ItemFactory()]}, activate=False)
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("candidate", Arm.Kind.VERSION, 1))
    arm = experiment.arms.get(name="candidate")
    Arm.objects.filter(pk=arm.pk).update(version=candidate)
    assert admin_client.get(f"{ADMIN}/{experiment.pk}/promote/").status_code == 405
    admin_client.post(f"{ADMIN}/{experiment.pk}/promote/", {"arm": arm.pk})
    experiment.refresh_from_db()
    assert (experiment.status, experiment.winner) == ("stopped", arm)
    assert ActiveVersion.objects.current_id() == candidate.pk


def test_an_arm_of_another_experiment_is_not_promoted(admin_client):
    first = make_experiment(("control", Arm.Kind.CONTROL, 1), ("b", Arm.Kind.VERSION, 1), widgets=["cart"])
    second = make_experiment(("control", Arm.Kind.CONTROL, 1), ("b", Arm.Kind.VERSION, 1), widgets=["together"],
                             name="other")
    for arm in (second.arms.first().pk, "x", ""):
        admin_client.post(f"{ADMIN}/{first.pk}/promote/", {"arm": arm})
    assert Experiment.objects.get(pk=first.pk).winner is None


def test_an_arms_name_is_escaped_in_the_chart():
    from crosssell_app.experiments.chart import interval_chart

    estimate = {"value": 0.5, "low": 0.4, "high": 0.6}
    svg = interval_chart([{"name": "<script>x</script>", "is_control": True, "ctr": estimate, "difference": None}],
                         "ctr", "Click-through", percent=True)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "50.0 %" in svg


def test_an_experiment_and_its_arms_are_created_in_the_admins_form(admin_client):
    version = publish({}, activate=True)
    form = {
        "name": "Widgets or not", "widgets": '["together"]',
        "arms-TOTAL_FORMS": "2", "arms-INITIAL_FORMS": "0", "arms-MIN_NUM_FORMS": "0", "arms-MAX_NUM_FORMS": "1000",
        "arms-0-name": "no widget", "arms-0-kind": "control", "arms-0-options": "{}", "arms-0-share": "1",
        "arms-1-name": "active", "arms-1-kind": "version", "arms-1-version": str(version.pk),
        "arms-1-options": "{}", "arms-1-share": "3",
    }
    response = admin_client.post(f"{ADMIN}/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    experiment = Experiment.objects.get()
    assert (experiment.status, experiment.widgets) == ("draft", ["together"])
    assert list(experiment.arms.values_list("name", "kind", "share")) == [("no widget", "control", 1),
                                                                          ("active", "version", 3)]


def test_a_configuration_option_the_tags_do_not_take_is_refused_in_the_form(admin_client):
    form = {
        "name": "typo", "widgets": "[]",
        "arms-TOTAL_FORMS": "1", "arms-INITIAL_FORMS": "0", "arms-MIN_NUM_FORMS": "0", "arms-MAX_NUM_FORMS": "1000",
        "arms-0-name": "short", "arms-0-kind": "config", "arms-0-options": '{"limt": 2}', "arms-0-share": "1",
    }
    response = admin_client.post(f"{ADMIN}/add/", form)
    assert response.status_code == 200 and "Unknown options" in response.content.decode()
    assert not Experiment.objects.exists()


def test_pruning_keeps_the_version_a_running_experiment_serves():
    from crosssell_app.training.publishing import prune_versions

    mug = ItemFactory()
    candidate = publish({(Kind.BOUGHT_TOGETHER, mug): [ItemFactory()]}, activate=False)
    for _ in range(3):
        publish({(Kind.BOUGHT_TOGETHER, mug): [ItemFactory()]})
    experiment = make_experiment(("control", Arm.Kind.CONTROL, 1), ("candidate", Arm.Kind.VERSION, 1))
    Arm.objects.filter(experiment=experiment, name="candidate").update(version=candidate)
    assert candidate.pk not in prune_versions(keep=1)
    Experiment.objects.filter(pk=experiment.pk).update(status="stopped")
    assert candidate.pk in prune_versions(keep=1)
