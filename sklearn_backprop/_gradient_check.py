"""Finite differences against the gradient that training steps along.

:func:`check_gradients` computes the gradient of an estimator's training
objective as a training step does (a pass of :mod:`._blockwise`, then
:func:`._network.mean_gradients`), and again by central differences of the
objective as the history records it, and tabulates how far apart they are.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _blockwise, _network
from ._array_api import to_numpy
from ._fit_data import Rows
from ._inspection import network_of
from ._training import history_row

# Largest relative error (see check_gradients) of a gradient that is right:
# central differences with a step of 1e-6 are off by about 1e-10 from
# truncation and rounding, far below it; a wrong formula is off by far more.
RTOL = 1e-6


@dataclass(frozen=True, repr=False)
class GradientCheck:
    """The outcome of :func:`check_gradients`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per parameter block (``W1``, ``b1``, ``W2``, ``b2``; no
        biases without intercepts): ``shape``, the largest absolute gradient
        entry ``max_gradient``, the largest absolute error ``max_abs_error``,
        the relative error ``rel_error`` and the ``verdict``, ``"ok"`` or
        ``"WRONG"``.

    ok : bool
        Whether every block's verdict is ``"ok"``.

    analytic, numeric : dict of ndarray
        The gradients by block name: the package's, and the central
        differences.

    eps : float
        The finite-difference step.

    rtol : float
        The largest relative error counted as ``"ok"``.

    n_near_kinks : int
        Hidden pre-activations of ReLU units within reach of a step of 0,
        where the ReLU has its kink and the differences see two slopes; 0 for
        the other activations.
    """

    table: pd.DataFrame
    analytic: dict
    numeric: dict
    eps: float
    rtol: float
    n_near_kinks: int

    @property
    def ok(self):
        return bool((self.table["verdict"] == "ok").all())

    def _header(self):
        verdict = "ok" if self.ok else "WRONG"
        return (
            f"Gradient check, central differences with eps={self.eps:g}: "
            f"{verdict} (relative errors below {self.rtol:g} are ok)"
        )

    def _kinks_note(self):
        if not self.n_near_kinks:
            return ""
        return (
            f"{self.n_near_kinks} ReLU pre-activations lie within a step of the "
            "kink at 0, where finite differences are unreliable."
        )

    def __str__(self):
        lines = [self._header(), self.table.to_string()]
        if self.n_near_kinks:
            lines.append(self._kinks_note())
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        note = self._kinks_note()
        return f"<p>{self._header()}</p>{self.table.to_html()}" + (
            f"<p>{note}</p>" if note else ""
        )


def check_gradients(
    estimator, X, y, *, sample_weight=None, eps=1e-6, random_state=None
):
    """Check the gradient of an estimator's objective against finite differences.

    The analytic gradient is the one a training step moves along: a pass of
    the network over the rows, then division by ``N`` and the penalty
    (``sklearn_backprop._blockwise.pass_totals`` and
    ``sklearn_backprop._network.mean_gradients``), compiled kernels
    included where training runs them. The objective is the training loss as
    ``history_`` records it, the mean loss over the rows (weighted) plus the
    L2 penalty ``alpha / 2 * (||W1||^2 + ||W2||^2)``. Each parameter entry
    ``w`` is moved by ``+eps`` and ``-eps`` and its slope taken as
    ``(L(w + eps) - L(w - eps)) / (2 eps)``: two passes per entry, so keep the
    network and the rows small.

    Parameters
    ----------
    estimator : BackpropClassifier
        Its ``activation``, ``loss``, ``fit_intercept``, ``alpha`` and
        ``class_weight`` define the objective; its fitted weights are the
        point of the check, or, unfitted, the weights ``fit`` would draw.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows.

    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Their class labels, or a label indicator matrix.

    sample_weight : array-like of shape (n_samples,), default=None
        Row weights, as in ``fit``.

    eps : float, default=1e-6
        The finite-difference step.

    random_state : int, RandomState instance or None, default=None
        Draws the weights of an unfitted estimator instead of its own
        ``random_state``; refused for a fitted one.

    Returns
    -------
    result : GradientCheck
        ``result.table`` (a DataFrame, one row per parameter block),
        ``result.ok``, and a text summary as ``str(result)``.

    See Also
    --------
    backprop_step : One gradient step, every intermediate named.

    Notes
    -----
    The check runs in float64, whatever the estimator's dtype: the weights of
    a float32 model and float32 ``X`` are converted, since float32 rounding
    (about 1e-7) divided by ``eps`` would swamp the differences.

    The relative error of a block is its largest absolute error divided by
    the largest entry of the whole gradient, ``max_block |a - n| /
    max_all(max(|a|, |n|))`` for analytic ``a`` and numeric ``n`` (0 where
    the gradient is 0). Entry by entry, ``|a - n| / max(|a|, |n|)`` blows up
    at gradients near zero, whose differences are all rounding, and so does
    a block's own scale where the block is near zero (the hidden biases of a
    symmetric network): the rounding of central differences is about
    ``1e-16 * |L| / eps``, some ``1e-10`` here, whatever the entry's size.
    Against the gradient's scale, an error is either that rounding or a
    wrong formula, which is off by a part of the gradient itself. Below
    ``1e-6`` the verdict is ``"ok"``; ``max_gradient`` in the table shows
    each block's own scale.

    A ReLU unit has no slope at 0. Where a hidden pre-activation lies within
    a step of 0 (``|Z1| <= eps * max(1, max |x|)`` over the row), moving an
    entry can cross the kink and the differences mix two slopes: the result
    counts such pre-activations in ``n_near_kinks`` and says so in its
    summary. Choose weights and rows that keep it 0.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import scale
    >>> from sklearn_backprop import BackpropClassifier, check_gradients
    >>> X, y = load_iris(return_X_y=True)
    >>> result = check_gradients(BackpropClassifier(hidden_size=3), scale(X), y,
    ...                          random_state=0)
    >>> result.ok
    True
    >>> list(result.table.index)
    ['W1', 'b1', 'W2', 'b2']
    """
    network = network_of(
        estimator,
        X,
        y,
        sample_weight=sample_weight,
        random_state=random_state,
        caller="check_gradients",
    )
    spec, alpha = network.spec, network.alpha
    rows = Rows(*(_float64(part) for part in network.rows))
    coefs = [_float64(W) for W in network.coefs]
    intercepts = [_float64(b) for b in network.intercepts]
    params = coefs + (intercepts if spec.fit_intercept else [])
    names = ["W1", "W2", "b1", "b2"][: len(params)]

    totals = _blockwise.pass_totals(rows, coefs, intercepts, spec, gradients=True)
    sums = list(totals.grads.coefs) + list(totals.grads.intercepts or [])
    alphas = [alpha, alpha] + [0.0] * (len(params) - 2)
    analytic = _network.mean_gradients(params, sums, totals.N, alphas)

    def objective():
        totals = _blockwise.pass_totals(rows, coefs, intercepts, spec, gradients=False)
        return float(history_row(totals, spec)["loss"]) + _network.l2_penalty(
            coefs, alpha
        )

    numeric = [_central_differences(objective, param, eps) for param in params]
    order = ["W1", "b1", "W2", "b2"]
    by_name = dict(zip(names, zip(analytic, numeric)))
    blocks = [name for name in order if name in by_name]
    table = pd.DataFrame(
        [_block_row(*by_name[name]) for name in blocks],
        index=pd.Index(blocks, name="block"),
    )
    # Relative to the largest entry of the whole gradient (see the Notes).
    scale = table["max_gradient"].max()
    table["rel_error"] = table["max_abs_error"] / scale if scale > 0 else 0.0
    table["verdict"] = np.where(table["rel_error"] < RTOL, "ok", "WRONG")
    return GradientCheck(
        table=table,
        analytic={name: by_name[name][0] for name in order if name in by_name},
        numeric={name: by_name[name][1] for name in order if name in by_name},
        eps=eps,
        rtol=RTOL,
        n_near_kinks=_near_kinks(rows.X, coefs, intercepts, spec, eps),
    )


def _float64(array):
    """``array`` in NumPy float64 (None stays None; sparse stays sparse)."""
    if array is None:
        return None
    array = to_numpy(array)
    return array.astype(np.float64) if array.dtype != np.float64 else array


def _central_differences(objective, param, eps):
    """``(L(p + eps) - L(p - eps)) / (2 eps)`` for each entry of ``param``.

    Each entry is moved in place and restored.
    """
    slopes = np.empty_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        upper = objective()
        param[index] = saved - eps
        lower = objective()
        param[index] = saved
        slopes[index] = (upper - lower) / (2 * eps)
    return slopes


def _block_row(analytic, numeric):
    """The table's row of one parameter block."""
    return {
        "shape": " x ".join(map(str, analytic.shape)),
        "max_gradient": float(max(np.abs(analytic).max(), np.abs(numeric).max())),
        "max_abs_error": float(np.abs(analytic - numeric).max()),
    }


def _near_kinks(X, coefs, intercepts, spec, eps):
    """Number of ReLU pre-activations that a step of ``eps`` may move across 0."""
    if spec.activation != "relu":
        return 0
    b1 = _network.biases(intercepts, spec)[0]
    Z1 = _network.output_logits(X, coefs[0], b1)
    # Moving W1[i, j] by eps moves Z1[r, j] by eps * X[r, i]; b1[j], by eps.
    reach = abs(X).max(axis=1)
    if sp.issparse(reach):
        reach = reach.toarray().ravel()
    reach = np.maximum(reach, 1.0)
    return int((np.abs(Z1) <= eps * reach[:, None]).sum())
