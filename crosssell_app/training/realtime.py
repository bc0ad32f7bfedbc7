"""Near-real-time bought-together updates: fold a new order into the active lists at once.

Enabled by ``REALTIME_UPDATES``. When an order is recorded (``order_recorded``, sent on
commit) the lists of its products in the *active* version are updated in place, without a
retrain. The rule, chosen to respect the model's ranking while showing new evidence:

* every listed pair gets its fresh co-purchase count in ``explanation["orders_together"]``;
* the model's order of the existing entries is kept (the model saw more than counts);
* a product bought with the source that is not listed yet enters the list only once as many
  distinct customers bought the pair in one order as a retrain asks for (``MIN_PAIR_CUSTOMERS``,
  an order without a customer counting as a customer of its own): the same evidence floor and
  privacy floor as the retrain's curation, so one order never publishes what one customer
  bought. It goes right after the last entry with at least as many co-purchases (so a first
  real co-purchase of a product whose list held only content-based guesses goes to the top),
  and the list is cut back to ``TOP_K``.

Counts are exact, not increments that drift: the lines of the orders holding the order's products
are read in one query and counted by :func:`.curation.pair_evidence`, the retrain's own count,
so ``orders_together`` means the same whichever of the two wrote it. The version id does not
change, so with ``CACHE_TIMEOUT`` on a widget cached before the update shows the old list until
its entry expires. The next full retrain replaces all of it. A retrain that publishes while an
update runs wins: the update locks the active-version row and writes to the version it read.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F

from ..conf import crosssell_settings
from ..models import ActiveVersion, Kind, OrderLine, Recommendation, RecommendationVersion
from ..recommenders.base import binary_matrix
from ..signals import recommendations_published
from .curation import PairEvidence, pair_evidence

logger = logging.getLogger(__name__)

#: an order with more products than this only updates the lists of its first ones
MAX_PRODUCTS = 50


def orders_together(sources: list[Any], targets: list[list[Any]]) -> list[dict[Any, int]]:
    """Return, for each ``sources[i]``, how many orders hold both it and each of ``targets[i]``."""
    return [counts for counts, _customers in evidence(sources, targets)]


def evidence(sources: list[Any], targets: list[list[Any]]) -> list[tuple[dict[Any, int], dict[Any, int]]]:
    """Return, for each ``sources[i]`` and each of ``targets[i]``, the orders and the distinct customers holding both.

    A customer is a user, else an imported customer reference; an order with neither counts as a
    customer of its own, as in the retrain's dataset.
    """
    products = list(dict.fromkeys([*sources, *(target for row in targets for target in row)]))
    column = {pk: index for index, pk in enumerate(products)}
    holding = OrderLine.objects.filter(product_id__in=sources).values("order_id")
    lines = OrderLine.objects.filter(order_id__in=holding, product_id__in=products)
    row_of: dict[int, int] = {}
    customer_of: dict[Any, int] = {}
    owners: list[int] = []
    rows, cols = array("q"), array("q")
    for order_id, product_id, user_id, ref in lines.values_list(
            "order_id", "product_id", "order__user_id", "order__customer_ref").iterator():
        if order_id not in row_of:
            row_of[order_id] = len(row_of)
            key = ("user", user_id) if user_id is not None else ("ref", ref) if ref else None
            owners.append(-1 if key is None else customer_of.setdefault(key, len(customer_of)))
        rows.append(row_of[order_id])
        cols.append(column[product_id])
    orders = binary_matrix(rows, cols, (len(row_of), len(products)))
    wanted = np.full((len(sources), max(map(len, targets), default=0)), -1, dtype=np.int64)
    for i, row in enumerate(targets):
        wanted[i, :len(row)] = [column[target] for target in row]
    found: PairEvidence = pair_evidence(orders, np.array(owners, dtype=np.int64),
                                        [column[source] for source in sources], wanted)
    return [({target: int(n) for target, n in zip(row, counts)}, {target: int(n) for target, n in zip(row, people)})
            for row, counts, people in zip(targets, found.orders, found.customers)]


def merge(current: list[tuple[Any, float, dict]], counts: dict[Any, int], bought_with: Iterable[Any],
          k: int, customers: dict[Any, int] | None = None, min_customers: int = 1) -> list[tuple[Any, float, dict]]:
    """Return the updated list of ``(target, score, explanation)`` by the module's rule.

    A product of ``bought_with`` not listed yet enters only when ``customers`` (distinct customers
    who bought the pair in one order; the order counts when not given) reaches ``min_customers``.
    """
    merged = [(target, score, {**explanation, "orders_together": counts.get(target, 0)})
              for target, score, explanation in current]
    listed = {target for target, _, _ in merged}
    people = counts if customers is None else customers
    newcomers = sorted((t for t in set(bought_with) - listed
                        if counts.get(t, 0) > 0 and people.get(t, 0) >= max(1, min_customers)),
                       key=lambda t: (-counts[t], str(t)))
    for target in newcomers:
        n = counts[target]
        at = 0
        for position, (_, _, explanation) in enumerate(merged):
            if explanation["orders_together"] >= n:
                at = position + 1
        score = merged[at - 1][1] if at else (merged[0][1] if merged else float(n))
        merged.insert(at, (target, score, {"orders_together": n, "realtime": True}))
    return merged[:k]


def update_for_order(order_id: int) -> int:
    """Update the active bought-together lists of the order's products; return the lists changed."""
    products = list(OrderLine.objects.filter(order_id=order_id).order_by("pk")
                    .values_list("product_id", flat=True)[:MAX_PRODUCTS])
    if len(products) < 2:
        return 0
    k = crosssell_settings.TOP_K
    with transaction.atomic():
        active = ActiveVersion.objects.lock()
        version = active.version_id
        if version is None:
            return 0
        lists = Recommendation.objects.filter(version_id=version, kind=Kind.BOUGHT_TOGETHER)
        current = {source: list(lists.filter(source_id=source).order_by("rank")
                                .values_list("target_id", "score", "explanation")) for source in products}
        others = {source: [p for p in products if p != source] for source in products}
        found_evidence = evidence(products, [[t for t, _, _ in current[s]] + others[s] for s in products])
        floor = crosssell_settings.MIN_PAIR_CUSTOMERS
        added = 0
        for source, (found, customers) in zip(products, found_evidence):
            updated = merge(current[source], found, others[source], k, customers=customers, min_customers=floor)
            if updated == current[source]:
                continue
            rows = lists.filter(source_id=source)
            added += len(updated) - len(current[source])
            rows.delete()
            Recommendation.objects.bulk_create(
                Recommendation(version_id=version, kind=Kind.BOUGHT_TOGETHER, source_id=source, target_id=target,
                               rank=rank, score=score, explanation=explanation)
                for rank, (target, score, explanation) in enumerate(updated, start=1)
            )
        RecommendationVersion.objects.filter(pk=version).update(row_count=F("row_count") + added)
        transaction.on_commit(lambda: recommendations_published.send(sender=RecommendationVersion, version=version))
    return len(products)
