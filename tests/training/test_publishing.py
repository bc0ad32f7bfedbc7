"""Writing a version, switching to it in one step, and pruning old ones."""

from __future__ import annotations

import pytest

from crosssell_app.models import ActiveVersion, Kind, Recommendation, RecommendationVersion, TrainingRun
from crosssell_app.signals import recommendations_published
from crosssell_app.training import publishing
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def _publish(items, run=None) -> RecommendationVersion:
    version = publishing.create_version(run)
    rows = [publishing.Row(Kind.BOUGHT_TOGETHER, items[0].pk, None, items[1].pk, 1, 0.5, {"orders_together": 2})]
    publishing.write_rows(version, rows)
    assert publishing.activate(version, run)
    return version


def test_rows_written_to_a_new_version_are_not_served_until_activation():
    items = ItemFactory.create_batch(2)
    old = _publish(items)
    new = publishing.create_version(None)
    written = publishing.write_rows(new, (publishing.Row(Kind.SIMILAR, items[1].pk, None, items[0].pk, r, 1.0, {})
                                          for r in range(1, 12_001)))
    assert written == 12_000  # more than one batch
    assert ActiveVersion.objects.current_id() == old.pk
    assert not RecommendationVersion.objects.get(pk=new.pk).complete


def test_activation_switches_the_single_active_row_and_announces_it_after_commit(django_capture_on_commit_callbacks):
    items = ItemFactory.create_batch(2)
    seen = []
    recommendations_published.connect(receiver := lambda sender, version, **kw: seen.append(version), weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            version = _publish(items)
            assert seen == []
    finally:
        recommendations_published.disconnect(receiver)
    assert seen == [version.pk]
    assert ActiveVersion.objects.count() == 1
    assert ActiveVersion.objects.get().version_id == version.pk
    stored = RecommendationVersion.objects.get(pk=version.pk)
    assert stored.complete and stored.row_count == 1
    row = Recommendation.objects.get(version=version)
    assert row.explanation == {"orders_together": 2}


def test_a_run_that_is_no_longer_running_cannot_activate_its_version():
    items = ItemFactory.create_batch(2)
    served = _publish(items)
    run = TrainingRun.objects.create(status=TrainingRun.Status.FAILED)
    version = publishing.create_version(run)
    assert not publishing.activate(version, run)
    assert ActiveVersion.objects.current_id() == served.pk


def test_a_run_activates_at_most_once():
    items = ItemFactory.create_batch(2)
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING)
    first = _publish(items, run)
    second = publishing.create_version(run)
    assert not publishing.activate(second, run)
    assert ActiveVersion.objects.current_id() == first.pk


def test_pruning_keeps_the_newest_versions_and_the_active_one(settings):
    items = ItemFactory.create_batch(2)
    versions = [_publish(items) for _ in range(4)]
    ActiveVersion.objects.filter(pk=1).update(version=versions[0])  # e.g. rolled back by hand
    deleted = publishing.prune_versions(keep=2)
    assert deleted == [versions[1].pk]
    assert set(RecommendationVersion.objects.values_list("pk", flat=True)) == {versions[0].pk, versions[2].pk,
                                                                               versions[3].pk}
    assert not Recommendation.objects.filter(version=versions[1]).exists()


def test_pruning_removes_half_written_versions_of_ended_runs_but_not_of_a_running_one():
    items = ItemFactory.create_batch(2)
    _publish(items)
    crashed = publishing.create_version(TrainingRun.objects.create(status=TrainingRun.Status.FAILED))
    busy = publishing.create_version(TrainingRun.objects.create(status=TrainingRun.Status.RUNNING))
    assert publishing.prune_versions(keep=3) == [crashed.pk]
    assert RecommendationVersion.objects.filter(pk=busy.pk).exists()
