"""The two-layer network's math: initialisation, forward and backward passes, losses.

Every function here is stateless: arrays in, arrays out. Nothing here knows about
estimators, labels or training loops. Notation follows the tutorial: ``X`` is the
input, ``H`` the hidden activations (its ``A1``), ``P`` the outputs (its ``A2``),
``Y`` the one-hot targets, ``W1`` and ``W2`` the weight matrices, ``b1`` and ``b2``
the optional biases.
"""

import numpy as np


def sigmoid(Z):
    """Replace ``Z`` by the logistic function ``1 / (1 + exp(-Z))`` in place."""
    # The tutorial's formula, kept operation for operation so that its numbers are
    # reproduced to the last bit. exp(-z) overflows to inf for z < -709, and
    # 1 / inf is exactly 0, the correct limit: the overflow is not an error.
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


OUTPUT_ACTIVATIONS = {"squared_error": sigmoid, "log_loss": softmax}


def init_weights(rng, layer_sizes, scale, fit_intercept, dtype):
    """Draw normal weights for each layer, input-to-hidden first; zero biases."""
    coefs = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        # "auto" is the Glorot (Xavier) normal scale, sqrt(2 / (fan_in + fan_out)),
        # which keeps the variance of activations similar from layer to layer.
        std = np.sqrt(2.0 / (fan_in + fan_out)) if scale == "auto" else scale
        coefs.append(rng.normal(scale=std, size=(fan_in, fan_out)).astype(dtype))
    intercepts = [np.zeros(size, dtype=dtype) for size in layer_sizes[1:]]
    return coefs, (intercepts if fit_intercept else None)


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


def forward(X, coefs, intercepts, loss):
    """Return the hidden activations ``H`` and the outputs ``P``.

    ``P = sigmoid(Z2)`` for the squared error, ``softmax(Z2)`` for the log loss.
    ``intercepts`` is None for a network without biases.
    """
    b1, b2 = (None, None) if intercepts is None else intercepts
    H = hidden_layer(X, coefs[0], b1)
    P = OUTPUT_ACTIVATIONS[loss](output_logits(H, coefs[1], b2))
    return H, P


def predict_proba(X, coefs, intercepts, loss):
    """Return class probabilities: the outputs, normalised to sum to one per row.

    Softmax outputs already sum to one. Sigmoid outputs ``s_j`` become
    ``s_j / sum_k s_k``, computed as the softmax of ``log s_j = -log(1 + exp(-z_j))``
    so that a row whose outputs all underflow to zero still gets finite values.
    """
    b1, b2 = (None, None) if intercepts is None else intercepts
    Z2 = output_logits(hidden_layer(X, coefs[0], b1), coefs[1], b2)
    if loss == "squared_error":
        Z2 = -np.logaddexp(0, -Z2)
    return softmax(Z2)


def backward(X, Y, H, P, coefs, loss, fit_intercept):
    """Return the gradients of the loss with respect to weights and biases.

    With ``E = P - Y``, the output error signal is ``D2 = E * P * (1 - P)`` for the
    squared error through a sigmoid and ``D2 = E`` for the log loss through a
    softmax; the hidden one is ``D1 = (D2 W2^T) * H * (1 - H)``. The gradients are
    ``H^T D2 / N`` and ``X^T D1 / N`` (biases: the column sums of ``D2`` and ``D1``
    over ``N``), where ``N`` is the number of output entries ``n * k`` for the
    squared error, whose loss is averaged over entries, and ``n`` for the log loss.
    """
    W1, W2 = coefs
    D2 = P - Y
    if loss == "squared_error":
        D2 *= P
        D2 *= 1 - P
        N = P.size
    else:
        N = P.shape[0]
    D1 = D2 @ W2.T
    D1 *= H
    D1 *= 1 - H
    coef_grads = [(X.T @ D1) / N, (H.T @ D2) / N]
    if not fit_intercept:
        return coef_grads, None
    return coef_grads, [D1.sum(axis=0) / N, D2.sum(axis=0) / N]


def squared_error(Y, P):
    """Half the mean of ``(P - Y) ** 2`` over all entries: the tutorial's mse."""
    return ((P - Y) ** 2).sum() / (2 * P.size)


def log_loss(Y, P):
    """Mean over rows of ``-sum(Y * log(P))``, the cross-entropy of softmax outputs."""
    # Clipping at the smallest normal number keeps log finite when P underflows.
    log_P = np.log(np.maximum(P, np.finfo(P.dtype).tiny))
    # 0.0 - s rather than -s: a perfect fit reads 0.0, not -0.0.
    return 0.0 - (Y * log_P).sum() / P.shape[0]


LOSSES = {"squared_error": squared_error, "log_loss": log_loss}


def accuracy(y, P):
    """Fraction of rows whose largest output sits at the true class index ``y``."""
    return (P.argmax(axis=1) == y).mean()
