r"""The worker side of a :class:`~crosssell_app.models.TrainingRun`'s life: claim, heartbeat, finish.

Requests, coalescing and the reaper's rules live in :mod:`crosssell_app.retraining`, which the
web process uses without importing this package. State changes here are conditional
``UPDATE``\ s (``WHERE status = 'running'``), so a task delivered twice, or a run the reaper has
just failed, cannot move a run backwards.

A worker that dies (SIGKILL, out of memory, a hard time limit) cannot mark its run failed. A
background thread therefore refreshes ``heartbeat_at`` while a task works, and the reaper fails
runs whose heartbeat is older than ``RETRAIN_STALE_AFTER``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .. import retraining
from ..conf import crosssell_settings
from ..models import TrainingRun
from .files import remove_run_files, run_ids_on_disk

logger = logging.getLogger(__name__)

Status = TrainingRun.Status
ACTIVE = retraining.ACTIVE


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
    """Mark the run failed (see :func:`crosssell_app.retraining.fail`) and delete its working files."""
    changed = retraining.fail(run_id, error)
    if changed:
        remove_run_files(run_id, keep_models=False)
    return changed


def reap_stale_runs() -> list[int]:
    """Fail runs whose worker died (:func:`crosssell_app.retraining.reap_stale_runs`) and delete
    the working files of every failed run, including those reaped by a web request."""
    reaped = retraining.reap_stale_runs()
    on_disk = run_ids_on_disk()  # a few folders, where failed runs in the table grow for ever
    for run_id in TrainingRun.objects.filter(pk__in=on_disk, status=Status.FAILED).values_list("pk", flat=True):
        remove_run_files(run_id, keep_models=False)
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


__all__ = ["claim", "fail", "heartbeat", "reap_stale_runs", "succeed"]
