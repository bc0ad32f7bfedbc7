"""The customer-aware protocol: folds of known customers, their histories, and one table for all models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crosssell_app.evaluation.history import HistorySpec, evaluate_history, paired, sequence_fold, time_fold
from crosssell_app.recommenders import ItemCF
from crosssell_app.recommenders.repeat import HistoryBlend, RepeatPurchase


def lines_of(orders: list[tuple[str, str, str, list[str]]]) -> pd.DataFrame:
    """Return sales lines of ``(order, customer, date, codes)`` tuples."""
    rows = [
        {"order_id": o, "customer": c, "date": pd.Timestamp(d), "code": code, "description": code, "price": 1.0}
        for o, c, d, codes in orders
        for code in codes
    ]
    return pd.DataFrame(rows)


def test_a_time_fold_keeps_customers_known_in_training_and_all_their_earlier_orders():
    train = lines_of([("o1", "alice", "2020-01-01", ["A", "B"]), ("o2", "bob", "2020-01-02", ["B", "C"])])
    test = lines_of([
        ("o3", "alice", "2020-02-01", ["A", "C"]),
        ("o4", "carol", "2020-02-02", ["A", "B"]),  # not known in training: no case
        ("o5", "alice", "2020-02-03", ["B", "C", "NEW"]),  # NEW is unknown to training: dropped
        ("o6", "", "2020-02-04", ["A", "B"]),  # no customer: no case
    ])
    fold = time_fold(train, test)
    assert fold.matrix.shape == (2, 3) and fold.customers.tolist() == [0, 1]
    assert len(fold.cases) == 2
    codes = ["A", "B", "C"]
    histories = [[[codes[i] for i in basket] for basket in history] for history in fold.cases.histories]
    assert histories == [[["A", "B"]], [["A", "B"], ["A", "C"]]]  # the earlier test-week order counts too


def test_a_sequence_fold_tests_each_customers_last_basket_after_all_earlier_ones():
    fold = sequence_fold({"x": [[0, 1], [1, 2], [0, 2, 3]], "y": [[3, 4], [3, 4, 5]], "z": [[0], [1, 5]]})
    assert fold.matrix.shape[0] == 4 and sorted(fold.customers.tolist()) == [0, 0, 1, 2]
    histories = sorted([h.tolist() for h in history] for history in fold.cases.histories)
    assert histories == [[[0, 1], [1, 2]], [[3, 4]]]  # z's last basket keeps one known item: no case
    assert sorted(fold.cases.hidden.tolist() + [i for b in fold.cases.baskets for i in b.tolist()]) == [0, 2, 3, 3, 4]


def test_every_model_is_scored_on_the_same_cases_with_and_without_the_history():
    rng = np.random.default_rng(0)
    sequences = {c: [[c % 20, *rng.choice(np.arange(20, 30), 2, replace=False).tolist()] for _ in range(6)]
                 for c in range(60)}
    validation = sequence_fold({c: s[:-1] for c, s in sequences.items()})
    final = sequence_fold(sequences)
    specs = [
        HistorySpec("blend", lambda: HistoryBlend(ItemCF(neighbours=5), 1.0, 0.0, 1.0), without_history="basket only"),
        HistorySpec("p-topfreq", RepeatPurchase, {"decay": [1.0, 0.5]}),
    ]
    table = evaluate_history(validation, final, specs)
    assert table["model"].tolist() == ["blend", "basket only", "p-topfreq"]
    assert all(len(gains) == len(final.cases) for gains in table["ndcg_cases"])
    assert table.set_index("model").at["p-topfreq", "params"]["decay"] in (1.0, 0.5)
    gain = paired(table, "blend", "basket only")
    assert gain["difference"] > 0 and gain["ratio"] > 1  # the staple is only in the history
