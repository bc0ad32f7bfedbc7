"""Settings of the demo shop.

Embedded default: SQLite in ``var/demo.sqlite3`` and Celery tasks run eagerly in the web process.
Production: set ``DATABASE_URL`` (e.g. ``postgres://user@127.0.0.1:5432/shop``) and
``CELERY_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``), then run a Celery worker and beat.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-shop-not-secret-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    # The shop before the app, so its templates/crosssell_app/widgets/ override the app's widgets.
    "demo_shop.shop",
    "crosssell_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo_shop.urls"
WSGI_APPLICATION = "demo_shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "demo_shop.shop.context_processors.cart",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'demo.sqlite3'}", conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0"))
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
LOGIN_URL = "shop:login"
LOGIN_REDIRECT_URL = "shop:home"
LOGOUT_REDIRECT_URL = "shop:home"

# --- crosssell -------------------------------------------------------------------------------
CROSSSELL_PRODUCT_MODEL = "shop.Product"
CROSSSELL = {
    "PRODUCT_FIELDS": {
        "code": "sku",
        "title": "name",
        "text": ["name", "description"],
        "category": "category__name",
        "price": "price",
        "available": "in_stock",
        "image": None,
        "variant_group": "base_sku",
    },
    "ADD_TO_CART_URL": "shop:cart_add_many",
    "MODEL_DIR": str(VAR_DIR / "models"),
    # the demo's categories are guessed from the titles' words (shop/categories.py): too broad to
    # tell a shopper why two products go together (docs/shopper_sample.md)
    "TOGETHER_LINK_BY_CATEGORY": False,
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The nightly retrain (CROSSSELL["RETRAIN_SCHEDULE"]) and the stale-run reaper.
from crosssell_app.schedules import beat_schedule  # noqa: E402

CELERY_BEAT_SCHEDULE = beat_schedule(CROSSSELL)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "crosssell API",
    "DESCRIPTION": "Cross-sell and up-sell recommendations, tracking and retraining.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"crosssell_app": {"handlers": ["console"], "level": os.environ.get("CROSSSELL_LOG_LEVEL", "INFO")}},
}
