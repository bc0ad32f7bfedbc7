"""Recommendation algorithms: pure numpy/scipy/scikit-learn, TensorFlow only inside :class:`MLP`.

Importing this package never imports Django or TensorFlow (``mlp`` defers its TensorFlow import
to ``fit`` and to loading the Keras file).
"""

from __future__ import annotations

from .base import ModelFormatError, Recommender, ScoringRecommender
from .content import TfidfContent
from .hybrid import Hybrid
from .itemcf import ItemCF
from .mlp import MLP
from .popularity import Popularity
from .ridge import NeighbourRidge
from .svd import SVD
from .upgrade import Upgrade
from .usercf import UserCF

#: every algorithm, by the name the settings and the evaluation use
ALGORITHMS: dict[str, type[Recommender]] = {
    "hybrid": Hybrid,
    "itemcf": ItemCF,
    "ridge": NeighbourRidge,
    "usercf": UserCF,
    "svd": SVD,
    "content": TfidfContent,
    "mlp": MLP,
    "popularity": Popularity,
}

__all__ = [
    "ALGORITHMS",
    "MLP",
    "SVD",
    "Hybrid",
    "ItemCF",
    "ModelFormatError",
    "NeighbourRidge",
    "Popularity",
    "Recommender",
    "ScoringRecommender",
    "TfidfContent",
    "Upgrade",
    "UserCF",
]
