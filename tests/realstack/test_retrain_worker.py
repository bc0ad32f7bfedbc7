"""The retrain on the real stack: PostgreSQL, Redis and a Celery worker process started by the test."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from crosssell_app.models import ActiveVersion, Kind, Recommendation, RecommendationVersion, TrainingRun
from crosssell_app.retraining import request_retrain
from crosssell_app.training import publishing, retrain_in_process

from .conftest import TINY, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
Status = TrainingRun.Status
ENDED = (Status.SUCCEEDED, Status.FAILED)
FIT_TIMEOUT = 90


def _ended(run_id: int):
    run = TrainingRun.objects.get(pk=run_id)
    return run if run.status in ENDED else None


def _served(kind: str, source) -> list:
    """The published list a product page would read: rows of the active version, by rank."""
    version = ActiveVersion.objects.current_id()
    return list(Recommendation.objects.filter(version_id=version, kind=kind, source=source)
                .order_by("rank").values_list("target_id", flat=True))


def _worker_overrides(tmp_path, **extra):
    return {"RECOMMENDERS": TINY, "MODEL_DIR": str(tmp_path / "models"), "TOP_K": 5,
            "RETRAIN_HEARTBEAT_SECONDS": 0.5, **extra}


def test_a_retrain_requested_here_is_trained_by_the_worker_and_served(shop, start_worker, tmp_path):
    items = shop["items"]
    worker = start_worker(**_worker_overrides(tmp_path))
    run = request_retrain(trigger=TrainingRun.Trigger.API)
    finished = wait_for(lambda: _ended(run.pk), FIT_TIMEOUT, "the run to end", worker)
    assert finished.status == Status.SUCCEEDED, finished.error
    assert finished.task_id
    assert ActiveVersion.objects.current_id() == finished.version
    # the teapot was bought with the cup by one customer only: below MIN_PAIR_CUSTOMERS, not shown
    assert _served(Kind.BOUGHT_TOGETHER, items[0].pk) == [items[1].pk]
    assert _served(Kind.UPGRADE, items[4].pk) == [items[5].pk, items[6].pk]
    assert {"fit:together", "fit:upgrade", "holdout", "write"} <= set(finished.timings)
    assert "crosssell_app.tasks.fit_part" in worker.output()  # the fan-out really went through the broker


def test_a_worker_killed_while_fitting_leaves_the_previous_version_served_and_the_run_failed(
        shop, start_worker, tmp_path, crosssell):
    items = shop["items"]
    crosssell(RETRAIN_STALE_AFTER=3)
    served = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version
    before = _served(Kind.BOUGHT_TOGETHER, items[0].pk)
    started, release = tmp_path / "fit-started", tmp_path / "release"
    slow = {"slow": {"class": "tests.training.recommenders.WaitsForFile",
                     "options": {"started": str(started), "release": str(release)}}}
    worker = start_worker(**_worker_overrides(tmp_path, RECOMMENDERS=slow))
    run = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
    wait_for(started.exists, FIT_TIMEOUT, "fitting to start", worker)
    worker.kill()

    assert TrainingRun.objects.get(pk=run.pk).status == Status.RUNNING  # nobody can tell it yet...
    assert ActiveVersion.objects.current_id() == served
    assert _served(Kind.BOUGHT_TOGETHER, items[0].pk) == before
    assert not RecommendationVersion.objects.filter(run_id=run.pk, complete=True).exists()

    time.sleep(4)  # ...until the heartbeat is older than RETRAIN_STALE_AFTER
    retry = request_retrain(trigger=TrainingRun.Trigger.ADMIN)  # a request reaps the dead run first
    dead = TrainingRun.objects.get(pk=run.pk)
    assert dead.status == Status.FAILED and "stopped responding" in dead.error
    assert retry.status == Status.QUEUED
    assert ActiveVersion.objects.current_id() == served

    worker = start_worker(**_worker_overrides(tmp_path))
    finished = wait_for(lambda: _ended(retry.pk), FIT_TIMEOUT, "the next run to end", worker)
    assert finished.status == Status.SUCCEEDED, finished.error
    assert ActiveVersion.objects.current_id() == finished.version != served


def test_a_recommender_that_raises_fails_the_run_and_keeps_the_previous_version(shop, start_worker, tmp_path):
    served = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version
    # listed alone: a second entry filling the same kinds would be refused as a setting error first
    broken = {"boom": {"class": "tests.training.recommenders.Exploding"}}
    worker = start_worker(**_worker_overrides(tmp_path, RECOMMENDERS=broken))
    run = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
    finished = wait_for(lambda: _ended(run.pk), FIT_TIMEOUT, "the run to end", worker)
    assert finished.status == Status.FAILED
    assert "exploded on purpose" in finished.error
    assert ActiveVersion.objects.current_id() == served
    assert RecommendationVersion.objects.filter(complete=True).count() == 1


def test_two_retrains_requested_at_once_publish_exactly_once(shop, start_worker, tmp_path, producer):
    barrier = threading.Barrier(2)
    results: list[TrainingRun] = []

    def request() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(request_retrain(trigger=TrainingRun.Trigger.API))
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(run.status for run in results) == [Status.COALESCED, Status.QUEUED]
    queued = next(run for run in results if run.status == Status.QUEUED)
    # The broker delivering the same task twice (a redelivery) must not publish twice either.
    from crosssell_app.tasks import retrain

    retrain.apply_async((queued.pk,))

    worker = start_worker(**_worker_overrides(tmp_path))
    finished = wait_for(lambda: _ended(queued.pk), FIT_TIMEOUT, "the run to end", worker)
    assert finished.status == Status.SUCCEEDED, finished.error
    time.sleep(2)  # let the duplicate message be consumed too
    assert "not queued" in worker.output()
    assert list(RecommendationVersion.objects.values_list("pk", flat=True)) == [finished.version]
    assert TrainingRun.objects.filter(version__isnull=False).count() == 1
