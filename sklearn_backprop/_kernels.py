"""Compiled kernels for the network's elementwise work on NumPy arrays.

Between the matrix products of a pass over a block of rows, which BLAS (or
SciPy, for sparse input) does, the elementwise work of each layer runs as one
fused loop: bias and hidden activation (:data:`ACTIVATIONS`); output
activation, metric sums and output errors (:data:`OUTPUT_ERRORS`); the
activation's slope and the bias gradients (:data:`SLOPES`). Each optimiser's
step is one loop per parameter (:func:`descend`, :func:`adam_step`). The
formulas are those of :mod:`._network` and :mod:`._optimizers`; the passes
differ from them in rounding only: the exponential here is a polynomial that
the compiler turns into SIMD code, within two units in the last place, where
NumPy's ``exp`` may round otherwise; sums may run in another order. The steps
round exactly as NumPy does. The kernels release the GIL, so that threads can
share the rows of a pass. Each compiles on first use (and once per machine
where Numba can cache it), so a fit compiles only the kernels it runs.
"""

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

from . import _network


def _can_cache():
    """Whether Numba finds a place to cache this module's kernels on disk.

    Decorating a function with ``cache=True`` makes Numba look for a directory
    it can write: ``NUMBA_CACHE_DIR``, the ``__pycache__`` beside the source,
    then the user's cache directory (``XDG_CACHE_HOME`` or ``~/.cache``). Where
    there is none, as in a read-only image run as an arbitrary user, it raises
    a RuntimeError, and importing the kernels would fail. Asking it about a
    function of this file, which it never compiles, keeps its own rules and
    costs a fraction of a millisecond, once.
    """

    def probe():
        pass

    try:
        njit(cache=True)(probe)
    except RuntimeError:
        return False
    return True


CACHE = _can_cache()

# Numba's options for every kernel: compiled once per machine and cached on disk
# where Numba can write, else compiled in each process (CACHE); the GIL
# released; contraction of multiply-adds into FMA instructions allowed, nothing
# else that would change results for infinities and NaN; division by zero gives
# inf or NaN as in NumPy, not an exception, which keeps loops SIMD.
OPTIONS = {
    "cache": CACHE,
    "nogil": True,
    "fastmath": {"contract"},
    "error_model": "numpy",
}


def _reinterpret(targets):
    """A compiled function that reads a number's bits as another type's.

    ``targets`` maps each argument type to the type of the same width to read
    its bits as.
    """

    @intrinsic
    def reinterpret(typingctx, value):
        target = targets.get(value)
        if target is None:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(target))

        return target(value), codegen

    return reinterpret


# The bits of a float as an integer of the same width, and back.
_bits = _reinterpret({types.float64: types.int64, types.float32: types.int32})
_from_bits = _reinterpret({types.int64: types.float64, types.int32: types.float32})


# exp(x) = 2**k * exp(r), with k = round(x / log 2) and |r| <= log(2) / 2, where
# the Taylor series of exp(r) to the degree below is exact to 1e-17 (float64)
# and 1e-9 (float32). log 2 is split in two, its high part with enough trailing
# zero bits that k * LN2_HI is exact for every k that occurs.
LOG2E = 1.4426950408889634
LN2_HI = 0.6931471803691238
LN2_LO = 1.9082149292705877e-10
LN2_HI_32 = np.float32(0.693359375)
LN2_LO_32 = np.float32(-2.12194440e-4)
TAYLOR_64 = tuple(1 / math.factorial(n) for n in range(14))
TAYLOR_32 = tuple(np.float32(1 / math.factorial(n)) for n in range(9))
SHIFT_BITS_64 = int(np.float64(6755399441055744.0).view(np.int64))
SHIFT_BITS_32 = int(np.float32(12582912.0).view(np.int32))


@njit(**OPTIONS)
def _taylor13(r, c):
    """The polynomial with coefficients ``c[0] .. c[13]`` at ``r``.

    Estrin's scheme: pairs, then pairs of pairs, so that the chain of dependent
    multiply-adds is four long instead of thirteen.
    """
    r2 = r * r
    r4 = r2 * r2
    low = (c[0] + c[1] * r + (c[2] + c[3] * r) * r2) + (
        c[4] + c[5] * r + (c[6] + c[7] * r) * r2
    ) * r4
    high = (c[8] + c[9] * r + (c[10] + c[11] * r) * r2) + (c[12] + c[13] * r) * r4
    return low + high * (r4 * r4)


