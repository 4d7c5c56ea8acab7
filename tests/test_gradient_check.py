"""check_gradients: finite differences of the training objective against the
gradient training steps along. The network's own gradients are checked with it
on every activation, loss, intercept, penalty and weighting in
tests/test_network.py; here, the check itself."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import (
    BackpropClassifier,
    _network,
    backprop_step,
    check_gradients,
)
from sklearn_backprop._gradient_check import GradientCheck

COLUMNS = ["shape", "max_gradient", "max_abs_error", "rel_error", "verdict"]


@pytest.fixture(scope="module")
def rows(iris):
    """40 standardised iris rows, every class among them, and row weights."""
    X, y = iris
    index = np.random.RandomState(0).permutation(len(y))[:40]
    X = StandardScaler().fit_transform(X)[index]
    weights = np.random.RandomState(1).uniform(0.2, 3.0, size=40)
    return X, y[index], weights


def fitted(X, y, **params):
    """A network trained a few steps, so that its biases are away from 0."""
    params = dict(hidden_size=4, solver="sgd", learning_rate=0.2, **params)
    return BackpropClassifier(max_iter=5, tol=None, random_state=0, **params).fit(X, y)


# Softmax with the log loss, multilabel sigmoid outputs with the binary log
# loss, sigmoid outputs with the squared error.
TARGETS = [("log_loss", False), ("log_loss", True), ("squared_error", False)]


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss, multilabel", TARGETS)
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_fitted_weights_pass_with_sample_weights(
    rows, activation, loss, multilabel, fit_intercept, alpha
):
    X, y, weights = rows
    if multilabel:
        y = np.eye(3, dtype=int)[y]
        y[::2, 0] = 1
    clf = fitted(
        X, y, activation=activation, loss=loss, fit_intercept=fit_intercept, alpha=alpha
    )
    result = check_gradients(clf, X, y, sample_weight=weights)
    assert isinstance(result, GradientCheck)
    assert result.n_near_kinks == 0
    assert list(result.table.columns) == COLUMNS
    assert (result.table["rel_error"] < 1e-6).all(), result
    assert result.ok and (result.table["verdict"] == "ok").all()
    if fit_intercept:
        assert (result.table.loc[["b1", "b2"], "max_gradient"] > 1e-4).all()


def test_a_wrong_slope_is_caught(rows, monkeypatch):
    # The squared error runs the formulas of _network (the log loss, compiled
    # kernels): a sigmoid slope missing its factor (1 - H) there is a wrong
    # gradient for the hidden layer only.
    X, y, _ = rows
    clf = fitted(X, y, loss="squared_error")
    assert check_gradients(clf, X, y).ok

    def wrong_slope(D, H):
        D *= H
        return D

    monkeypatch.setitem(_network.SLOPES, "logistic", wrong_slope)
    result = check_gradients(clf, X, y)
    assert not result.ok
    verdicts = result.table["verdict"].to_dict()
    assert verdicts == {"W1": "WRONG", "b1": "WRONG", "W2": "ok", "b2": "ok"}
    assert result.table.loc["W1", "rel_error"] > 1e-2
    assert "WRONG" in str(result).splitlines()[0]


def test_analytic_gradient_is_the_one_training_steps_along(rows):
    # One plain gradient step of partial_fit moves the weights by exactly
    # learning_rate times the analytic gradient (the same pass, compiled
    # kernels included).
    X, y, _ = rows
    clf = BackpropClassifier(
        hidden_size=3, solver="sgd", momentum=0.0, batch_size=None, random_state=2
    )
    result = check_gradients(clf, X, y)
    start = backprop_step(clf, X, y)  # the fresh weights the check started from
    clf.partial_fit(X, y, classes=[0, 1, 2])
    for name, param in zip(["W1", "W2", "b1", "b2"], clf.coefs_ + clf.intercepts_):
        step = clf.learning_rate * result.analytic[name]
        assert_array_equal(getattr(start, name) - step, param)


def test_float32_models_are_checked_in_float64(rows):
    X, y, _ = rows
    clf = fitted(X.astype(np.float32), y)
    assert clf.coefs_[0].dtype == np.float32
    result = check_gradients(clf, X.astype(np.float32), y)
    assert result.analytic["W1"].dtype == np.float64
    assert result.ok, result


def test_sparse_rows(rows):
    X, y, _ = rows
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    clf = fitted(X, y)
    dense = check_gradients(clf, X, y)
    sparse = check_gradients(clf, sp.csr_matrix(X), y)
    assert sparse.ok, sparse
    for name, gradient in dense.analytic.items():
        assert_allclose(sparse.analytic[name], gradient, rtol=1e-12, atol=1e-15)


def test_relu_pre_activations_at_the_kink_are_counted(rows):
    X, y, _ = rows
    clf = fitted(X, y, activation="relu", fit_intercept=False)
    assert check_gradients(clf, X, y).n_near_kinks == 0
    # A row of zeros puts every hidden unit's pre-activation at the kink.
    X = X.copy()
    X[0] = 0.0
    result = check_gradients(clf, X, y)
    assert result.n_near_kinks == 4
    assert "4 ReLU pre-activations lie within a step of the kink" in str(result)


def test_summary_and_table(rows):
    X, y, _ = rows
    result = check_gradients(BackpropClassifier(hidden_size=2), X, y, random_state=0)
    text = str(result)
    assert repr(result) == text
    lines = text.splitlines()
    assert lines[0].startswith("Gradient check, central differences with eps=1e-06")
    assert lines[0].split(": ")[1].startswith("ok")
    for column in COLUMNS:
        assert column in lines[1]
    assert [line.split()[0] for line in lines[3:]] == ["W1", "b1", "W2", "b2"]
    assert "4 x 2" in lines[3] and lines[4].split()[1] == "2"
    assert "<table" in result._repr_html_()
    # The relative error is the block's largest error over the largest
    # gradient entry of all blocks.
    table = result.table
    assert_allclose(
        table["rel_error"], table["max_abs_error"] / table["max_gradient"].max()
    )


def test_clear_errors(rows):
    X, y, _ = rows
    with pytest.raises(TypeError, match="check_gradients takes a BackpropClassifier"):
        check_gradients(LogisticRegression(), X, y)
    clf = fitted(X, y)
    with pytest.raises(ValueError, match="X has 2 features.*expecting 4"):
        check_gradients(clf, X[:, :2], y)
    with pytest.raises(ValueError, match="labels not in classes_"):
        check_gradients(clf, X, y + 1)
    unfitted = BackpropClassifier()
    check_gradients(unfitted, X, y, random_state=0)
    assert not hasattr(unfitted, "n_features_in_")
