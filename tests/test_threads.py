"""Threaded passes: the same bits on any number of threads and cores, safe to
start from several threads at once and after a fork, and leaving BLAS's threads
as they found them.

A test that means passes to run on threads says how many ran: the threads that
call ``_blockwise.block_totals`` and ``compiled_block_totals`` are recorded
(:class:`Threads`). Where a test needs a fresh process, one core or a
fork, it runs a child with a time limit, so that a regression fails instead of
hanging.
"""

import itertools
import json
import multiprocessing
import os
import threading

import numpy as np
import pytest
from _reference import make_spec, random_problem
from _support import assert_same_model, run_child
from numpy.testing import assert_array_equal
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_backprop import BackpropClassifier, _blockwise, _threads
from sklearn_backprop._fit_data import Rows

# Seconds a child process may take, or a block may wait for other threads:
# generous on a loaded machine, where a healthy child takes a few.
CHILD_SECONDS = 120

# Full batch: the loop runs a mini-batch's passes on one thread.
SMALL_FIT = dict(hidden_size=8, batch_size=None, max_iter=20, tol=None, random_state=0)

# The names of the pool's threads begin with this.
POOL = "sklearn_backprop"


class Threads:
    """The cores the package sees, and a record of the threads that compute
    blocks (``_blockwise.block_totals`` and ``compiled_block_totals``).

    :meth:`cores` gives the package a fresh pool as large as the cores: the
    process's pool is made once, as large as the cores then seen, and one made
    by an earlier test, or on a machine of one core, would run fewer threads.
    A pool thread's first block waits until ``expected`` pool threads have
    begun one: a pass meant for that many threads then runs on them, whatever
    the scheduler does, instead of one thread taking every block first. (A pass
    that cannot reach them goes on after ``CHILD_SECONDS`` and fails its test.)
    """

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self._condition = threading.Condition()
        self.pools = []
        self.reset()
        for name in ("block_totals", "compiled_block_totals"):
            monkeypatch.setattr(_blockwise, name, self._wrap(getattr(_blockwise, name)))

    def cores(self, n):
        self._monkeypatch.setattr(_threads, "available_cores", lambda: n)
        self.pools.append(_threads._ProcessThreads())
        self._monkeypatch.setattr(_threads, "_process_threads", self.pools[-1])
        self.reset(expected=n)

    def reset(self, expected=2):
        with self._condition:
            self.names, self.expected = [], expected

    def pool(self):
        """The pool's threads that computed blocks."""
        return {name for name in self.names if name.startswith(POOL)}

    def _wrap(self, function):
        def recorded(*args, **kwargs):
            name = threading.current_thread().name
            with self._condition:
                first = name not in self.names
                self.names.append(name)
                self._condition.notify_all()
                if first and name.startswith(POOL):
                    self._condition.wait_for(
                        lambda: len(self.pool()) >= self.expected, CHILD_SECONDS
                    )
            return function(*args, **kwargs)

        return recorded


@pytest.fixture
def threads(monkeypatch):
    threads = Threads(monkeypatch)
    yield threads
    for pool in threads.pools:
        if pool._executor is not None:
            pool._executor.shutdown()


