"""Re-weightings of a basket x item matrix shared by the co-occurrence and factor models."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .base import binarize


def item_counts(matrix: sp.csr_matrix) -> np.ndarray:
    """Return, per item, the number of rows (baskets or users) that hold it."""
    return np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)


def bm25_idf(counts: np.ndarray, n_rows: int) -> np.ndarray:
    """Return BM25's IDF of items held by ``counts`` of ``n_rows`` rows, kept positive.

    The ``+ 1`` inside the log (as in Lucene) keeps an item held by most rows slightly positive
    instead of negative, so very common items keep a little weight.
    """
    return np.log((n_rows - counts + 0.5) / (counts + 0.5) + 1.0)


def bm25_length_factor(lengths: np.ndarray, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """Return BM25's term-frequency factor of a binary line in rows of the given ``lengths``."""
    mean_length = lengths.mean() if lengths.size and lengths.mean() > 0 else 1.0
    return (k1 + 1.0) / (1.0 + k1 * (1.0 - b + b * lengths / mean_length))


def bm25_weight(matrix: sp.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """Return a binary ``matrix`` with Okapi BM25 weights, rows as documents and items as terms.

    Why: an item in every basket says little about the others (IDF), and a 300-line wholesale
    order says less per line than a 3-line one (length normalisation). Formula from Robertson &
    Zaragoza (2009), "The probabilistic relevance framework: BM25 and beyond".
    """
    csr = binarize(sp.csr_matrix(matrix, dtype=np.float64))
    lengths = np.diff(csr.indptr).astype(np.float64)
    idf = bm25_idf(item_counts(csr), max(csr.shape[0], 1))
    csr.data = np.repeat(bm25_length_factor(lengths, k1, b), np.diff(csr.indptr)) * idf[csr.indices]
    return csr


def tfidf_weight(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Return ``matrix`` with columns scaled by a smoothed IDF and rows L2-normalised.

    Why: before a truncated SVD this keeps the few best sellers from taking every factor.
    """
    csr = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    df = item_counts(csr)
    csr.data *= np.log((1.0 + csr.shape[0]) / (1.0 + df))[csr.indices] + 1.0
    norms = np.sqrt(np.asarray(csr.multiply(csr).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    csr.data /= np.repeat(norms, np.diff(csr.indptr))
    return csr
