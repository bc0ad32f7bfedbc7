"""The Celery tasks: time limits from settings, retries for transient database errors only."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from crosssell_app import tasks
from crosssell_app.models import TrainingRun
from crosssell_app import retraining as runs
from crosssell_app.training import runs as worker_runs
from crosssell_app.training import service

pytestmark = pytest.mark.django_db
Status = TrainingRun.Status


def test_tasks_are_sent_with_the_time_limits_of_the_settings(crosssell):
    crosssell(RETRAIN_SOFT_TIME_LIMIT=111, RETRAIN_HARD_TIME_LIMIT=222)
    run = TrainingRun.objects.create()
    with mock.patch.object(tasks.retrain, "apply_async", return_value=mock.Mock(id="t-1")) as apply_async:
        runs.enqueue(run.pk)
    assert apply_async.call_args.kwargs == {"soft_time_limit": 111, "time_limit": 222}


@pytest.mark.parametrize("module, step", [(service, "prepare"), (worker_runs, "claim")])
def test_a_transient_database_error_is_retried_and_the_run_goes_on(shop, eager_celery, module, step):
    """The claim too: before the fix it failed outside the retries and the run stayed queued, blocking others."""
    run = TrainingRun.objects.create()
    with mock.patch.object(module, step, side_effect=_first_fails(getattr(module, step))) as patched:
        tasks.retrain.apply((run.pk,))
    run.refresh_from_db()
    assert patched.call_count == 2
    assert run.status == Status.SUCCEEDED, run.error


def test_a_claim_that_never_reaches_the_database_gives_up_after_the_last_retry(shop, eager_celery):
    run = TrainingRun.objects.create()
    down = OperationalError("could not connect to server")
    with mock.patch.object(worker_runs, "claim", side_effect=down) as claim:
        result = tasks.retrain.apply((run.pk,))
    assert claim.call_count == tasks.MAX_RETRIES + 1
    assert isinstance(result.result, OperationalError)
    run.refresh_from_db()
    assert run.status == Status.FAILED and "could not connect" in run.error  # the database answered again


def test_the_queued_timeout_outlasts_every_retry_of_a_claim():
    """A run whose worker is still retrying its claim must not be reaped as lost."""
    from crosssell_app.conf import DEFAULTS

    longest_wait = sum(tasks.retry_countdown(attempt, jitter=1.2) for attempt in range(tasks.MAX_RETRIES))
    assert longest_wait < DEFAULTS["RETRAIN_QUEUED_TIMEOUT"]


def _first_fails(function):
    calls = []

    def side_effect(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return function(*args, **kwargs)

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