@pytest.fixture
def threaded(monkeypatch, threads):
    """Three threads for every pass of iris-sized data, in blocks of 16 rows or
    less."""
    threads.cores(3)
    monkeypatch.setattr(_blockwise, "MIN_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(_blockwise, "block_rows", lambda hidden_size: 16)
    assert _blockwise.n_threads_for(150, SMALL_FIT["hidden_size"]) == 3
    threads.reset()
    return threads


def blas_threads():
    """The number of threads of each BLAS library loaded."""
    return [
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    ]


# --- The same bits on any number of threads -------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    # The kernels for the log loss (softmax, multilabel sigmoid outputs); the
    # formulas for the squared error.
    "loss, multilabel",
    [("log_loss", False), ("log_loss", True), ("squared_error", False)],
)
def test_pass_totals_are_the_same_bits_on_any_number_of_threads(
    threaded, dtype, loss, multilabel
):
    spec = make_spec(loss, multilabel=multilabel)
    X, Y, coefs, intercepts = random_problem(0, spec, n_samples=200)
    X, Y = X.astype(dtype), Y.astype(dtype)
    coefs = [W.astype(dtype) for W in coefs]
    intercepts = [b.astype(dtype) for b in intercepts]
    weights = np.random.RandomState(1).uniform(0.5, 2, size=200).astype(dtype)
    data = Rows(X, Y, weights)
    assert len(_blockwise.block_slices(200, spec.hidden_size)) == 16

    def totals(n_threads):
        threaded.reset(expected=n_threads)
        return _blockwise.pass_totals(
            data, coefs, intercepts, spec, gradients=True, n_threads=n_threads
        )

    one = totals(1)
    assert set(threaded.names) == {threading.current_thread().name}
    for n_threads in (2, 3):
        many = totals(n_threads)
        # Every block on the pool's threads, n_threads of them.
        assert len(threaded.pool()) == n_threads
        assert set(threaded.names) == threaded.pool()
        for name in ("weight", "loss", "squared_error", "correct"):
            assert getattr(many, name) == getattr(one, name)
        for ours, theirs in zip(
            many.grads.coefs + many.grads.intercepts,
            one.grads.coefs + one.grads.intercepts,
            strict=True,
        ):
            assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_is_the_same_bits_on_any_number_of_cores(threads, dtype):
    # Full batch, in eight blocks of 1000 rows (the package's own sizes), large
    # enough for OpenBLAS to thread its products: with 10 classes, H_b.T @ D2
    # over 1000 rows has other last bits on one BLAS thread than on two.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(8000, 50)).astype(dtype)
    y = rng.randint(10, size=8000)
    params = dict(hidden_size=128, batch_size=None, max_iter=3, tol=None)

    def fit(cores):
        threads.cores(cores)
        clf = BackpropClassifier(**params, random_state=0).fit(X, y)
        assert _blockwise.n_threads_for(len(X), 128) == cores
        return clf

    one = fit(1)
    assert set(threads.names) == {threading.current_thread().name}
    assert all(W.dtype == dtype for W in one.coefs_ + one.intercepts_)
    for cores in (2, 3):
        assert_same_model(fit(cores), one)
        assert len(threads.pool()) == cores


PINNED_SCRIPT = """
import hashlib, os, sys

if sys.argv[1] == "one core":
    # Before NumPy loads, so that its BLAS, too, sees one core.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import numpy as np
from sklearn_backprop import BackpropClassifier, _blockwise

digest = hashlib.sha256()
# Full batch: our threads share the blocks on several cores. Mini-batches: a
# pass per batch, on one thread, whose products BLAS would thread on several
# cores (with other bits, for a batch of 1000 rows and 10 classes).
for n_samples, n_features, hidden in [(8000, 50, 128), (10000, 20, 16)]:
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, n_features))
    y = rng.randint(10, size=n_samples)
    for dtype in (np.float64, np.float32):
        for batch_size in (None, 1000):
            clf = BackpropClassifier(
                hidden, max_iter=3, tol=None, batch_size=batch_size, random_state=0
            ).fit(X.astype(dtype), y)
            history = clf.history_.drop(columns="time").to_numpy()
            for array in clf.coefs_ + clf.intercepts_ + [history]:
                digest.update(array.tobytes())
print(_blockwise.n_threads_for(8000, 128), digest.hexdigest())
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs to pin a process to one of several cores",
)
def test_fit_is_the_same_bits_pinned_to_one_core_as_on_several():
    def run(cores):
        last = run_child(["-c", PINNED_SCRIPT, cores], timeout=CHILD_SECONDS)[-1]
        n_threads, digest = last.split()
        return int(n_threads), digest

    (one_thread, pinned), (several_threads, free) = run("one core"), run("all")
    assert one_thread == 1 < several_threads
    assert pinned == free


# --- Safe to start from several threads, and after a fork -----------------------


RACE_SCRIPT = """
import json, threading
import numpy as np
from sklearn_backprop import BackpropClassifier, _blockwise, _threads

# Every pass threaded: its first one builds the pool and the hold on BLAS.
_threads.available_cores = lambda: 2
_blockwise.MIN_ELEMENTS_PER_THREAD = 1
_blockwise.block_rows = lambda hidden_size: 16
block_threads = set()
compiled_block_totals = _blockwise.compiled_block_totals


def recorded(*args, **kwargs):
    block_threads.add(threading.current_thread().name)
    return compiled_block_totals(*args, **kwargs)


_blockwise.compiled_block_totals = recorded
rng = np.random.RandomState(0)
X, y = rng.normal(size=(200, 5)), rng.randint(3, size=200)
n_fits = 8
start = threading.Barrier(n_fits)
outcomes = [None] * n_fits


def fit(index):
    clf = BackpropClassifier(8, batch_size=None, max_iter=5, tol=None, random_state=0)
    start.wait()
    try:
        clf.fit(X, y)
    except Exception as error:
        outcomes[index] = repr(error)
    else:
        outcomes[index] = [W.tobytes().hex() for W in clf.coefs_ + clf.intercepts_]


