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

from ._array_api import namespace, same_device, to_numpy


def sigmoid(Z):
    """Replace ``Z`` by the logistic function ``1 / (1 + exp(-Z))`` in place.

    Arrays of other Array API libraries get a new array instead.
    """
    xp = namespace(Z)
    if xp is not np:
        return 1 / (1 + xp.exp(-Z))
    # exp(-z) overflows to inf for z < -709, and 1 / inf is exactly 0, the correct
    # limit: the overflow is not an error.
    with np.errstate(over="ignore"):
        np.negative(Z, out=Z)
        np.exp(Z, out=Z)
        Z += 1
        np.reciprocal(Z, out=Z)
    return Z


def tanh(Z):
    """Replace ``Z`` by the hyperbolic tangent ``tanh(Z)`` in place."""
    xp = namespace(Z)
    if xp is not np:
        return xp.tanh(Z)
    return np.tanh(Z, out=Z)


def relu(Z):
    """Replace ``Z`` by the rectified linear function ``max(Z, 0)`` in place."""
    xp = namespace(Z)
    if xp is not np:
        return xp.where(Z > 0, Z, xp.zeros_like(Z))
    return np.maximum(Z, 0, out=Z)


def sigmoid_slope(D, H):
    """Multiply ``D`` by the sigmoid's derivative ``H * (1 - H)``, in place."""
    D *= H
    D *= 1 - H
    return D


def tanh_slope(D, H):
    """Multiply ``D`` by the tanh's derivative ``1 - H ** 2``, in place."""
    D *= 1 - H**2
    return D


def relu_slope(D, H):
    """Multiply ``D`` by the ReLU's derivative, 1 where ``H > 0`` and 0 elsewhere."""
    xp = namespace(D)
    if xp is not np:
        return xp.where(H > 0, D, xp.zeros_like(D))
    D[H <= 0] = 0
    return D


# Hidden activations by name, and their derivatives written in terms of the
# activation's output H (each of the three is a function of it), so that the
# backward pass needs no copy of the pre-activations.
ACTIVATIONS = {"logistic": sigmoid, "tanh": tanh, "relu": relu}
SLOPES = {"logistic": sigmoid_slope, "tanh": tanh_slope, "relu": relu_slope}


# A hidden unit is saturated on a row where its slope is below this fraction of
# its largest: the error signal it passes back is then scaled down twentyfold.
SATURATION_FRACTION = 0.05
# The sigmoid's slope H (1 - H) is largest, 1/4, at H = 1/2; tanh's, 1 - H ** 2,
# is 1 at H = 0.
SIGMOID_SATURATION = SATURATION_FRACTION * 0.25
TANH_SATURATION = SATURATION_FRACTION


def sigmoid_saturated(H):
    """Where the sigmoid's slope is low: ``H * (1 - H) < 0.05 * 0.25``."""
    return H * (1 - H) < SIGMOID_SATURATION


def tanh_saturated(H):
    """Where the tanh's slope is low: ``1 - H ** 2 < 0.05``."""
    return 1 - H**2 < TANH_SATURATION


def relu_saturated(H):
    """Where the ReLU passes nothing back: ``H <= 0``, its slope 0."""
    return H <= 0


# The entries of H whose unit passes (almost) no error back, by activation; the
# compiled slopes of _kernels count the same entries.
SATURATED = {
    "logistic": sigmoid_saturated,
    "tanh": tanh_saturated,
    "relu": relu_saturated,
}


def saturated_counts(H, activation):
    """Per hidden unit, the number of rows of ``H`` on which it is saturated.

    Counts add up over blocks of rows (see :func:`saturated_share`).
    """
    xp = namespace(H)
    mask = SATURATED[activation](H)
    if xp is np:
        return np.count_nonzero(mask, axis=0)
    return xp.sum(xp.astype(mask, xp.int64), axis=0)


