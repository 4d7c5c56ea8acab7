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
    hidden_size, n_outputs = coefs[0].shape[1], coefs[1].shape[1]

    def outputs(X_chunk):
        return _network.probabilities(X_chunk, coefs, intercepts, spec, log=log)

    # Per row: the hidden activations and two arrays of outputs.
    return _in_chunks(X, coefs, n_outputs, hidden_size + 2 * n_outputs, outputs)


def hidden_outputs(X, coefs, intercepts, spec):
    """Return the hidden activations ``H = f(X W1 + b1)`` for ``X``, in chunks.

    The chunks are those of :func:`predict_outputs`, sized for one array of
    activations per chunk; see :func:`._network.hidden_layer`. The activations
    take the dtype of ``X``.
    """
    hidden_size = coefs[0].shape[1]
    b1, _ = _network.biases(intercepts, spec)

    def activations(X_chunk):
        return _network.hidden_layer(X_chunk, coefs[0], b1, spec.activation)

    return _in_chunks(X, coefs, hidden_size, hidden_size, activations)


def _in_chunks(X, coefs, n_columns, row_elements, compute):
    """Fill an array of ``n_columns`` per row of ``X`` with ``compute``, by chunks.

    ``compute`` takes a chunk of rows of ``X`` in the weights' precision and
    returns its columns; ``row_elements`` is how many elements it holds per
    row at once. A chunk's rows, with their copy in that precision where ``X``
    has another, fit in scikit-learn's ``working_memory``. The result takes
    the dtype of ``X``, in the weights' library and on their device.
    """
    xp = namespace(coefs[0])
    n_rows = X.shape[0]
    # NumPy's promotion: a float64 model computes float32 X in float64.
    dtype = xp.result_type(X.dtype, coefs[0].dtype)
    row_elements = _row_copy_elements(X, dtype) + row_elements
    row_bytes = xp.finfo(dtype).bits // 8 * row_elements
    chunk_rows = get_chunk_n_rows(row_bytes, max_n_rows=n_rows)
    result = xp.empty((n_rows, n_columns), dtype=X.dtype, **same_device(coefs[0]))
    for rows in gen_batches(n_rows, chunk_rows):
        result[rows, :] = compute(_as_dtype(X[rows, :], dtype, xp))
    return result


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
