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
    assert _network.forward(X, coefs, None, "sigmoid")[1].sum() == 0
    proba = _network.probabilities(X, coefs, None, "sigmoid", normalise=True)
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1.0)
    assert proba[0, 0] > proba[0, 1]
    log_proba = _network.probabilities(
        X, coefs, None, "sigmoid", normalise=True, log=True
    )
    assert_allclose(log_proba, np.log(proba))


def test_log_probabilities_stay_finite_where_probabilities_underflow():
    coefs = [np.array([[1.0]]), np.array([[-900.0, 900.0]])]
    X = np.array([[50.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        log_softmax = _network.probabilities(
            X, coefs, None, "softmax", normalise=False, log=True
        )
    assert_allclose(log_softmax, [[-1800.0, 0.0]], rtol=1e-12)
    softmax = _network.probabilities(X, coefs, None, "softmax", normalise=False)
    assert softmax[0, 0] == 0.0
    log_sigmoid = _network.probabilities(
        X, coefs, None, "sigmoid", normalise=False, log=True
    )
    assert_allclose(log_sigmoid, [[-900.0, 0.0]], rtol=1e-12, atol=1e-300)


# (loss, output activation, its loss function, multilabel targets)
OBJECTIVES = [
    ("squared_error", "sigmoid", _network.squared_error, False),
    ("log_loss", "softmax", _network.log_loss, False),
    ("log_loss", "sigmoid", _network.binary_log_loss, True),
    ("squared_error", "sigmoid", _network.squared_error, True),
]


def _random_problem(rng, multilabel, n_samples=7, n_features=3, hidden=4, k=3):
    X = rng.normal(size=(n_samples, n_features))
    if multilabel:
        Y = (rng.uniform(size=(n_samples, k)) > 0.5).astype(float)
    else:
        Y = np.eye(k)[rng.randint(k, size=n_samples)]
    return X, Y, [n_features, hidden, k]


@pytest.mark.parametrize("loss, output, loss_function, multilabel", OBJECTIVES)
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_gradients_match_finite_differences(
    loss, output, loss_function, multilabel, fit_intercept, weighted, alpha
):
    rng = np.random.RandomState(42)
    X, Y, sizes = _random_problem(rng, multilabel)
    sample_weight = rng.uniform(0.1, 3, size=len(X)) if weighted else None
    coefs, intercepts = _network.init_weights(rng, sizes, 1.0, X.dtype)
    # Non-zero biases, so that their gradients are exercised away from zero.
    intercepts = [rng.normal(size=b.shape) for b in intercepts]
    if not fit_intercept:
        intercepts = None

    def objective():
        P = _network.forward(X, coefs, intercepts, output)[1]
        return loss_function(Y, P, sample_weight) + _network.l2_penalty(coefs, alpha)

    H, P = _network.forward(X, coefs, intercepts, output)
    coef_grads, intercept_grads = _network.backward(
        X, Y, H, P, coefs, loss, fit_intercept, sample_weight, alpha
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
            upper = objective()
            param[index] = saved - eps
            lower = objective()
            param[index] = saved
            numeric[index] = (upper - lower) / (2 * eps)
        assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss_function", [_network.squared_error, _network.log_loss])
def test_integer_weights_equal_repeated_rows(loss_function):
    rng = np.random.RandomState(0)
    Y = np.eye(3)[rng.randint(3, size=6)]
    P = _network.softmax(rng.normal(size=(6, 3)))
    weights = np.array([1, 2, 0, 3, 1, 1])
    repeated = np.repeat(np.arange(6), weights)
    assert_allclose(
        loss_function(Y, P, weights.astype(float)),
        loss_function(Y[repeated], P[repeated]),
        rtol=1e-12,
    )


def test_accuracies_count_weighted_rows():
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    P = np.array([[0.9, 0.2], [0.7, 0.6], [0.1, 0.8]])
    assert _network.accuracy(Y, P) == 2 / 3
    assert _network.accuracy(Y, P, np.array([1.0, 2.0, 1.0])) == 0.5
    # Row 1 predicts both labels (0.7 and 0.6 exceed 0.5) where only one is set.
    assert _network.subset_accuracy(Y, P) == 2 / 3
    assert _network.subset_accuracy(Y, P, np.array([1.0, 2.0, 1.0])) == 0.5


def test_init_weights_draws_input_to_hidden_first():
    coefs, intercepts = _network.init_weights(
        np.random.RandomState(10), [4, 2, 3], 0.5, np.float64
    )
    rng = np.random.RandomState(10)
    assert_array_equal(coefs[0], rng.normal(scale=0.5, size=(4, 2)))
    assert_array_equal(coefs[1], rng.normal(scale=0.5, size=(2, 3)))
    assert not any(b.any() for b in intercepts)


@pytest.mark.parametrize(
    "activation, gain", [("logistic", 4.0), ("tanh", 1.0), ("relu", 1.0)]
)
def test_init_weights_auto_scale_is_glorot(activation, gain):
    coefs, intercepts = _network.init_weights(
        np.random.RandomState(0), [300, 500, 10], "auto", np.float32, activation
    )
    assert coefs[0].dtype == np.float32
    # Four times Glorot's scale into sigmoid units (slope 1/4 at 0), and
    # Glorot's own into the outputs.
    assert_allclose(coefs[0].std(), gain * np.sqrt(2 / 800), rtol=0.02)
    assert_allclose(coefs[1].std(), np.sqrt(2 / 510), rtol=0.05)
    assert [b.shape for b in intercepts] == [(500,), (10,)]
    assert not any(b.any() for b in intercepts)
