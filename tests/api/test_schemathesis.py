"""Property-based run of the whole API against its own OpenAPI schema.

No input makes it fail with a 5xx, and every answer is one the schema documents: its status
code, content type, headers and body.
"""

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from crosssell_app.models import Kind
from tests.factories import ItemFactory, UserFactory
from tests.serving.published import publish

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

#: the run is bounded by its example count; this only stops a hung run
TIMEOUT_SECONDS = 300
#: what every answer is checked for
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance")
#: the CLI installed beside this interpreter (a virtualenv need not be activated)
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_server_error_and_no_answer_the_schema_does_not_document(
        live_server, django_user_model, fake_training, tmp_path):
    """Every operation, as an admin (so writes and training runs are reached), with a handful of examples each.

    One worker: schemathesis imports parts of itself lazily, and several worker threads doing that
    at once in a fresh virtualenv crashed its own runner (seen with schemathesis 4.32).
    """
    if not SCHEMATHESIS.exists():
        pytest.fail(f"the schemathesis CLI is not installed at {SCHEMATHESIS} (pip install schemathesis)")
    mug, plate, cup = ItemFactory(), ItemFactory(), ItemFactory()
    shopper = UserFactory()
    publish({(Kind.BOUGHT_TOGETHER, mug): [plate, cup], (Kind.UPGRADE, mug): [cup],
             (Kind.FOR_YOU, shopper): [plate]}, trending=[cup])
    django_user_model.objects.create_superuser("robot", "robot@example.com", "robot")
    token = base64.b64encode(b"robot:robot").decode()
    result = subprocess.run(
        [str(SCHEMATHESIS), "run", live_server.url.replace("localhost", "127.0.0.1") + "/recommendations/api/schema/?format=json",
         "--checks", ",".join(CHECKS), "--max-examples", "8", "--seed", "1", "--no-shrink", "--workers", "1",
         "--header", f"Authorization: Basic {token}", "--request-timeout", "10",
         "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