def saturated_share(counts, n_rows, activation):
    """The share of saturated hidden units, from :func:`saturated_counts`.

    For the sigmoid and tanh, the share of (unit, row) pairs whose slope is
    below 5 % of its largest; for the ReLU, whose slope is 0 or 1, the share of
    units that no row of the ``n_rows`` activates (dead units).
    """
    if not isinstance(counts, np.ndarray):
        counts = np.asarray(to_numpy(counts), dtype=np.int64)
    if activation == "relu":
        return float(np.count_nonzero(counts == n_rows)) / counts.size
    return float(counts.sum()) / (n_rows * counts.size)


def softmax(Z):
    """Replace each row of ``Z`` by ``exp(z) / sum(exp(z))`` in place."""
    xp = namespace(Z)
    # Subtracting the row maximum leaves the result unchanged and keeps exp finite.
    if xp is np:
        Z -= Z.max(axis=1, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=1, keepdims=True)
        return Z
    Z = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
    return Z / xp.sum(Z, axis=1, keepdims=True)


OUTPUT_ACTIVATIONS = {"sigmoid": sigmoid, "softmax": softmax}


# The "auto" initial scale of the weights into hidden units of each activation,
# as a multiple of Glorot's: the sigmoid's slope at 0 is 1/4, where tanh's is 1,
# so Glorot and Bengio (2010) scale its weights by 4 to pass signals and
# gradients on as tanh units do. With smaller weights a sigmoid layer starts
# nearly linear, and training lingers on the plateau of the linear model.
INIT_GAINS = {"logistic": 4.0, "tanh": 1.0, "relu": 1.0}


def init_weights(rng, layer_sizes, scale, dtype, activation):
    """Draw normal weights for each layer, input-to-hidden first, and zero biases.

    ``scale`` is the weights' standard deviation, or ``"auto"`` for Glorot's
    ``sqrt(2 / (fan_in + fan_out))``, which keeps the variance of the signals
    similar from layer to layer, times :data:`INIT_GAINS` of ``activation``
    for the weights into the hidden layer.
    """
    coefs = []
    gains = [INIT_GAINS[activation], 1.0]
    for fan_in, fan_out, gain in zip(layer_sizes[:-1], layer_sizes[1:], gains):
        if scale == "auto":
            std = gain * np.sqrt(2.0 / (fan_in + fan_out))
        else:
            std = scale
        coefs.append(rng.normal(scale=std, size=(fan_in, fan_out)).astype(dtype))
    intercepts = [np.zeros(size, dtype=dtype) for size in layer_sizes[1:]]
    return coefs, intercepts


def biases(intercepts, spec):
    """The biases ``b1, b2`` that ``spec``'s network adds: None without them."""
    return tuple(intercepts) if spec.fit_intercept else (None, None)


def hidden_layer(X, W1, b1, activation):
    """Return the hidden activations ``H = f(X W1 + b1)``; ``b1`` may be None.

    ``f`` is the function of :data:`ACTIVATIONS` named ``activation``.
    """
    H = X @ W1
    if b1 is not None:
        H += b1
    return ACTIVATIONS[activation](H)


def output_logits(H, W2, b2):
    """Return the output pre-activations ``Z2 = H W2 + b2``; ``b2`` may be None."""
    Z2 = H @ W2
    if b2 is not None:
        Z2 += b2
    return Z2


def forward(X, coefs, intercepts, spec):
    """Return the hidden activations ``H`` and the outputs ``P = output(Z2)``.

    The hidden and output functions, and whether the biases ``intercepts``
    take part, are those of the specification ``spec``.
    """
    b1, b2 = biases(intercepts, spec)
    H = hidden_layer(X, coefs[0], b1, spec.activation)
    P = OUTPUT_ACTIVATIONS[spec.output](output_logits(H, coefs[1], b2))
    return H, P


