"""Whole-array formulas that the tests hold the package's faster paths against.

The package computes its metrics and gradients as sums over blocks of rows
(``sklearn_backprop._blockwise``), or in compiled kernels; these are the
textbook forms, over all rows at once, built from the package's own
elementwise pieces in ``sklearn_backprop._network``. Finite differences check
the gradients themselves (``sklearn_backprop.check_gradients``, in
``tests/test_network.py``).
"""

import numpy as np

from sklearn_backprop import _network
from sklearn_backprop._spec import NetworkSpec


def make_spec(
    loss="log_loss",
    *,
    multilabel=False,
    activation="logistic",
    fit_intercept=True,
    hidden_size=5,
    n_outputs=3,
):
    """The specification the estimator makes for these parameters."""
    params = dict(
        loss=loss,
        activation=activation,
        fit_intercept=fit_intercept,
        hidden_size=hidden_size,
    )
    return NetworkSpec.of(params, multilabel=multilabel, n_outputs=n_outputs)


def weight_total(P, sample_weight=None):
    return P.shape[0] if sample_weight is None else sample_weight.sum()


def squared_error(Y, P, sample_weight=None):
    """Half the mean of ``(P - Y) ** 2`` over all entries: the tutorial's mse."""
    rows = ((P - Y) ** 2).sum(axis=1)
    total = rows.sum() if sample_weight is None else rows @ sample_weight
    return total / (2 * P.shape[1] * weight_total(P, sample_weight))


def log_loss(Y, P, sample_weight=None):
    """Mean over rows of ``-sum_j Y_j log P_j``: cross-entropy of softmax outputs."""
    rows = -(Y * np.log(P)).sum(axis=1)
    total = rows.sum() if sample_weight is None else rows @ sample_weight
    return total / weight_total(P, sample_weight)


def binary_log_loss(Y, P, sample_weight=None):
    """Mean over rows of the binary cross-entropy summed over sigmoid outputs."""
    rows = -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=1)
    total = rows.sum() if sample_weight is None else rows @ sample_weight
    return total / weight_total(P, sample_weight)


def mean_loss(Y, P, spec, sample_weight=None):
    """The mean loss that ``spec``'s network trains on."""
    if spec.loss == "squared_error":
        return squared_error(Y, P, sample_weight)
    if spec.output == "softmax":
        return log_loss(Y, P, sample_weight)
    return binary_log_loss(Y, P, sample_weight)


def accuracy(Y, P, sample_weight=None):
    """Fraction of rows whose largest output sits where ``Y``'s largest entry is."""
    right = (P.argmax(axis=1) == Y.argmax(axis=1)).astype(float)
    total = right.sum() if sample_weight is None else right @ sample_weight
    return total / weight_total(P, sample_weight)


def subset_accuracy(Y, P, sample_weight=None):
    """Fraction of rows whose outputs, thresholded at 0.5, all equal ``Y``."""
    right = ((P > 0.5) == (Y > 0.5)).all(axis=1).astype(float)
    total = right.sum() if sample_weight is None else right @ sample_weight
    return total / weight_total(P, sample_weight)


def objective(X, Y, coefs, intercepts, spec, sample_weight=None, alpha=0.0):
    """The training objective: the mean loss plus the L2 penalty on the weights."""
    P = _network.forward(X, coefs, intercepts, spec)[1]
    penalty = 0.5 * alpha * sum((W**2).sum() for W in coefs)
    return mean_loss(Y, P, spec, sample_weight) + penalty


def backward(X, Y, coefs, intercepts, spec, sample_weight=None, alpha=0.0):
    """The gradients of :func:`objective`, by backpropagation over all rows.

    Returns the weights' gradients and the biases' (None without biases).
    """
    H, P = _network.forward(X, coefs, intercepts, spec)
    D2 = _network.output_errors(Y, P, spec.loss, sample_weight)
    D1 = _network.hidden_errors(D2, coefs[1], H, spec.activation)
    coef_sums, intercept_sums = _network.gradient_sums(X, H, D1, D2, spec.fit_intercept)
    N = _network.normaliser(spec.loss, weight_total(P, sample_weight), P.shape[1])
    coef_grads = [total / N + alpha * W for total, W in zip(coef_sums, coefs)]
    if intercept_sums is None:
        return coef_grads, None
    return coef_grads, [total / N for total in intercept_sums]


def random_problem(seed, spec, n_samples=7, n_features=4, margin=0.0):
    """Inputs ``X``, targets ``Y`` and float64 weights and biases for ``spec``.

    ``Y`` holds one-hot rows, or for multilabel targets several labels per row
    (all but one, and all in the first row, so that none looks one-hot). The
    biases are non-zero, so that their gradients are away from zero, and drawn
    with ``fit_intercept=False`` too, where they must be ignored. Draws repeat
    from the seeded generator until no hidden pre-activation lies within
    ``margin`` of 0, where a ReLU has its kink.
    """
    rng = np.random.RandomState(seed)
    k = spec.n_outputs
    while True:
        X = rng.normal(size=(n_samples, n_features))
        coefs = [
            rng.normal(size=(n_features, spec.hidden_size)),
            rng.normal(size=(spec.hidden_size, k)),
        ]
        intercepts = [rng.normal(size=spec.hidden_size), rng.normal(size=k)]
        Z1 = X @ coefs[0] + (intercepts[0] if spec.fit_intercept else 0.0)
        if margin == 0 or np.abs(Z1).min() > margin:
            break
    Y = np.eye(k)[rng.randint(k, size=n_samples)]
    if spec.multilabel:
        Y = 1.0 - Y
        Y[0] = 1.0
    return X, Y, coefs, intercepts
