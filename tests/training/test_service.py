"""The retrain from tracked history to a published version, in-process and through eager tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crosssell_app.models import ActiveVersion, Kind, Recommendation, RecommendationVersion, TrainingRun
from crosssell_app.retraining import request_retrain
from crosssell_app.training import publishing, retrain_in_process, service

from .conftest import T0

pytestmark = pytest.mark.django_db
Status = TrainingRun.Status


def _lists(version, kind, source=None, user=None):
    rows = Recommendation.objects.filter(version_id=version, kind=kind, source=source, user=user).order_by("rank")
    return list(rows.values_list("target_id", "score", "explanation"))


def test_a_retrain_publishes_every_kind_of_list_with_explanations(shop):
    from crosssell_app.tracking.recording import record_order

    items = shop["items"]
    record_order("LONG-AGO", [(items[6], 9, 1)], ordered_at=T0 - timedelta(days=60))
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == Status.SUCCEEDED, run.error
    assert ActiveVersion.objects.current_id() == run.version

    together = _lists(run.version, Kind.BOUGHT_TOGETHER, source=items[0].pk)
    # the teapot (only Alice) and the garden items (one anonymous order) lack a second customer
    assert [t for t, _, _ in together] == [items[1].pk]
    assert together[0][2] == {"orders_together": 4}
    assert [t for t, _, _ in _lists(run.version, Kind.BOUGHT_TOGETHER, source=items[4].pk)] == [items[5].pk]
    upgrade = _lists(run.version, Kind.UPGRADE, source=items[0].pk)
    assert [t for t, _, _ in upgrade] == [items[1].pk, items[2].pk, items[3].pk]
    assert upgrade[0][2] == {"price_difference": 1.0}
    assert [t for t, _, _ in _lists(run.version, Kind.SIMILAR, source=items[3].pk)] == [items[2].pk]
    trending = _lists(run.version, Kind.TRENDING)
    assert trending[0][0] == items[0].pk and trending[0][2] == {"orders_recent": 5, "days": 30}
    assert items[6].pk not in [t for t, _, _ in trending]


def test_personal_picks_go_to_users_with_history_and_leave_out_what_they_bought(shop):
    items, alice = shop["items"], shop["alice"]
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    picks = [t for t, _, _ in _lists(run.version, Kind.FOR_YOU, user=alice.pk)]
    assert picks and picks[0] == items[3].pk
    assert not set(picks) & {items[0].pk, items[1].pk, items[2].pk}
    users = set(Recommendation.objects.filter(version_id=run.version, kind=Kind.FOR_YOU).values_list("user", flat=True))
    assert users == {alice.pk, shop["bob"].pk}  # the imported customer C-17 has no account


def test_a_personal_pick_names_the_past_purchase_most_bought_with_it(shop):
    items, alice = shop["items"], shop["alice"]
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    picks = {t: why for t, _, why in _lists(run.version, Kind.FOR_YOU, user=alice.pk)}
    # Alice bought the tea cup, saucer and teapot; only the teapot was ever ordered with the cake stand
    assert picks[items[3].pk] == {"because_of": [items[2].pk]}


def test_the_run_records_steps_timings_sizes_and_holdout_metrics(shop):
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert {"dataset", "fit:together", "lists:together", "fit:upgrade", "holdout", "write", "activate"} <= set(
        run.timings)
    assert all(t["seconds"] >= 0 and t["peak_mb"] > 0 for t in run.timings.values())
    assert run.data_sizes["orders"] == 8 and run.data_sizes["users"] == 2
    # The one holdout case is the latest order (4, 5, 0) with 0 hidden; 0 was bought with 4 or 5
    # in no other order, so a model that really never saw the hidden line cannot find it.
    assert run.metrics["cases"] == 1 and run.metrics["hr@10"] == 0.0
    # the published lists, plain and curated, are scored on the same case
    assert run.metrics["lists_hr@10"] == run.metrics["curated_hr@10"] == 0.0
    assert {"lists_ndcg@10", "curated_ndcg@10"} <= set(run.metrics)
    assert run.started_at <= run.finished_at


def test_a_failing_recommender_fails_the_run_and_the_previous_version_stays(shop, crosssell):
    served = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version
    crosssell(RECOMMENDERS={"boom": {"class": "tests.training.recommenders.Exploding"}})
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == Status.FAILED
    assert "exploded on purpose" in run.error
    assert ActiveVersion.objects.current_id() == served
    assert not RecommendationVersion.objects.filter(run=run, complete=True).exists()


def test_keeps_only_the_configured_number_of_versions(shop, crosssell):
    crosssell(KEEP_VERSIONS=2)
    versions = [retrain_in_process(trigger=TrainingRun.Trigger.COMMAND).version for _ in range(3)]
    assert list(RecommendationVersion.objects.order_by("pk").values_list("pk", flat=True)) == versions[1:]


def test_a_model_file_is_kept_for_each_published_recommender(shop, settings):
    from pathlib import Path

    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    folder = Path(settings.CROSSSELL["MODEL_DIR"]) / f"run-{run.pk}"
    assert sorted(p.name for p in folder.iterdir()) == ["model-together.npz", "model-upgrade.npz"]


def test_a_shop_without_orders_fails_with_a_message_that_says_so(crosssell):
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == Status.FAILED and "no orders" in run.error


def test_only_the_last_part_to_finish_triggers_the_publish(shop):
    run = TrainingRun.objects.create(status=Status.RUNNING)
    names = service.parts()
    assert [service.finish_part(run.pk, name) for name in names] == [False] * (len(names) - 1) + [True]
    assert service.finish_part(run.pk, names[-1]) is False  # a redelivered part


def test_requested_retrain_runs_through_the_tasks_and_publishes(shop, eager_celery,
                                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = request_retrain(trigger=TrainingRun.Trigger.ADMIN)
    run.refresh_from_db()
    assert run.status == Status.SUCCEEDED, run.error
    assert ActiveVersion.objects.current_id() == run.version
    assert run.task_id


def test_the_shipped_recommenders_train_and_publish_on_a_small_shop(shop, crosssell):
    crosssell(RECOMMENDERS={
        "hybrid": {"class": "crosssell_app.recommenders.Hybrid", "options": {"factors": 2}},
        # each product of this shop is a type of its own (cup, saucer, teapot...): no type rule here
        "upgrade": {"class": "crosssell_app.recommenders.upgrade.Upgrade",
                    "options": {"complement_min_orders": 99, "min_substitutability": 0.0, "same_type": False}},
    })
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert run.status == Status.SUCCEEDED, run.error
    kinds = set(Recommendation.objects.filter(version_id=run.version).values_list("kind", flat=True))
    assert kinds == {Kind.BOUGHT_TOGETHER, Kind.SIMILAR, Kind.FOR_YOU, Kind.UPGRADE, Kind.TRENDING}
    upgrade = Recommendation.objects.filter(version_id=run.version, kind=Kind.UPGRADE).first()
    assert upgrade.explanation["chosen_by"] >= 1 and "sentence" not in upgrade.explanation


def test_a_part_whose_worker_keeps_dying_fails_instead_of_being_redelivered_for_ever(shop):
    run = TrainingRun.objects.create(status=Status.RUNNING,
                                     progress={"attempts": {"together": service.MAX_PART_ATTEMPTS}})
    with pytest.raises(RuntimeError, match=f"started {service.MAX_PART_ATTEMPTS + 1} times"):
        service.fit_part(run.pk, "together")