def log_softmax(Z):
    """Replace each row of ``Z`` by ``z - log(sum(exp(z)))`` in place."""
    xp = namespace(Z)
    Z -= xp.max(Z, axis=1, keepdims=True)
    Z -= xp.log(xp.sum(xp.exp(Z), axis=1, keepdims=True))
    return Z


def probabilities(X, coefs, intercepts, spec, *, log=False):
    """Return the class probabilities of ``X``, or with ``log`` their logarithms.

    Softmax outputs are probabilities already. Sigmoid outputs are the
    independent label probabilities of a multilabel problem, or, where
    ``spec.normalised``, ``s_j / sum_k s_k``: the softmax of the log-sigmoids
    ``log s_j = -log(1 + exp(-z_j))``, so that a row whose outputs all
    underflow to zero still gets finite values. Logarithms are computed from
    the logits, finite where a probability underflows to zero.
    """
    xp = namespace(coefs[0])
    b1, b2 = biases(intercepts, spec)
    H = hidden_layer(X, coefs[0], b1, spec.activation)
    Z2 = output_logits(H, coefs[1], b2)
    if spec.output == "sigmoid":
        if not spec.normalised:
            return _log_sigmoid(xp, Z2) if log else sigmoid(Z2)
        Z2 = _log_sigmoid(xp, Z2)
    return log_softmax(Z2) if log else softmax(Z2)


def _log_sigmoid(xp, Z):
    """``log(sigmoid(z)) = -log(1 + exp(-z))``, finite for every finite z."""
    return -xp.logaddexp(xp.zeros_like(Z), -Z)


def output_errors(Y, P, loss, sample_weight):
    """Return the output error signal ``D2``, each row scaled by its weight.

    ``D2 = (P - Y) * P * (1 - P)`` for the squared error through sigmoid outputs,
    ``D2 = P - Y`` for the log loss through softmax or sigmoid outputs.
    ``sample_weight`` is None for rows of equal weight.
    """
    D2 = P - Y
    if sample_weight is not None:
        D2 *= sample_weight[:, None]
    if loss == "squared_error":
        D2 *= P
        D2 *= 1 - P
    return D2


def hidden_errors(D2, W2, H, activation):
    """Return the hidden error signal ``D1 = (D2 W2^T) * f'``.

    ``f'`` is the derivative of the hidden activation, from its output ``H``
    (:data:`SLOPES`): ``H * (1 - H)`` for the tutorial's sigmoid.
    """
    return SLOPES[activation](D2 @ W2.T, H)


def gradient_sums(X, H, D1, D2, fit_intercept):
    """Return ``[X^T D1, H^T D2]`` and, with biases, the column sums of D1 and D2.

    These are the gradients before division by the normaliser ``N``: sums over
    rows, so that blocks of rows can be added up.
    """
    coef_sums = [X.T @ D1, H.T @ D2]
    if not fit_intercept:
        return coef_sums, None
    # Column sums as products with a row of ones: BLAS does them several times
    # faster than a reduction along the first axis.
    xp = namespace(D1)
    ones = xp.ones(D1.shape[0], dtype=D1.dtype, **same_device(D1))
    return coef_sums, [ones @ D1, ones @ D2]


def normaliser(loss, weight_total, n_outputs):
    """Return ``N``, what the summed gradients are divided by.

    The number of output entries ``n * k`` for the squared error, averaged over
    entries, and the number of rows ``n`` for the log loss; with sample weights,
    ``n`` is their sum.
    """
    return weight_total * n_outputs if loss == "squared_error" else weight_total


def mean_gradients(params, sums, N, alphas):
    """Return the gradients of the mean loss: ``sum / N + alpha * param``.

    ``sums`` are gradients summed over rows, ``N`` what they are divided by
    (see :func:`normaliser`) and ``alphas`` the L2 penalty of each parameter,
    0 for none (the biases).
    """
    grads = [total / N for total in sums]
    for grad, param, alpha in zip(grads, params, alphas):
        if alpha:
            grad += alpha * param
    return grads