@njit(**OPTIONS)
def _taylor8(r, c):
    """The polynomial with coefficients ``c[0] .. c[8]`` at ``r``, as above."""
    r2 = r * r
    r4 = r2 * r2
    low = (c[0] + c[1] * r + (c[2] + c[3] * r) * r2) + (
        c[4] + c[5] * r + (c[6] + c[7] * r) * r2
    ) * r4
    return low + c[8] * (r4 * r4)


@njit(**OPTIONS)
def _exp_nonpositive64(x):
    """``exp(x)`` for ``x <= 0`` (or NaN), float64."""
    if x < -746.0:  # exp(-746) rounds to 0; NaN passes through.
        x = -746.0
    k = np.floor(x * LOG2E + 0.5)
    r = x - k * LN2_HI - k * LN2_LO
    p = _taylor13(r, TAYLOR_64)
    # 2**k in two halves, each a normal number, so that results down to the
    # smallest subnormal are right.
    half = np.floor(0.5 * k)
    return p * _power_of_two64(half) * _power_of_two64(k - half)


@njit(**OPTIONS)
def _power_of_two64(k):
    """``2.0 ** k`` for a float64 integer ``k`` from -1022 to 1023."""
    # Adding 1.5 * 2**52 puts the integer k in the low bits of the sum.
    bits = _bits(k + 6755399441055744.0) - (SHIFT_BITS_64 - 1023)
    return _from_bits(bits << 52)


@njit(**OPTIONS)
def _exp_nonpositive32(x):
    """``exp(x)`` for ``x <= 0`` (or NaN), float32."""
    if x < np.float32(-104.0):
        x = np.float32(-104.0)
    k = np.floor(x * np.float32(LOG2E) + np.float32(0.5))
    r = x - k * LN2_HI_32 - k * LN2_LO_32
    p = _taylor8(r, TAYLOR_32)
    half = np.floor(np.float32(0.5) * k)
    return p * _power_of_two32(half) * _power_of_two32(k - half)


@njit(**OPTIONS)
def _power_of_two32(k):
    """``2.0 ** k`` for a float32 integer ``k`` from -126 to 127."""
    bits = _bits(k + np.float32(12582912.0)) - np.int32(SHIFT_BITS_32 - 127)
    return _from_bits(np.int32(bits << np.int32(23)))


def _exp_nonpositive(x):
    """``exp(x)`` for ``x <= 0`` (or NaN), in the precision of ``x``."""
    raise NotImplementedError("compiled code only")


@overload(_exp_nonpositive)
def _exp_nonpositive_typed(x):
    if x == types.float64:
        return lambda x: _exp_nonpositive64(x)
    if x == types.float32:
        return lambda x: _exp_nonpositive32(x)
    return None


# expm1(r) = r * sum_n r ** n / (n + 1)!, for |r| <= log(2) / 2, where exp's
# reduction leaves r = x: the series keeps the relative precision that
# exp(x) - 1 loses to cancellation there.
TAYLOR_M1_64 = tuple(1 / math.factorial(n + 1) for n in range(14))
TAYLOR_M1_32 = tuple(np.float32(1 / math.factorial(n + 1)) for n in range(9))
HALF_LN2 = 0.34657359027997264


@njit(**OPTIONS)
def _expm1_nonpositive64(x):
    """``exp(x) - 1`` for ``x <= 0`` (or NaN), float64."""
    if x > -HALF_LN2:
        return x * _taylor13(x, TAYLOR_M1_64)
    return _exp_nonpositive64(x) - 1.0


@njit(**OPTIONS)
def _expm1_nonpositive32(x):
    """``exp(x) - 1`` for ``x <= 0`` (or NaN), float32."""
    if x > np.float32(-HALF_LN2):
        return x * _taylor8(x, TAYLOR_M1_32)
    return _exp_nonpositive32(x) - np.float32(1.0)


def _expm1_nonpositive(x):
    """``exp(x) - 1`` for ``x <= 0`` (or NaN), in the precision of ``x``."""
    raise NotImplementedError("compiled code only")


@overload(_expm1_nonpositive)
def _expm1_nonpositive_typed(x):
    if x == types.float64:
        return lambda x: _expm1_nonpositive64(x)
    if x == types.float32:
        return lambda x: _expm1_nonpositive32(x)
    return None


@njit(**OPTIONS)
def _logistic(z, one):
    """``1 / (1 + exp(-z))``, from ``exp(-|z|)`` so that nothing overflows."""
    e = _exp_nonpositive(-abs(z))
    s = one / (one + e)
    return s if z >= 0 else e * s


