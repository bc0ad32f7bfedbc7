"""Celery beat entries a host adds to ``CELERY_BEAT_SCHEDULE``: the nightly retrain and the reaper.

Settings modules cannot read ``crosssell_settings`` (Django is not configured yet while they
run), so a host passes its ``CROSSSELL`` dict::

    CELERY_BEAT_SCHEDULE = {**beat_schedule(CROSSSELL), ...}

Called without an argument (e.g. from a Celery app module after ``django.setup()``), it reads
the configured settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from celery.schedules import crontab

from .conf import DEFAULTS

#: how often the stale-run reaper looks for runs whose worker died, in seconds
REAP_EVERY = 60.0


def beat_schedule(crosssell: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Return the beat entries; ``RETRAIN_SCHEDULE`` (crontab keywords, or None to disable) sets the retrain."""
    if crosssell is None:
        from .conf import crosssell_settings

        retrain = crosssell_settings.RETRAIN_SCHEDULE
    else:
        retrain = crosssell.get("RETRAIN_SCHEDULE", DEFAULTS["RETRAIN_SCHEDULE"])
    entries: dict[str, dict[str, Any]] = {
        "crosssell-reap-stale-retrains": {"task": "crosssell_app.tasks.reap_stale_retrains", "schedule": REAP_EVERY},
    }
    if retrain:
        entries["crosssell-nightly-retrain"] = {"task": "crosssell_app.tasks.scheduled_retrain",
                                                "schedule": crontab(**retrain)}
    return entries
