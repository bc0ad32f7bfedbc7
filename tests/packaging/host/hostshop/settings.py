"""Settings of the host shop: SQLite in this folder, the API only when its extra is installed."""

from importlib.util import find_spec
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "host-shop-of-the-install-test"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
USE_TZ = True
ROOT_URLCONF = "hostshop.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

#: crosssell's API needs ``pip install "crosssell[api]"``; without it the shop runs on, API-less
API_INSTALLED = find_spec("rest_framework") is not None

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    *(["rest_framework", "drf_spectacular"] if API_INSTALLED else []),
    "crosssell_app",
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "shop.sqlite3"}}

# The defaults of CROSSSELL["PRODUCT_FIELDS"] (name, description, category, price) match shop.Product.
CROSSSELL_PRODUCT_MODEL = "shop.Product"

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
