"""Diagnostics in ``history_``: gradient and weight norms, update ratios and
saturated hidden units, checked against NumPy formulas written out here, from
the same weights."""

import os

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from _reference import make_spec, random_problem
from numpy.testing import assert_allclose, assert_array_equal
from test_threads import threaded, threads  # noqa: F401 (fixtures)

from sklearn_backprop import (
    BackpropClassifier,
    _blockwise,
    _diagnostics,
    _network,
    _training,
)
from sklearn_backprop._fit_data import Rows

COLUMNS = list(_diagnostics.DIAGNOSTICS)
ACTIVATIONS = ["logistic", "tanh", "relu"]


def _forward(X, W1, b1, W2, b2, activation, loss):
    """Hidden activations and outputs, written out."""
    Z1 = X @ W1 + b1
    H = {
        "logistic": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
    }[activation](Z1)
    Z2 = H @ W2 + b2
    if loss == "log_loss":
        E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
        return H, E / E.sum(axis=1, keepdims=True)
    return H, 1 / (1 + np.exp(-Z2))


def expected(X, Y, coefs, intercepts, activation, loss, alpha):
    """The diagnostics of a full pass at these weights (no update ratios)."""
    X = X.toarray() if sp.issparse(X) else X
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    W1, W2 = (np.asarray(W, np.float64) for W in coefs)
    b1, b2 = (np.asarray(b, np.float64) for b in intercepts)
    H, P = _forward(X, W1, b1, W2, b2, activation, loss)
    if loss == "log_loss":
        D2, N = P - Y, X.shape[0]
    else:
        D2, N = (P - Y) * P * (1 - P), Y.size
    slope = {"logistic": H * (1 - H), "tanh": 1 - H**2, "relu": (H > 0) * 1.0}
    D1 = D2 @ W2.T * slope[activation]
    G1 = X.T @ D1 / N + alpha * W1
    G2 = H.T @ D2 / N + alpha * W2
    if activation == "relu":
        saturated = np.mean((H <= 0).all(axis=0))
    else:
        limit = {"logistic": 0.05 * 0.25, "tanh": 0.05}[activation]
        saturated = np.mean(slope[activation] < limit)
    return {
        "grad_norm_W1": np.linalg.norm(G1),
        "grad_norm_W2": np.linalg.norm(G2),
        "weight_norm_W1": np.linalg.norm(W1),
        "weight_norm_W2": np.linalg.norm(W2),
        "saturated": saturated,
        "grads": (G1, G2),
    }


def ratio(before, after):
    return np.linalg.norm(np.asarray(after, np.float64) - before) / np.linalg.norm(
        np.asarray(before, np.float64)
    )


def start(clf, X, n_classes=3):
    """The weights a fit of ``clf`` on ``X`` starts from."""
    spec = clf.spec_
    state = _training.initial_state(spec, X, clf.init_scale, clf.random_state)
    return state.coefs, state.intercepts


def assert_row(row, values, rtol, saturated_atol=0.0):
    for name in ["grad_norm_W1", "grad_norm_W2", "weight_norm_W1", "weight_norm_W2"]:
        assert_allclose(row[name], values[name], rtol=rtol, err_msg=name)
    assert_allclose(row["saturated"], values["saturated"], atol=saturated_atol)


