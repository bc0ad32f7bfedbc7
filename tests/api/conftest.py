import pytest
from rest_framework.test import APIClient

from crosssell_app import retraining
from crosssell_app.models import TrainingRun


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def fake_training(monkeypatch):
    """Stand in for ``crosssell_app.retraining.request_retrain`` (no real training) and record its calls."""
    calls = []

    def request_retrain(*, trigger, user):
        calls.append((trigger, user))
        return TrainingRun.objects.create(trigger=trigger, requested_by=user)

    monkeypatch.setattr(retraining, "request_retrain", request_retrain)
    return calls
