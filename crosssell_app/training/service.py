"""The retrain, step by step: snapshot the data, fit each recommender, evaluate, publish.

Each step is a function of a run id, so the same code runs in-process (``crosssell_retrain
--sync``, :func:`retrain_in_process`) and as Celery tasks on any number of workers
(:mod:`crosssell_app.tasks`): one task prepares the dataset, one task per recommender (plus one
for the holdout evaluation) fits and computes that model's lists, and the last part to finish
triggers the publish. Steps record their progress, wall time and peak memory on the run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from .. import retraining
from ..conf import crosssell_settings
from ..evaluation.metrics import hit_rate, ndcg
from ..evaluation.protocol import rank_cases
from ..evaluation.resources import peak_rss_during
from ..explanations import keep_known
from ..models import ActiveVersion, Kind, RecommendationVersion, TrainingRun
from ..recommenders.base import CUSTOMERS, ITEMS, VIEWS, Recommender, binary_matrix
from ..recommenders.holdout import hide_one
from . import curation, feedback, files, personal, publishing, runs
from .dataset import Dataset, build_dataset

logger = logging.getLogger(__name__)

HOLDOUT = "holdout"
#: share of the latest orders whose last item the holdout hides, and the most cases scored
HOLDOUT_SHARE = 0.1
HOLDOUT_MAX_CASES = 2000
HOLDOUT_K = 10
TRENDING_DAYS = 30
#: starts of one part (redeliveries and retries included) before the run is failed
MAX_PART_ATTEMPTS = 8
#: kinds of list a recommender can fill (trending is the service's own)
LIST_KINDS = (Kind.BOUGHT_TOGETHER, Kind.SIMILAR, Kind.UPGRADE, Kind.FOR_YOU)


@dataclass(frozen=True)
class Spec:
    """One enabled recommender: its settings name, class, constructor options and kinds."""

    name: str
    cls: type
    options: dict
    kinds: tuple[str, ...]

    def build(self) -> Any:
        return self.cls(**self.options)

    def fit(self, orders: sp.spmatrix, inputs: dict[str, Any]) -> Any:
        """Return a new model fitted on ``orders`` and the optional ``inputs`` its class ``accepts``."""
        accepted = {name: value for name, value in inputs.items() if name in self.cls.accepts}
        return self.build().fit(orders, **accepted)


def recommender_specs() -> list[Spec]:
    """Return the enabled recommenders of ``RECOMMENDERS``, each kind owned by the first that lists it.

    The settings module has imported each entry's class and dropped disabled entries. The kinds
    are the entry's ``kinds`` when it names them, else what the class declares it ``publishes``.
    The recommender that publishes upgrades gets ``UPGRADE_PRICE_BAND`` as its price ratios,
    unless its own ``options`` set them.
    """
    specs, owned = [], set()
    for name, entry in crosssell_settings.RECOMMENDERS.items():
        setting = f"CROSSSELL['RECOMMENDERS'][{name!r}]"
        cls = entry["class"]
        if not (isinstance(cls, type) and issubclass(cls, Recommender)):
            raise ImproperlyConfigured(f"{setting}['class']: {cls!r} is not a subclass of "
                                       "crosssell_app.recommenders.Recommender (which declares what it publishes)")
        kinds = tuple(str(kind) for kind in (entry.get("kinds") or cls.publishes))
        unknown = sorted(set(kinds) - set(LIST_KINDS))
        if unknown:
            raise ImproperlyConfigured(f"{setting}['kinds']: unknown kinds {unknown}; "
                                       f"a recommender fills {[str(kind) for kind in LIST_KINDS]}")
        mine = tuple(kind for kind in kinds if kind not in owned)
        if not mine:
            # it would be fitted on every retrain and thrown away: say so instead
            raise ImproperlyConfigured(
                f"{setting}: publishes nothing, because every kind it fills {list(kinds)} is published by an "
                "entry listed before it; give the entries 'kinds' lists that share the kinds out, or remove it")
        owned.update(mine)
        options = dict(entry["options"])
        if Kind.UPGRADE in mine:
            options = {**_price_band_options(cls), **options}
        specs.append(Spec(name, cls, options, mine))
    return specs


def _price_band_options(cls: type) -> dict[str, float]:
    """Return ``UPGRADE_PRICE_BAND`` as ``cls``'s price-ratio arguments, if it has them."""
    low, high = crosssell_settings.UPGRADE_PRICE_BAND
    if not {"min_price_ratio", "max_price_ratio"} <= set(cls().get_params(deep=False)):
        return {}
    return {"min_price_ratio": low, "max_price_ratio": high}


