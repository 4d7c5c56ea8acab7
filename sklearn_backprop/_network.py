"""The two-layer network's math: initialisation, forward and backward passes, losses.

Every function here is stateless: arrays in, arrays out. Nothing here knows about
estimators, labels or training loops. Notation follows the tutorial: ``X`` is the
input, ``H`` the hidden activations (its ``A1``), ``P`` the outputs (its ``A2``),
``Y`` the target matrix (one-hot rows, or label indicators), ``W1`` and ``W2`` the
weight matrices, ``b1`` and ``b2`` the optional biases. ``sample_weight`` is None
for unweighted rows; the unweighted formulas are the tutorial's, operation for
operation, so that its numbers are reproduced to the last bit.
"""

import numpy as np


def sigmoid(Z):
    """Replace ``Z`` by the logistic function ``1 / (1 + exp(-Z))`` in place."""
    # exp(-z) overflows to inf for z < -709, and 1 / inf is exactly 0, the correct
    # limit: the overflow is not an error.
    with np.errstate(over="ignore"):
        np.negative(Z, out=Z)
        np.exp(Z, out=Z)
        Z += 1
        np.reciprocal(Z, out=Z)
    return Z


def softmax(Z):
    """Replace each row of ``Z`` by ``exp(z) / sum(exp(z))`` in place."""
    # Subtracting the row maximum leaves the result unchanged and keeps exp finite.
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


OUTPUT_ACTIVATIONS = {"sigmoid": sigmoid, "softmax": softmax}


def init_weights(rng, layer_sizes, scale, dtype):
    """Draw normal weights for each layer, input-to-hidden first, and zero biases."""
    coefs = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        # "auto" is the Glorot (Xavier) normal scale, sqrt(2 / (fan_in + fan_out)),
        # which keeps the variance of activations similar from layer to layer.
        std = np.sqrt(2.0 / (fan_in + fan_out)) if scale == "auto" else scale
        coefs.append(rng.normal(scale=std, size=(fan_in, fan_out)).astype(dtype))
    intercepts = [np.zeros(size, dtype=dtype) for size in layer_sizes[1:]]
    return coefs, intercepts


def hidden_layer(X, W1, b1):
    """Return the hidden activations ``H = sigmoid(X W1 + b1)``; ``b1`` may be None."""
    H = X @ W1
    if b1 is not None:
        H += b1
    return sigmoid(H)


def output_logits(H, W2, b2):
    """Return the output pre-activations ``Z2 = H W2 + b2``; ``b2`` may be None."""
    Z2 = H @ W2
    if b2 is not None:
        Z2 += b2
    return Z2


def forward(X, coefs, intercepts, output):
    """Return the hidden activations ``H`` and the outputs ``P = output(Z2)``.

    ``output`` is ``"sigmoid"`` or ``"softmax"``; ``intercepts`` is None for a
    network without biases.
    """
    b1, b2 = (None, None) if intercepts is None else intercepts
    H = hidden_layer(X, coefs[0], b1)
    P = OUTPUT_ACTIVATIONS[output](output_logits(H, coefs[1], b2))
    return H, P


def normalised_sigmoid(X, coefs, intercepts):
    """Return sigmoid outputs ``s_j`` divided by their row sum ``sum_k s_k``.

    Computed as the softmax of ``log s_j = -log(1 + exp(-z_j))``, so that a row
    whose outputs all underflow to zero still gets finite probabilities.
    """
    b1, b2 = (None, None) if intercepts is None else intercepts
    Z2 = output_logits(hidden_layer(X, coefs[0], b1), coefs[1], b2)
    return softmax(-np.logaddexp(0, -Z2))


def backward(X, Y, H, P, coefs, loss, fit_intercept, sample_weight=None, alpha=0.0):
    """Return the gradients of the loss with respect to weights and biases.

    With ``E = P - Y``, the output error signal is ``D2 = E * P * (1 - P)`` for the
    squared error through sigmoid outputs, and ``D2 = E`` for the log loss through
    softmax or sigmoid outputs; the hidden one is ``D1 = (D2 W2^T) * H * (1 - H)``.
    The gradients are ``X^T D1 / N`` and ``H^T D2 / N`` (biases: the column sums of
    ``D1`` and ``D2`` over ``N``), plus ``alpha * W`` for the L2 penalty. ``N`` is
    the number of output entries ``n * k`` for the squared error, averaged over
    entries, and the number of rows ``n`` for the log loss; with sample weights,
    each row's error is scaled by its weight and ``n`` becomes their sum.
    """
    W1, W2 = coefs
    D2 = P - Y
    n = P.shape[0]
    if sample_weight is not None:
        D2 *= sample_weight[:, np.newaxis]
        n = sample_weight.sum()
    if loss == "squared_error":
        D2 *= P
        D2 *= 1 - P
        N = P.size if sample_weight is None else n * P.shape[1]
    else:
        N = n
    D1 = D2 @ W2.T
    D1 *= H
    D1 *= 1 - H
    coef_grads = [(X.T @ D1) / N, (H.T @ D2) / N]
    if alpha:
        for grad, W in zip(coef_grads, coefs):
            grad += alpha * W
    if not fit_intercept:
        return coef_grads, None
    return coef_grads, [D1.sum(axis=0) / N, D2.sum(axis=0) / N]


def _weighted_mean(row_values, sample_weight):
    """Mean of per-row values, weighted by ``sample_weight`` unless it is None."""
    if sample_weight is None:
        return row_values.mean()
    return (row_values @ sample_weight) / sample_weight.sum()


def squared_error(Y, P, sample_weight=None):
    """Half the mean of ``(P - Y) ** 2`` over all entries: the tutorial's mse."""
    if sample_weight is None:
        return ((P - Y) ** 2).sum() / (2 * P.size)
    row_sums = ((P - Y) ** 2).sum(axis=1)
    return _weighted_mean(row_sums, sample_weight) / (2 * P.shape[1])


def _safe_log(P):
    """``log(P)``, with ``P`` clipped at the smallest normal number to stay finite."""
    return np.log(np.maximum(P, np.finfo(P.dtype).tiny))


def log_loss(Y, P, sample_weight=None):
    """Mean over rows of ``-sum_j Y_j log P_j``: cross-entropy of softmax outputs."""
    # 0.0 - m rather than -m: a perfect fit reads 0.0, not -0.0.
    return 0.0 - _weighted_mean((Y * _safe_log(P)).sum(axis=1), sample_weight)


def binary_log_loss(Y, P, sample_weight=None):
    """Mean over rows of ``-sum_j [Y_j log P_j + (1 - Y_j) log(1 - P_j)]``."""
    row_sums = (Y * _safe_log(P) + (1 - Y) * _safe_log(1 - P)).sum(axis=1)
    return 0.0 - _weighted_mean(row_sums, sample_weight)


def l2_penalty(coefs, alpha):
    """The L2 penalty ``alpha / 2 * sum(W ** 2)`` over both weight matrices."""
    return 0.5 * alpha * sum(float((W**2).sum()) for W in coefs)


def accuracy(Y, P, sample_weight=None):
    """Fraction of rows whose largest output sits where ``Y``'s largest entry is."""
    return _weighted_mean(P.argmax(axis=1) == Y.argmax(axis=1), sample_weight)


def subset_accuracy(Y, P, sample_weight=None):
    """Fraction of rows whose outputs, thresholded at 0.5, all equal ``Y``."""
    return _weighted_mean(((P > 0.5) == (Y > 0.5)).all(axis=1), sample_weight)
