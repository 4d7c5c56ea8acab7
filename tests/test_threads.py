"""Threaded passes: same bits on any number of threads and cores, safe to start
from several threads at once and after a fork, and leaving BLAS as they found it;
prediction within ``working_memory`` whatever the input's dtype.

Where a test needs a fresh process, one core or a fork, it runs a child with a
time limit, so that a regression fails instead of hanging.
"""

import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import sklearn_backprop
from sklearn_backprop import BackpropClassifier, _blockwise, _network

# Seconds a child process may take: generous on a loaded machine, where a
# healthy child takes a few.
CHILD_SECONDS = 120

SMALL_FIT = dict(hidden_size=8, max_iter=20, tol=None, random_state=0)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture
def threaded(monkeypatch):
    """Two threads for every pass of iris-sized data, in blocks of 16 rows or less."""
    monkeypatch.setattr(_blockwise, "available_cores", lambda: 2)
    monkeypatch.setattr(_blockwise, "MIN_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(_blockwise, "block_rows", lambda hidden_size: 16)
    assert _blockwise.n_threads_for(150, SMALL_FIT["hidden_size"]) == 2


def fingerprint(clf):
    """A digest of the fitted weights and history, without the timings."""
    history = clf.history_.drop(columns="time").to_numpy()
    digest = hashlib.sha256()
    for array in clf.coefs_ + clf.intercepts_ + [history]:
        digest.update(array.tobytes())
    return digest.hexdigest()


def blas_threads():
    """The number of threads of each BLAS library loaded."""
    return [
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    ]


def run_child(script, *args):
    """Run ``script`` in a fresh interpreter; return its last line of output."""
    # The child imports the package the tests import, wherever it lies.
    package_root = str(Path(sklearn_backprop.__file__).parents[1])
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=CHILD_SECONDS,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


# --- The same bits on any number of threads -------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "loss, output", [("log_loss", "softmax"), ("squared_error", "sigmoid")]
)
def test_pass_totals_are_the_same_bits_on_any_number_of_threads(
    threaded, monkeypatch, dtype, loss, output
):
    # The kernels for the log loss; the formulas for the squared error.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 6)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[rng.randint(3, size=200)]
    sample_weight = rng.uniform(0.5, 2, size=200).astype(dtype)
    coefs, intercepts = _network.init_weights(rng, [6, 5, 3], 1.0, dtype)

    def totals(n_threads):
        return _blockwise.pass_totals(
            X,
            Y,
            sample_weight,
            coefs,
            intercepts,
            loss=loss,
            output=output,
            multilabel=False,
            gradients=True,
            n_threads=n_threads,
        )

    one = totals(1)
    for n_threads in (2, 3):
        many = totals(n_threads)
        for name in ("weight", "loss", "squared_error", "correct"):
            assert getattr(many, name) == getattr(one, name)
        for ours, theirs in zip(
            many.coef_sums + many.intercept_sums, one.coef_sums + one.intercept_sums
        ):
            assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [None, 1000])
def test_fit_is_the_same_bits_on_one_core_and_on_two(monkeypatch, dtype, batch_size):
    # Eight blocks (or batches) of 1000 rows, large enough for OpenBLAS to
    # thread its products: with 10 classes, H_b.T @ D2 over 1000 rows has other
    # last bits on one BLAS thread than on two.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(8000, 50)).astype(dtype)
    y = rng.randint(10, size=8000)
    params = dict(hidden_size=128, max_iter=3, tol=None, random_state=0)

    def fit(cores):
        monkeypatch.setattr(_blockwise, "available_cores", lambda: cores)
        clf = BackpropClassifier(batch_size=batch_size, **params).fit(X, y)
        return clf, _blockwise.n_threads_for(len(X), 128)

    (one, one_thread), (two, two_threads) = fit(1), fit(2)
    assert (one_thread, two_threads) == (1, 2)
    for ours, theirs in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_):
        assert ours.dtype == dtype
        assert_array_equal(ours, theirs)
    assert_array_equal(
        one.history_.drop(columns="time"), two.history_.drop(columns="time")
    )