def parts() -> list[str]:
    """Return the names of the parallel parts of a run: one per recommender, then the holdout."""
    return [spec.name for spec in recommender_specs()] + [HOLDOUT]


# ---------------------------------------------------------------------------- step bookkeeping
def measured(run_id: int, step: str, function: Callable[[], Any]) -> Any:
    """Run ``function`` as step ``step`` of the run: record it as current, then its time and peak memory."""
    runs.update_json(run_id, "progress", step, {"done": 0, "total": 1}, current_step=step)
    with runs.heartbeat(run_id):
        result, seconds, peak_mb = peak_rss_during(function)
    runs.update_json(run_id, "timings", step, {"seconds": round(seconds, 3), "peak_mb": round(peak_mb, 1)})
    runs.update_json(run_id, "progress", step, {"done": 1, "total": 1})
    return result


def _require_running(run_id: int) -> None:
    if not runs.is_running(run_id):
        raise RunEnded(run_id)


class RunEnded(Exception):
    """The run was failed (by another part or the reaper) or already finished: stop quietly."""


# ---------------------------------------------------------------------------- steps
def prepare(run_id: int) -> list[str]:
    """Snapshot the shop's data for the run and return the parts to fit."""
    _require_running(run_id)

    def step() -> Dataset:
        dataset = build_dataset()
        with files.atomic_path(files.run_dir(run_id, create=True) / files.DATASET) as path:
            dataset.save(path)
        feedback.save_corrections(files.run_dir(run_id), dataset.index)  # clicks and impressions, when enabled
        return dataset

    dataset = measured(run_id, "dataset", step)
    TrainingRun.objects.filter(pk=run_id).update(data_sizes=dataset.sizes())
    if dataset.orders.nnz == 0:
        raise ValueError("There are no orders to learn from; import history or record orders first.")
    return parts()


def load_dataset(run_id: int) -> Dataset:
    return Dataset.load(files.run_dir(run_id) / files.DATASET)


def fit_part(run_id: int, part: str) -> bool:
    """Fit one part (a recommender, or the holdout evaluation); return True if it was the last one.

    Parts are counted as they start: a part whose worker keeps dying (redelivered after each
    death) would otherwise loop for ever, heartbeat and all, so the reaper never sees it.
    """
    _require_running(run_id)
    attempts = runs.count_attempt(run_id, part)
    if attempts > MAX_PART_ATTEMPTS:
        raise RuntimeError(f"Part {part!r} was started {attempts} times without finishing (its worker died each "
                           "time; out of memory?). Giving up; the previous version stays active.")
    dataset = load_dataset(run_id)
    if part == HOLDOUT:
        metrics = measured(run_id, "holdout", lambda: evaluate(dataset))
        TrainingRun.objects.filter(pk=run_id).update(metrics=metrics)
    else:
        spec = next((s for s in recommender_specs() if s.name == part), None)
        if spec is None:
            raise ValueError(f"Recommender {part!r} is not in the RECOMMENDERS setting any more.")
        model = measured(run_id, f"fit:{part}", lambda: fit_model(spec, dataset, files.run_dir(run_id)))
        measured(run_id, f"lists:{part}", lambda: compute_lists(spec, model, dataset, files.run_dir(run_id)))
    return finish_part(run_id, part)


def finish_part(run_id: int, part: str) -> bool:
    """Record ``part`` as done; return True for exactly one caller: the one that completed the set.

    This is the fan-in of the fan-out, kept in the run row rather than in a Celery chord, so it
    needs no result backend and a redelivered part cannot trigger a second publish.
    """
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().only("progress", "status").get(pk=run_id)
        progress = {**run.progress, f"part:{part}": {"done": 1, "total": 1}}
        last = (run.status == TrainingRun.Status.RUNNING and "write" not in progress
                and all(progress.get(f"part:{name}", {}).get("done") for name in parts()))
        if last:
            progress["write"] = {"done": 0, "total": None}
        TrainingRun.objects.filter(pk=run_id).update(progress=progress)
    return last


