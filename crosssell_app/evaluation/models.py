"""The app's own models as evaluation specs, each with the same small tuning budget."""

from __future__ import annotations

from crosssell_app.recommenders import MLP, SVD, Hybrid, ItemCF, NeighbourRidge, Popularity, TfidfContent, UserCF

from .protocol import ModelSpec


def our_specs(names: list[str] | None = None) -> list[ModelSpec]:
    """Return specs for ``names`` (all when None). ``hybrid`` is the untuned defaults a shop gets
    (its blend weights still choose themselves on the training rows' newest orders)."""
    specs = [
        ModelSpec("popularity", Popularity, {"recent_fraction": [0.25, 0.1, 0.05, 0.025]}),
        ModelSpec("itemcf", ItemCF, {"similarity": ["cosine", "bm25", "rp3beta", "confidence"]}),
        ModelSpec("ridge", NeighbourRidge, {"l2": [3.0, 10.0, 30.0, 100.0]}),
        ModelSpec("usercf", UserCF, {"neighbours": [50, 200], "shrinkage": [0.0, 5.0]}),
        ModelSpec("svd", SVD, {"factors": [64, 128, 256, 512]}),
        ModelSpec("content", TfidfContent, {"category_weight": [0.25, 0.5], "ngram_max": [1, 2]}),
        ModelSpec("mlp", MLP, {"embedding_dim": [32, 64], "negatives": [4, 8]}),
        ModelSpec("hybrid", Hybrid),
        # The session-kNN and ItemCF weights choose themselves on each shop's newest orders
        # ("auto", the default); what is left to tune is the linear model's ridge strength and
        # the neighbourhood size of the item-item components (picked without test numbers).
        ModelSpec("hybrid-tuned", Hybrid, {"l2": [10.0, 30.0], "neighbours": [100, 200]}),
    ]
    if names is None:
        return specs
    unknown = set(names) - {s.name for s in specs}
    if unknown:
        raise ValueError(f"unknown models {sorted(unknown)}; choose from {[s.name for s in specs]}")
    return [s for s in specs if s.name in names]
