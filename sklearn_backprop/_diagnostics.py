"""What ``diagnostics=True`` records: gradient and weight norms, update ratios
and saturated hidden units, from the sums the passes already make.

A history row measures the weights it starts from: the Frobenius norm of the
mean gradient of the training objective (penalty included) and of the weights,
for each weight matrix; the relative size of the step taken from them,
``||W_after - W_before|| / ||W_before||``; and the share of saturated hidden
units (see :func:`._network.saturated_share`). A full-batch or L-BFGS row takes
them from one pass (:func:`pass_diagnostics`, :func:`update_ratios`); a
mini-batch epoch records the row-weighted mean over its steps
(:class:`StepMeans`).
"""

import math

import numpy as np

from . import _kernels, _network
from ._array_api import copy as copy_array
from ._array_api import namespace

# The diagnostics' columns, in the order of the history.
DIAGNOSTICS = (
    "grad_norm_W1",
    "grad_norm_W2",
    "weight_norm_W1",
    "weight_norm_W2",
    "update_ratio_W1",
    "update_ratio_W2",
    "saturated",
)
# The update ratios of a row recorded before its step: filled in after it.
UNKNOWN_UPDATE = {"update_ratio_W1": math.nan, "update_ratio_W2": math.nan}


def frobenius_norm(A):
    """The Frobenius norm ``sqrt(sum(A ** 2))`` of an array, as a float."""
    xp = namespace(A)
    if xp is np:
        flat = A.reshape(-1)
        return math.sqrt(float(np.dot(flat, flat)))
    return math.sqrt(float(xp.sum(A * A)))


def pass_diagnostics(totals, n_rows, coefs, spec, alpha):
    """The gradient and weight norms and the saturation of a pass's ``totals``.

    ``totals`` come from a pass over ``n_rows`` rows at the weights ``coefs``,
    with gradients and saturation counts. ``grad_norm_W1`` and
    ``grad_norm_W2`` are the norms of the mean gradient of the training
    objective, ``sum / N + alpha * W``, the gradient a step takes.
    """
    values = norms(coefs, totals.grads.coefs, totals.N, alpha)
    values["saturated"] = _network.saturated_share(
        totals.saturated, n_rows, spec.activation
    )
    return values


def norms(coefs, grad_sums, N, alpha):
    """``grad_norm_W1``, ``grad_norm_W2`` (of the mean gradient ``sum / N +
    alpha * W``), ``weight_norm_W1`` and ``weight_norm_W2`` of the weights
    ``coefs``, in that order, in the weights' own library."""
    grads = _network.mean_gradients(coefs, grad_sums, N, [alpha, alpha])
    values = {
        f"grad_norm_W{index}": frobenius_norm(grad)
        for index, grad in enumerate(grads, start=1)
    }
    values.update(
        (f"weight_norm_W{index}", frobenius_norm(W))
        for index, W in enumerate(coefs, start=1)
    )
    return values


def update_ratios(before, after):
    """``||W_after - W_before|| / ||W_before||`` of each weight matrix."""
    ratios = {}
    for index, (old, new) in enumerate(zip(before, after), start=1):
        step, size = frobenius_norm(new - old), frobenius_norm(old)
        ratios[f"update_ratio_W{index}"] = _ratio(step, size)
    return ratios


def _ratio(step, size):
    """``step / size``; from zero weights, any move is infinitely large, and no
    move undefined."""
    return step / size if size else (math.inf if step else math.nan)


class StepMeans:
    """The row-weighted means of the diagnostics of an epoch's mini-batch steps.

    Around each step, :meth:`before_step` keeps the weights it starts from
    and :meth:`after_step` measures it; :meth:`means` gives the epoch's row.
    With ``metrics``, every diagnostic is measured; without, the update ratios
    alone (a pass over the whole set gives the rest). On NumPy weights in C
    order, one compiled loop per weight matrix measures a step
    (:func:`._kernels.step_squares`), into buffers kept for the epoch.

    Parameters
    ----------
    coefs : list of arrays
        The weight matrices the steps update in place.

    spec : ._spec.NetworkSpec
        Their network: its hidden activation decides what is saturated.

    alpha : float
        The L2 penalty, part of the gradient a step takes.

    metrics : bool
        Whether the passes count gradients and saturated units to measure.
    """

    def __init__(self, coefs, spec, alpha, metrics):
        self.coefs = coefs
        self.before = [copy_array(W) for W in coefs]
        self.activation = spec.activation
        self.alpha = alpha
        self.metrics = metrics
        self.names = DIAGNOSTICS if metrics else tuple(UNKNOWN_UPDATE)
        self.sums = [0.0] * len(self.names)
        self.weight = 0.0
        self.compiled = metrics and all(
            isinstance(W, np.ndarray) and W.flags.c_contiguous for W in coefs
        )
        if self.compiled:
            # Flat views of the weights and of their copies: the steps update
            # both in place.
            self.flat = [
                (old.reshape(-1), new.reshape(-1))
                for old, new in zip(self.before, coefs)
            ]
            scalar = coefs[0].dtype.type
            self.scalar, self.scalar_alpha = scalar, scalar(alpha)

    def before_step(self):
        """Keep the weights the next step starts from."""
        if self.compiled:
            for kept, W in zip(self.before, self.coefs):
                np.copyto(kept, W)
        else:
            self.before = [copy_array(W) for W in self.coefs]

    def after_step(self, totals, n_rows):
        """Add the step just taken, along the gradients of ``totals``, those
        of a pass over ``n_rows`` rows."""
        values = self._measure(totals, n_rows)
        weight = float(totals.weight)
        self.weight += weight
        sums = self.sums
        for index, value in enumerate(values):
            sums[index] += weight * value

    def means(self):
        """The epoch's diagnostics: each step's weighted by its rows."""
        return {name: total / self.weight for name, total in zip(self.names, self.sums)}

    def _measure(self, totals, n_rows):
        """The diagnostics of one step, in the order of ``self.names``."""
        if not self.metrics:
            return update_ratios(self.before, self.coefs).values()
        grad_sums = totals.grads.coefs
        if self.compiled and all(g.flags.c_contiguous for g in grad_sums):
            values = self._compiled_measure(grad_sums, totals.N)
        else:
            values = self._array_measure(grad_sums, totals.N)
        values.append(
            _network.saturated_share(totals.saturated, n_rows, self.activation)
        )
        return values

    def _array_measure(self, grad_sums, N):
        """The norms and ratios of one step, in the weights' own library."""
        return [
            *norms(self.before, grad_sums, N, self.alpha).values(),
            *update_ratios(self.before, self.coefs).values(),
        ]

    def _compiled_measure(self, grad_sums, N):
        """The norms and ratios of one step, a compiled loop per matrix."""
        N, alpha = self.scalar(N), self.scalar_alpha
        gradients, weights, ratios = [], [], []
        for (old, new), total in zip(self.flat, grad_sums):
            gradient, weight, update = _kernels.step_squares(
                old, new, total.reshape(-1), N, alpha
            )
            size = math.sqrt(weight)
            gradients.append(math.sqrt(gradient))
            weights.append(size)
            ratios.append(_ratio(math.sqrt(update), size))
        return gradients + weights + ratios