threads = [threading.Thread(target=fit, args=(i,)) for i in range(n_fits)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps([outcomes, sorted(block_threads)]))
"""


def test_first_threaded_fits_of_a_process_may_start_at_once():
    last = run_child(["-c", RACE_SCRIPT], timeout=CHILD_SECONDS)[-1]
    outcomes, block_threads = json.loads(last)
    assert all(outcome == outcomes[0] for outcome in outcomes), outcomes
    assert isinstance(outcomes[0], list), outcomes[0]
    # Every block computed on the pool's threads: every pass was threaded.
    assert block_threads and all(name.startswith(POOL) for name in block_threads)


def send_fit(connection, threads, X, y):
    clf = BackpropClassifier(**SMALL_FIT).fit(X, y)
    connection.send((clf, sorted(threads.pool())))


def send_blas_threads(connection):
    connection.send(blas_threads())


def run_forked(target, *args):
    """Run ``target(connection, *args)`` in a forked child; return what it sends."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(sender, *args))
    child.start()
    sender.close()
    try:
        assert receiver.poll(CHILD_SECONDS), "the forked child hung"
        return receiver.recv()
    finally:
        if child.is_alive():
            child.kill()
        child.join()


fork_only = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)


@fork_only
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_child_forked_after_a_threaded_fit_trains_on_threads(threaded, iris):
    X, y = iris
    parent = BackpropClassifier(**SMALL_FIT).fit(X, y)
    assert len(threaded.pool()) > 1
    # The child inherits the pool without its threads, and starts its own.
    threaded.reset()
    child, child_threads = run_forked(send_fit, threaded, X, y)
    assert len(child_threads) > 1
    assert_same_model(child, parent)


@fork_only
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_child_forked_during_another_threads_pass_has_its_blas_threads():
    original = blas_threads()
    if not original or max(original) == 1:
        pytest.skip("needs a BLAS library running several threads")
    holding, done = threading.Event(), threading.Event()

    def hold_blas():
        with _threads.blas_on_one_thread():
            holding.set()
            done.wait(CHILD_SECONDS)

    pass_in_progress = threading.Thread(target=hold_blas)
    pass_in_progress.start()
    try:
        holding.wait(CHILD_SECONDS)
        assert max(blas_threads()) == 1
        assert run_forked(send_blas_threads) == original
    finally:
        done.set()
        pass_in_progress.join()
    assert blas_threads() == original


# --- BLAS's threads as they were ------------------------------------------------


def set_blas_threads(limits):
    """Set BLAS's threads from a thread that ends at once.

    threadpoolctl lets one thread at a time set OpenBLAS's threads, until it
    leaves its ``with`` block or ends; setting them here, in the test's thread,
    would silently keep the passes' threads from holding them.
    """
    setter = threading.Thread(target=threadpool_limits, kwargs={"limits": limits})
    setter.start()
    setter.join()


@pytest.fixture
def several_blas_threads():
    """BLAS set to three threads, so that a limit left on shows; the counts."""
    original = [info for info in threadpool_info() if info["user_api"] == "blas"]
    if not original:
        pytest.skip("needs a BLAS library that threadpoolctl controls")
    set_blas_threads({"blas": 3})
    try:
        counts = blas_threads()
        assert counts == [3] * len(original)
        yield counts
    finally:
        set_blas_threads(original)


def test_overlapping_fits_leave_blas_threads_as_they_were(
    threaded, iris, several_blas_threads
):
    X, y = iris
    fits = [
        threading.Thread(target=BackpropClassifier(**SMALL_FIT).fit, args=(X, y))
        for _ in range(4)
    ]
    for fit in fits:
        fit.start()
    for fit in fits:
        fit.join()
    assert len(threaded.pool()) > 1 and set(threaded.names) == threaded.pool()
    assert blas_threads() == several_blas_threads


def test_a_failing_pass_raises_and_leaves_blas_threads_as_they_were(
    threaded, monkeypatch, iris, several_blas_threads
):
    X, y = iris
    seen = []
    calls = itertools.count()
    recorded = _blockwise.compiled_block_totals

    def fail_on_the_fifth_block(*args, **kwargs):
        seen.append(blas_threads())
        if next(calls) == 4:
            raise RuntimeError("block 5 failed")
        return recorded(*args, **kwargs)

    monkeypatch.setattr(_blockwise, "compiled_block_totals", fail_on_the_fifth_block)
    with pytest.raises(RuntimeError, match="block 5 failed"):
        BackpropClassifier(**SMALL_FIT).fit(X, y)
    assert len(threaded.pool()) > 1
    assert seen and all(max(counts) == 1 for counts in seen)
    assert blas_threads() == several_blas_threads
