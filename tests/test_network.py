"""The network math: activations, probabilities, metric sums, initial weights,
and the gradients of a pass against finite differences (check_gradients)."""

import numpy as np
import pytest
from _reference import make_spec, random_problem
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_backprop import BackpropClassifier, _network, check_gradients

# Raise on overflow, division by zero and invalid operations.
STRICT = dict(over="raise", divide="raise", invalid="raise")


def test_sigmoid_is_the_tutorial_formula_bit_for_bit():
    z = np.random.RandomState(0).normal(scale=5, size=1000)
    expected = 1 / (1 + np.exp(-z))
    assert_array_equal(_network.sigmoid(z.copy()), expected)


def test_sigmoid_saturates_without_warnings():
    z = np.array([-1e300, -800.0, 0.0, 800.0, 1e300])
    with np.errstate(**STRICT):
        out = _network.sigmoid(z)
    assert_array_equal(out, [0.0, 0.0, 0.5, 1.0, 1.0])


def test_softmax_rows_sum_to_one_for_large_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    with np.errstate(**STRICT):
        P = _network.softmax(Z)
    assert_allclose(P.sum(axis=1), 1.0)
    assert_allclose(P[0], [1.0, 0.0, 0.0])


def test_normalised_sigmoid_probabilities_stay_finite_when_outputs_underflow():
    # Both output sigmoids underflow to exactly 0 for these weights: a plain
    # division by the row sum would give 0 / 0.
    spec = make_spec("squared_error", fit_intercept=False, hidden_size=1, n_outputs=2)
    assert spec.normalised
    coefs = [np.array([[1.0]]), np.array([[-900.0, -1000.0]])]
    X = np.array([[50.0]])
    assert _network.forward(X, coefs, None, spec)[1].sum() == 0
    with np.errstate(**STRICT):
        proba = _network.probabilities(X, coefs, None, spec)
        log_proba = _network.probabilities(X, coefs, None, spec, log=True)
    # The hidden unit is sigmoid(50) = 1, so log s_j = -log(1 + exp(-z_j)) is
    # z_j = -900, -1000, whose softmax is 1 / (1 + e^-100), e^-100 / (1 + e^-100).
    assert_allclose(log_proba, [[0.0, -100.0]], rtol=1e-12, atol=1e-15)
    assert_allclose(proba, [[1.0, np.exp(-100.0)]], rtol=1e-12)


@pytest.mark.parametrize(
    "multilabel, expected",
    # Softmax: log(e^-900 / (e^-900 + e^900)); independent sigmoids: log s(z).
    [(False, [[-1800.0, 0.0]]), (True, [[-900.0, 0.0]])],
    ids=["softmax", "multilabel-sigmoid"],
)
def test_log_probabilities_stay_finite_where_probabilities_underflow(
    multilabel, expected
):
    spec = make_spec(
        multilabel=multilabel, fit_intercept=False, hidden_size=1, n_outputs=2
    )
    coefs = [np.array([[1.0]]), np.array([[-900.0, 900.0]])]
    X = np.array([[50.0]])
    with np.errstate(**STRICT):
        log_proba = _network.probabilities(X, coefs, None, spec, log=True)
    assert_allclose(log_proba, expected, rtol=1e-12, atol=1e-300)
    assert _network.probabilities(X, coefs, None, spec)[0, 0] == 0.0


