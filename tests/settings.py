"""Settings of the app's own test suite: a host shop (``tests.testapp``) unlike the demo.

The database is SQLite unless ``CROSSSELL_TEST_DB=postgres``; then it is the PostgreSQL server at
``CROSSSELL_TEST_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/test``).
"""

import os

import dj_database_url

SECRET_KEY = "tests-only"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "crosssell_app",
    "tests.testapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
STATIC_URL = "static/"

DB_KIND = os.environ.get("CROSSSELL_TEST_DB", "sqlite")
POSTGRES_URL = os.environ.get("CROSSSELL_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CROSSSELL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
if DB_KIND == "postgres":
    DATABASES = {"default": dj_database_url.parse(POSTGRES_URL)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

CROSSSELL_PRODUCT_MODEL = "testapp.Item"
CROSSSELL = {
    "PRODUCT_FIELDS": {
        "code": "code",
        "title": "title",
        "text": ["title", "blurb"],
        "category": "section__label",
        "price": "cost",
        "available": "on_sale",
        "image": None,
        "variant_group": "family",
    },
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
