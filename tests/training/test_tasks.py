"""The Celery tasks: time limits from settings, retries for transient database errors only."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from crosssell_app import tasks
from crosssell_app.models import TrainingRun
from crosssell_app import retraining as runs
from crosssell_app.training import service

pytestmark = pytest.mark.django_db
Status = TrainingRun.Status


def test_tasks_are_sent_with_the_time_limits_of_the_settings(crosssell):
    crosssell(RETRAIN_SOFT_TIME_LIMIT=111, RETRAIN_HARD_TIME_LIMIT=222)
    run = TrainingRun.objects.create()
    with mock.patch.object(tasks.retrain, "apply_async", return_value=mock.Mock(id="t-1")) as apply_async:
        runs.enqueue(run.pk)
    assert apply_async.call_args.kwargs == {"soft_time_limit": 111, "time_limit": 222}


def test_a_transient_database_error_is_retried_and_the_run_goes_on(shop, eager_celery):
    run = TrainingRun.objects.create()
    with mock.patch.object(service, "prepare", side_effect=_first_fails(service.prepare)) as prep:
        tasks.retrain.apply((run.pk,))
    run.refresh_from_db()
    assert prep.call_count == 2
    assert run.status == Status.SUCCEEDED, run.error


def _first_fails(function):
    calls = []

    def side_effect(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return function(*args)

    return side_effect


def test_any_other_error_fails_the_run_at_once_with_its_message(shop, eager_celery):
    run = TrainingRun.objects.create()
    with mock.patch.object(service, "prepare", side_effect=KeyError("price")) as prep:
        tasks.retrain.apply((run.pk,))
    run.refresh_from_db()
    assert prep.call_count == 1
    assert run.status == Status.FAILED and "KeyError" in run.error and "price" in run.error


def test_a_redelivered_start_of_a_running_run_does_nothing(shop, eager_celery):
    run = TrainingRun.objects.create(status=Status.RUNNING)
    with mock.patch.object(service, "prepare") as prep:
        tasks.retrain.apply((run.pk,))
    prep.assert_not_called()


def test_the_nightly_task_requests_a_scheduled_retrain():
    with mock.patch.object(runs, "enqueue"):
        run_id = tasks.scheduled_retrain()
    assert TrainingRun.objects.get(pk=run_id).trigger == TrainingRun.Trigger.SCHEDULE


def test_the_periodic_reaper_fails_dead_runs(crosssell):
    from datetime import timedelta

    from django.utils import timezone

    crosssell(RETRAIN_STALE_AFTER=60)
    dead = TrainingRun.objects.create(status=Status.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=2))
    assert tasks.reap_stale_retrains() == [dead.pk]
