"""Write published recommendation lists the way training does, for serving tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from crosssell_app.models import ActiveVersion, Kind, Recommendation, RecommendationVersion


def publish(lists: Mapping[tuple[str, Any], Iterable[Any]] = {}, *, trending: Iterable[Any] = (),
            explain: Callable[[str, Any, Any], dict] | None = None, activate: bool = True) -> RecommendationVersion:
    """Store a complete version and make it active.

    ``lists`` maps ``(kind, source)`` to targets best first; a source that is a user makes a
    personal list. Scores fall with rank (1, 1/2, 1/3...). ``explain(kind, source, target)``
    gives each row's explanation.
    """
    version = RecommendationVersion.objects.create(complete=True)
    rows = []
    entries = [*lists.items(), ((Kind.TRENDING, None), trending)]
    for (kind, source), targets in entries:
        is_user = kind == Kind.FOR_YOU
        for rank, target in enumerate(targets, start=1):
            rows.append(Recommendation(
                version=version, kind=kind, rank=rank, score=1 / rank, target=target,
                source=None if is_user else source, user=source if is_user else None,
                explanation=explain(kind, source, target) if explain else {},
            ))
    Recommendation.objects.bulk_create(rows)
    version.row_count = len(rows)
    version.save(update_fields=["row_count"])
    if activate:
        ActiveVersion.objects.update_or_create(pk=1, defaults={"version": version})
    return version