def as_input(X, kind):
    if kind == "sparse":
        return sp.csr_matrix(X)
    if kind == "float32":
        return X.astype(np.float32)
    return X


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("kind", ["dense", "sparse", "float32"])
def test_full_batch_row_equals_numpy(iris, activation, loss, fit_intercept, kind):
    X, y = iris
    X = as_input(X, kind)
    clf = BackpropClassifier(
        activation=activation,
        loss=loss,
        fit_intercept=fit_intercept,
        solver="sgd",
        momentum=0.9,
        alpha=1e-3,
        batch_size=None,
        max_iter=1,
        tol=None,
        diagnostics=True,
        random_state=0,
    ).fit(X, y)
    coefs, intercepts = start(clf, X)
    values = expected(X, np.eye(3)[y], coefs, intercepts, activation, loss, 1e-3)
    row = clf.history_.iloc[0]
    float32 = kind == "float32"
    assert_row(row, values, 1e-4 if float32 else 1e-10, 0.01 if float32 else 0.0)
    for index in (0, 1):
        assert_allclose(
            row[f"update_ratio_W{index + 1}"],
            ratio(coefs[index], clf.coefs_[index]),
            rtol=1e-3 if float32 else 1e-9,
        )


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_solver_records_the_gradient_at_the_start_and_its_move(
    iris, solver, activation
):
    X, y = iris
    clf = BackpropClassifier(
        solver=solver,
        activation=activation,
        batch_size=None,
        alpha=1e-2,
        max_iter=1,
        tol=None,
        diagnostics=True,
        random_state=1,
    ).fit(X, y)
    coefs, intercepts = start(clf, X)
    values = expected(X, np.eye(3)[y], coefs, intercepts, activation, "log_loss", 1e-2)
    row = clf.history_.iloc[0]
    assert_row(row, values, 1e-10)
    assert_allclose(row["update_ratio_W1"], ratio(coefs[0], clf.coefs_[0]))
    assert_allclose(row["update_ratio_W2"], ratio(coefs[1], clf.coefs_[1]))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("epoch_metrics", ["batches", "exact"])
def test_mini_batch_epoch_records_row_weighted_means(iris, activation, epoch_metrics):
    X, y = iris
    Y = np.eye(3)[y]
    rate, alpha = 0.1, 1e-3
    clf = BackpropClassifier(
        solver="sgd",
        momentum=0.0,
        learning_rate=rate,
        activation=activation,
        batch_size=40,  # batches of 40, 40, 40 and 30 rows
        shuffle=False,
        alpha=alpha,
        epoch_metrics=epoch_metrics,
        max_iter=1,
        tol=None,
        diagnostics=True,
        random_state=0,
    ).fit(X, y)
    coefs, intercepts = start(clf, X)
    W1, W2 = (np.array(W) for W in coefs)
    b1, b2 = (np.array(b) for b in intercepts)
    sums, total = dict.fromkeys(COLUMNS, 0.0), 0
    for begin in range(0, 150, 40):
        rows = slice(begin, begin + 40)
        n = len(X[rows])
        values = expected(
            X[rows], Y[rows], [W1, W2], [b1, b2], activation, "log_loss", alpha
        )
        # The step, with the biases' gradients (no penalty), written out.
        H, P = _forward(X[rows], W1, b1, W2, b2, activation, "log_loss")
        G1, G2 = values["grads"]
        D2 = P - Y[rows]
        slope = {"logistic": H * (1 - H), "tanh": 1 - H**2, "relu": (H > 0) * 1.0}
        D1 = D2 @ W2.T * slope[activation]
        new = [W1 - rate * G1, W2 - rate * G2]
        values["update_ratio_W1"] = ratio(W1, new[0])
        values["update_ratio_W2"] = ratio(W2, new[1])
        b1, b2 = b1 - rate * D1.sum(axis=0) / n, b2 - rate * D2.sum(axis=0) / n
        W1, W2 = new
        for name in COLUMNS:
            sums[name] += n * values[name]
        total += n
    assert_allclose(clf.coefs_[0], W1, rtol=1e-10, atol=1e-12)
    means = {name: value / total for name, value in sums.items()}
    row = clf.history_.iloc[0]
    if epoch_metrics == "exact":
        coefs, intercepts = start(clf, X)
        whole = expected(X, Y, coefs, intercepts, activation, "log_loss", alpha)
        assert_row(row, whole, 1e-10)
    else:
        assert_row(row, means, 1e-10)
    assert_allclose(row["update_ratio_W1"], means["update_ratio_W1"], rtol=1e-9)
    assert_allclose(row["update_ratio_W2"], means["update_ratio_W2"], rtol=1e-9)