def fit_inputs(dataset: Dataset) -> dict[str, Any]:
    """Return the optional fit inputs the dataset offers, by the names recommenders declare (no views: absent).

    The order rows are in time order and ``customers`` is each row's customer (-1: unknown), the
    interface of :mod:`crosssell_app.recommenders.base`.
    """
    inputs = {ITEMS: dataset.items, CUSTOMERS: dataset.row_customers()}
    if dataset.views.nnz:
        inputs[VIEWS] = dataset.views
    return inputs


def fit_model(spec: Spec, dataset: Dataset, folder) -> Any:
    """Fit ``spec`` on the dataset (with the optional inputs its class accepts) and save it."""
    model = spec.fit(dataset.orders, fit_inputs(dataset))
    target = folder / f"model-{spec.name}.npz"
    with files.atomic_path(target) as path:
        model.save(path)
        # files a model writes beside its .npz (the MLP's .keras) follow it to the final name
        for companion in path.parent.glob(f"{path.stem}.*"):
            if companion != path:
                companion.replace(target.with_suffix(companion.suffix))
    return model


def compute_lists(spec: Spec, model: Any, dataset: Dataset, folder) -> dict[str, int]:
    """Compute the top-K lists of every kind ``spec`` owns and save each to ``lists-<kind>.npz``."""
    k = crosssell_settings.TOP_K
    everything = np.arange(dataset.n_items)
    sizes = {}
    corrections = feedback.load_corrections(folder)  # empty when FEEDBACK_ENABLED is off
    for kind in spec.kinds:
        explanations: list[list[dict]] | None = None
        sources, users = everything, np.empty(0, dtype=np.int64)
        if kind == Kind.BOUGHT_TOGETHER:
            candidates, scores = model.complete_basket_batch(everything, k * curation.CANDIDATES_PER_PICK)
            candidates, scores = feedback.rerank(candidates, scores, corrections.get(str(kind)))
            ids, scores, counts = bought_together(dataset, dataset.orders, candidates, scores, k)
            explanations = [[{"orders_together": int(n)} for n in row] for row in counts]
        elif kind == Kind.SIMILAR:
            ids, scores = model.similar_items_batch(everything, k)
        elif kind == Kind.UPGRADE:
            ids, scores = feedback.rerank(*model.upgrades_batch(everything, k), corrections.get(str(kind)))
            explanations = [[keep_known(kind, model.explain(int(s), int(t))) if t >= 0 else {} for t in row]
                            for s, row in zip(everything, ids)]
        elif kind == Kind.FOR_YOU:
            sources, users, ids, scores, explanations = _for_you(model, dataset, k)
        else:
            raise ValueError(f"{spec.name} cannot publish lists of kind {kind!r}")
        with files.atomic_path(folder / f"lists-{kind}.npz") as path:
            np.savez(path, sources=sources, users=users, ids=ids, scores=scores,
                     explanations=np.frombuffer(json.dumps(explanations).encode(), dtype=np.uint8))
        sizes[kind] = int(np.count_nonzero(ids >= 0))
    return sizes


def bought_together(dataset: Dataset, orders: sp.csr_matrix, candidates: np.ndarray, scores: np.ndarray, k: int):
    """Return every product's bought-together list curated from the model's candidates (:mod:`.curation`).

    Returns ``(ids, scores, orders_together)``; ``orders`` is the matrix the pairs' evidence is counted in.
    """
    return curation.curated_lists(
        candidates, scores, np.arange(dataset.n_items), k, orders=orders, order_customers=dataset.order_customers,
        items=dataset.items, min_customers=crosssell_settings.MIN_PAIR_CUSTOMERS,
        max_same_type=crosssell_settings.TOGETHER_MAX_SAME_TYPE,
        link_by_category=crosssell_settings.TOGETHER_LINK_BY_CATEGORY)


def _for_you(model: Any, dataset: Dataset, k: int):
    """Return per-user lists: ``complete_basket`` of everything each Django user bought.

    Each pick's explanation names the past purchase it comes from (:mod:`.personal`), by product pk.
    """
    rows = np.flatnonzero(dataset.customer_users >= 0)
    ids = np.full((len(rows), k), -1, dtype=np.int64)
    scores = np.full((len(rows), k), np.nan)
    matrix = dataset.customers
    baskets = [matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]] for row in rows]
    for r, basket in enumerate(baskets):
        found, values = model.complete_basket(basket, k)
        ids[r, :len(found)], scores[r, :len(found)] = found[:k], values[:k]
    pks = dataset.product_pks.tolist()
    explanations = [[keep_known(Kind.FOR_YOU, {"because_of": [pks[item] for item in reason]}) for reason in row]
                    for row in personal.because_of(dataset.orders, matrix, baskets, ids)]
    return np.full(len(rows), -1, dtype=np.int64), dataset.customer_users[rows], ids, scores, explanations


