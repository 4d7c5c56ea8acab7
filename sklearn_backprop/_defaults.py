"""The ``"auto"`` values of BackpropClassifier's parameters, resolved from the
number of training rows.

The rules, with their reasons, are in the parameters' docstrings; the evidence
is ``benchmarks/bench_accuracy.py`` and the benchmarks page.
"""

from . import _network

# With solver="auto", training sets of up to this many rows are fitted by
# L-BFGS, larger ones by Adam.
LBFGS_MAX_ROWS = 10_000
# With hidden_size="auto", the hidden layer's size: SMALL_HIDDEN units below
# LARGE_HIDDEN_MIN_ROWS training rows, LARGE_HIDDEN from there on.
SMALL_HIDDEN, LARGE_HIDDEN = 50, 100
LARGE_HIDDEN_MIN_ROWS = 1_000


def hidden_size(value, n_rows):
    """The hidden layer's size for ``hidden_size=value`` on ``n_rows`` rows."""
    if value != "auto":
        return value
    return LARGE_HIDDEN if n_rows >= LARGE_HIDDEN_MIN_ROWS else SMALL_HIDDEN


def solver(value, n_rows, incremental):
    """The solver for ``solver=value`` on ``n_rows`` rows; ``incremental``
    training (``partial_fit``) takes one stochastic epoch at a time."""
    if value != "auto":
        return value
    return "lbfgs" if n_rows <= LBFGS_MAX_ROWS and not incremental else "adam"


def alpha(value, spec, total_weight):
    """The L2 penalty for ``alpha=value`` on the loss of ``spec`` over rows of
    ``total_weight`` (their number, or the sum of their weights): ``"auto"``
    is ``1 / N``, ``N`` what the loss's sum is divided by (see
    :func:`._network.normaliser`), a standard normal prior on each weight."""
    if value != "auto":
        return value
    return 1.0 / float(_network.normaliser(spec.loss, total_weight, spec.n_outputs))
