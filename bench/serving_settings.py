"""Settings of the serving benchmark: the demo shop in production mode plus a baseline endpoint.

``DATABASE_URL`` must name the PostgreSQL database the data was loaded into.
"""

import os

from demo_shop.settings import *  # noqa: F401,F403
from demo_shop.settings import DATABASES

DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "bench.serving_urls"
DATABASES["default"]["CONN_MAX_AGE"] = 600
if os.environ.get("BENCH_SERVER_SIDE_BINDING") == "1":
    # psycopg binds parameters on the server and prepares a query it has run five times, so the
    # planner runs once per query shape per connection (Django's ``server_side_binding`` option).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
LOGGING = {"version": 1, "disable_existing_loggers": False}

# The cached variant (``BENCH_CACHE_TIMEOUT`` > 0) keeps widget lists in Redis, as a production
# shop with several web processes would.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")}}
CROSSSELL = {**CROSSSELL, "CACHE_TIMEOUT": int(os.environ.get("BENCH_CACHE_TIMEOUT", "0"))}  # noqa: F405
