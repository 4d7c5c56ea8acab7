"""The hand-written backward pass against central finite differences, for every
hidden activation, and the training loop's blockwise gradients against it.

``tests/test_network.py`` checks the logistic hidden layer alone; here every
activation of ``_network.ACTIVATIONS`` is checked for each loss and output
layer, then the gradients that training actually steps along (blockwise sums
from ``_blockwise.pass_totals``, finished by ``_network.mean_gradients``)
are compared with ``_network.backward``, on the compiled kernels' path too.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sklearn_backprop import _blockwise, _network
from sklearn_backprop._network import mean_gradients

ACTIVATIONS = sorted(_network.ACTIVATIONS)

# (loss, output activation, the mean loss the estimator trains for them)
OBJECTIVES = [
    ("log_loss", "softmax", _network.log_loss),
    ("log_loss", "sigmoid", _network.binary_log_loss),
    ("squared_error", "sigmoid", _network.squared_error),
]
OBJECTIVE_IDS = [f"{loss}-{output}" for loss, output, _ in OBJECTIVES]
LOSS_OUTPUTS = [(loss, output) for loss, output, _ in OBJECTIVES]

N_SAMPLES, N_FEATURES, HIDDEN, N_OUTPUTS = 7, 4, 5, 3
STEP = 1e-6
# The finite-difference step moves a hidden pre-activation by at most
# |x| * STEP, a few micro-units for these inputs: a ReLU pre-activation this far
# from 0 keeps its side of the kink, so both differences see the same slope.
RELU_MARGIN = 1e-3


def hidden_pre_activations(X, coefs, intercepts):
    Z1 = X @ coefs[0]
    return Z1 if intercepts is None else Z1 + intercepts[0]


def targets(rng, output, n_samples):
    """One-hot rows for softmax outputs, label indicators for sigmoid outputs."""
    if output == "softmax":
        return np.eye(N_OUTPUTS)[rng.randint(N_OUTPUTS, size=n_samples)]
    # Several labels per row: every row but one of its three labels, and the first
    # row all three, so that no row looks like a one-hot row.
    Y = 1.0 - np.eye(N_OUTPUTS)[rng.randint(N_OUTPUTS, size=n_samples)]
    Y[0] = 1.0
    return Y


def random_problem(seed, output, fit_intercept, n_samples=N_SAMPLES, margin=None):
    """Inputs, targets and float64 parameters whose ReLU kinks are out of reach.

    Draws are repeated from one seeded generator until no hidden pre-activation
    lies within ``margin`` (default ``RELU_MARGIN``) of 0: deterministic, and the
    same problem for every activation, so that only the activation differs
    between cases. ``margin=0`` takes the first draw.
    """
    margin = RELU_MARGIN if margin is None else margin
    rng = np.random.RandomState(seed)
    while True:
        X = rng.normal(size=(n_samples, N_FEATURES))
        coefs = [
            rng.normal(size=(N_FEATURES, HIDDEN)),
            rng.normal(size=(HIDDEN, N_OUTPUTS)),
        ]
        # Non-zero biases, so that their gradients are exercised away from zero.
        intercepts = [rng.normal(size=HIDDEN), rng.normal(size=N_OUTPUTS)]
        if not fit_intercept:
            intercepts = None
        Z1 = hidden_pre_activations(X, coefs, intercepts)
        if margin == 0 or np.abs(Z1).min() > margin:
            break
    Y = targets(rng, output, n_samples)
    return X, Y, coefs, intercepts


def objective(X, Y, coefs, intercepts, output, activation, loss_function, sw, alpha):
    """The training objective: the mean loss plus the L2 penalty on the weights."""
    P = _network.forward(X, coefs, intercepts, output, activation)[1]
    return loss_function(Y, P, sw) + _network.l2_penalty(coefs, alpha)


def central_differences(function, params):
    """``(f(p + h) - f(p - h)) / 2h`` for each entry of each parameter, in place."""
    numeric = []
    for param in params:
        slopes = np.empty_like(param)
        for index in np.ndindex(param.shape):
            saved = param[index]
            param[index] = saved + STEP
            upper = function()
            param[index] = saved - STEP
            lower = function()
            param[index] = saved
            slopes[index] = (upper - lower) / (2 * STEP)
        numeric.append(slopes)
    return numeric


def check_against_finite_differences(
    loss, output, loss_function, activation, fit_intercept, alpha, weighted
):
    X, Y, coefs, intercepts = random_problem(0, output, fit_intercept)
    sample_weight = None
    if weighted:
        # A separate generator: the problem stays the one of the unweighted case.
        sample_weight = np.random.RandomState(1).uniform(0.2, 3.0, size=len(X))
    # The margin that makes the ReLU derivative defined at every perturbed point.
    Z1 = hidden_pre_activations(X, coefs, intercepts)
    assert np.abs(Z1).min() > RELU_MARGIN
    assert RELU_MARGIN > 100 * STEP * np.abs(X).max()

    H, P = _network.forward(X, coefs, intercepts, output, activation)
    coef_grads, intercept_grads = _network.backward(
        X,
        Y,
        H,
        P,
        coefs,
        loss,
        fit_intercept,
        sample_weight=sample_weight,
        alpha=alpha,
        activation=activation,
    )
    assert (intercept_grads is None) == (not fit_intercept)
    params = coefs + (intercepts or [])
    analytic = coef_grads + (intercept_grads or [])

    numeric = central_differences(
        lambda: objective(
            X,
            Y,
            coefs,
            intercepts,
            output,
            activation,
            loss_function,
            sample_weight,
            alpha,
        ),
        params,
    )
    assert len(analytic) == len(numeric) == (4 if fit_intercept else 2)
    for got, want in zip(analytic, numeric):
        assert got.shape == want.shape
        # atol: rounding in f(p + h) - f(p - h), a few ulps of the loss (about 1)
        # over 2h, is about 1e-10.
        assert_allclose(got, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("alpha", [0.0, 0.1])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss, output, loss_function", OBJECTIVES, ids=OBJECTIVE_IDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_matches_finite_differences(
    activation, loss, output, loss_function, fit_intercept, alpha
):
    check_against_finite_differences(
        loss, output, loss_function, activation, fit_intercept, alpha, weighted=False
    )


@pytest.mark.parametrize("loss, output, loss_function", OBJECTIVES, ids=OBJECTIVE_IDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_weighted_backward_matches_finite_differences(
    activation, loss, output, loss_function
):
    check_against_finite_differences(
        loss, output, loss_function, activation, True, 0.1, weighted=True
    )


def test_relu_kinks_are_away_from_zero_but_some_units_are_off():
    # The ReLU cases mean something only if both sides of the kink occur: some
    # hidden units off (zero slope), others on.
    for fit_intercept in [True, False]:
        X, _, coefs, intercepts = random_problem(0, "softmax", fit_intercept)
        Z1 = hidden_pre_activations(X, coefs, intercepts)
        assert (Z1 < -RELU_MARGIN).any() and (Z1 > RELU_MARGIN).any()


# ------------------------------------------ the gradients the training loop uses


def loop_gradients(X, Y, sample_weight, coefs, intercepts, **pass_options):
    """Gradients as the training loop forms them: blockwise sums, then the mean.

    The penalty applies to the weights only, as in the loop.
    """
    alpha = pass_options.pop("alpha")
    totals = _blockwise.pass_totals(
        X, Y, sample_weight, coefs, intercepts, gradients=True, **pass_options
    )
    N = _network.normaliser(pass_options["loss"], totals.weight, Y.shape[1])
    params, sums, alphas = coefs, totals.coef_sums, [alpha] * len(coefs)
    if intercepts is not None:
        params = coefs + intercepts
        sums = sums + totals.intercept_sums
        alphas = alphas + [0.0] * len(intercepts)
    else:
        assert totals.intercept_sums is None
    return mean_gradients(params, sums, N, alphas)


def backward_gradients(X, Y, sample_weight, coefs, intercepts, **options):
    H, P = _network.forward(
        X, coefs, intercepts, options["output"], options["activation"]
    )
    coef_grads, intercept_grads = _network.backward(
        X,
        Y,
        H,
        P,
        coefs,
        options["loss"],
        intercepts is not None,
        sample_weight=sample_weight,
        alpha=options["alpha"],
        activation=options["activation"],
    )
    return coef_grads + (intercept_grads or [])


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss, output", LOSS_OUTPUTS, ids=OBJECTIVE_IDS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_training_loop_gradients_equal_backward(
    activation, loss, output, fit_intercept, weighted
):
    # Two implementations of one formula: a ReLU kink needs no margin here.
    X, Y, coefs, intercepts = random_problem(
        2, output, fit_intercept, n_samples=50, margin=0
    )
    rng = np.random.RandomState(3)
    sample_weight = rng.uniform(0.2, 3.0, size=len(X)) if weighted else None
    options = dict(
        loss=loss,
        output=output,
        activation=activation,
        multilabel=output == "sigmoid" and loss == "log_loss",
        alpha=0.1,
    )
    got = loop_gradients(X, Y, sample_weight, coefs, intercepts, **options)
    want = backward_gradients(X, Y, sample_weight, coefs, intercepts, **options)
    assert len(got) == len(want) == (4 if fit_intercept else 2)
    for a, b in zip(got, want):
        assert_allclose(a, b, rtol=1e-10, atol=1e-14)


# 6000 rows: several blocks, each with its X^T D1 summed over products of 128
# rows; CSR input: SciPy's products between the same loops.
@pytest.mark.parametrize("n_samples", [7, 6000])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_compiled_kernel_gradients_equal_backward(
    activation, output, fit_intercept, weighted, sparse, n_samples
):
    X, Y, coefs, intercepts = random_problem(
        4, output, fit_intercept, n_samples=n_samples, margin=0
    )
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    # The kernels' path, which the case would otherwise not test.
    assert _blockwise.use_kernels(X, "log_loss", output, activation)
    rng = np.random.RandomState(5)
    sample_weight = rng.uniform(0.2, 3.0, size=n_samples) if weighted else None
    options = dict(
        loss="log_loss",
        output=output,
        activation=activation,
        multilabel=output == "sigmoid",
        alpha=0.1,
    )
    got = loop_gradients(X, Y, sample_weight, coefs, intercepts, **options)
    want = backward_gradients(X, Y, sample_weight, coefs, intercepts, **options)
    assert len(got) == len(want) == (4 if fit_intercept else 2)
    for a, b in zip(got, want):
        # The kernels' exponential is within two ulps of NumPy's, and their sums
        # run in another order: agreement to rounding, not to the bit. The atol
        # covers entries that cancel to nearly zero over thousands of rows.
        assert_allclose(a, b, rtol=1e-10, atol=1e-14)
