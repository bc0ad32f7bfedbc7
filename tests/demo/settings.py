"""The demo shop's settings for its tests: an in-memory SQLite database unless DATABASE_URL is set."""

import os

os.environ.setdefault("DEMO_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "var", "test"))

from demo_shop.settings import *  # noqa: E402,F401,F403

if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
