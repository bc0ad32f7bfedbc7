"""The admin's "Retrain now" button and live status, and the ``crosssell_retrain`` command."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from crosssell_app.models import ActiveVersion, TrainingRun
from crosssell_app import retraining as runs
from crosssell_app.training import publishing

pytestmark = pytest.mark.django_db
Status = TrainingRun.Status


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(user)
    return user


def test_retrain_now_queues_a_run_and_redirects_to_its_live_page(client, staff):
    with mock.patch.object(runs, "enqueue"):
        response = client.post(reverse("admin:crosssell_app_trainingrun_retrain"))
    run = TrainingRun.objects.get()
    assert run.trigger == TrainingRun.Trigger.ADMIN and run.requested_by == staff
    assert response.status_code == 302
    assert response.url == reverse("admin:crosssell_app_trainingrun_change", args=[run.pk])
    page = client.get(response.url)
    assert reverse("admin:crosssell_app_trainingrun_status", args=[run.pk]).encode() in page.content


def test_retrain_now_while_a_run_is_under_way_shows_that_run(client, staff):
    busy = TrainingRun.objects.create(status=Status.RUNNING, heartbeat_at=timezone.now())
    response = client.post(reverse("admin:crosssell_app_trainingrun_retrain"))
    assert response.url == reverse("admin:crosssell_app_trainingrun_change", args=[busy.pk])
    assert TrainingRun.objects.filter(status=Status.COALESCED).count() == 1


def test_retrain_now_is_a_post_only_and_staff_only_action(client, django_user_model):
    url = reverse("admin:crosssell_app_trainingrun_retrain")
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)
    client.post(url)
    assert not TrainingRun.objects.exists()
    admin = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw")
    client.force_login(admin)
    assert client.get(url).status_code == 405


def test_the_run_list_offers_the_button(client, staff):
    page = client.get(reverse("admin:crosssell_app_trainingrun_changelist"))
    assert b"crosssell-retrain-now" in page.content


def test_the_status_endpoint_reports_progress_as_json(client, staff):
    run = TrainingRun.objects.create(status=Status.RUNNING, current_step="fit:hybrid",
                                     progress={"dataset": {"done": 1, "total": 1}},
                                     timings={"dataset": {"seconds": 1.5, "peak_mb": 200}})
    data = client.get(reverse("admin:crosssell_app_trainingrun_status", args=[run.pk])).json()
    assert data["status"] == "running" and not data["finished"]
    assert data["current_step"] == "fit:hybrid"
    assert data["timings"]["dataset"]["seconds"] == 1.5


def test_the_command_with_sync_retrains_here_and_prints_step_timings(shop):
    out = StringIO()
    call_command("crosssell_retrain", "--sync", stdout=out, stderr=StringIO())
    run = TrainingRun.objects.get()
    assert run.status == Status.SUCCEEDED and ActiveVersion.objects.current_id() == run.version
    text = out.getvalue()
    assert "fit:together" in text and "peak MB" in text and f"published version {run.version}" in text
    assert text.index("dataset") < text.index("fit:together") < text.index("holdout") < text.index("write")


def test_the_command_reports_a_failed_run_as_an_error(crosssell):
    with pytest.raises(CommandError, match="no orders"):
        call_command("crosssell_retrain", "--sync", stdout=StringIO(), stderr=StringIO())


def test_the_command_without_sync_only_queues(crosssell):
    out = StringIO()
    with mock.patch.object(runs, "enqueue"):
        call_command("crosssell_retrain", stdout=out)
    assert TrainingRun.objects.get().status == Status.QUEUED
    assert "queued" in out.getvalue()


def test_the_beat_schedule_follows_the_retrain_schedule_setting():
    from celery.schedules import crontab

    from crosssell_app.schedules import beat_schedule

    entries = beat_schedule({"RETRAIN_SCHEDULE": {"minute": 5, "hour": 1, "day_of_week": "sun"}})
    assert entries["crosssell-nightly-retrain"]["schedule"] == crontab(minute=5, hour=1, day_of_week="sun")
    assert "crosssell-nightly-retrain" not in beat_schedule({"RETRAIN_SCHEDULE": None})
    assert "crosssell-reap-stale-retrains" in beat_schedule({"RETRAIN_SCHEDULE": None})


def test_the_command_names_a_recommender_class_that_does_not_import(crosssell):
    crosssell(RECOMMENDERS={"nope": {"class": "tests.training.recommenders.DoesNotExist"}})
    with pytest.raises(CommandError, match="RECOMMENDERS.*nope.*DoesNotExist"):
        call_command("crosssell_retrain", "--sync", stdout=StringIO(), stderr=StringIO())