def evaluate(dataset: Dataset) -> dict[str, Any]:
    """Score the bought-together model on a time-split holdout: HR@10 and NDCG@10.

    The latest ``HOLDOUT_SHARE`` of orders with two or more items each hide their last
    recorded item; a fresh model is fitted without those items and asked to complete the rest.
    """
    spec = next((s for s in recommender_specs() if Kind.BOUGHT_TOGETHER in s.kinds), None)
    if spec is None:
        return {}
    orders = dataset.orders.tocsr()
    n_orders = orders.shape[0]
    latest = np.arange(int(n_orders * (1 - HOLDOUT_SHARE)), n_orders)
    sizes = np.diff(orders.indptr)
    rows = latest[(sizes[latest] >= 2) & (dataset.order_last[latest] >= 0)][-HOLDOUT_MAX_CASES:]
    if len(rows) == 0:
        return {"cases": 0, "model": spec.name}
    cases = hide_one(orders, rows, dataset.order_last[rows])
    hidden = cases.hidden
    train = (orders - orders.multiply(binary_matrix(rows, hidden, orders.shape))).tocsr()
    train.eliminate_zeros()
    # each row's customer is ownership only: what they bought is read from ``train``, without the hidden items
    model = spec.fit(train, {ITEMS: dataset.items, CUSTOMERS: dataset.row_customers()})
    ranked = rank_cases(model, cases, HOLDOUT_K)
    return {"model": spec.name, "cases": len(cases),
            f"hr@{HOLDOUT_K}": round(hit_rate(ranked, hidden, HOLDOUT_K), 4),
            f"ndcg@{HOLDOUT_K}": round(ndcg(ranked, hidden, HOLDOUT_K), 4),
            **_list_metrics(model, dataset, train, cases)}


def _list_metrics(model: Any, dataset: Dataset, train: sp.csr_matrix, cases) -> dict[str, float]:
    """Score the published lists, not the model, on the same cases: ``lists_*`` plain, ``curated_*`` curated.

    Each case's basket is completed from its items' top-``TOP_K`` lists, a product scoring the
    sum of its scores in them (as the cart widget reads them), so the pair shows what curation
    costs in hidden items found. The pairs' evidence is counted in the training rows only.
    """
    k = crosssell_settings.TOP_K
    candidates, scores = model.complete_basket_batch(np.arange(dataset.n_items), k * curation.CANDIDATES_PER_PICK)
    curated_ids, curated_scores, _ = bought_together(dataset, train, candidates, scores, k)
    metrics = {}
    for name, (ids, values) in {"lists": (candidates[:, :k], scores[:, :k]),
                                "curated": (curated_ids, curated_scores)}.items():
        ranked = curation.complete_from_lists(ids, values, cases.baskets, HOLDOUT_K)
        metrics[f"{name}_hr@{HOLDOUT_K}"] = round(hit_rate(ranked, cases.hidden, HOLDOUT_K), 4)
        metrics[f"{name}_ndcg@{HOLDOUT_K}"] = round(ndcg(ranked, cases.hidden, HOLDOUT_K), 4)
    return metrics


def publish(run_id: int) -> int | None:
    """Write every computed list as a new version, activate it, prune old ones; return the version id.

    Returns None when the run lost its claim meanwhile (failed by the reaper, or published by a
    duplicate task): then nothing was switched.
    """
    _require_running(run_id)
    run = TrainingRun.objects.get(pk=run_id)
    dataset = load_dataset(run_id)
    folder = files.run_dir(run_id)
    version = publishing.create_version(run)
    total = _row_count(folder)
    last_report = [0.0]

    def progress(written: int) -> None:
        if time.monotonic() - last_report[0] > 1.0:  # the run row is not a log: at most one update a second
            last_report[0] = time.monotonic()
            runs.update_json(run_id, "progress", "write", {"done": written, "total": total})

    written = measured(run_id, "write", lambda: publishing.write_rows(version, _all_rows(dataset, folder), progress))
    _refuse_empty(written)

    def switch() -> bool:
        if not publishing.activate(version, run):
            return False
        pruned = publishing.prune_versions()
        kept_runs = set(RecommendationVersion.objects.filter(run__isnull=False).values_list("run_id", flat=True))
        files.prune_run_dirs(kept_runs | {run_id})
        files.remove_run_files(run_id, keep_models=True)
        logger.info("Published version %s (%s rows); pruned versions %s", version.pk, written, pruned)
        return True

    return version.pk if measured(run_id, "activate", switch) else None


