"""Simulated shoppers on the demo shop: do experiments see what is there, and only that?

Run from the repository root (SQLite in memory, a few minutes on two cores)::

    python -m bench.traffic aa          # A/A: both arms the same version; how often is a difference "significant"?
    python -m bench.traffic ab          # A/B: real lists against shuffled ones; is the difference found, with its sign?
    python -m bench.traffic feedback    # the next retrain with and without click feedback

The shop. The ``--products`` products most often ordered in the Online Retail export, its orders
before the last ``--test-weeks`` weeks imported as history (through the app's CSV import), and a
retrain (the shipped recommenders, in-process). Each order of the last weeks holding at least two
of those products is a shopper, and what it holds is what the shopper wants.

A shopper (:func:`visit`). They open the page of the first product they want; each other wanted
product they find by themselves (search, menus) with probability ``find``. On every page they
open, a wanted product among the widgets' picks is clicked with probability ``click`` (in the
bought-together box it is instead ticked and added with the box's button with probability
``bundle``), and an unwanted pick is clicked with probability ``stray`` (looked at, never bought).
A wanted product whose page is open goes into the cart with probability ``add``; a filled cart is
checked out unless abandoned (``abandon``). At most ``max_pages`` product pages each; one of each
product (quantity 1), at the shop's price. So a widget that shows what the shopper wants sells
what they would not have found, and a widget showing noise sells nothing.

Two ways to run shoppers, the same model in both:

* through the pages (:class:`PageShop`): every page, click, cart add and checkout is a request to
  the demo shop's real views through Django's test client, so impressions, clicks, attribution,
  experiment assignment and the experiment report are the app's own;
* from recorded pages (:class:`RecordedShop`): the picks each arm's product page showed are read
  once through the real views, then shoppers are replayed against that record in memory, and the
  per-visitor outcomes go through the report's own interval functions
  (:mod:`crosssell_app.experiments.stats`). This is what makes a hundred seeds affordable; a
  page-driven run shows that the two agree.
"""

from __future__ import annotations

import argparse
import html
import os
import random
import re
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

#: the widgets a product page shows, in page order
PRODUCT_WIDGETS = ("together", "upgrade")


# ---------------------------------------------------------------------------- the shopper (no Django)
@dataclass(frozen=True)
class Behaviour:
    """How a simulated shopper acts; each value a probability, except ``max_pages``."""

    find: float = 0.3  # each wanted product (after the first) is found without a widget
    click: float = 0.6  # a wanted product shown in a widget is clicked
    bundle: float = 0.3  # ... or, in the bought-together box, ticked and added with its button
    stray: float = 0.03  # an unwanted pick is clicked (looked at, never bought)
    add: float = 0.9  # a wanted product whose page is open is put in the cart
    abandon: float = 0.1  # a filled cart is left without checking out
    max_pages: int = 12


@dataclass
class Outcome:
    """What one shopper did, as the shopper counts it (the app's own records are checked against it)."""

    arm: str = ""
    renders: int = 0  # widgets shown with at least one pick
    clicks: int = 0
    bundle_adds: int = 0  # products added with the bought-together button
    cart: list = field(default_factory=list)
    from_widgets: set = field(default_factory=set)  # products that reached the cart through a widget
    ordered: bool = False
    revenue: Decimal = Decimal("0")


class Shop:
    """What a shopper can do; :class:`PageShop` does it through the real views, :class:`RecordedShop` in memory."""

    def open(self, product: int, via: tuple[str, int] | None) -> list[tuple[str, int]]:
        """Open ``product``'s page (``via``: the widget and source page of the click); return its picks in order."""
        raise NotImplementedError

    def add(self, product: int) -> None:
        raise NotImplementedError

    def add_bundle(self, source: int, products: Sequence[int]) -> None:
        raise NotImplementedError

    def checkout(self) -> Decimal:
        """Check the cart out; return the order's value."""
        raise NotImplementedError


