"""A forget that lands while a retrain runs wins: no publish brings the forgotten user's list back.

The retrain reads its data once (the dataset snapshot) and publishes minutes or hours later; a
user forgotten in between is still in the snapshot. These tests forget at the worst moments:
while a model fits, and after the rows are written but before the switch.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crosssell_app.models import ActiveVersion, Kind, Recommendation, Tombstone, TrainingRun
from crosssell_app.tracking.recording import forget_user
from crosssell_app.training import publishing, retrain_in_process, service

pytestmark = pytest.mark.django_db


def _personal_users(version: int) -> set:
    return set(Recommendation.objects.filter(version_id=version, kind=Kind.FOR_YOU).values_list("user_id", flat=True))


@pytest.fixture
def forget_while_fitting(monkeypatch):
    """Return ``arrange(user)``: the first model fit of the next retrain forgets ``user`` first."""

    def arrange(user) -> list:
        fits = []
        fit_model = service.fit_model

        def fit_after_forgetting(spec, dataset, folder):
            if not fits:
                forget_user(user)
            fits.append(spec.name)
            return fit_model(spec, dataset, folder)

        monkeypatch.setattr(service, "fit_model", fit_after_forgetting)
        return fits

    return arrange


def test_a_user_forgotten_while_a_retrain_fits_gets_no_personal_list_from_it(shop, forget_while_fitting):
    alice, bob = shop["alice"], shop["bob"]
    fits = forget_while_fitting(alice)
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert fits and run.status == TrainingRun.Status.SUCCEEDED, run.error
    assert _personal_users(run.version) == {bob.pk}  # the snapshot still held alice's orders
    assert not Recommendation.objects.filter(user=alice).exists()


def test_rows_of_a_user_forgotten_after_they_were_written_are_dropped_by_the_switch(shop):
    """The forget deleted the user's rows before the writer committed these: the switch drops them."""
    alice, bob, items = shop["alice"], shop["bob"], shop["items"]
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, started_at=timezone.now())
    version = publishing.create_version(run)
    rows = [publishing.Row(Kind.FOR_YOU, None, user.pk, items[3].pk, 1, 1.0, {}) for user in (alice, bob)]
    publishing.write_rows(version, rows)
    Tombstone.objects.create(user_id=alice.pk)
    assert publishing.activate(version, run)
    assert ActiveVersion.objects.current_id() == version.pk
    assert _personal_users(version.pk) == {bob.pk}
    version.refresh_from_db()
    assert version.row_count == 1


def test_the_writer_leaves_out_users_already_forgotten(shop):
    alice, bob, items = shop["alice"], shop["bob"], shop["items"]
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, started_at=timezone.now())
    version = publishing.create_version(run)
    Tombstone.objects.create(user_id=alice.pk)
    rows = [publishing.Row(Kind.FOR_YOU, None, user.pk, items[3].pk, 1, 1.0, {}) for user in (alice, bob)]
    assert publishing.write_rows(version, rows) == 1
    assert _personal_users(version.pk) == {bob.pk}


def test_a_user_forgotten_long_before_the_retrain_read_its_data_gets_lists_from_what_they_did_since(shop):
    """The forget deleted their history then; what the snapshot holds of them is newer, so it counts."""
    alice = shop["alice"]
    long_ago = timezone.now() - publishing.FORGET_MARGIN - timedelta(minutes=1)
    Tombstone.objects.create(user_id=alice.pk, forgotten_at=long_ago)
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert alice.pk in _personal_users(run.version)


def test_a_user_forgotten_just_before_the_retrain_started_is_still_left_out(shop):
    """Within the margin the forget may not have committed when the snapshot was read: it wins."""
    alice = shop["alice"]
    Tombstone.objects.create(user_id=alice.pk, forgotten_at=timezone.now() - publishing.FORGET_MARGIN / 2)
    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    assert alice.pk not in _personal_users(run.version)
