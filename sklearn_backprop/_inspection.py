"""An estimator's network, weights and training rows, for a look inside.

:func:`sklearn_backprop.backprop_step` and
:func:`sklearn_backprop.check_gradients` both take an estimator, ``X`` and
``y`` and need what a call to ``partial_fit`` would train: the network's
:class:`._spec.NetworkSpec`, the weights it starts from (the fitted ones, or
fresh ones drawn as ``fit`` draws them) and the encoded, weighed rows. This
module makes them, once, without changing the estimator.
"""

from typing import NamedTuple

from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.validation import validate_data

from . import _defaults, _fit_data
from ._array_api import copy as copy_array
from ._array_api import float_dtypes
from ._classifier import BackpropClassifier
from ._spec import NetworkSpec
from ._training import initial_state


class Network(NamedTuple):
    """A network to look inside: its specification, parameters and rows.

    ``coefs`` and ``intercepts`` are copies, free to change; ``rows`` is the
    :class:`._fit_data.Rows` that training would see (targets encoded over
    ``classes``, row weights from ``sample_weight`` and ``class_weight``);
    ``alpha`` the L2 penalty of a fit on those rows (``"auto"`` resolved).
    """

    spec: NetworkSpec
    coefs: list
    intercepts: list
    rows: _fit_data.Rows
    classes: object
    fitted: bool
    alpha: float


def network_of(estimator, X, y, *, sample_weight, random_state, caller):
    """The :class:`Network` of ``estimator`` on ``X`` and ``y``.

    A fitted estimator gives its weights; an unfitted one gives those ``fit``
    would draw, from ``random_state`` where it is not None, else from its own.
    ``caller`` names the public function in error messages. The estimator
    itself is left unchanged: an unfitted one does not record ``X``'s features.
    """
    if not isinstance(estimator, BackpropClassifier):
        raise TypeError(
            f"{caller} takes a BackpropClassifier, fitted or not, not an object "
            f"of type {type(estimator).__name__}. For a pipeline, pass its last "
            "step and X transformed by the steps before it."
        )
    if hasattr(estimator, "coefs_"):
        return _fitted_network(estimator, X, y, sample_weight, random_state, caller)
    return _fresh_network(estimator, X, y, sample_weight, random_state)


def _fitted_network(estimator, X, y, sample_weight, random_state, caller):
    if random_state is not None:
        raise ValueError(
            f"{caller} starts from the fitted weights of this estimator; "
            "random_state draws fresh weights for an unfitted one only. Pass "
            "sklearn.base.clone(estimator) to start from fresh weights."
        )
    estimator._check_same_network(caller)
    # reset=False: checks the number (and names) of the features fitted on.
    X = validate_data(
        estimator,
        X,
        reset=False,
        accept_sparse="csr",
        dtype=float_dtypes(X),
        order="C",
    )
    y = _checked_targets(X, y)
    spec = estimator.spec_
    _fit_data.check_target_kind(y, spec.multilabel)
    rows = _rows(estimator, X, y, sample_weight, estimator.classes_)
    return Network(
        spec,
        [copy_array(W) for W in estimator.coefs_],
        [copy_array(b) for b in estimator.intercepts_],
        rows,
        estimator.classes_,
        fitted=True,
        alpha=_defaults.alpha(estimator.alpha, spec, rows.total_weight()),
    )


def _fresh_network(estimator, X, y, sample_weight, random_state):
    estimator._validate_params()
    X = check_array(X, accept_sparse="csr", dtype=float_dtypes(X), order="C")
    y = _checked_targets(X, y)
    classes = _fit_data.classes_of(y)
    params = estimator.get_params()
    params["hidden_size"] = _defaults.hidden_size(params["hidden_size"], X.shape[0])
    spec = NetworkSpec.of(params, multilabel=y.ndim == 2, n_outputs=classes.size)
    seed = estimator.random_state if random_state is None else random_state
    state = initial_state(spec, X, estimator.init_scale, seed)
    rows = _rows(estimator, X, y, sample_weight, classes)
    alpha = _defaults.alpha(estimator.alpha, spec, rows.total_weight())
    return Network(
        spec, state.coefs, state.intercepts, rows, classes, fitted=False, alpha=alpha
    )


def _checked_targets(X, y):
    """Class labels or an indicator matrix, one per row of ``X``."""
    y = _fit_data.checked_labels(y, "y")
    check_consistent_length(X, y)
    return y


def _rows(estimator, X, y, sample_weight, classes):
    """The training rows of ``X`` and ``y``, weighed as the estimator weighs them."""
    data = _fit_data.training_data(X, y, sample_weight, classes, estimator.class_weight)
    return data.train