def visit(want: Sequence[int], shop: Shop, rng: random.Random, behaviour: Behaviour = Behaviour()) -> Outcome:
    """Play one shopper who wants ``want`` (product ids, the first one's page is where they land)."""
    outcome = Outcome()
    wanted = set(want)
    queue: deque[tuple[int, tuple[str, int] | None]] = deque([(want[0], None)])
    queue.extend((product, None) for product in want[1:] if rng.random() < behaviour.find)
    seen: set[int] = set()
    cart: set[int] = set()
    while queue and len(seen) < behaviour.max_pages:
        product, via = queue.popleft()
        if product in seen:
            continue
        seen.add(product)
        if via is not None:
            outcome.clicks += 1
        picks = shop.open(product, via)
        outcome.renders += len({widget for widget, _ in picks})
        if product in wanted and product not in cart and rng.random() < behaviour.add:
            shop.add(product)
            cart.add(product)
            outcome.cart.append(product)
            if via is not None:
                outcome.from_widgets.add(product)
        bundle = []
        for widget, target in picks:
            if target in cart or target in seen or target in bundle:
                continue
            if target in wanted:
                if widget == "together" and rng.random() < behaviour.bundle:
                    bundle.append(target)
                elif rng.random() < behaviour.click:
                    queue.append((target, (widget, product)))
            elif rng.random() < behaviour.stray:
                queue.append((target, (widget, product)))
        if bundle:
            shop.add_bundle(product, bundle)
            cart.update(bundle)
            outcome.cart.extend(bundle)
            outcome.from_widgets.update(bundle)
            outcome.bundle_adds += len(bundle)
    if cart and rng.random() >= behaviour.abandon:
        outcome.revenue = shop.checkout()
        outcome.ordered = True
    return outcome


# ---------------------------------------------------------------------------- the data (pandas, no Django)
@dataclass
class Split:
    """The chosen products, the history before the cut and the shoppers after it."""

    codes: list[str]
    history: object  # the sales lines before the cut (a DataFrame in the Online Retail layout)
    shoppers: list[list[str]]  # each held-out order's wanted product codes, in line order
    cut: object


def split_orders(lines, *, products: int, test_weeks: int, max_want: int = 8) -> Split:
    """Return the ``products`` most ordered products, the orders before the cut and the shoppers after it.

    ``lines`` are cleaned Online Retail lines (``bench.data.load_online_retail``). A shopper is an
    order of the last ``test_weeks`` weeks with at least two chosen products; they want at most
    ``max_want`` of them, in the order's line order.
    """
    import pandas as pd

    cut = lines["date"].max() - pd.Timedelta(weeks=test_weeks)
    before = lines[lines["date"] < cut]
    codes = before.groupby("code")["order_id"].nunique().sort_values(ascending=False, kind="stable")
    chosen = sorted(codes.index[:products])
    keep = lines["code"].isin(chosen)
    history = lines[keep & (lines["date"] < cut)]
    shoppers = []
    for _, order in lines[keep & (lines["date"] >= cut)].groupby("order_id", sort=True):
        want = list(dict.fromkeys(order["code"]))[:max_want]
        if len(want) >= 2:
            shoppers.append(want)
    return Split(codes=chosen, history=history, shoppers=shoppers, cut=cut)


def shuffled_lists(lists: dict, products: Sequence[int], rng: random.Random) -> dict:
    """Return lists of the same lengths as ``lists`` (source -> targets) holding random other products."""
    shuffled = {}
    for source, targets in lists.items():
        others = [product for product in products if product != source]
        shuffled[source] = rng.sample(others, min(len(targets), len(others)))
    return shuffled


