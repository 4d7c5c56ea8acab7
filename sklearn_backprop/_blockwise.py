"""Passes over many rows in blocks, spread over threads.

An ``n_samples x hidden_size`` array never exists whole: each block of rows goes
forward (and backward) while it is in cache and leaves behind sums of metrics
and gradients. The blocks depend only on the number of rows and the hidden
layer's size; threads take them one at a time, their sums are added in block
order whichever thread computed them, and BLAS runs on one thread meanwhile, so
a pass gives the same bits on any number of threads and cores. A block goes
through the whole-array formulas of :mod:`._network`, operation for operation
(:func:`formula_block_totals`), or, for the log loss on NumPy arrays and CSR
matrices, through the compiled kernels of :mod:`._kernels`
(:func:`compiled_block_totals`); :func:`use_kernels` decides.

The threads and the hold on BLAS's threads belong to the process: made on first
use under a lock, shared by the passes that run at the same time, and forgotten
in a child made by ``fork``, which inherits them without their threads.
"""

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils._chunking import gen_batches, get_chunk_n_rows

from . import _kernels, _network
from ._array_api import namespace, same_device

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


@functools.cache
def available_cores():
    """Number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def n_threads_for(n_rows, hidden_size):
    """Number of threads worth using for a pass over ``n_rows`` rows."""
    useful = (n_rows * hidden_size) // MIN_ELEMENTS_PER_THREAD
    return max(1, min(available_cores(), useful, n_blocks(n_rows, hidden_size)))


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

    def __iadd__(self, other):
        # The same sums as ``+``, into these arrays where their library allows:
        # a pass adds up the totals of many blocks, each the size of the weights.
        self.weight += other.weight
        self.loss += other.loss
        self.squared_error += other.squared_error
        self.correct += other.correct
        for sums, more in [
            (self.coef_sums, other.coef_sums),
            (self.intercept_sums, other.intercept_sums),
        ]:
            for index in range(len(sums or ())):
                sums[index] += more[index]
        return self

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
    activation="logistic",
):
    """Forward, then metric sums and (with ``gradients``) backward on one block.

    Without ``metrics``, the metric sums are left at zero: a mini-batch step
    needs only the gradients.
    """
    H, P = _network.forward(X, coefs, intercepts, output, activation)
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
        D1 = _network.hidden_errors(D2, coefs[1], H, activation)
        totals.coef_sums, totals.intercept_sums = _network.gradient_sums(
            X, H, D1, D2, intercepts is not None
        )
    return totals


def formula_block_totals(
    X,
    Y,
    sample_weight,
    coefs,
    intercepts,
    block,
    *,
    loss,
    output,
    multilabel,
    metrics,
    gradients,
    activation,
):
    """:func:`block_totals` of the rows ``block`` (a slice) of the data."""
    return block_totals(
        X[block, :],
        Y[block, :],
        None if sample_weight is None else sample_weight[block],
        coefs,
        intercepts,
        loss,
        output,
        multilabel,
        metrics=metrics,
        gradients=gradients,
        activation=activation,
    )


def compiled_block_totals(
    X,
    Y,
    sample_weight,
    coefs,
    intercepts,
    block,
    *,
    output,
    activation,
    metrics,
    gradients,
):
    """:func:`block_totals` of the rows ``block`` (a slice), with compiled kernels.

    The same formulas: the matrix products in BLAS (SciPy's for sparse ``X``),
    the elementwise work between them in one fused loop per layer.
    """
    W1, W2 = coefs
    dtype = W1.dtype
    if intercepts is None:
        b1, b2 = np.zeros(W1.shape[1], dtype), np.zeros(W2.shape[1], dtype)
    else:
        b1, b2 = intercepts
    grads = ()
    if gradients:
        # np.zeros, several times faster than np.zeros_like on small arrays.
        grads = (
            np.zeros(W1.shape, dtype),
            np.zeros(b1.shape, dtype),
            np.zeros(W2.shape, dtype),
            np.zeros(b2.shape, dtype),
        )
    weights = np.empty(0, dtype) if sample_weight is None else sample_weight[block]
    sums = _kernel_block_pass(
        X[block],
        Y[block],
        weights,
        (W1, b1, W2, b2),
        _kernels.ACTIVATIONS[activation],
        _kernels.SLOPES[activation],
        _kernels.OUTPUT_ERRORS[output],
        metrics,
        grads,
    )
    weight = block.stop - block.start if sample_weight is None else weights.sum()
    totals = Totals(weight, *sums)
    if gradients:
        totals.coef_sums = [grads[0], grads[2]]
        if intercepts is not None:
            totals.intercept_sums = [grads[1], grads[3]]
    return totals


def _kernel_block_pass(X, Y, sample_weight, params, activate, slope, errors, *rest):
    """Forward, metric sums and (with ``grads``) backward on one block.

    ``params`` are ``(W1, b1, W2, b2)``; ``activate``, ``slope`` and
    ``errors`` the kernels of the hidden activation, its slope and the output
    errors; ``rest`` is ``(metrics, grads)``, with ``grads`` empty or the four
    arrays the gradient sums are added to: ``X^T D1``, the column sums of
    ``D1``, ``H^T D2``, the column sums of ``D2``. Returns the metric sums of
    ``errors``.
    """
    W1, b1, W2, b2 = params
    metrics, grads = rest
    H = X @ W1
    activate(H, b1)
    D2 = H @ W2
    intercept2 = grads[3] if grads else np.zeros_like(b2)
    sums = errors(D2, b2, Y, sample_weight, metrics, intercept2)
    if grads:
        coef1, intercept1, coef2, _ = grads
        D1 = D2 @ W2.T
        slope(D1, H, intercept1)
        if sp.issparse(X) or H.size < BLOCK_ELEMENTS // 2:
            coef1 += X.T @ D1
        else:
            for start in range(0, X.shape[0], GRADIENT_ROWS):
                rows = slice(start, start + GRADIENT_ROWS)
                coef1 += X[rows].T @ D1[rows]
        coef2 += H.T @ D2
    return sums


def use_kernels(X, loss, output, activation):
    """Whether a pass over ``X`` runs the compiled kernels.

    They serve the log loss (softmax outputs, or sigmoid outputs for
    multilabel targets) with every hidden activation, on C-ordered NumPy
    arrays and SciPy CSR matrices of float32 or float64. The tutorial's
    squared error keeps the formulas of :mod:`._network`, operation for
    operation, so that the tutorial's loop is reproduced to the last bit:
    the kernels' exponential rounds otherwise than NumPy's. Other array
    libraries take the formulas too.
    """
    if loss != "log_loss" or output not in _kernels.OUTPUT_ERRORS:
        return False
    if activation not in _kernels.ACTIVATIONS:
        return False
    if X.dtype not in (np.float32, np.float64):
        return False
    if sp.issparse(X):
        return X.format == "csr"
    return isinstance(X, np.ndarray) and X.flags.c_contiguous


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


class _BlasHold:
    """BLAS held to one thread while passes run, then given back its threads.

    BLAS's threads are set for the whole process, so the passes running at the
    same time share one hold: the first sets one thread, the last restores what
    the first found, in whatever order and threads they end. (A setting that
    other code makes meanwhile is undone with the hold.) Callers serialise
    :meth:`take` and :meth:`give_back`.
    """

    def __init__(self):
        self._libraries = None
        self._holders = 0
        # The libraries' threads before the hold; None where it changed nothing.
        self._saved = None

    def take(self):
        """Hold BLAS to one thread, or join the hold already on."""
        if self._holders == 0:
            saved = [library.num_threads for library in self._blas_libraries()]
            if any(count not in (1, None) for count in saved):
                self._set([1] * len(saved))
                self._saved = saved
        self._holders += 1

    def give_back(self):
        """Leave the hold; the last to leave restores BLAS's threads."""
        self._holders -= 1
        if self._holders == 0 and self._saved is not None:
            self._set(self._saved)
            self._saved = None

    def end_in_child(self):
        """End the hold in a child made by ``fork``, whoever held it.

        The passes that held it ran in other threads of the parent, which the
        child has not: none will end here and give BLAS back its threads.
        """
        if self._holders:
            self._holders = 1
            self.give_back()

    def _blas_libraries(self):
        """threadpoolctl's controllers of the BLAS libraries, made on first use.

        BLAS runs a product on its own threads first (see :func:`_prime_blas`).
        """
        if self._libraries is None:
            from threadpoolctl import ThreadpoolController

            _prime_blas()
            blas = ThreadpoolController().select(user_api="blas")
            self._libraries = blas.lib_controllers
        return self._libraries

    def _set(self, counts):
        from threadpoolctl import OpenBLASController

        for library, count in zip(self._libraries, counts):
            if count is not None:
                library.set_num_threads(count)
        # threadpoolctl (from 3.8) lets one thread at a time set OpenBLAS's
        # threads, the first to try, and silently ignores the others: this one
        # lets go, so that the pass that ends last, in any thread, can restore
        # them (and other code set them after).
        getattr(OpenBLASController, "clear_controlling_thread", lambda: None)()


class _ProcessThreads:
    """A process's pool of threads for passes, and its hold on BLAS's threads.

    ``lock`` guards both: threads that start their first passes at once find one
    pool, complete, and one hold.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self._executor = None
        self.blas_hold = _BlasHold()

    def executor(self):
        """The pool of threads for passes, started on first use."""
        with self.lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=available_cores(),
                    thread_name_prefix="sklearn_backprop",
                )
            return self._executor

    @contextmanager
    def blas_on_one_thread(self):
        """Hold BLAS to one thread meanwhile (see :class:`_BlasHold`)."""
        with self.lock:
            self.blas_hold.take()
        try:
            yield
        finally:
            with self.lock:
                self.blas_hold.give_back()


_threads = _ProcessThreads()


def _before_fork():
    # The child then finds the state whole, not halfway through a change.
    _threads.lock.acquire()


def _after_fork_in_parent():
    _threads.lock.release()


def _after_fork_in_child():
    # The child inherits the pool without its threads: a pass would wait on
    # them forever. It starts afresh.
    global _threads
    _threads.blas_hold.end_in_child()
    _threads.lock.release()
    _threads = _ProcessThreads()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
    # A child may be given other cores than its parent. (The function is bound
    # now: tests put others in the module's name.)
    os.register_at_fork(after_in_child=available_cores.cache_clear)


def blas_on_one_thread():
    """Return a context manager that holds BLAS to one thread, as passes do.

    Holds nest and are shared with the passes' own: code that runs many small
    passes (a fit) within one spares each pass the cost of setting BLAS's
    threads and restoring them (10 to 20 µs with two BLAS libraries loaded).
    """
    return _threads.blas_on_one_thread()


class _InOrderSum:
    """The running sum of a pass's block totals, added in block order.

    Threads take the blocks' indices from it one at a time and hand back each
    block's totals; these join the sum only after those of every block before,
    so the sum is the same, bit for bit, on any number of threads. A thread
    takes no block more than ``lead`` blocks ahead of the sum, which bounds the
    totals waiting to be added.
    """

    def __init__(self, n_blocks, lead):
        self._condition = threading.Condition()
        self._n_blocks = n_blocks
        self._lead = lead
        self._taken = 0
        self._added = 0
        self._waiting = {}
        self._stopped = False
        self.total = None

    def _may_take(self):
        return (
            self._stopped
            or self._taken == self._n_blocks
            or self._taken - self._added < self._lead
        )

    def take(self):
        """Return the index of the next block to compute; None when none is left."""
        with self._condition:
            self._condition.wait_for(self._may_take)
            if self._stopped or self._taken == self._n_blocks:
                return None
            self._taken += 1
            return self._taken - 1

    def add(self, index, totals):
        """Add the ``totals`` of block ``index``, after those of the blocks before."""
        with self._condition:
            self._waiting[index] = totals
            while self._added in self._waiting:
                block = self._waiting.pop(self._added)
                if self.total is None:
                    self.total = block
                else:
                    self.total += block
                self._added += 1
            self._condition.notify_all()

    def stop(self):
        """Hand out no more blocks: a thread failed, and the pass with it."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()

    def wait(self):
        """Wait until the totals of every block are added, or the pass stops."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._stopped or self._added == self._n_blocks
            )


def _sum_on_threads(function, blocks, n_threads):
    """Return the sum of ``function(block)`` over ``blocks``, on ``n_threads``.

    Threads of the pool compute the blocks while the calling thread waits: when
    the main thread computed blocks too, the other thread waited for the GIL
    for a whole switch interval (5 ms) on one block in ten. An error in a
    thread, or an interruption of the wait (Ctrl-C), stops the others after
    their block; the error is raised here.
    """
    # Room for four blocks a thread: one slowed by the machine's other work
    # does not stop the others at once.
    running_sum = _InOrderSum(len(blocks), lead=4 * n_threads)

    def work():
        try:
            while (index := running_sum.take()) is not None:
                running_sum.add(index, function(blocks[index]))
        except BaseException:
            running_sum.stop()
            raise

    executor = _threads.executor()
    workers = [executor.submit(work) for _ in range(n_threads)]
    try:
        running_sum.wait()
    except BaseException:
        running_sum.stop()
        raise
    for worker in workers:
        # One still queued behind other passes' threads has nothing left to do.
        if not worker.cancel():
            worker.result()
    return running_sum.total


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
    activation="logistic",
):
    """Return the Totals of a pass over all rows of ``X``, blockwise and threaded.

    ``metrics`` and ``gradients`` say which sums to compute, as in
    :func:`block_totals`; ``n_threads`` defaults to :func:`n_threads_for`. The
    result does not depend on ``n_threads``.
    """
    n_rows, hidden_size = X.shape[0], coefs[0].shape[1]
    blocks = block_slices(n_rows, hidden_size)
    compiled = use_kernels(X, loss, output, activation)

    def totals_of(block):
        if compiled:
            return compiled_block_totals(
                X,
                Y,
                sample_weight,
                coefs,
                intercepts,
                block,
                output=output,
                activation=activation,
                metrics=metrics,
                gradients=gradients,
            )
        return formula_block_totals(
            X,
            Y,
            sample_weight,
            coefs,
            intercepts,
            block,
            loss=loss,
            output=output,
            multilabel=multilabel,
            metrics=metrics,
            gradients=gradients,
            activation=activation,
        )

    if namespace(X) is not np:
        # Other array libraries run their own threads (or a GPU) on each block.
        return _sum_in_order(totals_of, blocks)
    # OpenBLAS's results depend on its number of threads, which differs from one
    # machine to the next: on one thread, the products' bits are the same on
    # all.
    with blas_on_one_thread():
        if len(blocks) > 1 and n_threads is None:
            n_threads = n_threads_for(n_rows, hidden_size)
        if len(blocks) == 1 or n_threads == 1:
            return _sum_in_order(totals_of, blocks)
        return _sum_on_threads(totals_of, blocks, min(n_threads, len(blocks)))


def _sum_in_order(function, blocks):
    """Return the sum of ``function(block)`` over ``blocks``, on this thread."""
    total = function(blocks[0])
    for block in blocks[1:]:
        total += function(block)
    return total


def predict_outputs(
    X, coefs, intercepts, *, output, normalise, log=False, activation="logistic"
):
    """Return the class probabilities (or their logarithms) for ``X``, in chunks.

    Each chunk's hidden activations, and its copy in the weights' precision
    where ``X`` has another, fit in scikit-learn's ``working_memory``
    (``sklearn.set_config``), whatever the number of rows; see
    :func:`._network.probabilities` for ``normalise`` and ``log``. The outputs
    take the dtype of ``X``.
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
            _as_dtype(X[rows, :], dtype, xp),
            coefs,
            intercepts,
            output,
            normalise=normalise,
            log=log,
            activation=activation,
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