def test_columns_are_absent_when_off_and_training_is_unchanged(iris):
    X, y = iris
    params = dict(max_iter=5, tol=None, random_state=0)
    off = BackpropClassifier(**params).fit(X, y)
    on = BackpropClassifier(diagnostics=True, **params).fit(X, y)
    assert not set(COLUMNS) & set(off.history_.columns)
    assert set(COLUMNS) <= set(on.history_.columns)
    for first, second in zip(off.coefs_ + off.intercepts_, on.coefs_ + on.intercepts_):
        assert_array_equal(first, second)
    columns = ["loss", "mse", "accuracy"]
    assert_array_equal(off.history_[columns], on.history_[columns])


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("gradients", [True, False])
def test_kernel_counts_equal_formula_counts(activation, dtype, gradients):
    spec = make_spec(activation=activation, hidden_size=40)
    X, Y, coefs, intercepts = random_problem(0, spec, n_samples=300, n_features=6)
    # Larger weights, so that many sigmoid and tanh units saturate.
    coefs = [(2.0 * W).astype(dtype) for W in coefs]
    intercepts = [b.astype(dtype) for b in intercepts]
    rows = Rows(X.astype(dtype), Y.astype(dtype), None)
    kwargs = dict(metrics=True, gradients=gradients, saturation=True)
    compiled = _blockwise.compiled_block_totals(rows, coefs, intercepts, spec, **kwargs)
    formula = _blockwise.block_totals(rows, coefs, intercepts, spec, **kwargs)
    H = _network.forward(rows.X, coefs, intercepts, spec)[0]
    assert_array_equal(compiled.saturated, formula.saturated)
    assert_array_equal(formula.saturated, _network.SATURATED[activation](H).sum(0))
    assert 0 < formula.saturated.sum() < H.size


def test_kernel_outputs_unchanged_by_counting():
    spec = make_spec(activation="tanh", hidden_size=40)
    X, Y, coefs, intercepts = random_problem(1, spec, n_samples=300, n_features=6)
    rows = Rows(X, Y, None)
    plain = _blockwise.compiled_block_totals(
        rows, coefs, intercepts, spec, metrics=True, gradients=True
    )
    counted = _blockwise.compiled_block_totals(
        rows, coefs, intercepts, spec, metrics=True, gradients=True, saturation=True
    )
    assert plain.saturated is None
    assert plain.loss == counted.loss
    for first, second in zip(
        plain.grads.coefs + plain.grads.intercepts,
        counted.grads.coefs + counted.grads.intercepts,
    ):
        assert_array_equal(first, second)


def test_relu_share_counts_dead_units():
    H = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    counts = _network.saturated_counts(H, "relu")
    assert_array_equal(counts, [2, 1, 1])
    assert _network.saturated_share(counts, 2, "relu") == pytest.approx(1 / 3)
    assert _network.saturated_share(counts, 2, "tanh") == pytest.approx(4 / 6)


def test_threads_give_the_same_bits(iris, threaded, monkeypatch):  # noqa: F811
    X, y = iris
    params = dict(
        hidden_size=8,
        batch_size=None,
        max_iter=5,
        tol=None,
        diagnostics=True,
        random_state=0,
    )
    on_threads = BackpropClassifier(**params).fit(X, y)
    assert len(threaded.pool()) == 3
    monkeypatch.setattr(_blockwise, "n_threads_for", lambda *args: 1)
    threaded.reset()
    on_one = BackpropClassifier(**params).fit(X, y)
    assert not threaded.pool()
    assert_array_equal(on_threads.history_[COLUMNS], on_one.history_[COLUMNS])


@pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 set before SciPy loads",
)
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_torch_diagnostics_equal_numpy(iris, solver, fit_intercept):
    torch = pytest.importorskip("torch")
    X, y = iris
    params = dict(
        solver=solver,
        fit_intercept=fit_intercept,
        max_iter=3,
        tol=None,
        diagnostics=True,
        random_state=0,
    )
    numpy_fit = BackpropClassifier(**params).fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        torch_fit = BackpropClassifier(**params).fit(torch.asarray(X), torch.asarray(y))
    assert_allclose(torch_fit.history_[COLUMNS], numpy_fit.history_[COLUMNS], rtol=1e-8)
