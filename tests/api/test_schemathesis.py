"""Property-based run of the whole API against its own OpenAPI schema: no input makes it fail with a 5xx."""

import base64
import shutil
import subprocess
import time

import pytest

from crosssell_app.models import Kind
from tests.factories import ItemFactory, UserFactory
from tests.serving.published import publish

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BUDGET_SECONDS = 60


def test_schemathesis_finds_no_server_error(live_server, django_user_model, fake_training, tmp_path):
    """Every operation, as an admin (so writes and training runs are reached), with a handful of examples each."""
    if shutil.which("schemathesis") is None:
        pytest.fail("the schemathesis CLI is not installed (pip install schemathesis)")
    mug, plate, cup = ItemFactory(), ItemFactory(), ItemFactory()
    shopper = UserFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup], (Kind.UPGRADE, mug): [cup],
             (Kind.FOR_YOU, shopper): [plate]}, trending=[cup])
    django_user_model.objects.create_superuser("robot", "robot@example.com", "robot")
    token = base64.b64encode(b"robot:robot").decode()
    started = time.monotonic()
    result = subprocess.run(
        ["schemathesis", "run", live_server.url.replace("localhost", "127.0.0.1") + "/recommendations/api/schema/?format=json",
         "--checks", "not_a_server_error", "--max-examples", "8", "--seed", "1", "--no-shrink", "--workers", "4",
         "--header", f"Authorization: Basic {token}", "--request-timeout", "10",
         "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=BUDGET_SECONDS * 2,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert elapsed < BUDGET_SECONDS, f"schemathesis took {elapsed:.0f} s"
