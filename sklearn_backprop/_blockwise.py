"""Passes over many rows in blocks, spread over threads.

An ``n_samples x hidden_size`` array never exists whole: each block of rows goes
forward (and backward) while it is in cache and leaves behind sums of metrics
and gradients. Threads take contiguous shares of the rows, and their sums are
added in a fixed order, so results are deterministic for a given number of
threads. A block goes through the whole-array formulas of :mod:`._network`,
operation for operation (:func:`formula_share_totals`), or, for softmax outputs
on NumPy arrays, through the compiled kernels of :mod:`._kernels`
(:func:`compiled_share_totals`); :func:`use_kernels` decides.
"""

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from sklearn.utils._chunking import gen_batches, get_chunk_n_rows

from . import _kernels, _network
from ._array_api import namespace, same_device

# Hidden activations per block: 1 MiB of float64, which stays in cache through
# the elementwise work between the two products (1024 rows of 128 units; blocks
# of 512 to 1024 rows ran fastest in benchmarks/bench_fit.py).
BLOCK_ELEMENTS = 131072
# Blocks that take at most this many multiply-adds in their products run
# entirely in compiled loops: BLAS calls cost more than they save there (the
# two ran even at about 300,000 in benchmarks/bench_fit.py's shapes).
SMALL_BLOCK_MACS = 200_000
# Rows per product in X_b.T @ D1, a sum over rows: on two threads at once,
# OpenBLAS ran longer sums in float32 at two thirds of its one-thread speed, and
# sums of 128 rows at full speed (float64 gained a little too).
GRADIENT_ROWS = 128
# Below this many hidden activations a pass runs on one thread: starting
# threads costs more than they save.
MIN_ELEMENTS_PER_THREAD = 200_000