def weight_total(P, sample_weight):
    """Number of rows of ``P``, or the sum of their weights."""
    if sample_weight is None:
        return P.shape[0]
    return namespace(sample_weight).sum(sample_weight)


def _weighted_sum(row_values, sample_weight):
    """Sum of per-row values, weighted by ``sample_weight`` unless it is None.

    Boolean values are counted: the unweighted sum of NumPy booleans is an
    integer, exactly as the tutorial's mean of them needs.
    """
    xp = namespace(row_values)
    if xp is np:
        return row_values.sum() if sample_weight is None else row_values @ sample_weight
    if row_values.dtype == xp.bool:
        dtype = xp.float64 if sample_weight is None else sample_weight.dtype
        row_values = xp.astype(row_values, dtype)
    if sample_weight is None:
        return xp.sum(row_values)
    return xp.sum(row_values * sample_weight)


def squared_error_sum(Y, P, sample_weight=None):
    """Sum over rows, weighted, of ``sum_j (P_j - Y_j) ** 2``."""
    xp = namespace(P)
    if xp is np:
        squares = (P - Y) ** 2
        if sample_weight is None:
            return squares.sum()
        return squares.sum(axis=1) @ sample_weight
    if sample_weight is None:
        return xp.sum((P - Y) ** 2)
    return _weighted_sum(xp.sum((P - Y) ** 2, axis=1), sample_weight)


def _safe_log(P):
    """``log(P)``, with ``P`` clipped at the smallest normal number to stay finite."""
    xp = namespace(P)
    tiny = xp.finfo(P.dtype).smallest_normal
    if xp is np:
        return np.log(np.maximum(P, tiny))
    return xp.log(xp.clip(P, min=tiny))


def log_loss_sum(Y, P, sample_weight=None):
    """Sum over rows, weighted, of ``-sum_j Y_j log P_j`` (softmax outputs)."""
    xp = namespace(P)
    if sample_weight is None:
        if xp is np:
            # One dot product instead of a product and two sums.
            return -np.vdot(Y, _safe_log(P))
        return -xp.sum(Y * _safe_log(P))
    return -_weighted_sum(xp.sum(Y * _safe_log(P), axis=1), sample_weight)


def binary_log_loss_sum(Y, P, sample_weight=None):
    """Sum over rows, weighted, of ``-sum_j [Y_j log P_j + (1-Y_j) log(1-P_j)]``."""
    xp = namespace(P)
    terms = Y * _safe_log(P) + (1 - Y) * _safe_log(1 - P)
    return -_weighted_sum(xp.sum(terms, axis=1), sample_weight)


def correct_sum(Y, P, sample_weight=None):
    """Weighted count of rows whose largest output is where ``Y``'s largest is."""
    xp = namespace(P)
    if xp is np:
        return _weighted_sum(P.argmax(axis=1) == Y.argmax(axis=1), sample_weight)
    return _weighted_sum(xp.argmax(P, axis=1) == xp.argmax(Y, axis=1), sample_weight)


def subset_correct_sum(Y, P, sample_weight=None):
    """Weighted count of rows whose outputs, thresholded at 0.5, all equal ``Y``."""
    xp = namespace(P)
    return _weighted_sum(xp.all((P > 0.5) == (Y > 0.5), axis=1), sample_weight)


def l2_penalty(coefs, alpha):
    """The L2 penalty ``alpha / 2 * sum(W ** 2)`` over both weight matrices.

    Exactly 0.0 at ``alpha=0``, without a look at the weights.
    """
    if not alpha > 0:
        return 0.0
    xp = namespace(coefs[0])
    if xp is np:
        # A dot product: no array of squares.
        return 0.5 * alpha * sum(float(np.vdot(W, W)) for W in coefs)
    return 0.5 * alpha * sum(float(xp.sum(W**2)) for W in coefs)