@njit(**OPTIONS)
def _hyperbolic_tangent(z, one):
    """``tanh(z) = -m / (2 + m)`` with ``m = expm1(-2|z|)``, signed as ``z``.

    ``expm1`` keeps the relative precision of small values, where ``1 -
    exp(-2|z|)`` would cancel; for large ``|z|``, ``m`` tends to -1 and the
    value to 1, with nothing to overflow.
    """
    m = _expm1_nonpositive(-abs(z + z))
    t = -m / (one + one + m)
    return t if z >= 0 else -t


@njit(**OPTIONS)
def sigmoid(Z, b):
    """Replace ``Z`` by ``sigmoid(Z + b)`` in place; ``b`` is a row of biases."""
    one = Z.dtype.type(1)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Z[i, j] = _logistic(Z[i, j] + b[j], one)


@njit(**OPTIONS)
def tanh(Z, b):
    """Replace ``Z`` by ``tanh(Z + b)`` in place; ``b`` is a row of biases."""
    one = Z.dtype.type(1)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Z[i, j] = _hyperbolic_tangent(Z[i, j] + b[j], one)


@njit(**OPTIONS)
def relu(Z, b):
    """Replace ``Z`` by ``max(Z + b, 0)`` in place; NaN stays NaN, as in NumPy."""
    zero = Z.dtype.type(0)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + b[j]
            Z[i, j] = zero if z < zero else z


@njit(**OPTIONS)
def sigmoid_slope(D, H, column_sums):
    """Multiply ``D`` in place by the sigmoid's slope ``H * (1 - H)``.

    Adds the sum of each column of the result to ``column_sums``.
    """
    one = H.dtype.type(1)
    for i in range(D.shape[0]):
        for j in range(D.shape[1]):
            D[i, j] = D[i, j] * H[i, j] * (one - H[i, j])
            column_sums[j] += D[i, j]


@njit(**OPTIONS)
def tanh_slope(D, H, column_sums):
    """Multiply ``D`` in place by the tanh's slope ``1 - H ** 2``; sum columns."""
    one = H.dtype.type(1)
    for i in range(D.shape[0]):
        for j in range(D.shape[1]):
            D[i, j] = D[i, j] * (one - H[i, j] * H[i, j])
            column_sums[j] += D[i, j]


@njit(**OPTIONS)
def relu_slope(D, H, column_sums):
    """Zero ``D`` in place where ``H <= 0`` (the ReLU's slope); sum columns."""
    zero = H.dtype.type(0)
    for i in range(D.shape[0]):
        for j in range(D.shape[1]):
            if H[i, j] <= zero:
                D[i, j] = zero
            column_sums[j] += D[i, j]


# The thresholds of _network.SATURATED, for the counting slopes below.
SIGMOID_SATURATION = _network.SIGMOID_SATURATION
TANH_SATURATION = _network.TANH_SATURATION


@njit(**OPTIONS)
def sigmoid_slope_counted(D, H, column_sums, counts):
    """:func:`sigmoid_slope`, counting where the slope is low.

    Adds to ``counts[j]`` the rows on which unit ``j`` is saturated, ``H * (1
    - H) < 0.05 * 0.25`` (:func:`._network.sigmoid_saturated`). ``D`` and
    ``column_sums`` come out as :func:`sigmoid_slope` leaves them.
    """
    one = H.dtype.type(1)
    limit = H.dtype.type(SIGMOID_SATURATION)
    for i in range(D.shape[0]):
        for j in range(D.shape[1]):
            D[i, j] = D[i, j] * H[i, j] * (one - H[i, j])
            column_sums[j] += D[i, j]
            # Added, not branched on: the loop stays SIMD.
            counts[j] += H[i, j] * (one - H[i, j]) < limit


@njit(**OPTIONS)
def tanh_slope_counted(D, H, column_sums, counts):
    """:func:`tanh_slope`, counting rows where ``1 - H ** 2 < 0.05`` per unit."""
    one = H.dtype.type(1)
    limit = H.dtype.type(TANH_SATURATION)
    for i in range(D.shape[0]):
        for j in range(D.shape[1]):
            D[i, j] = D[i, j] * (one - H[i, j] * H[i, j])
            column_sums[j] += D[i, j]
            counts[j] += one - H[i, j] * H[i, j] < limit


@njit(**OPTIONS)
def relu_slope_counted(D, H, column_sums, counts):
    """:func:`relu_slope`, counting rows where ``H <= 0`` (inactive) per unit."""
    zero = H.dtype.type(0)
    for i in range(D.shape[0]):
        for j in range(D.shape[1]):
            if H[i, j] <= zero:
                D[i, j] = zero
                counts[j] += 1
            column_sums[j] += D[i, j]


