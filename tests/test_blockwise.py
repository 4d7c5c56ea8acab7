"""The blockwise, threaded passes agree with the whole-array formulas."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier, _blockwise, _network

CASES = [
    ("squared_error", "sigmoid", _network.squared_error, False),
    ("log_loss", "softmax", _network.log_loss, False),
    ("log_loss", "sigmoid", _network.binary_log_loss, True),
]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 7 rows for a hidden layer of 5 units; threads from 2 blocks."""
    monkeypatch.setattr(_blockwise, "BLOCK_ELEMENTS", 35)
    monkeypatch.setattr(_blockwise, "MIN_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(_blockwise, "block_rows", lambda hidden_size: 7)


@pytest.mark.parametrize("loss, output, loss_function, multilabel", CASES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_pass_totals_equal_whole_array_formulas(
    small_blocks, loss, output, loss_function, multilabel, weighted, n_threads
):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    if multilabel:
        Y = (rng.uniform(size=(50, 3)) > 0.5).astype(float)
    else:
        Y = np.eye(3)[rng.randint(3, size=50)]
    sample_weight = rng.uniform(0.5, 2, size=50) if weighted else None
    coefs, intercepts = _network.init_weights(rng, [4, 5, 3], 1.0, X.dtype)
    intercepts = [rng.normal(size=b.shape) for b in intercepts]

    totals = _blockwise.pass_totals(
        X,
        Y,
        sample_weight,
        coefs,
        intercepts,
        loss=loss,
        output=output,
        multilabel=multilabel,
        gradients=True,
        n_threads=n_threads,
    )
    metrics = totals.metrics(loss, 3)
    grads = _network.finish_gradients(
        totals.coef_sums,
        totals.intercept_sums,
        _network.normaliser(loss, totals.weight, 3),
        coefs,
        alpha=0.1,
    )

    H, P = _network.forward(X, coefs, intercepts, output)
    accuracy = _network.subset_accuracy if multilabel else _network.accuracy
    assert_allclose(metrics["loss"], loss_function(Y, P, sample_weight), rtol=1e-12)
    assert_allclose(metrics["mse"], _network.squared_error(Y, P, sample_weight))
    assert_allclose(metrics["accuracy"], accuracy(Y, P, sample_weight), rtol=1e-12)
    expected = _network.backward(
        X, Y, H, P, coefs, loss, True, sample_weight=sample_weight, alpha=0.1
    )
    for got, want in zip(grads[0] + grads[1], expected[0] + expected[1]):
        assert_allclose(got, want, rtol=1e-10, atol=1e-14)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("batch_size", [None, 40])
def test_blocked_threaded_fit_matches_the_single_block_fit(
    iris, monkeypatch, batch_size
):
    X, y = iris
    params = dict(hidden_size=5, max_iter=30, tol=None, batch_size=batch_size)
    params.update(alpha=0.01, momentum=0.5, random_state=0)
    whole = BackpropClassifier(**params).fit(X, y, X_val=X[::3], y_val=y[::3])
    monkeypatch.setattr(_blockwise, "MIN_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(_blockwise, "block_rows", lambda hidden_size: 16)
    blocked = BackpropClassifier(**params).fit(X, y, X_val=X[::3], y_val=y[::3])
    assert _blockwise.n_threads_for(len(X), 5) > 1 or _blockwise.os.cpu_count() == 1
    history = whole.history_.drop(columns="time")
    assert_allclose(blocked.history_.drop(columns="time"), history, rtol=1e-10)
    for a, b in zip(
        whole.coefs_ + whole.intercepts_, blocked.coefs_ + blocked.intercepts_
    ):
        assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_threaded_fit_is_deterministic(iris, monkeypatch):
    X, y = iris
    monkeypatch.setattr(_blockwise, "MIN_ELEMENTS_PER_THREAD", 1)
    monkeypatch.setattr(_blockwise, "block_rows", lambda hidden_size: 16)
    first = BackpropClassifier(max_iter=20, tol=None, random_state=0).fit(X, y)
    second = BackpropClassifier(max_iter=20, tol=None, random_state=0).fit(X, y)
    assert_array_equal(first.coefs_[0], second.coefs_[0])
    assert_array_equal(
        first.history_.drop(columns="time"), second.history_.drop(columns="time")
    )


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_predict_in_chunks_equals_one_chunk(iris, loss):
    X, y = iris
    clf = BackpropClassifier(loss=loss, max_iter=50, tol=None, random_state=0)
    clf.fit(X, y)
    whole = clf.predict_proba(X)
    # 150 rows of 20 hidden and 2 x 3 outputs: 208 bytes each; 1e-3 MiB is 5 rows.
    with sklearn.config_context(working_memory=1e-3):
        chunked = clf.predict_proba(X)
    assert_allclose(chunked, whole, rtol=1e-14)


def test_predict_memory_is_bounded_by_working_memory():
    rng = np.random.RandomState(0)
    X_train = rng.normal(size=(200, 10))
    clf = BackpropClassifier(hidden_size=500, max_iter=2, tol=None, random_state=0)
    clf.fit(X_train, rng.randint(2, size=200))
    X = rng.normal(size=(100_000, 10))
    whole_hidden_layer = 100_000 * 500 * 8  # 400 MB if computed at once
    with sklearn.config_context(working_memory=8):
        tracemalloc.start()
        proba = clf.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert proba.shape == (100_000, 2)
    assert peak < 20 * 2**20 < whole_hidden_layer


def test_fit_does_not_copy_the_training_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80_000, 50))  # 32 MB
    y = rng.randint(3, size=80_000)
    tracemalloc.start()
    BackpropClassifier(hidden_size=16, max_iter=2, tol=None, random_state=0).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # A copy of X would be 32 MB; the blocks' temporaries take a few MB.
    assert peak < X.nbytes / 2


@pytest.mark.parametrize("batch_size", [None, 200])
def test_sparse_training_and_prediction_stay_sparse(batch_size):
    # 3000 x 20000 with 0.1 % non-zeros: 0.7 MB stored, 480 MB dense.
    X = scipy.sparse.random(3000, 20_000, density=0.001, format="csr", random_state=0)
    y = np.random.RandomState(0).randint(3, size=3000)
    dense_bytes = X.shape[0] * X.shape[1] * 8
    clf = BackpropClassifier(hidden_size=16, batch_size=batch_size, max_iter=2)
    clf.set_params(tol=None, random_state=0)
    # The compiled kernels serve CSR input: products by SciPy, loops between.
    assert _blockwise.use_kernels(X, "log_loss", "softmax", "logistic")
    tracemalloc.start()
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert proba.shape == (3000, 3)
    # Arrays the size of the weights into the hidden layer (20000 x 16, 2.5
    # MB): the weights and their copies, gradient sums, Adam's two moments,
    # X^T D1; not a dense copy of X, nor of a batch's 200 rows (32 MB).
    weight_bytes = X.shape[1] * 16 * 8
    assert peak < 16 * weight_bytes < dense_bytes / 10
