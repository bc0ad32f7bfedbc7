"""Settings of the Celery worker the real-stack tests start: the test settings plus per-test overrides.

The test passes ``CROSSSELL`` keys (recommenders, model folder, heartbeat) as JSON in
``CROSSSELL_TEST_OVERRIDES`` and the test database through ``CROSSSELL_TEST_POSTGRES_URL``.
"""

import json
import os

from tests.settings import *
from tests.settings import CROSSSELL

CROSSSELL = {**CROSSSELL, **json.loads(os.environ.get("CROSSSELL_TEST_OVERRIDES", "{}"))}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CROSSSELL_TEST_QUEUE", "celery")
