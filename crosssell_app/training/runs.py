"""The life of a :class:`~crosssell_app.models.TrainingRun`: request, claim, heartbeat, finish, reap.

Only one retrain runs at a time, whatever the broker: a request takes a row lock (the single
active-version row) and looks for a queued or running run; if there is one, the request is
recorded as *coalesced* into it instead of starting a second. State changes are conditional
``UPDATE``\\ s (``WHERE status = 'running'``), so a task delivered twice, or a run the reaper
has just failed, cannot move a run backwards.

A worker that dies (SIGKILL, out of memory, a hard time limit) cannot mark its run failed. A
background thread therefore refreshes ``heartbeat_at`` while a task works, and
:func:`reap_stale_runs` (called on every request and by a periodic task) fails runs whose
heartbeat is older than ``RETRAIN_STALE_AFTER``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from ..conf import crosssell_settings
from ..models import TrainingRun
from .files import remove_run_files
from .publishing import lock_active_row

logger = logging.getLogger(__name__)

Status = TrainingRun.Status
ACTIVE = (Status.QUEUED, Status.RUNNING)


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
        lock_active_row()
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
    from .. import tasks

    try:
        result = tasks.retrain.apply_async((run_id,), **time_limits())
    except Exception as exc:  # the broker is down or misconfigured: say so on the run
        logger.exception("Could not enqueue retrain run %s", run_id)
        fail(run_id, f"Could not enqueue the retrain: {exc}")
        return
    TrainingRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")


def time_limits() -> dict[str, int]:
    """Return the soft and hard time limits of retrain tasks, as ``apply_async`` options."""
    return {"soft_time_limit": crosssell_settings.RETRAIN_SOFT_TIME_LIMIT,
            "time_limit": crosssell_settings.RETRAIN_HARD_TIME_LIMIT}


def claim(run_id: int, *, retrying: bool = False) -> bool:
    """Move a queued run to running; return whether this caller owns it now.

    A retried task (after a transient database error) may take over its own running run.
    """
    now = timezone.now()
    allowed = ACTIVE if retrying else (Status.QUEUED,)
    return bool(TrainingRun.objects.filter(pk=run_id, status__in=allowed).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, current_step="dataset"))


def is_running(run_id: int) -> bool:
    return TrainingRun.objects.filter(pk=run_id, status=Status.RUNNING).exists()


def succeed(run_id: int) -> bool:
    """Mark a running run succeeded."""
    return bool(TrainingRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
        status=Status.SUCCEEDED, finished_at=timezone.now(), current_step=""))


def fail(run_id: int, error: Any) -> bool:
    """Mark a queued or running run failed with ``error``; return False if it had already ended."""
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    changed = TrainingRun.objects.filter(pk=run_id, status__in=ACTIVE).update(
        status=Status.FAILED, finished_at=timezone.now(), error=str(error)[:10_000])
    if changed:
        logger.error("Retrain run %s failed: %s", run_id, error)
        remove_run_files(run_id, keep_models=False)
    return bool(changed)


def reap_stale_runs(now=None) -> list[int]:
    """Fail running runs without a heartbeat for ``RETRAIN_STALE_AFTER`` seconds; return their ids.

    Queued runs older than the hard time limit plus the stale delay are failed too: their task
    was lost (a broker flushed, a worker that never came), and they would block every later
    request by coalescing it.
    """
    now = now or timezone.now()
    stale_after = timedelta(seconds=crosssell_settings.RETRAIN_STALE_AFTER)
    lost_after = stale_after + timedelta(seconds=crosssell_settings.RETRAIN_HARD_TIME_LIMIT)
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
        if fail(pk, "No worker picked this run up; is a Celery worker running?"):
            reaped.append(pk)
    return reaped


def beat(run_id: int) -> None:
    """Record that the run's worker is alive."""
    TrainingRun.objects.filter(pk=run_id, status=Status.RUNNING).update(heartbeat_at=timezone.now())


@contextmanager
def heartbeat(run_id: int, interval: float | None = None) -> Iterator[None]:
    """Refresh the run's heartbeat from a background thread while the body runs.

    Fitting is one long numpy call that cannot report by itself; the thread can, and dies with
    the process, which is exactly what the reaper needs to notice.
    """
    interval = crosssell_settings.RETRAIN_HEARTBEAT_SECONDS if interval is None else interval
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(interval):
                try:
                    beat(run_id)
                except Exception:  # a missed beat is not worth killing the run for
                    logger.warning("Heartbeat of run %s failed", run_id, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, name=f"crosssell-heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def count_attempt(run_id: int, part: str) -> int:
    """Add one to the run's start count of ``part`` and return the new count."""
    with transaction.atomic():
        attempts = TrainingRun.objects.select_for_update().only("progress").get(pk=run_id).progress.get("attempts", {})
        attempts = {**attempts, part: attempts.get(part, 0) + 1}
        update_json(run_id, "progress", "attempts", attempts)
    return attempts[part]


def update_json(run_id: int, field: str, key: str, value: Any, **extra: Any) -> dict:
    """Set ``run.<field>[key] = value`` under a row lock (parallel tasks write the same run)."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().only(field).get(pk=run_id)
        data = dict(getattr(run, field) or {})
        data[key] = value
        TrainingRun.objects.filter(pk=run_id).update(**{field: data}, **extra)
    return data


__all__ = ["claim", "fail", "heartbeat", "reap_stale_runs", "request_retrain", "succeed"]
