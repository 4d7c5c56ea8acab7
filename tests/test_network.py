"""The network math: activations, and backprop gradients against finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_backprop import _network


def test_sigmoid_is_the_tutorial_formula_bit_for_bit():
    z = np.random.RandomState(0).normal(scale=5, size=1000)
    expected = 1 / (1 + np.exp(-z))
    assert_array_equal(_network.sigmoid(z.copy()), expected)


def test_sigmoid_saturates_without_warnings():
    z = np.array([-1e300, -800.0, 0.0, 800.0, 1e300])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = _network.sigmoid(z)
    assert_array_equal(out, [0.0, 0.0, 0.5, 1.0, 1.0])


def test_softmax_rows_sum_to_one_for_large_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        P = _network.softmax(Z)
    assert_allclose(P.sum(axis=1), 1.0)
    assert_allclose(P[0], [1.0, 0.0, 0.0])


def test_predict_proba_of_squared_error_stays_finite_when_outputs_underflow():
    # Both output sigmoids underflow to exactly 0 for these weights: a plain
    # division by the row sum would give 0 / 0.
    coefs = [np.array([[1.0]]), np.array([[-900.0, -1000.0]])]
    X = np.array([[50.0]])
    assert _network.forward(X, coefs, None, "squared_error")[1].sum() == 0
    proba = _network.predict_proba(X, coefs, None, "squared_error")
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1.0)
    assert proba[0, 0] > proba[0, 1]


def _random_problem(rng, n_samples=7, n_features=3, hidden=4, n_classes=3):
    X = rng.normal(size=(n_samples, n_features))
    y = rng.randint(n_classes, size=n_samples)
    Y = np.eye(n_classes)[y]
    return X, Y, [n_features, hidden, n_classes]


def _loss_at(X, Y, coefs, intercepts, loss):
    P = _network.forward(X, coefs, intercepts, loss)[1]
    return _network.LOSSES[loss](Y, P)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_gradients_match_finite_differences(loss, fit_intercept):
    rng = np.random.RandomState(42)
    X, Y, sizes = _random_problem(rng)
    coefs, intercepts = _network.init_weights(rng, sizes, 1.0, fit_intercept, X.dtype)
    if fit_intercept:
        # Non-zero biases, so that their gradients are exercised away from zero.
        intercepts = [rng.normal(size=b.shape) for b in intercepts]
    H, P = _network.forward(X, coefs, intercepts, loss)
    coef_grads, intercept_grads = _network.backward(
        X, Y, H, P, coefs, loss, fit_intercept
    )
    params = coefs + (intercepts or [])
    grads = coef_grads + (intercept_grads or [])
    assert len(grads) == (4 if fit_intercept else 2)

    eps = 1e-6
    for param, grad in zip(params, grads):
        numeric = np.empty_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + eps
            upper = _loss_at(X, Y, coefs, intercepts, loss)
            param[index] = saved - eps
            lower = _loss_at(X, Y, coefs, intercepts, loss)
            param[index] = saved
            numeric[index] = (upper - lower) / (2 * eps)
        assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_init_weights_draws_input_to_hidden_first():
    coefs, intercepts = _network.init_weights(
        np.random.RandomState(10), [4, 2, 3], 0.5, False, np.float64
    )
    rng = np.random.RandomState(10)
    assert_array_equal(coefs[0], rng.normal(scale=0.5, size=(4, 2)))
    assert_array_equal(coefs[1], rng.normal(scale=0.5, size=(2, 3)))
    assert intercepts is None


def test_init_weights_auto_scale_is_glorot():
    coefs, intercepts = _network.init_weights(
        np.random.RandomState(0), [300, 500, 10], "auto", True, np.float32
    )
    assert coefs[0].dtype == np.float32
    assert_allclose(coefs[0].std(), np.sqrt(2 / 800), rtol=0.02)
    assert_allclose(coefs[1].std(), np.sqrt(2 / 510), rtol=0.05)
    assert [b.shape for b in intercepts] == [(500,), (10,)]
    assert not any(b.any() for b in intercepts)