PINNED_SCRIPT = """
import hashlib, os, sys

if sys.argv[1] == "one core":
    # Before NumPy loads, so that its BLAS, too, sees one core.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
import numpy as np
from sklearn_backprop import BackpropClassifier

digest = hashlib.sha256()
# Full batch: our threads share the blocks on two cores. Mini-batches: a pass
# per batch, on one thread, whose products BLAS would thread on two cores (with
# other bits, for a batch of 1000 rows and 10 classes).
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
print(digest.hexdigest())
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs to pin a process to one of several cores",
)
def test_fit_is_the_same_bits_pinned_to_one_core_as_on_several():
    assert run_child(PINNED_SCRIPT, "one core") == run_child(PINNED_SCRIPT, "all")


# --- Safe to start from several threads, and after a fork -----------------------


RACE_SCRIPT = """
import json, threading
import numpy as np
from sklearn_backprop import BackpropClassifier, _blockwise

# Every pass threaded: its first one builds the pool and the hold on BLAS.
_blockwise.available_cores = lambda: 2
_blockwise.MIN_ELEMENTS_PER_THREAD = 1
_blockwise.block_rows = lambda hidden_size: 16
rng = np.random.RandomState(0)
X, y = rng.normal(size=(200, 5)), rng.randint(3, size=200)
n_fits = 8
start = threading.Barrier(n_fits)
outcomes = [None] * n_fits


def fit(index):
    clf = BackpropClassifier(hidden_size=8, max_iter=5, tol=None, random_state=0)
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
print(json.dumps(outcomes))
"""


def test_first_threaded_fits_of_a_process_may_start_at_once():
    outcomes = json.loads(run_child(RACE_SCRIPT))
    assert all(outcome == outcomes[0] for outcome in outcomes), outcomes
    assert isinstance(outcomes[0], list), outcomes[0]


def send_fingerprint(connection, X, y):
    connection.send(fingerprint(BackpropClassifier(**SMALL_FIT).fit(X, y)))


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
    parent = fingerprint(BackpropClassifier(**SMALL_FIT).fit(X, y))
    assert run_forked(send_fingerprint, X, y) == parent


@fork_only
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_child_forked_during_another_threads_pass_has_its_blas_threads():
    original = blas_threads()
    if not original or max(original) == 1:
        pytest.skip("needs a BLAS library running several threads")
    holding, done = threading.Event(), threading.Event()

    def hold_blas():
        with _blockwise.blas_on_one_thread():
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
    threaded, monkeypatch, iris, several_blas_threads
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
    assert blas_threads() == several_blas_threads


def test_a_failing_pass_raises_and_leaves_blas_threads_as_they_were(
    threaded, monkeypatch, iris, several_blas_threads
):
    X, y = iris
    seen = []
    fifth = _blockwise.block_slices(len(X), SMALL_FIT["hidden_size"])[4]
    compiled_block_totals = _blockwise.compiled_block_totals

    def fail_on_the_fifth_block(X, Y, sample_weight, coefs, intercepts, block, **kw):
        seen.append(blas_threads())
        if block == fifth:
            raise RuntimeError("block 5 failed")
        return compiled_block_totals(
            X, Y, sample_weight, coefs, intercepts, block, **kw
        )

    monkeypatch.setattr(_blockwise, "compiled_block_totals", fail_on_the_fifth_block)
    with pytest.raises(RuntimeError, match="block 5 failed"):
        BackpropClassifier(**SMALL_FIT).fit(X, y)
    assert seen and all(max(counts) == 1 for counts in seen)
    assert blas_threads() == several_blas_threads


# --- Prediction within working_memory -------------------------------------------


@pytest.mark.parametrize(
    "model_dtype, X_dtype", [(np.float64, np.float32), (np.float32, np.float64)]
)
def test_predict_proba_stays_within_working_memory_in_another_dtype(
    model_dtype, X_dtype
):
    rng = np.random.RandomState(0)
    clf = BackpropClassifier(hidden_size=100, max_iter=2, tol=None, random_state=0)
    clf.fit(rng.normal(size=(200, 100)).astype(model_dtype), rng.randint(2, size=200))
    X = rng.normal(size=(40_000, 100)).astype(X_dtype)
    working_memory = 2 * 2**20
    with sklearn.config_context(working_memory=working_memory / 2**20):
        tracemalloc.start()
        proba = clf.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # Chunks of X converted one at a time: a whole float64 copy is 32 MB, and
    # chunks sized for float32 took four times the working memory.
    assert peak < working_memory + proba.nbytes + 2**20
    with sklearn.config_context(working_memory=1024):
        assert_allclose(proba, clf.predict_proba(X), rtol=1e-6)
