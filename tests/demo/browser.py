"""Headless Chromium for the demo shop's browser tests: one browser per test session.

The fixtures are imported by ``tests/demo/conftest.py`` only, so every browser test module shares
the one session-scoped browser: a second Playwright sync session on the same thread would fail
("Sync API inside the asyncio loop").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artefacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
INSTALL_HINT = "as root: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium"
#: generous for a shared two-core machine; a page of the demo renders in well under a second
TIMEOUT_MS = 30_000


def _unavailable(message: str) -> None:
    """Fail under CI (the browser tests must run there), skip elsewhere with what to run."""
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Return Debian's Chromium, installing the package first when it is missing.

    Playwright's own browser download does not work on the machines this runs on, so the tests
    drive the distribution's build instead.
    """
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        _unavailable(f"{CHROMIUM} is missing and cannot be installed from here; run {INSTALL_HINT}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "chromium"]
    done = subprocess.run(install, check=False, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:  # a stale package list is the usual cause: refresh it once
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, capture_output=True, text=True, timeout=600)
        done = subprocess.run(install, check=False, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 or not CHROMIUM.exists():
        _unavailable(f"Installing chromium failed ({done.stderr.strip()[-500:]}); run {INSTALL_HINT}")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium):
    """A headless Chromium for the session, driven through Playwright's sync API.

    The sync API keeps an asyncio loop on this thread, which makes Django refuse ORM calls from
    the test ("async context"); the tests only call the ORM between browser steps, never inside
    a coroutine, so Django's guard is lifted for the session.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # launch() gives every run a fresh, empty profile directory.
            instance = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, live_server):
    """Return a function that opens a page in a new browser context (own cookies: own cart, own login).

    JavaScript errors on any page fail the test.
    """
    contexts, errors = [], []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda error: errors.append(f"{tab.url}: {error}"))
        return tab

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def screenshot(page, name: str) -> Path:
    """Save the whole page as ``artefacts/screenshots/<name>.png``, for a person to judge the look."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
