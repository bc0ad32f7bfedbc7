"""Neural collaborative filtering with TensorFlow/Keras, trained on baskets with sampled negatives.

TensorFlow is imported inside the functions that train or load, never when this module is
imported, so importing :mod:`crosssell_app.recommenders` (and Django starting) stays light.
Once trained, scoring is numpy only: the few weights needed are copied out of the Keras model.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

from ._weighting import item_counts
from .base import Items, ScoringRecommender, as_csr, binarize


class MLP(ScoringRecommender):
    """A basket tower (mean item embedding -> MLP) scored against item embeddings.

    Architecture in the spirit of neural CF (He et al., WWW 2017) and two-tower retrieval
    (Covington et al., RecSys 2016): a context of up to ``context_size`` other items of a basket
    is embedded, averaged and passed through a hidden ReLU layer to a basket vector ``u``; an item
    ``j`` scores ``u . v_j + b_j``. It is trained with binary cross-entropy on observed
    (context, item) pairs against ``negatives`` items per pair drawn from the unigram^0.75
    distribution (Mikolov et al. 2013), with early stopping on a held-out share of pairs.
    Because the score is a dot product, ranking the whole catalogue is one matrix product.

    Parameters
    ----------
    embedding_dim, hidden : int
        Width of the embeddings and of the hidden layer.
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
        Adam step size and L2 penalty on the embeddings.
    patience : int
        Epochs without validation improvement before stopping.
    random_state : int
        Seed of the sampling and of Keras' initialisation.
    """

    learned_attributes = (
        "n_items_",
        "item_counts_",
        "context_embeddings_",
        "hidden_kernel_",
        "hidden_bias_",
        "output_kernel_",
        "output_bias_",
        "item_embeddings_",
        "item_biases_",
    )

    def __init__(
        self,
        embedding_dim: int = 32,
        hidden: int = 64,
        context_size: int = 5,
        negatives: int = 4,
        epochs: int = 5,
        batch_size: int = 4096,
        positive_pairs: int = 300_000,
        learning_rate: float = 0.01,
        l2: float = 0.0,
        patience: int = 1,
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
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(self, interactions: sp.spmatrix, items: Items | None = None) -> MLP:
        """Train the Keras model on sampled (context, item, label) triples, then copy its weights."""
        import tensorflow as tf  # noqa: F401  (deferred on purpose: see the module docstring)
        from tensorflow import keras

        keras.utils.set_random_seed(self.random_state)
        baskets = binarize(as_csr(interactions))
        self.n_items_ = baskets.shape[1]
        self.item_counts_ = item_counts(baskets)
        baskets = baskets[np.diff(baskets.indptr) >= 2]  # a one-item basket has no pair
        self.model_ = self._build(keras)
        if baskets.shape[0] == 0:
            self._copy_weights()
            return self
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
        self._copy_weights()
        return self

    def _build(self, keras):
        """Return the compiled two-tower Keras model (index 0 of the context is padding)."""
        regulariser = keras.regularizers.l2(self.l2)
        context = keras.Input(shape=(self.context_size,), dtype="int32", name="context")
        target = keras.Input(shape=(), dtype="int32", name="target")
        embedded = keras.layers.Embedding(
            self.n_items_ + 1,
            self.embedding_dim,
            mask_zero=True,
            embeddings_regularizer=regulariser,
            name="context_embedding",
        )(context)
        pooled = keras.layers.GlobalAveragePooling1D(name="mean")(embedded)
        hidden = keras.layers.Dense(self.hidden, activation="relu", name="hidden")(pooled)
        basket = keras.layers.Dense(self.embedding_dim, name="basket")(hidden)
        item = keras.layers.Embedding(
            self.n_items_, self.embedding_dim, embeddings_regularizer=regulariser, name="item_embedding"
        )(target)
        bias = keras.layers.Embedding(self.n_items_, 1, name="item_bias")(target)
        logit = keras.layers.Add()([keras.layers.Dot(axes=1)([basket, item]), keras.layers.Flatten()(bias)])
        output = keras.layers.Activation("sigmoid")(logit)
        model = keras.Model({"context": context, "target": target}, output)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="binary_crossentropy")
        return model

    def _examples(
        self, baskets: sp.csr_matrix, n_positive: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample positive (context, item) pairs from baskets plus ``negatives`` random items each.

        A positive picks a basket line at random (long baskets give more pairs, as they hold
        more), the line's item is the target and up to ``context_size`` other lines of the same
        basket are the context (ids shifted by one; 0 pads).
        """
        lengths = np.diff(baskets.indptr)
        lines = rng.integers(0, baskets.nnz, size=n_positive)
        row = np.searchsorted(baskets.indptr, lines, side="right") - 1
        target = baskets.indices[lines]
        offsets = rng.integers(0, lengths[row][:, None], size=(n_positive, self.context_size))
        # the first context slot is always another line of the basket, so no context is empty
        own = lines - baskets.indptr[row]
        offsets[:, 0] = (own + 1 + rng.integers(0, lengths[row] - 1)) % lengths[row]
        picked = baskets.indptr[row][:, None] + offsets
        context = baskets.indices[picked] + 1
        context[picked == lines[:, None]] = 0  # the target itself is not its own context
        popularity = self.item_counts_**0.75
        negatives = rng.choice(self.n_items_, size=n_positive * self.negatives, p=popularity / popularity.sum())
        all_context = np.concatenate([context, np.repeat(context, self.negatives, axis=0)]).astype(np.int32)
        all_target = np.concatenate([target, negatives]).astype(np.int32)
        label = np.concatenate([np.ones(n_positive), np.zeros(n_positive * self.negatives)]).astype(np.float32)
        # shuffled here because Keras' validation_split takes the last rows, not a random share
        order = rng.permutation(len(label))
        return all_context[order], all_target[order], label[order]

    def _copy_weights(self) -> None:
        """Copy the weights scoring needs out of ``model_`` into numpy attributes."""
        layer = self.model_.get_layer
        self.context_embeddings_ = np.asarray(layer("context_embedding").get_weights()[0], dtype=np.float32)
        self.hidden_kernel_, self.hidden_bias_ = (
            np.asarray(w, dtype=np.float32) for w in layer("hidden").get_weights()
        )
        self.output_kernel_, self.output_bias_ = (
            np.asarray(w, dtype=np.float32) for w in layer("basket").get_weights()
        )
        self.item_embeddings_ = np.asarray(layer("item_embedding").get_weights()[0], dtype=np.float32)
        self.item_biases_ = np.asarray(layer("item_bias").get_weights()[0], dtype=np.float32).ravel()

    # ------------------------------------------------------------------ scoring (numpy only)
    def basket_scores(self, items: np.ndarray) -> np.ndarray:
        """Return ``u . v_j + b_j + log q(j)`` for every item; never-bought items get ``-inf``."""
        pooled = self.context_embeddings_[np.asarray(items) + 1].mean(axis=0)
        hidden = np.maximum(pooled @ self.hidden_kernel_ + self.hidden_bias_, 0.0)
        basket = hidden @ self.output_kernel_ + self.output_bias_
        scores = (self.item_embeddings_ @ basket + self.item_biases_).astype(np.float64)
        with np.errstate(divide="ignore"):
            # negative sampling makes the logit estimate log p(j | basket) - log q(j); adding
            # log q(j) back ranks by p(j | basket) instead of by a PMI that favours rare items
            scores += 0.75 * np.log(self.item_counts_)
        scores[self.item_counts_ <= 0] = -np.inf
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


def keras_path(path: str | os.PathLike) -> str:
    """Return where the Keras model of the ``.npz`` file at ``path`` lives."""
    path = os.fspath(path)
    return (path.removesuffix(".npz")) + ".keras"
