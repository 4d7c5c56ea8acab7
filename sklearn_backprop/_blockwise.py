"""One pass over many rows, in blocks: the sums of metrics and gradients.

An ``n_samples x hidden_size`` array never exists whole: each block of rows goes
forward (and backward) while it is in cache and leaves behind :class:`Totals`,
sums of metrics and gradients over its rows. The blocks depend only on the
number of rows and the hidden layer's size; their totals are added in block
order, on one thread or on several (:mod:`._threads`), so a pass gives the same
bits on any number of threads and cores. A block goes through the whole-array
formulas of :mod:`._network`, operation for operation (:func:`block_totals`),
or, for the log loss on NumPy arrays and CSR matrices, through the compiled
kernels of :mod:`._kernels` (:func:`compiled_block_totals`);
:func:`use_kernels` decides.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import _kernels, _network, _threads
from ._array_api import namespace

# Hidden activations per block: 1 MiB of float64, which stays in cache through
# the elementwise work between the two products (1024 rows of 128 units; blocks
# of 512 to 1024 rows ran fastest in benchmarks/bench_fit.py).
BLOCK_ELEMENTS = 131072
# Rows per product in X_b.T @ D1, a sum over rows, in blocks of at least half
# BLOCK_ELEMENTS: on two threads at once, OpenBLAS ran longer sums in float32
# at two thirds of its one-thread speed, and sums of 128 rows at full speed
# (float64 gained a little too). Smaller blocks, whose passes run on one
# thread, take one product: a call per 128 rows cost more there.
GRADIENT_ROWS = 128
# Below this many hidden activations a pass runs on one thread: starting
# threads costs more than they save.
MIN_ELEMENTS_PER_THREAD = 200_000
# Where a pass is worth threads, it has a multiple of this many blocks, of
# equal sizes, so that 1, 2, 4 or 8 threads share its rows evenly (five blocks
# on two threads took as long as six).
BLOCKS_MULTIPLE = 8


def block_rows(hidden_size):
    """Most rows per block for a hidden layer of ``hidden_size`` units."""
    return max(64, BLOCK_ELEMENTS // hidden_size)


def n_blocks(n_rows, hidden_size):
    """Number of blocks in a pass over ``n_rows`` rows."""
    count = -(-n_rows // block_rows(hidden_size))
    if n_rows * hidden_size >= 2 * MIN_ELEMENTS_PER_THREAD:
        count = -(-count // BLOCKS_MULTIPLE) * BLOCKS_MULTIPLE
    return max(1, min(count, n_rows))


def block_slices(n_rows, hidden_size):
    """The blocks of ``n_rows`` rows, as slices, for a hidden layer's size.

    They depend on nothing else, the number of threads least of all: a pass's
    sums are those of these blocks, added in this order. Their sizes differ by
    at most a row.
    """
    count = n_blocks(n_rows, hidden_size)
    if count == 1:
        return [slice(0, n_rows)]
    edges = [n_rows * index // count for index in range(count + 1)]
    return [slice(begin, end) for begin, end in zip(edges[:-1], edges[1:])]


def n_threads_for(n_rows, hidden_size):
    """Number of threads worth using for a pass over ``n_rows`` rows."""
    useful = (n_rows * hidden_size) // MIN_ELEMENTS_PER_THREAD
    return max(
        1, min(_threads.available_cores(), useful, n_blocks(n_rows, hidden_size))
    )


@dataclass
class Gradients:
    """Gradients summed over rows: ``[X^T D1, H^T D2]`` and the biases'.

    ``intercepts`` holds the column sums of ``D1`` and ``D2``, None for a
    network without biases. The gradients of the mean loss are these sums
    divided by :func:`._network.normaliser` (see
    :func:`._network.mean_gradients`).
    """

    coefs: list
    intercepts: list | None

    def __iadd__(self, other):
        # Into these arrays where their library allows: a pass adds up the
        # gradients of many blocks, each the size of the weights.
        for sums, more in [
            (self.coefs, other.coefs),
            (self.intercepts, other.intercepts),
        ]:
            for index in range(len(sums or ())):
                sums[index] += more[index]
        return self


@dataclass
class Totals:
    """Sums over the rows of one pass: weights, metrics and (optionally) gradients.

    The means are the sums divided by ``weight``, the number of rows or the
    sum of their weights (see ``_training.history_row``). ``saturated``, when a
    pass counts it, holds per hidden unit the number of rows on which the unit
    is saturated (see :func:`._network.saturated_counts`), integers whose sum
    does not depend on the order of the blocks. ``N`` is what the gradient
    sums are divided by for the mean gradient (see
    :func:`._network.normaliser`), which :func:`pass_totals` sets.
    """

    weight: float
    loss: float = 0.0
    squared_error: float = 0.0
    correct: float = 0.0
    grads: Gradients | None = None
    saturated: object = None
    N: float = 0.0

    def __iadd__(self, other):
        self.weight += other.weight
        self.N += other.N
        self.loss += other.loss
        self.squared_error += other.squared_error
        self.correct += other.correct
        if self.grads is not None:
            self.grads += other.grads
        if self.saturated is not None:
            self.saturated = self.saturated + other.saturated
        return self


# The log loss summed over rows, by output function.
LOG_LOSS_SUMS = {
    "softmax": _network.log_loss_sum,
    "sigmoid": _network.binary_log_loss_sum,
}


def block_totals(
    rows, coefs, intercepts, spec, *, metrics, gradients, saturation=False
):
    """Forward, then metric sums and (with ``gradients``) backward on ``rows``.

    ``rows`` are the data of the block (``X``, ``Y``, ``sample_weight``).
    Without ``metrics``, the metric sums are left at zero: a mini-batch step
    needs only the gradients. With ``saturation``, count the saturated hidden
    units of each row (``Totals.saturated``).
    """
    X, Y, sample_weight = rows.X, rows.Y, rows.sample_weight
    H, P = _network.forward(X, coefs, intercepts, spec)
    totals = Totals(_network.weight_total(P, sample_weight))
    if saturation:
        totals.saturated = _network.saturated_counts(H, spec.activation)
    if metrics:
        totals.squared_error = _network.squared_error_sum(Y, P, sample_weight)
        if spec.loss == "squared_error":
            totals.loss = totals.squared_error
        else:
            totals.loss = LOG_LOSS_SUMS[spec.output](Y, P, sample_weight)
        if spec.multilabel:
            totals.correct = _network.subset_correct_sum(Y, P, sample_weight)
        else:
            totals.correct = _network.correct_sum(Y, P, sample_weight)
    if gradients:
        D2 = _network.output_errors(Y, P, spec.loss, sample_weight)
        D1 = _network.hidden_errors(D2, coefs[1], H, spec.activation)
        totals.grads = Gradients(
            *_network.gradient_sums(X, H, D1, D2, spec.fit_intercept)
        )
    return totals


def compiled_block_totals(
    rows, coefs, intercepts, spec, *, metrics, gradients, saturation=False
):
    """:func:`block_totals`, with compiled kernels.

    The same formulas: the matrix products in BLAS (SciPy's for sparse ``X``),
    the elementwise work between them in one fused loop per layer. The
    saturated units are counted by the slope's loop where there is one.
    """
    W1, W2 = coefs
    dtype = W1.dtype
    if spec.fit_intercept:
        b1, b2 = intercepts
    else:
        b1, b2 = np.zeros(W1.shape[1], dtype), np.zeros(W2.shape[1], dtype)
    grads = None
    if gradients:
        # np.zeros, several times faster than np.zeros_like on small arrays.
        grads = _Layers(
            np.zeros(W1.shape, dtype),
            np.zeros(b1.shape, dtype),
            np.zeros(W2.shape, dtype),
            np.zeros(b2.shape, dtype),
        )
    if rows.sample_weight is None:
        weights, weight = np.empty(0, dtype), rows.X.shape[0]
    else:
        weights = rows.sample_weight
        weight = weights.sum()
    counts = np.zeros(W1.shape[1], np.int64) if saturation else None
    sums = _kernel_block_pass(
        rows.X,
        rows.Y,
        weights,
        _Layers(W1, b1, W2, b2),
        spec,
        metrics=metrics,
        grads=grads,
        counts=counts,
    )
    totals = Totals(weight, *sums)
    totals.saturated = counts
    if gradients:
        totals.grads = Gradients(
            [grads.W1, grads.W2],
            [grads.b1, grads.b2] if spec.fit_intercept else None,
        )
    return totals


@dataclass
class _Layers:
    """The two layers' weights and biases, or arrays of their shapes."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray


def _kernel_block_pass(
    X, Y, sample_weight, params, spec, *, metrics, grads, counts=None
):
    """Forward, metric sums and (with ``grads``) backward on one block.

    ``params`` are the layers' weights and biases; ``sample_weight`` is empty
    for rows of equal weight; ``grads``, None or the layers' gradient sums,
    which the backward pass adds to: ``X^T D1``, the column sums of ``D1``,
    ``H^T D2``, the column sums of ``D2``; ``counts``, None or the saturated
    rows per hidden unit, which the pass adds to. Returns the metric sums of
    the output kernel (see :data:`._kernels.OUTPUT_ERRORS`).
    """
    H = X @ params.W1
    _kernels.ACTIVATIONS[spec.activation](H, params.b1)
    if counts is not None and grads is None:
        # No slope to count in: count from H, as the formulas do.
        counts += _network.saturated_counts(H, spec.activation)
    D2 = H @ params.W2
    intercept2 = np.zeros_like(params.b2) if grads is None else grads.b2
    errors = _kernels.OUTPUT_ERRORS[spec.output]
    sums = errors(D2, params.b2, Y, sample_weight, metrics, intercept2)
    if grads is not None:
        D1 = D2 @ params.W2.T
        if counts is None:
            _kernels.SLOPES[spec.activation](D1, H, grads.b1)
        else:
            _kernels.COUNTED_SLOPES[spec.activation](D1, H, grads.b1, counts)
        if sp.issparse(X) or H.size < BLOCK_ELEMENTS // 2:
            grads.W1 += X.T @ D1
        else:
            for start in range(0, X.shape[0], GRADIENT_ROWS):
                block = slice(start, start + GRADIENT_ROWS)
                grads.W1 += X[block].T @ D1[block]
        grads.W2 += H.T @ D2
    return sums


def use_kernels(X, spec):
    """Whether a pass over ``X`` runs the compiled kernels.

    They serve the log loss (softmax outputs, or sigmoid outputs for
    multilabel targets) with every hidden activation, on C-ordered NumPy
    arrays and SciPy CSR matrices of float32 or float64. The tutorial's
    squared error keeps the formulas of :mod:`._network`, operation for
    operation, so that the tutorial's loop is reproduced to the last bit:
    the kernels' exponential rounds otherwise than NumPy's. Other array
    libraries take the formulas too.
    """
    if spec.loss != "log_loss" or spec.output not in _kernels.OUTPUT_ERRORS:
        return False
    if spec.activation not in _kernels.ACTIVATIONS:
        return False
    if sp.issparse(X):
        layout = X.format == "csr"
    else:
        layout = isinstance(X, np.ndarray) and X.flags.c_contiguous
    return layout and X.dtype in (np.float32, np.float64)


def pass_totals(
    data,
    coefs,
    intercepts,
    spec,
    *,
    metrics=True,
    gradients,
    saturation=False,
    n_threads=None,
):
    """Return the Totals of a pass over all rows of ``data``, blockwise.

    ``data`` holds ``X``, ``Y`` and ``sample_weight`` and takes rows with
    ``take``; ``metrics``, ``gradients`` and ``saturation`` say which sums to
    compute, as in :func:`block_totals`; ``n_threads`` defaults to
    :func:`n_threads_for`. The result does not depend on ``n_threads``.
    """
    n_rows = data.X.shape[0]
    blocks = block_slices(n_rows, spec.hidden_size)
    totals = compiled_block_totals if use_kernels(data.X, spec) else block_totals
    if n_threads is None:
        n_threads = n_threads_for(n_rows, spec.hidden_size)

    def totals_of(block):
        return totals(
            data.take(block),
            coefs,
            intercepts,
            spec,
            metrics=metrics,
            gradients=gradients,
            saturation=saturation,
        )

    totals = _summed(totals_of, blocks, namespace(data.X), n_threads)
    totals.N = _network.normaliser(spec.loss, totals.weight, spec.n_outputs)
    return totals


def _summed(totals_of, blocks, xp, n_threads):
    """The Totals of the ``blocks`` of an ``xp`` array added up, on up to
    ``n_threads`` threads for NumPy."""
    if xp is not np:
        # Other array libraries run their own threads (or a GPU) on each block.
        return _threads.sum_in_order(totals_of, blocks)
    # OpenBLAS's results depend on its number of threads, which differs from one
    # machine to the next: on one thread, the products' bits are the same on
    # all.
    with _threads.blas_on_one_thread():
        if len(blocks) == 1 or n_threads == 1:
            return _threads.sum_in_order(totals_of, blocks)
        return _threads.sum_on_threads(totals_of, blocks, min(n_threads, len(blocks)))
