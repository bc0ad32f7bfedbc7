"""Benchmark serving: template tag render times and API requests/s, each beside a trivial baseline.

Run from the repository root against PostgreSQL loaded with the Online Retail data::

    createdb -h 127.0.0.1 -U postgres crosssell_bench_serving
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/crosssell_bench_serving
    python manage.py migrate && python manage.py seed_demo && python manage.py crosssell_retrain --sync
    python -m bench.serving                          # add --stand-in-lists if the retrain cannot run

What it measures, in one run:

* each template tag rendered in-process (``--renders`` times, cycling over products that have
  lists), p50 and p99 in milliseconds, beside a baseline that renders the same number of products
  fetched with one query. Personal tags are rendered for signed-in customers with orders and a
  few fresh product views (cycling over ``CUSTOMERS`` of them), so their rows include reading the
  visitor's history; "(viewer)" is a visitor not signed in with views in the session;
* the same bought-together render with an experiment running and without, alternating
  (``--assignment-renders``): what assigning a visitor to an arm adds;
* requests/s of the recommendation endpoints under gunicorn (``--workers`` sync workers) driven by
  ``wrk``, beside the trivial DRF endpoint of ``bench/serving_urls.py`` that returns the same
  number of products from one query. Endpoints are measured in alternation, ``--rounds`` times,
  so that noise of a shared machine falls on both. "(customer)" rows send signed-in customers'
  session cookies, and so does their baseline.

``--stand-in-lists`` publishes lists computed here by plain co-purchase counting (see
:func:`publish_stand_in_lists`) when there is no active version yet; they have the shape and size
of the real ones, which is all serving cares about.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.serving_settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from crosssell_app.models import ActiveVersion, Kind, Recommendation, RecommendationVersion  # noqa: E402
from crosssell_app.products import get_adapter  # noqa: E402

TAGS = {
    "frequently_bought_together": ("{% frequently_bought_together product limit=3 %}", 3),
    "upgrade_to": ("{% upgrade_to product limit=3 %}", 3),
    "recommended_for_you": ("{% recommended_for_you limit=8 %}", 8),
    "complete_the_cart": ("{% complete_the_cart cart limit=4 %}", 4),
    "buy_it_again": ("{% buy_it_again limit=6 %}", 6),
    "recommended_for_you (viewer)": ("{% recommended_for_you limit=8 %}", 8),
    "complete_the_cart (anonymous)": ("{% complete_the_cart cart limit=4 %}", 4),
}
#: who renders each tag: a signed-in customer with orders and views (cycling over ``CUSTOMERS`` of
#: them) unless named here: a visitor not signed in, with a few product views in their session
#: ("viewer") or none ("anonymous")
VISITORS = {"recommended_for_you (viewer)": "viewer", "complete_the_cart (anonymous)": "anonymous"}
CUSTOMERS = 50
BASELINE_TEMPLATE = Template(
    "<ul>{% for p in products %}<li><a href=\"{{ p.get_absolute_url }}\">{{ p.name }}</a> {{ p.price }}</li>"
    "{% endfor %}</ul>"
)


# --- stand-in lists ---------------------------------------------------------------------------------
def publish_stand_in_lists(top_k: int = 20) -> int:
    """Publish together/upgrade/similar/trending/for-you lists from co-purchase counts; return the version id.

    A stand-in for ``crosssell_retrain`` in this benchmark only: bought-together is the top
    co-purchased products, upgrade the most bought products of the same category at 1.1-3x the
    price, similar the most bought of the same category, trending the most bought overall, and a
    user's picks the products most bought with what they bought.
    """
    with connection.cursor() as cursor, transaction.atomic():
        version = RecommendationVersion.objects.create(complete=False)
        v = version.pk
        cursor.execute("""
            WITH pairs AS (
                SELECT a.product_id AS source, b.product_id AS target, count(*) AS n
                FROM crosssell_app_orderline a JOIN crosssell_app_orderline b
                  ON a.order_id = b.order_id AND a.product_id <> b.product_id
                GROUP BY 1, 2 HAVING count(*) >= 2),
            ranked AS (SELECT *, row_number() OVER (PARTITION BY source ORDER BY n DESC, target) AS r FROM pairs)
            INSERT INTO crosssell_app_recommendation (version_id, kind, source_id, target_id, rank, score, explanation)
            SELECT %s, 'together', source, target, r, n, json_build_object('orders_together', n)
            FROM ranked WHERE r <= %s""", [v, top_k])
        cursor.execute("""
            WITH sales AS (SELECT product_id, count(*) AS n FROM crosssell_app_orderline GROUP BY 1),
            candidates AS (
                SELECT s.id AS source, t.id AS target, coalesce(sales.n, 0) AS n, t.price - s.price AS diff,
                       row_number() OVER (PARTITION BY s.id ORDER BY coalesce(sales.n, 0) DESC, t.id) AS r
                FROM shop_product s JOIN shop_product t
                  ON s.category_id = t.category_id AND t.price BETWEEN s.price * 1.1 AND s.price * 3
                LEFT JOIN sales ON sales.product_id = t.id)
            INSERT INTO crosssell_app_recommendation (version_id, kind, source_id, target_id, rank, score, explanation)
            SELECT %s, 'upgrade', source, target, r, n,
                   json_build_object('price_difference', diff, 'reason', 'Same range, a step up')
            FROM candidates WHERE r <= %s""", [v, top_k])
        cursor.execute("""
            WITH sales AS (SELECT product_id, count(*) AS n FROM crosssell_app_orderline GROUP BY 1),
            candidates AS (
                SELECT s.id AS source, t.id AS target, coalesce(sales.n, 0) AS n,
                       row_number() OVER (PARTITION BY s.id ORDER BY coalesce(sales.n, 0) DESC, t.id) AS r
                FROM shop_product s JOIN shop_product t ON s.category_id = t.category_id AND s.id <> t.id
                LEFT JOIN sales ON sales.product_id = t.id)
            INSERT INTO crosssell_app_recommendation (version_id, kind, source_id, target_id, rank, score, explanation)
            SELECT %s, 'similar', source, target, r, n, '{}'::jsonb FROM candidates WHERE r <= %s""", [v, top_k])
        cursor.execute("""
            INSERT INTO crosssell_app_recommendation (version_id, kind, target_id, rank, score, explanation)
            SELECT %s, 'trending', product_id, row_number() OVER (ORDER BY count(*) DESC, product_id), count(*), '{}'::jsonb
            FROM crosssell_app_orderline GROUP BY product_id ORDER BY count(*) DESC, product_id LIMIT 50""", [v])
        cursor.execute("""
            WITH bought AS (SELECT DISTINCT o.user_id, l.product_id FROM crosssell_app_order o
                            JOIN crosssell_app_orderline l ON l.order_id = o.id WHERE o.user_id IS NOT NULL),
            scored AS (SELECT b.user_id, r.target_id, sum(r.score) AS s FROM bought b
                       JOIN crosssell_app_recommendation r ON r.version_id = %s AND r.kind = 'together'
                        AND r.source_id = b.product_id GROUP BY 1, 2),
            ranked AS (SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY s DESC, target_id) AS r FROM scored)
            INSERT INTO crosssell_app_recommendation (version_id, kind, user_id, target_id, rank, score, explanation)
            SELECT %s, 'for_you', user_id, target_id, r, s, '{}'::jsonb FROM ranked WHERE r <= %s""", [v, v, top_k])
        version.row_count = Recommendation.objects.filter(version=version).count()
        version.complete = True
        version.save()
        ActiveVersion.objects.update_or_create(pk=1, defaults={"version": version})
    return v


# --- tag renders ------------------------------------------------------------------------------------
def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def time_renders(renders: int) -> list[tuple[str, int, float, float, float, float, float]]:
    """Return per tag: name, items, p50 and p99 of the tag, p50 and p99 of the one-query baseline,
    and the p99 of the work after the response (ms).

    Each render is one request, between ``request_started`` and ``request_finished`` as Django's
    handlers send them, so the sampled impressions are written where a live shop writes them:
    after the response, timed apart as "after the response" (most requests have none).
    """
    version = ActiveVersion.objects.get(pk=1).version_id
    sources = list(Recommendation.objects.filter(version_id=version, kind=Kind.UPGRADE, rank=3)
                   .filter(source__in=Recommendation.objects.filter(version_id=version, kind=Kind.BOUGHT_TOGETHER,
                                                                     rank=4).values("source"))
                   .values_list("source_id", flat=True)[:300])
    user_ids = list(Recommendation.objects.filter(version_id=version, kind=Kind.FOR_YOU, rank=8)
                    .values_list("user_id", flat=True)[:CUSTOMERS])
    model = get_adapter().model
    products = list(model.objects.filter(pk__in=sources))
    from django.contrib.auth import get_user_model

    from crosssell_app.models import ProductView

    customers = list(get_user_model().objects.filter(pk__in=user_ids)) or [AnonymousUser()]
    views = []
    for at, customer in enumerate(customers):  # each customer just viewed a few products too
        if customer.is_authenticated:
            views += ProductView.objects.bulk_create(ProductView(product=product, user=customer)
                                                     for product in products[at % len(products):][:3])
    viewers = []
    for at in range(CUSTOMERS):
        session = SessionStore()
        session.create()
        views += ProductView.objects.bulk_create(ProductView(product=product, session_key=session.session_key)
                                                 for product in products[at % len(products):][:4])
        viewers.append(session)
    results = []
    try:
        for name, (tag, items) in TAGS.items():
            results.append(_time_tag(name, tag, items, renders, products, customers, viewers, model))
    finally:
        ProductView.objects.filter(pk__in=[view.pk for view in views]).delete()
        for session in viewers:
            session.delete()
    return results


def _time_tag(name, tag, items, renders, products, customers, viewers, model) -> tuple:
    """Return the row of one tag for :func:`time_renders`."""
    visitor = VISITORS.get(name, "customer")
    template = Template("{% load crosssell_tags %}" + tag)
    timings, baseline, after = [], [], []
    warm_up = max(50, len(products))  # with caching on: every list cached once before timing
    for i in range(renders + warm_up):
        request = RequestFactory().get("/")
        if visitor == "customer":
            request.user, request.session = customers[i % len(customers)], SessionStore()
        else:
            request.user = AnonymousUser()
            request.session = viewers[i % len(viewers)] if visitor == "viewer" else SessionStore()
        product = products[i % len(products)]
        context = Context({"request": request, "product": product, "cart": products[i % len(products):][:3]})
        request_started.send(sender=None)
        started = time.perf_counter()
        html = template.render(context)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        request_finished.send(sender=None)
        after_elapsed = time.perf_counter() - started
        started = time.perf_counter()
        BASELINE_TEMPLATE.render(Context({"products": list(model.objects.order_by("pk")[i % 3000:i % 3000 + items])}))
        base_elapsed = time.perf_counter() - started
        if i >= warm_up:
            timings.append(elapsed)
            baseline.append(base_elapsed)
            after.append(after_elapsed)
        if i == 0 and not html.strip():
            raise SystemExit(f"{name} rendered nothing: are there published lists?")
    return (name, items, *percentiles(timings), *percentiles(baseline), percentiles(after)[1])


# --- experiment assignment ---------------------------------------------------------------------------
def time_assignment(renders: int, visitors: int = 200) -> list[tuple[str, float, float, float, float]]:
    """Return min, p50, p99 and the after-response p99 (ms) of ``frequently_bought_together`` without and with an
    experiment, and of the assignment step alone.

    Both arms of the experiment serve the active version, so the two renders read the same list
    and differ only by the assignment: the visitor's key from the session, the hash, noting the
    exposure (a visitor's first render queues their participant row, written after the response).
    ``visitors`` sessions are kept across renders, as returning shoppers' are; the renders with
    and without alternate, so the machine's noise falls on both alike. The assignment step is
    also timed by itself after each render with the experiment (a returning visitor's: their
    exposure is already noted), since on a busy machine the p99 of whole renders is mostly noise.
    Which of the pair goes first alternates too.
    """
    import math

    from crosssell_app.experiments import assignment, lifecycle
    from crosssell_app.models import Arm, Experiment, Participant
    from crosssell_app.serving.lists import serving_version

    version = ActiveVersion.objects.get(pk=1).version_id
    sources = list(Recommendation.objects.filter(version_id=version, kind=Kind.BOUGHT_TOGETHER, rank=3)
                   .values_list("source_id", flat=True)[:300])
    products = list(get_adapter().model.objects.filter(pk__in=sources))
    experiment = Experiment.objects.create(name="bench: assignment cost", widgets=["together"])
    for name in ("a", "b"):
        Arm.objects.create(experiment=experiment, name=name, kind=Arm.Kind.VERSION, version_id=version)
    lifecycle.start(experiment)
    running = assignment.running_experiments()
    assert running, "the bench's experiment is not running"
    sessions = [SessionStore() for _ in range(visitors)]
    template = Template("{% load crosssell_tags %}{% frequently_bought_together product limit=3 %}")
    samples: dict[str, tuple[list[float], list[float]]] = {"without": ([], []), "with": ([], [])}
    alone: list[float] = []
    try:
        for i in range(renders + 100):
            for label in (("without", "with") if i % 2 else ("with", "without")):  # neither always goes first
                assignment._running = assignment._Running(running if label == "with" else (), math.inf)
                request = RequestFactory().get("/")
                request.user, request.session = AnonymousUser(), sessions[i % visitors]
                context = Context({"request": request, "product": products[i % len(products)]})
                request_started.send(sender=None)
                started = time.perf_counter()
                template.render(context)
                elapsed = time.perf_counter() - started
                started = time.perf_counter()
                request_finished.send(sender=None)
                after = time.perf_counter() - started
                if i >= 100:
                    samples[label][0].append(elapsed)
                    samples[label][1].append(after)
                if label == "with" and i >= 100:  # the assignment step by itself, as the tag runs it
                    started = time.perf_counter()
                    with serving_version(assignment.arm_for_request(request, "together").version_id):
                        pass
                    alone.append(time.perf_counter() - started)
        participants = Participant.objects.filter(experiment=experiment).count()
    finally:
        assignment.forget_running_experiments()
        experiment.delete()
    print(f"participants written: {participants} of {visitors} visitors")
    return [*((label, min(times) * 1000, *percentiles(times), percentiles(after)[1])
              for label, (times, after) in samples.items()),
            ("assignment", min(alone) * 1000, *percentiles(alone), 0.0)]


# --- API under gunicorn and wrk ---------------------------------------------------------------------
LUA = """
paths = {%s}
cookies = {%s}
i = 0
request = function()
  i = i %% #paths + 1
  if #cookies > 0 then
    return wrk.format("GET", paths[i], {["Cookie"] = cookies[(i - 1) %% #cookies + 1]})
  end
  return wrk.format("GET", paths[i])
end
"""


def ensure_wrk() -> None:
    """Install Debian's ``wrk`` package when the command is missing (as root), or stop with what to do."""
    if shutil.which("wrk"):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise SystemExit("wrk is missing: install it (apt-get install -y wrk), or pass --skip-api")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("wrk is missing: installing it with apt-get", flush=True)
    # A stale package list is the usual reason an install fails: refresh it once, then retry.
    for command in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "wrk"]):
        subprocess.run(command, check=False, env=env, capture_output=True, timeout=900)
        if shutil.which("wrk"):
            return
    raise SystemExit("installing wrk with apt-get failed: install it by hand, or pass --skip-api")


def wrk_rps(port: int, paths: list[str], duration: int, connections: int, cookies: list[str] = ()) -> float:
    """Return requests/s of ``paths`` taken in turn; ``cookies`` (taken in turn too) sign the requests in."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % (", ".join(f'"{path}"' for path in paths), ", ".join(f'"{c}"' for c in cookies)))
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-s", script.name, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script.name)
    if "Non-2xx" in output:
        raise SystemExit(f"non-2xx answers during the run:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def customer_cookies(version: int, n: int = CUSTOMERS) -> list[str]:
    """Return ``sessionid=...`` cookies of signed-in sessions of up to ``n`` customers with personal picks."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model

    user_ids = Recommendation.objects.filter(version_id=version, kind=Kind.FOR_YOU, rank=8).values("user_id")[:n]
    cookies = []
    for user in get_user_model().objects.filter(pk__in=user_ids):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        cookies.append(f"sessionid={session.session_key}")
    if not cookies:
        raise SystemExit("no customer has personal picks: the signed-in rows need one")
    return cookies


def measure_api(args, cache_timeout: int) -> list[tuple[str, list[float], list[float]]]:
    version = ActiveVersion.objects.get(pk=1).version_id
    sources = list(Recommendation.objects.filter(version_id=version, kind=Kind.BOUGHT_TOGETHER, rank=10)
                   .filter(source__in=Recommendation.objects.filter(version_id=version, kind=Kind.UPGRADE, rank=10)
                           .values("source"))
                   .values_list("source_id", flat=True)[:200])
    limit = args.limit
    endpoints = {
        "products/{id}/together/": [f"/recommendations/api/products/{pk}/together/?limit={limit}" for pk in sources],
        "products/{id}/upgrades/": [f"/recommendations/api/products/{pk}/upgrades/?limit={limit}" for pk in sources],
        "for-you/ (anonymous: trending)": [f"/recommendations/api/for-you/?limit={limit}"],
        "for-you/ (customer)": [f"/recommendations/api/for-you/?limit={limit}"],
        "buy-again/ (customer)": [f"/recommendations/api/buy-again/?limit={limit}"],
    }
    # Signed-in rows send a customer's session cookie (cycling over customers with orders), and so
    # does their baseline: both pay for reading the session and the user.
    signed_in = {"for-you/ (customer)", "buy-again/ (customer)"}
    cookies = customer_cookies(version)
    baseline = [f"/bench/baseline/{offset}/?limit={limit}" for offset in range(0, 2000, 10)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.serving_settings", "BENCH_CACHE_TIMEOUT": str(cache_timeout)}
    # gunicorn of this interpreter, so the benchmark also runs without the virtualenv activated
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "demo_shop.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{args.port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        time.sleep(3)
        everything = baseline + [path for paths in endpoints.values() for path in paths]
        wrk_rps(args.port, everything, 5, args.connections)  # warm up (and fill the cache when it is on)
        rows = []
        for name, paths in endpoints.items():
            ours, base = [], []
            signing = cookies if name in signed_in else []
            for _ in range(args.rounds):
                ours.append(wrk_rps(args.port, paths, args.duration, args.connections, signing))
                base.append(wrk_rps(args.port, baseline, args.duration, args.connections, signing))
            rows.append((name, ours, base))
        return rows
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=2000, help="renders per tag")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating wrk runs per endpoint and baseline")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--limit", type=int, default=10, help="products per API response")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--stand-in-lists", action="store_true",
                        help="publish co-purchase lists first if no version is active (see publish_stand_in_lists)")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-tags", action="store_true", help="skip the tag renders (the first tables)")
    parser.add_argument("--assignment-renders", type=int, default=2000,
                        help="renders with and without a running experiment (0: skip)")
    args = parser.parse_args()

    active = ActiveVersion.objects.filter(pk=1, version__isnull=False).first()
    if active is None:
        if not args.stand_in_lists:
            raise SystemExit("No active version: run crosssell_retrain --sync, or pass --stand-in-lists.")
        started = time.perf_counter()
        version = publish_stand_in_lists()
        print(f"published stand-in lists as version {version} in {time.perf_counter() - started:.0f} s")
    from crosssell_app.conf import crosssell_settings

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics after the bulk loads, as autovacuum would give

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; products: "
          f"{get_adapter().model.objects.count()}; published rows: "
          f"{Recommendation.objects.filter(version_id=ActiveVersion.objects.get(pk=1).version_id).count()}; "
          f"IMPRESSION_SAMPLE_RATE={crosssell_settings.IMPRESSION_SAMPLE_RATE}; "
          f"CACHE_TIMEOUT={crosssell_settings.CACHE_TIMEOUT}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            page_cost = cursor.fetchone()[0]
        print(f"random_page_cost={page_cost}; server_side_binding="
              f"{bool(connection.settings_dict['OPTIONS'].get('server_side_binding'))}")
    from django.core.cache import cache
    from django.test import override_settings

    for timeout in (() if args.skip_tags else (0, 300)):
        cache.clear()
        print(f"\nTag renders ({args.renders} per tag, in-process, CACHE_TIMEOUT={timeout}), milliseconds")
        print(f"{'tag':30} {'items':>5} {'p50':>7} {'p99':>7} {'baseline p50':>13} {'baseline p99':>13}"
              f" {'after response p99':>19}")
        with override_settings(CROSSSELL={**crosssell_settings.user_settings, "CACHE_TIMEOUT": timeout}):
            for name, items, p50, p99, b50, b99, a99 in time_renders(args.renders):
                print(f"{name:30} {items:5d} {p50:7.2f} {p99:7.2f} {b50:13.2f} {b99:13.2f} {a99:19.2f}")
    if args.assignment_renders:
        print(f"\nExperiment assignment: frequently_bought_together, {args.assignment_renders} renders each, "
              f"alternating, CACHE_TIMEOUT={crosssell_settings.CACHE_TIMEOUT}, milliseconds")
        rows = time_assignment(args.assignment_renders)
        print(f"{'experiment':12} {'min':>7} {'p50':>7} {'p99':>7} {'after response p99':>19}")
        for label, low, p50, p99, a99 in rows[:2]:
            print(f"{label:12} {low:7.3f} {p50:7.3f} {p99:7.3f} {a99:19.3f}")
        print(f"{'difference':12} {rows[1][1] - rows[0][1]:7.3f} {rows[1][2] - rows[0][2]:7.3f} "
              f"{rows[1][3] - rows[0][3]:7.3f}")
        print(f"{'assignment':12} {rows[2][1]:7.3f} {rows[2][2]:7.3f} {rows[2][3]:7.3f}"
              "   (the step alone: key, hash, version)")
    if args.skip_api:
        return
    ensure_wrk()
    for timeout in (0, 300):
        cache.clear()
        print(f"\nAPI under gunicorn ({args.workers} sync workers, CACHE_TIMEOUT={timeout}), wrk -t2 "
              f"-c{args.connections} -d{args.duration}s, {args.limit} products per response, requests/s")
        print(f"{'endpoint':32} {'rounds':>18} {'baseline rounds':>18} {'mean':>8} {'baseline':>8} {'ratio':>6}")
        for name, ours, base in measure_api(args, timeout):
            mean, base_mean = statistics.mean(ours), statistics.mean(base)
            print(f"{name:32} {' / '.join(f'{x:.0f}' for x in ours):>18} {' / '.join(f'{x:.0f}' for x in base):>18} "
                  f"{mean:8.0f} {base_mean:8.0f} {mean / base_mean:6.2f}")


if __name__ == "__main__":
    main()