@njit(**OPTIONS)
def softmax_errors(Z, b, Y, sample_weight, metrics, column_sums):
    """Replace the logits ``Z`` by the output errors ``(softmax(Z + b) - Y) * w``.

    Adds the sum of each column of the errors to ``column_sums``.
    ``sample_weight`` is empty for unweighted rows. With ``metrics``, return the
    weighted sums over rows of the log loss ``-sum_j Y_j log P_j`` (``P``
    clipped at the smallest normal number, as in :func:`._network.log_loss_sum`),
    of ``sum_j (P_j - Y_j) ** 2``, and of the rows whose largest output is where
    ``Y``'s largest is; zeros without.
    """
    tiny = np.finfo(Z.dtype).tiny
    loss = squares = correct = 0.0
    n_outputs = Z.shape[1]
    # Each row shifted by its maximum, then the exponentials in one loop over
    # the whole block: rows of a few outputs are too short for SIMD.
    for i in range(Z.shape[0]):
        for j in range(n_outputs):
            Z[i, j] += b[j]
        top = Z[i, 0]
        for j in range(1, n_outputs):
            if Z[i, j] > top:
                top = Z[i, j]
        for j in range(n_outputs):
            Z[i, j] -= top
    flat = Z.reshape(Z.size)
    for index in range(flat.size):
        flat[index] = _exp_nonpositive(flat[index])
    for i in range(Z.shape[0]):
        w = sample_weight[i] if sample_weight.size else Z.dtype.type(1)
        total = Z.dtype.type(0)
        for j in range(n_outputs):
            total += Z[i, j]
        for j in range(n_outputs):
            Z[i, j] /= total
        if metrics:
            row_loss = row_squares = 0.0
            best_output = best_target = 0
            for j in range(n_outputs):
                p, y = Z[i, j], Y[i, j]
                if y != 0:
                    # Not max(p, tiny), which would turn a NaN into tiny.
                    row_loss -= y * math.log(tiny if p < tiny else p)
                row_squares += (p - y) ** 2
                if p > Z[i, best_output]:
                    best_output = j
                if y > Y[i, best_target]:
                    best_target = j
            loss += w * row_loss
            squares += w * row_squares
            correct += w * (best_output == best_target)
        for j in range(n_outputs):
            Z[i, j] = (Z[i, j] - Y[i, j]) * w
            column_sums[j] += Z[i, j]
    return loss, squares, correct


@njit(**OPTIONS)
def sigmoid_errors(Z, b, Y, sample_weight, metrics, column_sums):
    """Replace the logits ``Z`` by the output errors ``(sigmoid(Z + b) - Y) * w``.

    Independent sigmoid outputs with the binary cross-entropy (multilabel
    targets). Adds the sum of each column of the errors to ``column_sums``;
    ``sample_weight`` is empty for unweighted rows. With ``metrics``, return
    the weighted sums over rows of ``-sum_j [Y_j log P_j + (1 - Y_j) log(1 -
    P_j)]`` (``P`` and ``1 - P`` clipped at the smallest normal number, as in
    :func:`._network.binary_log_loss_sum`), of ``sum_j (P_j - Y_j) ** 2``, and
    of the rows whose outputs, thresholded at 0.5, all equal ``Y``; zeros
    without.
    """
    dtype = Z.dtype.type
    tiny, one, half = np.finfo(Z.dtype).tiny, dtype(1), dtype(0.5)
    loss = squares = correct = 0.0
    for i in range(Z.shape[0]):
        w = sample_weight[i] if sample_weight.size else one
        row_loss = row_squares = 0.0
        all_right = True
        for j in range(Z.shape[1]):
            p, y = _logistic(Z[i, j] + b[j], one), Y[i, j]
            if metrics:
                q = one - p
                # Not max(p, tiny), which would turn a NaN into tiny.
                log_p = math.log(tiny if p < tiny else p)
                log_q = math.log(tiny if q < tiny else q)
                row_loss -= y * log_p + (one - y) * log_q
                row_squares += (p - y) ** 2
                all_right = all_right and ((p > half) == (y > half))
            Z[i, j] = (p - y) * w
            column_sums[j] += Z[i, j]
        if metrics:
            loss += w * row_loss
            squares += w * row_squares
            correct += w * all_right
    return loss, squares, correct


# The compiled counterparts of _network's tables: the hidden activations (with
# the bias added), their slopes, and the output errors of the log loss, by name.
ACTIVATIONS = {"logistic": sigmoid, "tanh": tanh, "relu": relu}
SLOPES = {"logistic": sigmoid_slope, "tanh": tanh_slope, "relu": relu_slope}
# The slopes that also count saturated entries per unit (_network.SATURATED).
COUNTED_SLOPES = {
    "logistic": sigmoid_slope_counted,
    "tanh": tanh_slope_counted,
    "relu": relu_slope_counted,
}
OUTPUT_ERRORS = {"softmax": softmax_errors, "sigmoid": sigmoid_errors}


