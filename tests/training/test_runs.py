"""Requesting retrains: one at a time, coalescing, enqueue on commit, and reaping dead runs."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from crosssell_app.models import TrainingRun
from crosssell_app import retraining as runs
from crosssell_app.training import runs as worker_runs
from crosssell_app.retraining import reap_stale_runs, request_retrain

pytestmark = pytest.mark.django_db
Status = TrainingRun.Status


def test_a_request_is_queued_and_enqueued_only_after_commit(django_capture_on_commit_callbacks):
    with mock.patch.object(runs, "enqueue") as enqueue:
        with django_capture_on_commit_callbacks() as callbacks:
            run = request_retrain(trigger=TrainingRun.Trigger.API)
            enqueue.assert_not_called()
        assert run.status == Status.QUEUED
        for callback in callbacks:
            callback()
        enqueue.assert_called_once_with(run.pk)


def test_a_second_request_while_one_runs_is_coalesced_into_it(django_capture_on_commit_callbacks):
    with mock.patch.object(runs, "enqueue") as enqueue, django_capture_on_commit_callbacks(execute=True):
        first = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
        TrainingRun.objects.filter(pk=first.pk).update(status=Status.RUNNING, heartbeat_at=timezone.now())
        second = request_retrain(trigger=TrainingRun.Trigger.SCHEDULE)
    assert second.status == Status.COALESCED
    assert second.progress == {"coalesced_into": first.pk}
    assert enqueue.call_count == 1


def test_a_request_after_the_previous_run_ended_starts_a_new_run():
    with mock.patch.object(runs, "enqueue"):
        first = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
        runs.fail(first.pk, "no")
        second = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
    assert second.status == Status.QUEUED


def test_a_broker_that_refuses_the_task_fails_the_run_instead_of_the_request():
    run = TrainingRun.objects.create()
    with mock.patch("crosssell_app.tasks.retrain.apply_async", side_effect=ConnectionError("broker down")):
        runs.enqueue(run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert "broker down" in run.error


def test_a_run_without_heartbeat_for_too_long_is_failed_and_a_beating_one_is_not(settings, crosssell):
    crosssell(RETRAIN_STALE_AFTER=60)
    now = timezone.now()
    dead = TrainingRun.objects.create(status=Status.RUNNING, started_at=now - timedelta(minutes=10),
                                      heartbeat_at=now - timedelta(minutes=5))
    alive = TrainingRun.objects.create(status=Status.RUNNING, started_at=now - timedelta(minutes=10),
                                       heartbeat_at=now - timedelta(seconds=10))
    assert reap_stale_runs() == [dead.pk]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Status.FAILED and "stopped responding" in dead.error and dead.finished_at
    assert alive.status == Status.RUNNING


def test_a_queued_run_that_no_worker_started_is_failed_after_the_queued_timeout():
    """By default minutes, not the ~40 (stale delay plus hard time limit) a lost run used to block requests."""
    lost = TrainingRun.objects.create(requested_at=timezone.now() - timedelta(minutes=15))
    waiting = TrainingRun.objects.create(requested_at=timezone.now() - timedelta(minutes=1))
    assert reap_stale_runs() == [lost.pk]
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.status == Status.FAILED and "RETRAIN_QUEUED_TIMEOUT" in lost.error
    assert waiting.status == Status.QUEUED


def test_the_queued_timeout_is_a_setting(crosssell):
    crosssell(RETRAIN_QUEUED_TIMEOUT=30)
    lost = TrainingRun.objects.create(requested_at=timezone.now() - timedelta(seconds=45))
    assert reap_stale_runs() == [lost.pk]


def test_a_stuck_queued_run_no_longer_takes_in_new_requests():
    stuck = TrainingRun.objects.create(requested_at=timezone.now() - timedelta(minutes=15))
    with mock.patch.object(runs, "enqueue"):
        fresh = request_retrain(trigger=TrainingRun.Trigger.API)
    assert fresh.status == Status.QUEUED and fresh.pk != stuck.pk


def test_the_late_task_of_a_reaped_queued_run_does_not_start_it():
    """Reaping a queued run that a slow worker would still have taken is safe: the claim refuses it."""
    run = TrainingRun.objects.create(requested_at=timezone.now() - timedelta(minutes=15))
    reap_stale_runs()
    assert not worker_runs.claim(run.pk) and not worker_runs.claim(run.pk, retrying=True)
    run.refresh_from_db()
    assert run.status == Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_the_command_says_failed_and_not_queued_when_the_broker_refuses_the_run():
    """A command runs outside a transaction, so the run is sent (and may fail) before it reports."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    with mock.patch.object(runs, "send_task", side_effect=ConnectionError("broker down")):
        with pytest.raises(CommandError, match="failed.*broker down"):
            call_command("crosssell_retrain", stdout=out)
    assert "queued" not in out.getvalue()
    assert TrainingRun.objects.get().status == Status.FAILED


def test_a_dead_run_no_longer_blocks_new_requests(crosssell):
    crosssell(RETRAIN_STALE_AFTER=60)
    TrainingRun.objects.create(status=Status.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1))
    with mock.patch.object(runs, "enqueue"):
        run = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
    assert run.status == Status.QUEUED


def test_ended_runs_cannot_be_claimed_failed_or_succeeded_again():
    run = TrainingRun.objects.create(status=Status.SUCCEEDED)
    assert not worker_runs.claim(run.pk)
    assert not worker_runs.claim(run.pk, retrying=True)
    assert not runs.fail(run.pk, "late")
    run.refresh_from_db()
    assert run.status == Status.SUCCEEDED and run.error == ""


def test_only_a_retried_task_may_take_over_its_running_run():
    run = TrainingRun.objects.create(status=Status.RUNNING)
    assert not worker_runs.claim(run.pk)
    assert worker_runs.claim(run.pk, retrying=True)


def test_the_heartbeat_thread_refreshes_the_run_while_work_goes_on(transactional_db):
    import time

    run = TrainingRun.objects.create(status=Status.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1))
    with worker_runs.heartbeat(run.pk, interval=0.05):
        time.sleep(0.3)
    run.refresh_from_db()
    assert timezone.now() - run.heartbeat_at < timedelta(seconds=5)


def test_a_running_run_that_never_beat_is_reaped_by_its_start_time(crosssell):
    crosssell(RETRAIN_STALE_AFTER=60)
    never = TrainingRun.objects.create(status=Status.RUNNING, started_at=timezone.now() - timedelta(minutes=5))
    assert reap_stale_runs() == [never.pk]
