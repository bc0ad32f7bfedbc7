"""Write a complete version of the published lists, then make it the one serving reads.

Rows go in first (PostgreSQL ``COPY``, batched ``bulk_create`` elsewhere) into a version marked
incomplete, which no reader looks at. Activation is one transaction: mark the version complete
and point the single :class:`~crosssell_app.models.ActiveVersion` row at it. So a crash at any
moment leaves the previous version serving; the half-written one is pruned later.

A retrain publishes lists computed from data it read long before, so a user forgotten meanwhile
is still in them. Every publish honours the forgets (:class:`~crosssell_app.models.Tombstone`)
made since its run started: the writer leaves their rows out, and the switch deletes, in its own
transaction, the rows of a forget that committed while they were being written.
:func:`crosssell_app.tracking.recording.forget_user` takes the same active-version lock, so a
forget either lands before the switch (and the switch drops the user) or after it (and deletes
the user's rows of the version just switched to).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from ..conf import crosssell_settings
from ..models import (ActiveVersion, Arm, Experiment, Recommendation, RecommendationVersion, Tombstone, TrainingRun,
                      insert_rows)
from ..signals import recommendations_published

logger = logging.getLogger(__name__)

BATCH = 5000
#: how long before a run started a forget may still have been invisible to the data the run read
#: (its transaction not yet committed, or its machine's clock ahead of the worker's); the users of
#: such forgets get no personal list from the run either. A user forgotten longer before gets one
#: again from what they did after the forget.
FORGET_MARGIN = timedelta(hours=1)


class Row(NamedTuple):
    """One published list entry, in the shape of :class:`~crosssell_app.models.Recommendation`."""

    kind: str
    source_id: Any
    user_id: Any
    target_id: Any
    rank: int
    score: float
    explanation: dict


def create_version(run: TrainingRun | None) -> RecommendationVersion:
    """Start a new, incomplete version that readers ignore until :func:`activate`."""
    return RecommendationVersion.objects.create(run=run, complete=False)


COLUMNS = ("version_id", "kind", "source_id", "user_id", "target_id", "rank", "score", "explanation")


def write_rows(version: RecommendationVersion, rows: Iterable[Row],
               on_progress: Callable[[int], None] | None = None) -> int:
    """Insert ``rows`` into ``version`` in batches and return how many were written.

    PostgreSQL gets ``COPY ... FROM STDIN``; other databases one multi-row ``executemany`` per
    batch. Both skip model instances, which would cost more than the database work itself
    (``bulk_create`` of the Online Retail lists spends most of its time building objects).
    """
    writer = _copy_rows if connection.vendor == "postgresql" else _insert_rows
    since = forgets_since(version)
    written = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        if any(row.user_id is not None for row in batch):
            # Read for each batch: a user deleted meanwhile would fail the batch's foreign key.
            forgotten = set(Tombstone.objects.since(since).user_ids())
            batch = [row for row in batch if row.user_id is None or row.user_id not in forgotten]
        with transaction.atomic():  # one commit per batch: in autocommit SQLite would sync every row
            writer(version.pk, batch)
        written += len(batch)
        if on_progress:
            on_progress(written)
    return written


def forgets_since(version: RecommendationVersion) -> datetime | None:
    """Return when the forgets that ``version`` must honour begin: :data:`FORGET_MARGIN` before its run started.

    A version without a run (written by hand) honours every forget.
    """
    started = TrainingRun.objects.filter(pk=version.run_id).values_list("started_at", flat=True).first()
    return None if started is None else started - FORGET_MARGIN


def _values(version_id: int, batch: list[Row]) -> Iterator[tuple]:
    for r in batch:
        yield (version_id, r.kind, r.source_id, r.user_id, r.target_id, r.rank, r.score, json.dumps(r.explanation))


def _insert_rows(version_id: int, batch: list[Row]) -> None:
    insert_rows(Recommendation, COLUMNS, _values(version_id, batch))


def _copy_rows(version_id: int, batch: list[Row]) -> None:
    """Stream a batch with ``COPY ... FROM STDIN`` (psycopg 3), an order of magnitude faster than INSERT."""
    table = connection.ops.quote_name(Recommendation._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for values in _values(version_id, batch):
            copy.write_row(values)


def activate(version: RecommendationVersion, run: TrainingRun | None = None) -> bool:
    """Make ``version`` the served one in one transaction; return False if ``run`` lost its claim.

    The run row is locked and re-read first: a run the stale-run reaper failed meanwhile (or a
    redelivered task of a run already published) must not switch anything, so a version is
    published at most once. The rows of users forgotten since the run started are deleted first
    (see the module's docstring). ``recommendations_published`` is sent after the commit.
    """
    with transaction.atomic():
        if run is not None:
            current = TrainingRun.objects.select_for_update().get(pk=run.pk)
            if current.status != TrainingRun.Status.RUNNING or current.version is not None:
                logger.warning("Run %s is %s; version %s is not activated.", run.pk, current.status, version.pk)
                return False
        active = ActiveVersion.objects.lock()
        forgotten = Tombstone.objects.since(forgets_since(version)).user_ids()
        Recommendation.objects.filter(version=version, user_id__in=forgotten).delete()
        row_count = Recommendation.objects.filter(version=version).count()
        RecommendationVersion.objects.filter(pk=version.pk).update(complete=True, row_count=row_count)
        active.version_id = version.pk
        active.activated_at = timezone.now()
        active.save(update_fields=["version", "activated_at"])
        if run is not None:
            TrainingRun.objects.filter(pk=run.pk).update(version=version.pk)
        transaction.on_commit(lambda: recommendations_published.send(sender=RecommendationVersion,
                                                                     version=version.pk))
    return True


def prune_versions(keep: int | None = None) -> list[int]:
    """Delete all but the newest ``keep`` complete versions, and abandoned incomplete ones.

    The active version is always kept, and so is every version an arm of a draft or running
    experiment serves. An incomplete version is abandoned when its run is no
    longer running (it failed or was reaped); one being written right now is left alone.
    Returns the deleted version ids.
    """
    keep = crosssell_settings.KEEP_VERSIONS if keep is None else keep
    active = ActiveVersion.objects.current_id()
    complete = list(RecommendationVersion.objects.filter(complete=True).order_by("-pk").values_list("pk", flat=True))
    doomed = set(complete[max(keep, 1):])
    doomed |= set(
        RecommendationVersion.objects.filter(complete=False)
        .exclude(run__status=TrainingRun.Status.RUNNING)
        .values_list("pk", flat=True)
    )
    doomed.discard(active)
    # A version an experiment's arm serves stays while the experiment is not stopped.
    doomed -= set(Arm.objects.exclude(experiment__status=Experiment.Status.STOPPED)
                  .filter(version__isnull=False).values_list("version_id", flat=True))
    if doomed:
        # Recommendation has no dependants, so this is one DELETE per table, no row-by-row cascade.
        Recommendation.objects.filter(version_id__in=doomed).delete()
        RecommendationVersion.objects.filter(pk__in=doomed).delete()
    return sorted(doomed)


def top_k_rows(kind: str, source_pks: Iterator[Any] | list, ids: Any, scores: Any, pks: Any,
               explain: Callable[[int, int], dict] | None = None, user_ids: list | None = None) -> Iterator[Row]:
    """Yield rows of ``(len(sources), k)`` id/score arrays from a batch query, skipping padding.

    ``pks`` maps item index -> product pk. Per-user lists pass ``user_ids`` (one per row) and
    ``None`` sources.
    """
    for r, source in enumerate(source_pks):
        user = user_ids[r] if user_ids is not None else None
        for c in range(ids.shape[1]):
            target = int(ids[r, c])
            if target < 0:
                break
            yield Row(kind, source, user, pks[target], c + 1, float(scores[r, c]), explain(r, c) if explain else {})