# The options of the steps: those of every kernel but fast-math, so that they
# round as NumPy does.
EXACT_OPTIONS = {key: value for key, value in OPTIONS.items() if key != "fastmath"}


@njit(**EXACT_OPTIONS)
def _mean_gradient(total, N, alpha, param):
    """``total / N + alpha * param``, as :func:`._network.mean_gradients`."""
    gradient = total / N
    if alpha != 0:
        gradient = gradient + alpha * param
    return gradient


@njit(**EXACT_OPTIONS)
def descend(param, total, N, alpha, velocity, learning_rate, momentum, nesterov):
    """One gradient-descent step of ``param`` along the mean gradient, in place.

    The arrays are flat (1-D views of the parameter, its gradient sums and its
    velocity, empty without momentum). The gradient ``g`` is ``total / N +
    alpha * param`` (no penalty where ``alpha`` is 0). With ``momentum``,
    ``velocity <- momentum * velocity - learning_rate * g``, then ``param <-
    param + velocity``, or with ``nesterov`` ``param <- param + (momentum *
    velocity - learning_rate * g)``; without, ``param <- param -
    learning_rate * g``. Compiled without fast-math, so that each value goes
    through the same IEEE operations, in the same order, as NumPy's
    whole-array expressions in :func:`._network.mean_gradients` and
    :meth:`._optimizers.SGD.step`: with the scalars in the parameter's dtype,
    the results are equal to the last bit.
    """
    for i in range(param.size):
        gradient = _mean_gradient(total[i], N, alpha, param[i])
        if momentum == 0:
            param[i] = param[i] - learning_rate * gradient
            continue
        velocity[i] = velocity[i] * momentum
        velocity[i] = velocity[i] - learning_rate * gradient
        if nesterov:
            param[i] = param[i] + (momentum * velocity[i] - learning_rate * gradient)
        else:
            param[i] = param[i] + velocity[i]


@njit(**EXACT_OPTIONS)
def adam_step(param, total, N, alpha, first, second, rate, betas, epsilon):
    """One Adam step of ``param`` along the mean gradient, in place.

    The arrays are flat (1-D views of the parameter, its gradient sums and its
    moments). With ``g = total / N + alpha * param`` and ``betas = (beta_1, 1 -
    beta_1, beta_2, 1 - beta_2)``: ``first <- beta_1 first + (1 - beta_1) g``,
    ``second <- beta_2 second + (1 - beta_2) g ** 2``, ``param <- param - rate
    first / (sqrt(second) + epsilon)``, ``rate`` already corrected for the
    moments' bias. The operations of :meth:`._optimizers.Adam.step`, in its
    order and without fast-math: equal to it to the last bit.
    """
    beta_1, rest_1, beta_2, rest_2 = betas
    for i in range(param.size):
        gradient = _mean_gradient(total[i], N, alpha, param[i])
        first[i] = first[i] * beta_1
        first[i] = first[i] + rest_1 * gradient
        second[i] = second[i] * beta_2
        second[i] = second[i] + rest_2 * (gradient * gradient)
        param[i] = param[i] - rate * first[i] / (np.sqrt(second[i]) + epsilon)


# The norms of the diagnostics: sums that may run in any order, so that they
# run in SIMD lanes; the gradient may round in its last bit otherwise than the
# step's.
NORM_OPTIONS = {**OPTIONS, "fastmath": {"contract", "reassoc", "arcp"}}


@njit(**NORM_OPTIONS)
def step_squares(before, after, total, N, alpha):
    """The squared norms of one step of a weight matrix, in one loop.

    The arrays are flat: the weights ``before`` and ``after`` the step, and
    the gradient sums ``total`` the step took at ``before``. Returns the sums,
    in float64, of ``g ** 2`` for the mean gradient ``g = total / N + alpha *
    before`` (that of :func:`descend`, to rounding), of ``before ** 2`` and of
    ``(after - before) ** 2``: the diagnostics of :mod:`._training`.
    """
    gradient_sum = weight_sum = update_sum = 0.0
    for i in range(before.size):
        gradient = total[i] / N + alpha * before[i]
        gradient_sum += float(gradient) * float(gradient)
        weight_sum += float(before[i]) * float(before[i])
        update = float(after[i] - before[i])
        update_sum += update * update
    return gradient_sum, weight_sum, update_sum