# (loss, multilabel): softmax with the log loss, multilabel sigmoid outputs
# with the binary log loss, and sigmoid outputs with the squared error, of one
# label and of several per row.
OBJECTIVES = [
    ("log_loss", False),
    ("log_loss", True),
    ("squared_error", False),
    ("squared_error", True),
]
# A step of check_gradients' eps moves a hidden pre-activation by at most
# |x| * eps, a few micro-units here: one this far from 0 keeps its side of the
# ReLU's kink, so both differences see the same slope.
RELU_MARGIN = 1e-3
EPS = 1e-6


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss, multilabel", OBJECTIVES)
@pytest.mark.parametrize("activation", sorted(_network.ACTIVATIONS))
def test_pass_gradients_match_finite_differences(
    activation, loss, multilabel, fit_intercept, alpha, weighted
):
    # The gradients training steps along (a pass, compiled kernels included
    # for the log loss), against central differences of the training loss, by
    # check_gradients, at weights of a normal(0, 1) draw: their biases are far
    # from 0, and drawn with fit_intercept=False too, where they must be
    # ignored.
    spec = make_spec(
        loss, multilabel=multilabel, activation=activation, fit_intercept=fit_intercept
    )
    X, Y, coefs, intercepts = random_problem(0, spec, n_samples=12, margin=RELU_MARGIN)
    # The ReLU cases mean something only if both sides of the kink occur, each
    # out of the step's reach.
    Z1 = X @ coefs[0] + (intercepts[0] if fit_intercept else 0.0)
    assert (Z1 < -RELU_MARGIN).any() and (Z1 > RELU_MARGIN).any()
    assert RELU_MARGIN > 100 * EPS * np.abs(X).max()
    y = Y.astype(int) if multilabel else Y.argmax(axis=1)
    sample_weight = None
    if weighted:
        sample_weight = np.random.RandomState(1).uniform(0.2, 3.0, size=len(X))
    clf = BackpropClassifier(
        hidden_size=spec.hidden_size,
        activation=activation,
        loss=loss,
        fit_intercept=fit_intercept,
        alpha=alpha,
        max_iter=1,
        tol=None,
    ).fit(X, y)
    assert clf.spec_ == spec
    clf.coefs_, clf.intercepts_ = coefs, intercepts

    result = check_gradients(clf, X, y, sample_weight=sample_weight, eps=EPS)
    blocks = ["W1", "b1", "W2", "b2"] if fit_intercept else ["W1", "W2"]
    assert list(result.table.index) == blocks
    assert result.n_near_kinks == 0
    # Rounding in L(w + eps) - L(w - eps), a few ulps of a loss near 1, over
    # 2 eps, is about 1e-10; the compiled kernels' exponential, exact to two
    # ulps, rounds a little more.
    assert (result.table["max_abs_error"] < 5e-9).all(), result
    assert result.ok, result
    assert (result.table["rel_error"] < 1e-6).all()


# The package's metrics, as weighted sums over rows.
METRIC_SUMS = [
    _network.squared_error_sum,
    _network.log_loss_sum,
    _network.binary_log_loss_sum,
    _network.correct_sum,
    _network.subset_correct_sum,
]


@pytest.mark.parametrize("metric_sum", METRIC_SUMS, ids=lambda f: f.__name__)
def test_integer_weights_equal_repeated_rows(metric_sum):
    rng = np.random.RandomState(0)
    Y = np.eye(3)[rng.randint(3, size=6)]
    P = rng.uniform(0.05, 0.95, size=(6, 3))
    weights = np.array([1, 2, 0, 3, 1, 1])
    repeated = np.repeat(np.arange(6), weights)
    assert_allclose(
        metric_sum(Y, P, weights.astype(float)),
        metric_sum(Y[repeated], P[repeated]),
        rtol=1e-12,
    )


def test_correct_sums_count_weighted_rows():
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    P = np.array([[0.9, 0.2], [0.7, 0.6], [0.8, 0.6]])
    weights = np.array([1.0, 2.0, 3.0])
    # Rows 0 and 2 have their largest output at the label; only row 0 has
    # every output on the label's side of 0.5 (row 2 predicts both).
    assert _network.correct_sum(Y, P) == 2
    assert _network.correct_sum(Y, P, weights) == 4.0
    assert _network.subset_correct_sum(Y, P) == 1
    assert _network.subset_correct_sum(Y, P, weights) == 1.0


def test_init_weights_draws_input_to_hidden_first():
    coefs, intercepts = _network.init_weights(
        np.random.RandomState(10), [4, 2, 3], 0.5, np.float64, "logistic"
    )
    rng = np.random.RandomState(10)
    assert_array_equal(coefs[0], rng.normal(scale=0.5, size=(4, 2)))
    assert_array_equal(coefs[1], rng.normal(scale=0.5, size=(2, 3)))
    assert [b.shape for b in intercepts] == [(2,), (3,)]
    assert not any(b.any() for b in intercepts)


@pytest.mark.parametrize(
    "activation, gain", [("logistic", 4.0), ("tanh", 1.0), ("relu", 1.0)]
)
def test_init_weights_auto_scale_is_glorot(activation, gain):
    coefs, intercepts = _network.init_weights(
        np.random.RandomState(0), [300, 500, 10], "auto", np.float32, activation
    )
    assert all(array.dtype == np.float32 for array in coefs + intercepts)
    # Four times Glorot's scale into sigmoid units (slope 1/4 at 0), and
    # Glorot's own into the outputs.
    assert_allclose(coefs[0].std(), gain * np.sqrt(2 / 800), rtol=0.02)
    assert_allclose(coefs[1].std(), np.sqrt(2 / 510), rtol=0.05)