def block_rows(hidden_size):
    """Rows per block for a hidden layer of ``hidden_size`` units."""
    return max(64, BLOCK_ELEMENTS // hidden_size)


def block_slices(rows, hidden_size):
    """The blocks of the slice ``rows``, as slices, for a hidden layer's size."""
    step = block_rows(hidden_size)
    return [
        slice(begin, min(begin + step, rows.stop))
        for begin in range(rows.start, rows.stop, step)
    ]


@functools.cache
def available_cores():
    """Number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def n_threads_for(n_rows, hidden_size):
    """Number of threads worth using for a pass over ``n_rows`` rows."""
    useful = (n_rows * hidden_size) // MIN_ELEMENTS_PER_THREAD
    n_blocks = -(-n_rows // block_rows(hidden_size))
    return max(1, min(available_cores(), useful, n_blocks))


@dataclass
class Totals:
    """Sums over rows of one pass: weights, metrics and (optionally) gradients.

    The gradients of the mean loss are the sums divided by
    :func:`._network.normaliser`, as :func:`._network.finish_gradients` does.
    """

    weight: float
    loss: float = 0.0
    squared_error: float = 0.0
    correct: float = 0.0
    coef_sums: list | None = None
    intercept_sums: list | None = None

    def __add__(self, other):
        return Totals(
            self.weight + other.weight,
            self.loss + other.loss,
            self.squared_error + other.squared_error,
            self.correct + other.correct,
            _add_lists(self.coef_sums, other.coef_sums),
            _add_lists(self.intercept_sums, other.intercept_sums),
        )

    def metrics(self, loss, n_outputs):
        """Return the mean ``loss``, ``mse`` and ``accuracy`` over the rows."""
        mse = self.squared_error / (2 * n_outputs * self.weight)
        # 0.0 + m: a perfect fit reads 0.0, not -0.0.
        mean_loss = mse if loss == "squared_error" else 0.0 + self.loss / self.weight
        return {"loss": mean_loss, "mse": mse, "accuracy": self.correct / self.weight}


def _add_lists(first, second):
    if first is None:
        return None
    return [a + b for a, b in zip(first, second)]


LOSS_SUMS = {
    ("squared_error", "sigmoid"): _network.squared_error_sum,
    ("log_loss", "softmax"): _network.log_loss_sum,
    ("log_loss", "sigmoid"): _network.binary_log_loss_sum,
}


def block_totals(
    X,
    Y,
    sample_weight,
    coefs,
    intercepts,
    loss,
    output,
    multilabel,
    *,
    metrics,
    gradients,
):
    """Forward, then metric sums and (with ``gradients``) backward on one block.

    Without ``metrics``, the metric sums are left at zero: a mini-batch step
    needs only the gradients.
    """
    H, P = _network.forward(X, coefs, intercepts, output)
    totals = Totals(_network.weight_total(P, sample_weight))
    if metrics:
        totals.squared_error = _network.squared_error_sum(Y, P, sample_weight)
        if loss == "squared_error":
            totals.loss = totals.squared_error
        else:
            totals.loss = LOSS_SUMS[loss, output](Y, P, sample_weight)
        correct = _network.subset_correct_sum if multilabel else _network.correct_sum
        totals.correct = correct(Y, P, sample_weight)
    if gradients:
        D2 = _network.output_errors(Y, P, loss, sample_weight)
        D1 = _network.hidden_errors(D2, coefs[1], H)
        totals.coef_sums, totals.intercept_sums = _network.gradient_sums(
            X, H, D1, D2, intercepts is not None
        )
    return totals


def formula_share_totals(
    X,
    Y,
    sample_weight,
    coefs,
    intercepts,
    rows,
    *,
    loss,
    output,
    multilabel,
    metrics,
    gradients,
):
    """:func:`block_totals` summed over ``rows`` (a slice), block by block."""
    totals = None
    for block in block_slices(rows, coefs[0].shape[1]):
        weights = None if sample_weight is None else sample_weight[block]
        block_sums = block_totals(
            X[block, :],
            Y[block, :],
            weights,
            coefs,
            intercepts,
            loss,
            output,
            multilabel,
            metrics=metrics,
            gradients=gradients,
        )
        totals = block_sums if totals is None else totals + block_sums
    return totals


def compiled_share_totals(
    X, Y, sample_weight, coefs, intercepts, rows, *, metrics, gradients
):
    """:func:`block_totals` summed over ``rows`` (a slice), with compiled kernels.

    The same formulas, block by block: small blocks entirely in compiled loops
    (:func:`._kernels.small_pass`), others with the matrix products in BLAS and
    the elementwise work between them in one fused loop per layer.
    """
    W1, W2 = coefs
    dtype = W1.dtype
    if intercepts is None:
        b1, b2 = np.zeros(W1.shape[1], dtype), np.zeros(W2.shape[1], dtype)
    else:
        b1, b2 = intercepts
    sums = np.zeros(3)
    grads = ()
    if gradients:
        # np.zeros, several times faster than np.zeros_like on small arrays.
        grads = (
            np.zeros(W1.shape, dtype),
            np.zeros(b1.shape, dtype),
            np.zeros(W2.shape, dtype),
            np.zeros(b2.shape, dtype),
        )
    no_weights = np.empty(0, dtype)
    macs_per_row = W1.shape[1] * (W1.shape[0] + W2.shape[1])
    for block in block_slices(rows, W1.shape[1]):
        weights = no_weights if sample_weight is None else sample_weight[block]
        args = (X[block], Y[block], weights, W1, b1, W2, b2, metrics, grads)
        if (block.stop - block.start) * macs_per_row <= SMALL_BLOCK_MACS:
            sums += _kernels.small_pass(*args)
        else:
            sums += _blas_block_pass(*args)
    weight = rows.stop - rows.start
    if sample_weight is not None:
        weight = sample_weight[rows].sum()
    totals = Totals(weight, *sums.tolist())
    if gradients:
        totals.coef_sums = [grads[0], grads[2]]
        if intercepts is not None:
            totals.intercept_sums = [grads[1], grads[3]]
    return totals


def _blas_block_pass(X, Y, sample_weight, W1, b1, W2, b2, metrics, grads):
    """:func:`._kernels.small_pass` with the matrix products in BLAS."""
    H = X @ W1
    _kernels.sigmoid(H, b1)
    D2 = H @ W2
    intercept2 = grads[3] if grads else np.zeros_like(b2)
    sums = _kernels.softmax_errors(D2, b2, Y, sample_weight, metrics, intercept2)
    if grads:
        coef1, intercept1, coef2, _ = grads
        D1 = D2 @ W2.T
        _kernels.sigmoid_slope(D1, H, intercept1)
        for start in range(0, X.shape[0], GRADIENT_ROWS):
            rows = slice(start, start + GRADIENT_ROWS)
            coef1 += X[rows].T @ D1[rows]
        coef2 += H.T @ D2
    return sums


def use_kernels(X, output):
    """Whether a pass over ``X`` runs the compiled kernels.

    They serve softmax outputs on C-ordered NumPy arrays of float32 or float64.
    Sigmoid outputs (multilabel problems, and the tutorial's squared error,
    which reproduces the tutorial's arithmetic to the last bit), sparse input
    and other array libraries take the formulas of :mod:`._network`.
    """
    return (
        output == "softmax"
        and isinstance(X, np.ndarray)
        and X.flags.c_contiguous
        and X.dtype in (np.float32, np.float64)
    )


_executor = None
_blas_controller = None


def _prime_blas():
    """Run one product of each float type on BLAS's own threads.

    OpenBLAS (as NumPy's wheels ship it) runs a one-thread product with a long
    inner dimension, such as ``X_b.T @ D1`` over a block of 1024 rows, up to
    twice as slowly until the process has run a product on several of its
    threads. Measured on benchmarks/bench_fit.py's large data in fresh
    processes: without this, an iteration took 1.2 to 1.4 times as long, in
    float64 and float32. It costs a millisecond, once.
    """
    for dtype in (np.float32, np.float64):
        square = np.ones((256, 256), dtype)
        square @ square


def _run_in_threads(function, shares):
    """Run ``function(start, stop)`` for each share in its own thread.

    The BLAS library is held to one thread meanwhile, so that the threads here
    and its own do not compete for the same cores.
    """
    global _executor, _blas_controller
    if _executor is None:
        from threadpoolctl import ThreadpoolController

        _executor = ThreadPoolExecutor(max_workers=available_cores())
        _blas_controller = ThreadpoolController()
        _prime_blas()
    limit = (
        _blas_controller.limit(limits=1, user_api="blas")
        if _blas_controller.select(user_api="blas")
        else nullcontext()
    )
    with limit:
        return list(_executor.map(lambda share: function(*share), shares))


def pass_totals(
    X,
    Y,
    sample_weight,
    coefs,
    intercepts,
    *,
    loss,
    output,
    multilabel,
    metrics=True,
    gradients,
    n_threads=None,
):
    """Return the Totals of a pass over all rows of ``X``, blockwise and threaded.

    ``metrics`` and ``gradients`` say which sums to compute, as in
    :func:`block_totals`; ``n_threads`` defaults to :func:`n_threads_for`.
    """
    n_rows, hidden_size = X.shape[0], coefs[0].shape[1]
    if n_threads is None:
        n_threads = n_threads_for(n_rows, hidden_size)
    compiled = use_kernels(X, output)

    def share_totals(start, stop):
        rows = slice(start, stop)
        if compiled:
            return compiled_share_totals(
                X,
                Y,
                sample_weight,
                coefs,
                intercepts,
                rows,
                metrics=metrics,
                gradients=gradients,
            )
        return formula_share_totals(
            X,
            Y,
            sample_weight,
            coefs,
            intercepts,
            rows,
            loss=loss,
            output=output,
            multilabel=multilabel,
            metrics=metrics,
            gradients=gradients,
        )

    if n_threads == 1 or namespace(X) is not np:
        # Other array libraries run their own threads (or a GPU) on one block.
        return share_totals(0, n_rows)
    edges = np.linspace(0, n_rows, n_threads + 1).astype(int)
    results = _run_in_threads(share_totals, list(zip(edges[:-1], edges[1:])))
    total = results[0]
    for result in results[1:]:
        total = total + result
    return total


def predict_outputs(X, coefs, intercepts, *, output, normalise, log=False):
    """Return the class probabilities (or their logarithms) for ``X``, in chunks.

    Each chunk's hidden activations fit in scikit-learn's ``working_memory``
    (``sklearn.set_config``), whatever the number of rows; see
    :func:`._network.probabilities` for ``normalise`` and ``log``.
    """
    xp = namespace(coefs[0])
    n_rows, hidden_size = X.shape[0], coefs[0].shape[1]
    n_outputs = coefs[1].shape[1]
    # Per row: the hidden activations and two arrays of outputs.
    row_bytes = xp.finfo(X.dtype).bits // 8 * (hidden_size + 2 * n_outputs)
    chunk_rows = get_chunk_n_rows(row_bytes, max_n_rows=n_rows)
    outputs = xp.empty((n_rows, n_outputs), dtype=X.dtype, **same_device(coefs[0]))
    for rows in gen_batches(n_rows, chunk_rows):
        outputs[rows, :] = _network.probabilities(
            X[rows, :], coefs, intercepts, output, normalise=normalise, log=log
        )
    return outputs
