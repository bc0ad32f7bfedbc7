"""The built package, installed into a fresh virtualenv as the README says, runs a host's shop.

Nothing of this checkout is on the path of the shop: the wheel is built from a copy of the
source, installed with ``pip install`` alone (no test requirements), and a small host project
(``host/``, copied to a temporary folder) uses it on its own SQLite file, in its own processes.
Once without the ``api`` extra (pages, tags and the click redirect work; the API is absent) and
once with it (a retrain publishes a version and the API serves it). Both generate the same shop
and retrain it with ``crosssell_retrain --sync``.

``CROSSSELL_PACKAGE_SRC=/path/to/another/checkout`` builds that checkout's package instead, to
show what an older tree did.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SOURCE = Path(os.environ.get("CROSSSELL_PACKAGE_SRC") or Path(__file__).resolve().parents[2])
HOST = Path(__file__).resolve().parent / "host"

#: what the test process's environment must not hand to the shop (it would point at this checkout)
NOT_INHERITED = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CELERY_BROKER_URL")


def run(command: list, cwd: Path | None = None) -> str:
    """Run ``command`` without this process's Django or virtualenv settings; return its output.

    The output is printed with the step's wall time; a failure shows all of it.
    """
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env["PYTHONNOUSERSITE"] = "1"
    started = time.monotonic()
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True)
    print(f"[{time.monotonic() - started:6.1f}s] {' '.join(str(part) for part in command[1:])}")
    if done.returncode != 0:
        pytest.fail(f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}",
                    pytrace=False)
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package's wheel, built from a copy of the source (a build writes into its tree)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "source"
    source.mkdir()
    for path in SOURCE.iterdir():
        if path.is_file():
            shutil.copy2(path, source)
    shutil.copytree(SOURCE / "crosssell_app", source / "crosssell_app",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", work / "dist", source])
    (built,) = (work / "dist").glob("crosssell-*.whl")
    return built


def shop_installed_with(requirement: str, folder: Path) -> tuple[Path, Path]:
    """Return ``(python, host folder)``: a new virtualenv holding ``requirement``, and the host beside it."""
    run([sys.executable, "-m", "venv", folder / "venv"])
    python = folder / "venv" / "bin" / "python"
    # --no-compile: byte-compiling scipy, pandas and scikit-learn would triple the install time
    run([python, "-m", "pip", "install", "--quiet", "--no-compile", requirement])
    host = folder / "host"
    shutil.copytree(HOST, host, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return python, host


def generated_and_retrained(python: Path, host: Path) -> dict:
    """Check, migrate, generate the shop, retrain it; return what ``host/probe.py`` sees."""
    run([python, "manage.py", "check", "--fail-level", "WARNING"], cwd=host)
    run([python, "manage.py", "makemigrations", "--check", "--dry-run"], cwd=host)
    run([python, "manage.py", "migrate", "--noinput"], cwd=host)
    run([python, "manage.py", "generate_shop", "--seed", "14"], cwd=host)
    run([python, "manage.py", "crosssell_retrain", "--sync"], cwd=host)
    seen = json.loads(run([python, "probe.py"], cwd=host))
    print(json.dumps({key: value for key, value in seen.items() if key != "api_body"}, indent=1))
    assert Path(seen["app_file"]).is_relative_to(python.parent.parent), "the app must come from the virtualenv"
    return seen


def test_without_the_api_extra_the_shop_retrains_and_shows_picks_and_the_api_is_absent(wheel, tmp_path):
    python, host = shop_installed_with(str(wheel), tmp_path)
    seen = generated_and_retrained(python, host)

    assert not seen["api_extra_installed"]
    assert seen["active_version"] is not None
    assert seen["widget_shown"] and seen["click_links"], "the bought-together tag showed no picks on any page"
    assert seen["click_status"] == 302
    assert seen["click_location"].startswith("/products/") and "cs=" in seen["click_location"]
    assert seen["api_status"] == 404


def test_with_the_api_extra_a_retrain_publishes_a_version_that_the_api_serves(wheel, tmp_path):
    python, host = shop_installed_with(f"{wheel}[api]", tmp_path)
    seen = generated_and_retrained(python, host)

    assert seen["api_extra_installed"]
    assert seen["active_version"] is not None
    assert seen["recommendations"] > 0
    assert seen["api_status"] == 200, seen["api_body"]
    together = json.loads(seen["api_body"])
    assert together["version"] == seen["active_version"]
    assert together["results"], "the API's bought-together list is empty"
