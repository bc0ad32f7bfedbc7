"""Say which past purchase a personal pick comes from ("Because you bought ...").

A for-you list completes the basket of everything a customer bought, so every past purchase
adds to every pick. The one named is the purchase most often bought in one order with the pick
by anyone, else by one customer over their orders; a pick that shares neither with any past
purchase names none, rather than a made-up reason. Two small sparse products per customer (picks
x past purchases), so it costs next to nothing beside the lists themselves.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def because_of(orders: sp.csr_matrix, customers: sp.csr_matrix, baskets: list[np.ndarray],
               picks: np.ndarray) -> list[list[list[int]]]:
    """Return, per customer and pick, the item indices of the past purchase it comes from (``[]`` for none).

    ``orders`` is orders x items, ``customers`` customers x items; ``baskets[r]`` holds what
    customer row ``r`` bought and ``picks[r]`` their picks (-1 padded).
    """
    by_order = sp.csr_matrix(orders).T.tocsr()
    by_customer = sp.csr_matrix(customers).T.tocsr()
    found = []
    for basket, row in zip(baskets, picks):
        basket = np.asarray(basket, dtype=np.int64)
        valid = row[row >= 0]
        reasons: list[list[int]] = [[] for _ in row]
        if len(basket) and len(valid):
            for shared in (by_order, by_customer):
                counts = (shared[valid] @ shared[basket].T).toarray()
                for c in range(len(valid)):
                    if not reasons[c] and counts[c].max() > 0:
                        reasons[c] = [int(basket[np.argmax(counts[c])])]
        found.append(reasons)
    return found


__all__ = ["because_of"]
