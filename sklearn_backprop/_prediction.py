"""Prediction over any number of rows, in chunks that fit in working memory."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils._chunking import gen_batches, get_chunk_n_rows

from . import _network
from ._array_api import namespace, same_device


def predict_outputs(X, coefs, intercepts, spec, *, log):
    """Return the class probabilities (or their logarithms) for ``X``, in chunks.

    Each chunk's hidden activations, and its copy in the weights' precision
    where ``X`` has another, fit in scikit-learn's ``working_memory``
    (``sklearn.set_config``), whatever the number of rows; see
    :func:`._network.probabilities`. The outputs take the dtype of ``X``.
    """
    xp = namespace(coefs[0])
    n_rows, hidden_size = X.shape[0], coefs[0].shape[1]
    n_outputs = coefs[1].shape[1]
    # NumPy's promotion: a float64 model computes float32 X in float64.
    dtype = xp.result_type(X.dtype, coefs[0].dtype)
    # Per row: its copy, the hidden activations and two arrays of outputs.
    row_elements = _row_copy_elements(X, dtype) + hidden_size + 2 * n_outputs
    row_bytes = xp.finfo(dtype).bits // 8 * row_elements
    chunk_rows = get_chunk_n_rows(row_bytes, max_n_rows=n_rows)
    outputs = xp.empty((n_rows, n_outputs), dtype=X.dtype, **same_device(coefs[0]))
    for rows in gen_batches(n_rows, chunk_rows):
        outputs[rows, :] = _network.probabilities(
            _as_dtype(X[rows, :], dtype, xp), coefs, intercepts, spec, log=log
        )
    return outputs


def _row_copy_elements(X, dtype):
    """Elements per row of the copy of ``X`` in ``dtype``: none if it has it."""
    if X.dtype == dtype:
        return 0
    if sp.issparse(X):
        # Only the stored values, one row's share of them on average.
        return -(-X.nnz // max(1, X.shape[0]))
    return X.shape[1]


def _as_dtype(array, dtype, xp):
    """Return ``array`` (NumPy, SciPy sparse or of ``xp``) in ``dtype``."""
    if xp is np:
        return array.astype(dtype, copy=False)
    return xp.astype(array, dtype, copy=False)
