"""Asking for a retrain: the part of a run's life the web process needs.

A request takes a row lock (the single active-version row) and looks for a queued or running
run; if there is one, the request is recorded as *coalesced* into it instead of starting a
second, so only one retrain runs at a time whatever the broker. The run's first task is sent
to the broker **by name** (as the beat schedule does), so the admin button, the API and the
nightly schedule never import :mod:`crosssell_app.training` and its numpy, scipy and
recommender modules. The worker side of the life cycle (claim, heartbeat, finish) is
:mod:`crosssell_app.training.runs`.

A worker that dies cannot mark its run failed; :func:`reap_stale_runs` (on every request and in
a periodic task) fails runs whose heartbeat is older than ``RETRAIN_STALE_AFTER``, and queued
runs that no worker started within ``RETRAIN_QUEUED_TIMEOUT``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .conf import crosssell_settings
from .models import ActiveVersion, TrainingRun
from .queue import send_task

logger = logging.getLogger(__name__)

Status = TrainingRun.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)
RETRAIN_TASK = "crosssell_app.tasks.retrain"


def request_retrain(*, trigger: str, user=None) -> TrainingRun:
    """Record a retrain request and enqueue it once the transaction commits; return its run.

    If a run is already queued or running, the new request is stored as ``coalesced`` (with
    ``progress["coalesced_into"]`` naming the run that will do the work) and nothing is enqueued.
    """
    run = open_run(trigger=trigger, user=user)
    if run.status == Status.QUEUED:
        transaction.on_commit(lambda: enqueue(run.pk))
    return run


def open_run(*, trigger: str, user=None, status: str = Status.QUEUED) -> TrainingRun:
    """Create a run in ``status`` (queued, or running for an in-process retrain), or a coalesced one.

    The active-version row lock serialises concurrent requests on PostgreSQL (SQLite serialises
    writers anyway), so two requests at the same moment cannot both start a run.
    """
    reap_stale_runs()
    with transaction.atomic():
        ActiveVersion.objects.lock()
        current = TrainingRun.objects.filter(status__in=ACTIVE).order_by("requested_at", "pk").first()
        if current is not None:
            return TrainingRun.objects.create(
                status=Status.COALESCED, trigger=trigger, requested_by=user, finished_at=timezone.now(),
                progress={"coalesced_into": current.pk},
            )
        now = timezone.now()
        running = status == Status.RUNNING
        return TrainingRun.objects.create(
            status=status, trigger=trigger, requested_by=user, requested_at=now,
            started_at=now if running else None, heartbeat_at=now if running else None,
        )


def enqueue(run_id: int) -> None:
    """Send the run's first task to the broker; a broker that refuses fails the run, not the caller."""
    try:
        result = send_task(RETRAIN_TASK, (run_id,), **time_limits())
    except Exception as exc:  # the broker is down or misconfigured: say so on the run
        logger.exception("Could not enqueue retrain run %s", run_id)
        fail(run_id, f"Could not enqueue the retrain: {exc}")
        return
    TrainingRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")


def time_limits() -> dict[str, int]:
    """Return the soft and hard time limits of retrain tasks, as ``apply_async`` options."""
    return {"soft_time_limit": crosssell_settings.RETRAIN_SOFT_TIME_LIMIT,
            "time_limit": crosssell_settings.RETRAIN_HARD_TIME_LIMIT}


def fail(run_id: int, error: Any) -> bool:
    """Mark a queued or running run failed with ``error``; return False if it had already ended.

    The run's working files are left to the worker side (:func:`crosssell_app.training.runs.fail`
    and the periodic reaper remove them).
    """
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    changed = TrainingRun.objects.filter(pk=run_id, status__in=ACTIVE).update(
        status=Status.FAILED, finished_at=timezone.now(), error=str(error)[:10_000])
    if changed:
        logger.error("Retrain run %s failed: %s", run_id, error)
    return bool(changed)


def reap_stale_runs(now=None) -> list[int]:
    """Fail running runs without a heartbeat for ``RETRAIN_STALE_AFTER`` seconds; return their ids.

    Queued runs older than ``RETRAIN_QUEUED_TIMEOUT`` are failed too: their task was lost (a
    broker flushed, a worker that never came or gave up claiming the run because it could not
    reach the database), and they would block every later request by coalescing it. Failing one
    that a slow worker would still have started is safe: the claim only takes a *queued* run, so
    the late task does nothing, and the next request starts a new run.
    """
    now = now or timezone.now()
    stale_after = timedelta(seconds=crosssell_settings.RETRAIN_STALE_AFTER)
    lost_after = timedelta(seconds=crosssell_settings.RETRAIN_QUEUED_TIMEOUT)
    last_sign = models.functions.Coalesce("heartbeat_at", "started_at", "requested_at")
    running = (TrainingRun.objects.filter(status=Status.RUNNING).annotate(last_sign=last_sign)
               .filter(last_sign__lt=now - stale_after).values_list("pk", "last_sign"))
    queued = TrainingRun.objects.filter(status=Status.QUEUED, requested_at__lt=now - lost_after).values_list("pk")
    reaped = []
    for pk, last_sign in list(running):
        if fail(pk, f"The worker stopped responding (last heartbeat {last_sign:%Y-%m-%d %H:%M:%S %Z}); "
                    "it was probably killed. The previous version is still served."):
            reaped.append(pk)
    for (pk,) in list(queued):
        if fail(pk, f"No worker started this run within RETRAIN_QUEUED_TIMEOUT ({lost_after.total_seconds():.0f} s); "
                    "is a Celery worker running, and can it reach the database?"):
            reaped.append(pk)
    return reaped


__all__ = ["enqueue", "fail", "open_run", "reap_stale_runs", "request_retrain", "time_limits"]
