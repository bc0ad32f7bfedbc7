"""Neural collaborative filtering with TensorFlow/Keras: baskets and product features, sampled negatives.

TensorFlow is imported inside the functions that train or load, never when this module is
imported, so importing :mod:`crosssell_app.recommenders` (and Django starting) stays light.
Once trained, scoring is numpy only: the item vectors and the few layer weights needed are
copied out of the Keras model.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

from ._weighting import item_counts
from .base import Items, ScoringRecommender, as_csr, binarize, item_column

#: a product that has not sold yet is ranked as if it had sold this many times (its prior)
COLD_COUNT = 0.5


class MLP(ScoringRecommender):
    """A basket tower (mean item vector -> MLP) scored against item vectors built from ids and features.

    Architecture in the spirit of neural CF (He et al., WWW 2017) and two-tower retrieval
    (Covington et al., RecSys 2016), with the product features of a content-aware tower
    (as in Wide & Deep / DropoutNet-style cold start): every item is represented twice, in the
    basket tower and in the item tower, and each representation is the **sum of an id embedding
    and a learned projection of the item's features** — TF-IDF of its text (the
    ``text_features`` most frequent words), its category (one-hot) and its price bucket (one of
    ``price_buckets`` quantiles of log price). A context of up to ``context_size`` other items
    of a basket is averaged and passed through a hidden ReLU layer to a basket vector ``u``; an
    item ``j`` scores ``u . v_j + b_j``. Trained with binary cross-entropy on observed
    (context, item) pairs against ``negatives`` items per pair drawn from the unigram^0.75
    distribution (Mikolov et al. 2013), with early stopping on a held-out share of pairs.

    Why features: a product that has never sold has no trained id embedding, so without them it
    could be neither recommended nor completed. Its id part is set to zero when the weights are
    copied out, so its vectors are its features' projection: the words, category and price it
    shares with sold products place it among them. It is ranked with the prior of a product
    sold ``COLD_COUNT`` times. A product that never sold and has no features is never used.

    Scores for the blend (:meth:`score_baskets`) are ``exp(s_j - max_j s_j)`` with
    ``s_j = u . v_j + b_j + 0.75 log n_j``: the logit of a negative-sampling model estimates
    ``log p(j | basket) - 0.75 log n_j + const``, so adding the prior back ranks by
    ``p(j | basket)``, and the exponential makes it a positive number at most 1 that the blend
    can weigh.

    Parameters
    ----------
    embedding_dim, hidden : int
        Width of the item vectors and of the hidden layer.
    context_size : int
        Most basket items used as context per training example.
    negatives : int
        Sampled negative items per positive pair.
    epochs, batch_size : int
        Training length (an upper bound: early stopping may end sooner) and batch size.
    positive_pairs : int
        Positive (context, item) examples drawn once and seen every epoch (pairs grow with basket
        length squared, so they are sampled rather than enumerated).
    learning_rate, l2 : float
        Adam step size and L2 penalty on the id embeddings.
    patience : int
        Epochs without validation improvement before stopping (the best epoch's weights are kept).
    text_features : int
        Most words of the TF-IDF vocabulary (0: no text).
    price_buckets : int
        Quantile buckets of the price (0: no price).
    random_state : int
        Seed of the sampling and of Keras' initialisation.
    """

    learned_attributes = (
        "n_items_",
        "item_counts_",
        "context_vectors_",
        "hidden_kernel_",
        "hidden_bias_",
        "output_kernel_",
        "output_bias_",
        "item_vectors_",
        "item_biases_",
        "reachable_",
    )

    def __init__(
        self,
        embedding_dim: int = 32,
        hidden: int = 64,
        context_size: int = 5,
        negatives: int = 4,
        epochs: int = 5,
        batch_size: int = 4096,
        positive_pairs: int = 200_000,
        learning_rate: float = 0.01,
        l2: float = 0.0,
        patience: int = 1,
        text_features: int = 256,
        price_buckets: int = 8,
        random_state: int = 0,
    ) -> None:
        self.embedding_dim = embedding_dim
        self.hidden = hidden
        self.context_size = context_size
        self.negatives = negatives
        self.epochs = epochs
        self.batch_size = batch_size
        self.positive_pairs = positive_pairs
        self.learning_rate = learning_rate
        self.l2 = l2
        self.patience = patience
        self.text_features = text_features
        self.price_buckets = price_buckets
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(
        self, interactions: sp.spmatrix, items: Items | None = None, customers: np.ndarray | None = None
    ) -> MLP:
        """Train the Keras model on sampled (context, item, label) triples, then copy its weights."""
        from tensorflow import keras  # deferred on purpose: see the module docstring

        keras.utils.set_random_seed(self.random_state)
        baskets = binarize(as_csr(interactions))
        self.n_items_ = baskets.shape[1]
        self.item_counts_ = item_counts(baskets)
        features = item_features(items, self.n_items_, self.text_features, self.price_buckets)
        baskets = baskets[np.diff(baskets.indptr) >= 2]  # a one-item basket has no pair
        self.model_ = self._build(keras, features)
        if baskets.shape[0] > 0:
            rng = np.random.default_rng(self.random_state)
            context, target, label = self._examples(baskets, self.positive_pairs, rng)
            self.model_.fit(
                {"context": context, "target": target},
                label,
                batch_size=self.batch_size,
                epochs=self.epochs,
                validation_split=0.1,
                shuffle=True,
                verbose=0,
                callbacks=[
                    keras.callbacks.EarlyStopping(monitor="val_loss", patience=self.patience, restore_best_weights=True)
                ],
            )
        self._copy_weights(features)
        return self

    def _build(self, keras, features: np.ndarray):
        """Return the compiled two-tower Keras model; ids (context and target) are shifted by one.

        The feature table is a frozen embedding (row 0 unused), so each example looks up its
        items' features instead of carrying them.
        """
        regulariser = keras.regularizers.l2(self.l2)
        table = np.vstack([np.zeros((1, features.shape[1]), dtype=np.float32), features])
        context = keras.Input(shape=(self.context_size,), dtype="int32", name="context")
        target = keras.Input(shape=(), dtype="int32", name="target")
        lookup = keras.layers.Embedding(self.n_items_ + 1, features.shape[1], trainable=False, name="features")

        def tower(ids, name: str):
            own = keras.layers.Embedding(
                self.n_items_ + 1,
                self.embedding_dim,
                embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05),
                embeddings_regularizer=regulariser,
                name=f"{name}_id",
            )(ids)
            shared = keras.layers.Dense(self.embedding_dim, use_bias=False, name=f"{name}_features")(lookup(ids))
            return keras.layers.Add(name=f"{name}_vector")([own, shared])

        pooled = keras.layers.GlobalAveragePooling1D(name="mean")(tower(context, "context"))
        hidden = keras.layers.Dense(self.hidden, activation="relu", name="hidden")(pooled)
        basket = keras.layers.Dense(self.embedding_dim, name="basket")(hidden)
        item = tower(target, "item")
        bias = keras.layers.Embedding(self.n_items_ + 1, 1, name="item_bias")(target)
        logit = keras.layers.Add()([keras.layers.Dot(axes=1)([basket, item]), keras.layers.Flatten()(bias)])
        output = keras.layers.Activation("sigmoid")(logit)
        model = keras.Model({"context": context, "target": target}, output)
        model.get_layer("features").set_weights([table])
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="binary_crossentropy")
        return model

    def _examples(
        self, baskets: sp.csr_matrix, n_positive: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample positive (context, item) pairs from baskets plus ``negatives`` random items each.

        A positive picks a basket line at random (long baskets give more pairs, as they hold
        more), the line's item is the target and ``context_size`` draws from the other lines of
        the same basket are the context (ids of context and target shifted by one).
        """
        lengths = np.diff(baskets.indptr)
        lines = rng.integers(0, baskets.nnz, size=n_positive)
        row = np.searchsorted(baskets.indptr, lines, side="right") - 1
        target = baskets.indices[lines]
        # every slot is another line of the basket, drawn with replacement: no padding, so the
        # mean over the slots is (in expectation) the mean over the basket that scoring takes
        own = (lines - baskets.indptr[row])[:, None]
        size = lengths[row][:, None]
        offsets = (own + 1 + rng.integers(0, size - 1, size=(n_positive, self.context_size))) % size
        context = baskets.indices[baskets.indptr[row][:, None] + offsets] + 1
        popularity = self.item_counts_**0.75
        negatives = rng.choice(self.n_items_, size=n_positive * self.negatives, p=popularity / popularity.sum())
        all_context = np.concatenate([context, np.repeat(context, self.negatives, axis=0)]).astype(np.int32)
        all_target = np.concatenate([target, negatives]).astype(np.int32) + 1
        label = np.concatenate([np.ones(n_positive), np.zeros(n_positive * self.negatives)]).astype(np.float32)
        # shuffled here because Keras' validation_split takes the last rows, not a random share
        order = rng.permutation(len(label))
        return all_context[order], all_target[order], label[order]

    def _copy_weights(self, features: np.ndarray) -> None:
        """Copy each item's two vectors and the basket tower's weights out of ``model_`` into numpy.

        A never-bought item's id embeddings were never trained (it is in no basket and is never
        drawn as a negative), so they are left out: its vectors are its features' projection.
        """
        layer = self.model_.get_layer
        sold = (self.item_counts_ > 0)[:, None]
        # a product that never sold and has no features at all is known by nothing: never used
        self.reachable_ = sold[:, 0] | np.any(features != 0, axis=1)

        def vectors(name: str) -> np.ndarray:
            own = np.asarray(layer(f"{name}_id").get_weights()[0], dtype=np.float32)[1:]
            projection = np.asarray(layer(f"{name}_features").get_weights()[0], dtype=np.float32)
            return (own * sold + features @ projection).astype(np.float32)

        self.context_vectors_ = vectors("context")
        self.item_vectors_ = vectors("item")
        self.hidden_kernel_, self.hidden_bias_ = (
            np.asarray(w, dtype=np.float32) for w in layer("hidden").get_weights()
        )
        self.output_kernel_, self.output_bias_ = (
            np.asarray(w, dtype=np.float32) for w in layer("basket").get_weights()
        )
        biases = np.asarray(layer("item_bias").get_weights()[0], dtype=np.float32).ravel()[1:]
        self.item_biases_ = np.where(sold[:, 0], biases, 0.0).astype(np.float32)

    # ------------------------------------------------------------------ scoring (numpy only)
    def logits(self, baskets: sp.spmatrix) -> np.ndarray:
        """Return ``u . v_j + b_j + 0.75 log n_j`` of every item for each basket row.

        Items known by nothing (never sold, no features) are left out of the baskets and get
        ``-inf``; a basket left empty gets ``-inf`` everywhere.
        """
        csr = sp.csr_matrix(sp.csr_matrix(baskets, dtype=np.float64) @ sp.diags(self.reachable_.astype(np.float64)))
        csr.eliminate_zeros()
        sizes = np.diff(csr.indptr).astype(np.float64)
        mean = sp.diags(1.0 / np.maximum(sizes, 1.0)) @ csr
        pooled = np.asarray(mean @ self.context_vectors_, dtype=np.float64)
        hidden = np.maximum(pooled @ self.hidden_kernel_ + self.hidden_bias_, 0.0)
        basket = hidden @ self.output_kernel_ + self.output_bias_
        prior = 0.75 * np.log(np.maximum(self.item_counts_, COLD_COUNT))
        scores = basket @ self.item_vectors_.T.astype(np.float64) + (self.item_biases_ + prior)
        scores[:, ~self.reachable_] = -np.inf
        scores[sizes == 0] = -np.inf
        return scores

    def score_baskets(self, baskets: sp.spmatrix) -> np.ndarray:
        """Return ``exp(s_j - max s)`` for each basket: in (0, 1], ranked as :meth:`logits` (0 for an empty basket)."""
        scores = self.logits(baskets)
        peak = scores.max(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            out = np.exp(scores - np.where(np.isfinite(peak), peak, 0.0))
        return np.nan_to_num(out, nan=0.0)

    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        """Return :meth:`score_baskets` of one basket; every item has evidence (cold ones through features)."""
        row = np.zeros((1, self.n_items_))
        row[0, np.asarray(items, dtype=np.int64)] = 1.0
        scores = self.score_baskets(sp.csr_matrix(row))[0]
        scores[scores <= 0] = -np.inf
        return scores

    def score_rows(self, queries: np.ndarray, similar: bool) -> np.ndarray:
        """Score a block of one-item queries at once (the batch queries use this)."""
        rows = sp.csr_matrix(
            (np.ones(len(queries)), (np.arange(len(queries)), queries)), shape=(len(queries), self.n_items_)
        )
        scores = self.score_baskets(rows)
        scores[scores <= 0] = -np.inf
        return scores

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the ``.npz`` state and, next to it, the model in Keras' own ``.keras`` format."""
        super().save(path)
        self.keras_model().save(keras_path(path))

    def _after_load(self, path: str) -> None:
        """Remember the Keras file; scoring needs only the numpy weights, so TF is not loaded yet."""
        self.keras_file_ = keras_path(path)

    def keras_model(self):
        """Return the trained Keras model, loading it (and TensorFlow) on first use after ``load``."""
        if getattr(self, "model_", None) is None:
            from tensorflow import keras

            self.model_ = keras.models.load_model(self.keras_file_)
        return self.model_


def item_features(items: Items | None, n_items: int, text_features: int, price_buckets: int) -> np.ndarray:
    """Return the dense ``(n_items, n_features)`` float32 features of the MLP (at least one column).

    TF-IDF of ``items['text']`` (sublinear, L2 rows, the ``text_features`` most frequent words),
    one-hot ``items['category']`` and one-hot price bucket (quantiles of log price over the
    priced items; an unpriced item has none). A missing column contributes nothing; with nothing
    at all there is one zero column, so the model is an id-only one.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    blocks: list[np.ndarray] = []
    text = item_column(items, "text", n_items)
    if text is not None and text_features > 0:
        docs = ["" if _missing(t) else str(t) for t in text]
        try:
            vectoriser = TfidfVectorizer(sublinear_tf=True, max_features=text_features)
            blocks.append(vectoriser.fit_transform(docs).toarray())
        except ValueError:  # empty vocabulary: no item has usable text
            pass
    category = item_column(items, "category", n_items)
    if category is not None:
        labels = np.array(["" if _missing(c) else str(c) for c in category], dtype=object)
        names = sorted(set(labels.tolist()) - {""})
        if names:
            codes = {name: code for code, name in enumerate(names)}
            one_hot = np.zeros((n_items, len(names)), dtype=np.float32)
            known = np.flatnonzero(labels != "")
            one_hot[known, [codes[labels[i]] for i in known]] = 1.0
            blocks.append(one_hot)
    price = item_column(items, "price", n_items)
    if price is not None and price_buckets > 0:
        values = np.array([np.nan if _missing(p) else float(p) for p in price], dtype=np.float64)
        priced = np.isfinite(values) & (values > 0)
        if priced.any():
            logs = np.log(values[priced])
            edges = np.unique(np.quantile(logs, np.linspace(0, 1, price_buckets + 1)[1:-1]))
            one_hot = np.zeros((n_items, len(edges) + 1), dtype=np.float32)
            one_hot[np.flatnonzero(priced), np.searchsorted(edges, logs, side="right")] = 1.0
            blocks.append(one_hot)
    if not blocks:
        return np.zeros((n_items, 1), dtype=np.float32)
    return np.hstack(blocks).astype(np.float32)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def keras_path(path: str | os.PathLike) -> str:
    """Return where the Keras model of the ``.npz`` file at ``path`` lives."""
    path = os.fspath(path)
    return (path.removesuffix(".npz")) + ".keras"