# ---------------------------------------------------------------------------- Django from here on
def setup_django(var_dir: Path) -> None:
    """Start Django on the demo shop's test settings (SQLite in memory) and create the tables."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.demo.settings")
    os.environ["DEMO_VAR_DIR"] = str(var_dir)
    import django
    from django.conf import settings

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    override_settings(
        DEBUG=False,
        # every impression recorded; no click limit (a shopper is one session); no heartbeat thread
        # during an in-process retrain (its own connection would see another, empty, in-memory database)
        CROSSSELL={**settings.CROSSSELL, "IMPRESSION_SAMPLE_RATE": 1.0, "CLICK_RATE_LIMIT": 0,
                   "MODEL_DIR": str(var_dir / "models"), "RETRAIN_HEARTBEAT_SECONDS": 24 * 3600},
        LOGGING_CONFIG=None,
    ).enable()
    call_command("migrate", verbosity=0)


def build_shop(split: Split, csv_path: Path) -> dict[str, int]:
    """Create the chosen products, import the history through the app's CSV import; return code -> pk."""
    from demo_shop.shop.catalogue_data import online_retail_path, products_from_export
    from demo_shop.shop.models import Category, Product

    from crosssell_app.tracking.importing import import_orders

    chosen = set(split.codes)
    rows = [row for row in products_from_export(online_retail_path()) if row.sku in chosen]
    categories = {name: Category.objects.get_or_create(name=name)[0] for name in sorted({r.category for r in rows})}
    Product.objects.bulk_create(
        Product(sku=r.sku, base_sku=r.base_sku, name=r.name[:200], description=r.description,
                category=categories[r.category], price=Decimal(str(r.price))) for r in rows)
    history = split.history.rename(columns={"order_id": "InvoiceNo", "code": "StockCode", "quantity": "Quantity",
                                            "price": "UnitPrice", "customer": "CustomerID"})
    history = history.assign(InvoiceDate=split.history["date"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    history[["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]].to_csv(
        csv_path, index=False)
    import_orders(csv_path)
    return dict(Product.objects.values_list("sku", "pk"))


def retrain() -> int:
    """Retrain in-process and return the published version's id."""
    from crosssell_app.models import TrainingRun
    from crosssell_app.training import retrain_in_process

    run = retrain_in_process(trigger=TrainingRun.Trigger.COMMAND)
    if run.status != TrainingRun.Status.SUCCEEDED:
        raise RuntimeError(f"the retrain failed: {run.error}")
    return run.version


def publish_shuffled(version: int, seed: int) -> int:
    """Publish (without activating) a copy of ``version`` whose every list holds random products instead."""
    from crosssell_app.models import Recommendation, RecommendationVersion

    rows = list(Recommendation.objects.filter(version_id=version).order_by("kind", "source", "user", "rank"))
    products = sorted({row.target_id for row in rows} | {row.source_id for row in rows if row.source_id})
    rng = random.Random(seed)
    copy = RecommendationVersion.objects.create(complete=False)
    lists: dict[tuple, list] = {}
    for row in rows:
        lists.setdefault((row.kind, row.source_id, row.user_id), []).append(row)
    fresh = []
    for (kind, source, user), members in lists.items():
        targets = shuffled_lists({source: members}, products, rng)[source]
        fresh += [Recommendation(version=copy, kind=kind, source_id=source, user_id=user, target_id=target,
                                 rank=row.rank, score=row.score, explanation={})
                  for row, target in zip(members, targets)]
    Recommendation.objects.bulk_create(fresh, batch_size=2000)
    RecommendationVersion.objects.filter(pk=copy.pk).update(complete=True, row_count=len(fresh))
    return copy.pk


# ---------------------------------------------------------------------------- shoppers through the pages
CLICK_LINK = re.compile(r'href="(/recommendations/click/(\w+)/(\d+)/[^"]*)"')
BUNDLE_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*data-bundle[^>]*>(.*?)</form>', re.S)
HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(\w[\w-]*)="([^"]*)"')


def page_picks(text: str) -> tuple[list[tuple[str, int]], dict[tuple[str, int], str]]:
    """Return a page's widget picks in page order, each once, and the link of each."""
    picks, links = [], {}
    for link, widget, target in CLICK_LINK.findall(text):
        key = (widget, int(target))
        if key not in links:
            links[key] = html.unescape(link)
            picks.append(key)
    return picks, links


def bundle_form(text: str) -> tuple[str, dict[str, str]] | None:
    """Return the bought-together box's form action and hidden fields (None when the page has none)."""
    match = BUNDLE_FORM.search(text)
    if match is None:
        return None
    hidden = {}
    for tag in HIDDEN_INPUT.findall(match.group(2)):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            hidden[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return html.unescape(match.group(1)), hidden


class PageShop(Shop):
    """A shopper's browser: one test client (one session), every action a request to the real views."""

    def __init__(self, visitor_key: str | None = None) -> None:
        from django.test import Client

        self.client = Client()
        self.links: dict[tuple[str, int], str] = {}
        self.forms: dict[int, tuple[str, dict[str, str]]] = {}
        if visitor_key is not None:  # a seeded visitor key, so assignment is reproducible
            from crosssell_app.experiments.assignment import VISITOR_SESSION_KEY

            session = self.client.session
            session[VISITOR_SESSION_KEY] = visitor_key
            session.save()

    def _get(self, url: str):
        response = self.client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    def open(self, product, via):
        if via is None:
            response = self._get(f"/products/{product}/")
        else:
            redirect = self.client.get(self.links[(via[0], product)])
            if redirect.status_code != 302:
                raise RuntimeError(f"the click on {via} -> {product} answered {redirect.status_code}")
            response = self._get(redirect["Location"])
        text = response.content.decode()
        picks, links = page_picks(text)
        self.links.update(links)
        form = bundle_form(text)
        if form is not None:
            self.forms[product] = form
        return picks

    def add(self, product):
        self.client.post("/cart/add/", {"product_id": product, "quantity": 1, "next": f"/products/{product}/"})

    def add_bundle(self, source, products):
        action, hidden = self.forms[source]
        self.client.post(action, {**hidden, "product_ids": [str(product) for product in products]})

    def checkout(self):
        from demo_shop.shop.models import ShopOrder

        self._get("/cart/")
        response = self.client.post("/checkout/", {"email": "shopper@example.com"})
        if response.status_code != 302:
            raise RuntimeError(f"checkout answered {response.status_code}")
        number = response["Location"].rstrip("/").rsplit("/", 1)[-1]
        order = ShopOrder.objects.prefetch_related("lines").get(number=number)
        return sum((line.quantity * line.unit_price for line in order.lines.all()), Decimal("0"))


class RecordedShop(Shop):
    """Replays shoppers against the picks each product page showed an arm, recorded through the real views."""

    def __init__(self, pages: dict[int, list[tuple[str, int]]], prices: dict[int, Decimal]) -> None:
        self.pages, self.prices, self.cart = pages, prices, []

    def open(self, product, via):
        return self.pages.get(product, [])

    def add(self, product):
        self.cart.append(product)

    def add_bundle(self, source, products):
        self.cart.extend(products)

    def checkout(self):
        return sum((self.prices[product] for product in self.cart), Decimal("0"))


def record_pages(products: Sequence[int], visitor_key: str) -> dict[int, list[tuple[str, int]]]:
    """Return the picks of every product page as the visitor with ``visitor_key`` sees them (real views)."""
    shop = PageShop(visitor_key)
    return {product: shop.open(product, None) for product in products}


# ---------------------------------------------------------------------------- experiments
@dataclass
class Simulation:
    """The built shop: product ids by code, prices, shoppers (wanted product ids) and the real version."""

    pks: dict[str, int]
    prices: dict[int, Decimal]
    shoppers: list[list[int]]
    version: int


def prepare(products: int, test_weeks: int, var_dir: Path) -> Simulation:
    """Start Django, build the shop from the Online Retail data and retrain; return the :class:`Simulation`."""
    setup_django(var_dir)
    from bench.data import load_online_retail
    from demo_shop.shop.models import Product

    split = split_orders(load_online_retail(), products=products, test_weeks=test_weeks)
    pks = build_shop(split, var_dir / "history.csv")
    prices = {pk: price for pk, price in Product.objects.values_list("pk", "price")}
    shoppers = [[pks[code] for code in want if code in pks] for want in split.shoppers]
    return Simulation(pks, prices, [want for want in shoppers if len(want) >= 2], retrain())


def start_experiment(name: str, arms: Sequence[tuple[str, int]]):
    """Stop any running experiment, then create and start one with a version arm per ``(name, version)``."""
    from crosssell_app.experiments import lifecycle
    from crosssell_app.experiments.models import Arm, Experiment

    for running in Experiment.objects.filter(status=Experiment.Status.RUNNING):
        lifecycle.stop(running)
    experiment = Experiment.objects.create(name=name)
    for arm_name, version in arms:
        Arm.objects.create(experiment=experiment, name=arm_name, kind=Arm.Kind.VERSION, version_id=version)
    return lifecycle.start(experiment)


def probe_key(experiment, arm_id: int) -> str:
    """Return a visitor key that ``experiment`` puts in arm ``arm_id``."""
    from crosssell_app.experiments.assignment import arm_for

    n = 0
    while arm_for(experiment, f"probe-{n}").pk != arm_id:
        n += 1
    return f"probe-{n}"


def sample_shoppers(simulation: Simulation, seed: int, n: int, pool: Sequence[int] | None = None) -> list[list[int]]:
    """Return ``n`` shoppers drawn with replacement (seeded) from the pool (default: all of them)."""
    pool = list(range(len(simulation.shoppers))) if pool is None else list(pool)
    rng = random.Random(f"shoppers:{seed}")
    return [simulation.shoppers[rng.choice(pool)] for _ in range(n)]


def run_shoppers(experiment, shoppers: Sequence[list[int]], seed: int, make_shop: Callable[[object, str], Shop],
                 behaviour: Behaviour = Behaviour()) -> list[Outcome]:
    """Play ``shoppers``, each as visitor ``"<seed>-<i>"`` with its own seeded choices, in the shop ``make_shop`` gives.

    ``make_shop(arm, key)`` returns the shop the visitor sees; the arm is the experiment's own
    assignment of the key, so page-driven and replayed runs of one seed put everyone alike.
    """
    from crosssell_app.experiments.assignment import arm_for

    outcomes = []
    for i, want in enumerate(shoppers):
        key = f"{seed}-{i}"
        arm = arm_for(experiment, key)
        outcome = visit(want, make_shop(arm, key), random.Random(f"{seed}:{i}"), behaviour)
        outcome.arm = arm.name
        outcomes.append(outcome)
    return outcomes


def page_driven(simulation: Simulation, experiment, shoppers, seed: int) -> tuple[list[Outcome], dict]:
    """Run ``shoppers`` through the real views and return their outcomes and the app's experiment report."""
    from crosssell_app.experiments.report import experiment_report

    outcomes = run_shoppers(experiment, shoppers, seed, lambda arm, key: PageShop(key))
    return outcomes, experiment_report(experiment)


def replayed(simulation: Simulation, experiment, pages: dict[int, dict], shoppers,
             seed: int) -> tuple[list[Outcome], dict]:
    """Replay ``shoppers`` against each arm's recorded pages; return outcomes and the report's figures for them."""
    outcomes = run_shoppers(experiment, shoppers, seed,
                            lambda arm, key: RecordedShop(pages[arm.pk], simulation.prices))
    return outcomes, figures_of(experiment, outcomes)


def figures_of(experiment, outcomes: Sequence[Outcome]) -> dict:
    """Return a report shaped like the app's (arms, differences to the first arm) computed from ``outcomes``.

    Per visitor exactly as :mod:`crosssell_app.experiments.report` counts: clicked, added with a
    widget, bought, spent; through the report's own figure and difference functions.
    """
    import numpy as np

    from crosssell_app.experiments import report

    arms = list(experiment.arms.order_by("pk"))
    samples = {}
    for arm in arms:
        mine = [outcome for outcome in outcomes if outcome.arm == arm.name]
        samples[arm.pk] = {
            "visitors": len(mine),
            "clicked": sum(1 for o in mine if o.clicks), "added": sum(1 for o in mine if o.bundle_adds),
            "bought": sum(1 for o in mine if o.ordered),
            "per_visitor": np.array([float(o.revenue) for o in mine]),
            "orders": np.array([float(o.revenue) for o in mine if o.ordered]),
            "clicks": sum(o.clicks for o in mine), "cart_adds": sum(o.bundle_adds for o in mine),
        }
    control = arms[0]
    lines = []
    for arm in arms:
        sample = samples[arm.pk]
        line = {"name": arm.name, "visitors": sample["visitors"],
                **{name: value.as_dict() for name, value in report.arm_figures(sample, 0.95).items()}, "difference": None}
        if arm.pk != control.pk:
            line["difference"] = {name: value.as_dict() for name, value
                                  in report.arm_differences(sample, samples[control.pk], 0.95).items()}
        lines.append(line)
    return {"arms": lines}


def verdicts(figures: dict) -> dict[str, int]:
    """Return, per metric, the sign of the second arm's significant difference to the first (0: none)."""
    difference = figures["arms"][1]["difference"]
    signs = {}
    for name, value in difference.items():
        low, high = value["low"], value["high"]
        signs[name] = 1 if low is not None and low > 0 else -1 if high is not None and high < 0 else 0
    return signs


def record_versions(simulation: Simulation, versions: Sequence[int]) -> dict[int, dict[int, list]]:
    """Return each version's product pages (picks per product) as a visitor of an arm serving it sees them.

    The pages are read through the real views under a short "recording" experiment (stopped
    after), so the probing visitors are counted in no experiment of the runs.
    """
    distinct = list(dict.fromkeys(versions))
    arms = [(f"v{version}", version) for version in distinct]
    if len(arms) == 1:
        arms.append((f"v{distinct[0]}-again", distinct[0]))
    experiment = start_experiment("recording", arms)
    products = sorted(simulation.prices)
    pages = {}
    for arm in experiment.arms.order_by("pk"):
        if arm.version_id not in pages:
            pages[arm.version_id] = record_pages(products, probe_key(experiment, arm.pk))
    return pages


METRICS = ("ctr", "cart_add_rate", "conversion", "aov", "revenue_per_visitor")


def compare(simulation: Simulation, arms: Sequence[tuple[str, int]], *, shoppers: int, page_runs: int, seeds: int,
            pool: Sequence[int] | None = None) -> dict:
    """Run ``page_runs`` page-driven and ``seeds`` replayed experiments of ``arms``; print and return the verdicts.

    Each run draws ``shoppers`` shoppers (seeded) and a fresh experiment. A page-driven run is
    replayed too, and the two reports' counts are printed side by side.
    """
    pages = record_versions(simulation, [version for _, version in arms])

    def by_arm(experiment) -> dict[int, dict]:
        return {arm.pk: pages[arm.version_id] for arm in experiment.arms.all()}

    page_verdicts, replay_verdicts = [], []
    print(f"\nPage-driven runs ({shoppers} shoppers each), the app's report beside the replay of the same shoppers:")
    print("| seed | arm | visitors (app / replay) | clicked | added | bought | revenue "
          "| significant differences (app) |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in range(page_runs):
        experiment = start_experiment(f"run {seed}", arms)
        drawn = sample_shoppers(simulation, seed, shoppers, pool)
        started = time.perf_counter()
        outcomes, app = page_driven(simulation, experiment, drawn, seed)
        seconds = time.perf_counter() - started
        _, replay = replayed(simulation, experiment, by_arm(experiment), drawn, seed)
        page_verdicts.append(verdicts(app))
        for line, again in zip(app["arms"], replay["arms"]):
            mine = [o for o in outcomes if o.arm == line["name"]]
            app_counts = (line["visitors"], _share(line["ctr"], line["visitors"]),
                          _share(line["cart_add_rate"], line["visitors"]), _share(line["conversion"], line["visitors"]),
                          round(line["revenue"], 2))
            replay_counts = (again["visitors"], sum(1 for o in mine if o.clicks), sum(1 for o in mine if o.bundle_adds),
                             sum(1 for o in mine if o.ordered), round(float(sum(o.revenue for o in mine)), 2))
            found = ", ".join(f"{name} {'+' if sign > 0 else '-'}" for name, sign in verdicts(app).items() if sign)
            cells = " | ".join(f"{a} / {b}" for a, b in zip(app_counts, replay_counts))
            print(f"| {seed} | {line['name']} | {cells} | {found if line['difference'] else ''} |")
        print(f"|  | ({seconds:.0f} s through the pages) |  |  |  |  |  |  |")
    experiment = start_experiment("replays", arms)
    pooled: dict[str, list[Outcome]] = {name: [] for name, _ in arms}
    for seed in range(1000, 1000 + seeds):
        outcomes, figures = replayed(simulation, experiment, by_arm(experiment),
                                     sample_shoppers(simulation, seed, shoppers, pool), seed)
        replay_verdicts.append(verdicts(figures))
        for outcome in outcomes:
            pooled[outcome.arm].append(outcome)
    if seeds:
        print(f"\nAll {seeds} replayed runs pooled, per arm:")
        print("| arm | visits | clicked | added with a widget | bought | revenue per visitor |")
        print("|---|---|---|---|---|---|")
        for name, mine in pooled.items():
            n = max(1, len(mine))
            print(f"| {name} | {len(mine)} | {sum(1 for o in mine if o.clicks) / n:.2%} | "
                  f"{sum(1 for o in mine if o.bundle_adds) / n:.2%} | {sum(1 for o in mine if o.ordered) / n:.2%} | "
                  f"{float(sum(o.revenue for o in mine)) / n:.3f} |")
    return {"page": page_verdicts, "replay": replay_verdicts}


def _share(estimate: dict, visitors: int) -> int | None:
    return None if estimate["value"] is None else round(estimate["value"] * visitors)


def summarise(verdicts_of_runs: Sequence[dict[str, int]], title: str) -> None:
    """Print, per metric, how many runs found a significant difference of each sign (with a 95 % interval)."""
    from crosssell_app.experiments.stats import proportion_interval

    n = len(verdicts_of_runs)
    if not n:
        return
    print(f"\n{title} ({n} runs):")
    print("| metric | significant, higher | significant, lower | any significant (95 % interval) |")
    print("|---|---|---|---|")
    for name in (*METRICS, "any"):
        if name == "any":
            signs = [1 if any(v.values()) else 0 for v in verdicts_of_runs]
            higher = sum(1 for v in verdicts_of_runs if 1 in v.values())
            lower = sum(1 for v in verdicts_of_runs if -1 in v.values())
        else:
            signs = [v[name] for v in verdicts_of_runs]
            higher, lower = signs.count(1), signs.count(-1)
        hits = sum(1 for sign in signs if sign)
        interval = proportion_interval(hits, n)
        print(f"| {name} | {higher} | {lower} | {hits}/{n} = {hits / n:.1%} "
              f"({interval.low:.1%} to {interval.high:.1%}) |")


# ---------------------------------------------------------------------------- feedback on and off
def feedback_versions(simulation: Simulation, traffic: Sequence[int], prior: float) -> tuple[int, int, dict]:
    """Send the ``traffic`` shoppers through the pages of the active version, then retrain without and with feedback.

    Returns the two versions and how many of their product lists' first three places differ.
    """
    from django.conf import settings
    from django.db.models import Count
    from django.test.utils import override_settings

    from crosssell_app.models import Kind, Recommendation, WidgetEvent

    for i, index in enumerate(traffic):
        visit(simulation.shoppers[index], PageShop(), random.Random(f"traffic:{i}"))
    events = dict(WidgetEvent.objects.values_list("event").annotate(n=Count("pk")).order_by())
    versions = {}
    for enabled in (False, True):
        with override_settings(CROSSSELL={**settings.CROSSSELL, "FEEDBACK_ENABLED": enabled,
                                          "FEEDBACK_PRIOR_IMPRESSIONS": prior}):
            versions[enabled] = retrain()
    changed = {}
    for kind in (Kind.BOUGHT_TOGETHER, Kind.UPGRADE):
        heads = []
        for version in (versions[False], versions[True]):
            rows = Recommendation.objects.filter(version_id=version, kind=kind, rank__lte=3).order_by("source", "rank")
            head: dict[int, list] = {}
            for source, target in rows.values_list("source", "target"):
                head.setdefault(source, []).append(target)
            heads.append(head)
        sources = set(heads[0]) | set(heads[1])
        changed[str(kind)] = (sum(1 for s in sources if heads[0].get(s) != heads[1].get(s)), len(sources))
    return versions[False], versions[True], {"events": events, "changed": changed}


# ---------------------------------------------------------------------------- command line
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("aa", "ab", "feedback"))
    parser.add_argument("--products", type=int, default=300, help="products of the shop (the most ordered)")
    parser.add_argument("--test-weeks", type=int, default=4, help="last weeks whose orders are the shoppers")
    parser.add_argument("--shoppers", type=int, default=600, help="shoppers per experiment run")
    parser.add_argument("--page-runs", type=int, default=3, help="runs through the real views")
    parser.add_argument("--seeds", type=int, default=200, help="runs replayed from the recorded pages")
    parser.add_argument("--prior", type=float, default=200, help="FEEDBACK_PRIOR_IMPRESSIONS of the feedback mode")
    parser.add_argument("--var-dir", default=None, help="working folder (default: a temporary one)")
    args = parser.parse_args(argv)
    var_dir = Path(args.var_dir or tempfile.mkdtemp(prefix="crosssell-traffic-"))
    started = time.perf_counter()
    simulation = prepare(args.products, args.test_weeks, var_dir)
    print(f"Shop: {len(simulation.prices)} products, {len(simulation.shoppers)} held-out shoppers, version "
          f"{simulation.version} ({time.perf_counter() - started:.0f} s to build and retrain)")
    if args.mode == "aa":
        arms = [("A", simulation.version), ("B", simulation.version)]
        result = compare(simulation, arms, shoppers=args.shoppers, page_runs=args.page_runs, seeds=args.seeds)
        title = "A/A, the same version in both arms: runs with a significant difference (false positives)"
    elif args.mode == "ab":
        arms = [("random", publish_shuffled(simulation.version, seed=1)), ("real", simulation.version)]
        result = compare(simulation, arms, shoppers=args.shoppers, page_runs=args.page_runs, seeds=args.seeds)
        title = "A/B, shuffled lists (first arm) against the real ones: runs that found the difference, by sign"
    else:
        half = len(simulation.shoppers) // 2
        off, on, facts = feedback_versions(simulation, range(half), args.prior)
        print(f"Traffic of {half} shoppers through the pages: events {facts['events']}; lists whose first three "
              f"places changed with feedback (prior {args.prior:g}): "
              + ", ".join(f"{kind} {n}/{total}" for kind, (n, total) in facts["changed"].items()))
        arms = [("feedback off", off), ("feedback on", on)]
        result = compare(simulation, arms, shoppers=args.shoppers, page_runs=args.page_runs, seeds=args.seeds,
                         pool=range(half, len(simulation.shoppers)))
        title = "Feedback off (first arm) against on, on the later shoppers: runs with a significant difference"
    summarise(result["page"], f"{title}; through the pages")
    summarise(result["replay"], f"{title}; replayed")
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main(sys.argv[1:])