def _row_count(folder) -> int:
    """Return how many list rows the run's files hold (trending, at most ``TOP_K``, included)."""
    total = crosssell_settings.TOP_K
    for path in folder.glob("lists-*.npz"):
        with np.load(path, allow_pickle=False) as data:
            total += int(np.count_nonzero(data["ids"] >= 0))
    return total


def _refuse_empty(written: int) -> None:
    """Never replace served lists with nothing: a run that produced no rows fails instead."""
    active = ActiveVersion.objects.current_id()
    if written == 0 and active is not None:
        raise ValueError("The retrain produced no recommendations; the previous version stays active.")


def _all_rows(dataset: Dataset, folder):
    pks = dataset.product_pks.tolist()
    for path in sorted(folder.glob("lists-*.npz")):
        kind = path.stem[len("lists-"):]
        with np.load(path, allow_pickle=False) as data:
            ids, scores, users = data["ids"], data["scores"], data["users"]
            sources = [None if s < 0 else pks[s] for s in data["sources"].tolist()]
            explanations = json.loads(data["explanations"].tobytes())
        explain = (lambda r, c, given=explanations: given[r][c]) if explanations else None
        yield from publishing.top_k_rows(kind, sources, ids, scores, pks, explain,
                                         user_ids=users.tolist() if len(users) else None)
    yield from trending_rows(dataset)


def trending_rows(dataset: Dataset):
    """Yield the trending list: the products in most orders of the data's last ``TRENDING_DAYS`` days."""
    if not len(dataset.order_times):
        return
    recent = dataset.order_times >= dataset.order_times.max() - TRENDING_DAYS * 86400
    counts = np.asarray(dataset.orders[np.flatnonzero(recent)].sum(axis=0)).ravel()
    k = crosssell_settings.TOP_K
    best = np.lexsort((np.arange(len(counts)), -counts))[:k]
    pks = dataset.product_pks.tolist()
    for rank, item in enumerate((i for i in best if counts[i] > 0), start=1):
        yield publishing.Row(Kind.TRENDING, None, None, pks[item], rank, float(counts[item]),
                             {"orders_recent": int(counts[item]), "days": TRENDING_DAYS})


# ---------------------------------------------------------------------------- in-process driver
def retrain_in_process(*, trigger: str, user=None, on_step: Callable[[str], None] | None = None) -> TrainingRun:
    """Retrain in this process (no worker needed) and return the finished, or coalesced, run.

    ``on_step(name)`` is called after each step, for a progress bar.
    """
    run = retraining.open_run(trigger=trigger, user=user, status=TrainingRun.Status.RUNNING)
    if run.status != TrainingRun.Status.RUNNING:
        return run
    notify = on_step or (lambda name: None)
    try:
        names = prepare(run.pk)
        notify("dataset")
        for part in names:
            fit_part(run.pk, part)
            notify(part)
        if publish(run.pk) is not None:
            runs.succeed(run.pk)
        notify("write")
    except RunEnded:
        pass
    except Exception as exc:
        runs.fail(run.pk, exc)
        logger.exception("Retrain run %s failed", run.pk)
    return TrainingRun.objects.get(pk=run.pk)


def ordered_timings(run: TrainingRun) -> list[tuple[str, dict]]:
    """Return the run's ``(step, timing)`` pairs in the order the steps run (JSON columns lose it)."""
    rank = {"dataset": 0, "holdout": 3, "write": 4, "activate": 5}

    def key(item: tuple[str, dict]) -> tuple[int, str]:
        step = item[0]
        return rank.get(step, 1 if step.startswith("fit:") else 2), step

    return sorted((run.timings or {}).items(), key=key)


def steps_of_a_run() -> list[str]:
    """Return the step names :func:`retrain_in_process` reports, in order (for a progress bar)."""
    return ["dataset", *parts(), "write"]
