"""The data a fit trains on: targets checked and encoded, rows weighed, a
validation set held out or given.

Functions of the data alone, not of the estimator: the estimator validates
``X`` (which records its features), then hands ``X``, ``y`` and the weights
here and receives :class:`FitData`, whose :class:`Rows` the training loop and
the passes read.
"""

import math
import numbers
import warnings
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split
from sklearn.utils import compute_sample_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, column_or_1d

from ._array_api import (
    device,
    like,
    namespace,
    numpy_float_dtype,
    take_rows,
    to_numpy,
)

# Features whose root mean square exceeds this are far from standardised (whose
# is 1): they push sigmoid units into saturation, where their gradients vanish.
# On the datasets of benchmarks/bench_accuracy.py, raw features beyond it cost
# the default network up to 40 points of accuracy; scaled, it lost none.
UNSCALED_RMS = 100.0


class Rows(NamedTuple):
    """Rows to train or score on: inputs, target matrix and row weights.

    ``Y`` has one column per output (one-hot rows, or label indicators), in
    the dtype, library and device of ``X``; ``sample_weight`` is None for rows
    of equal weight.
    """

    X: object
    Y: object
    sample_weight: object

    def total_weight(self):
        """The number of rows, or the sum of their weights, as a float."""
        if self.sample_weight is None:
            return float(self.X.shape[0])
        return float(self.sample_weight.sum())

    def take(self, rows):
        """The rows selected by a slice or a NumPy index array."""
        weights = self.sample_weight
        if weights is not None:
            weights = take_rows(weights, rows)
        return Rows(take_rows(self.X, rows), take_rows(self.Y, rows), weights)


@dataclass(frozen=True)
class FitData:
    """What one call to fit trains on.

    Parameters
    ----------
    train : Rows
        The training rows.

    validation : Rows or None
        Rows scored after each iteration (no weights), or None.

    classes : ndarray
        The labels of the outputs, in order; for multilabel targets, the label
        indices.

    multilabel : bool
        Whether the targets are a label indicator matrix.

    validation_labels : array or None
        The validation rows' targets as the user gave them, for a scorer:
        numeric labels in the library of ``X`` (that of the predictions),
        others in NumPy; None without validation rows.
    """

    train: Rows
    validation: Rows | None
    classes: np.ndarray
    multilabel: bool
    validation_labels: np.ndarray | None = None

    def labels(self):
        """The training targets as the user gave them, for callbacks that score."""
        return self._decoded(self.train.Y)

    def _decoded(self, Y):
        """The labels of the rows of the target matrix ``Y``."""
        Y = to_numpy(Y)
        return Y.astype(int) if self.multilabel else self.classes[Y.argmax(axis=1)]

    def with_validation(self, X_val, y_val):
        """This data, scored on ``X_val`` (validated) and ``y_val`` each iteration."""
        y_val = checked_labels(y_val, "y_val")
        if X_val.shape[0] != y_val.shape[0]:
            raise ValueError(
                f"X_val has {X_val.shape[0]} rows but y_val has {y_val.shape[0]} "
                "entries."
            )
        if (y_val.ndim == 2) != self.multilabel:
            kind = "a label indicator matrix" if self.multilabel else "class labels"
            raise ValueError(f"y_val must be {kind}, like y.")
        Y_val = encode(y_val, self.classes, "y_val")
        validation = Rows(X_val, like(Y_val, X_val), None)
        return replace(
            self, validation=validation, validation_labels=_labels_like(y_val, X_val)
        )

    def hold_out(self, fraction, rng):
        """This data with ``fraction`` of its rows held out for validation.

        Stratified by class for one label per row; ``rng`` draws the split.
        """
        X, Y, sample_weight = self.train
        labels = self.labels()
        weights = [] if sample_weight is None else [sample_weight]
        n_rows = X.shape[0]
        stratify = None
        if not self.multilabel:
            # Every class of the model is in the training rows (see classes_of
            # and check_same_classes).
            _check_one_per_class(fraction, n_rows, self.classes.size)
            stratify = labels
        try:
            parts = train_test_split(
                X,
                Y,
                labels,
                *weights,
                test_size=fraction,
                stratify=stratify,
                random_state=rng,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping cannot hold out validation_fraction={fraction} "
                f"of the {n_rows} training rows: {exc} Give X_val and y_val instead."
            ) from None
        X, X_val, Y, Y_val, _, validation_labels, *weights = parts
        weights, val_weights = weights or (None, None)
        if sample_weight is not None:
            _check_weighted_split(fraction, sample_weight, weights, val_weights)
        return replace(
            self,
            train=Rows(X, Y, weights),
            validation=Rows(X_val, Y_val, val_weights),
            validation_labels=_labels_like(validation_labels, X_val),
        )


def _labels_like(labels, X):
    """Numeric ``labels`` in the library of ``X``, as the predictions on ``X``
    will be; other labels (strings, objects) as they are."""
    if namespace(X) is np or labels.dtype.kind not in "biuf":
        return labels
    return namespace(X).asarray(labels, device=device(X))


def _check_weighted_split(fraction, sample_weight, weights, val_weights):
    """Refuse a hold-out split that leaves one side with no weight."""
    for side, part in (("training", weights), ("validation", val_weights)):
        if not float(part.sum()) > 0:
            n_positive = int((to_numpy(sample_weight) > 0).sum())
            raise ValueError(
                f"early_stopping held out validation_fraction={fraction} of the "
                f"rows, and the {side} rows it left all have zero sample_weight "
                f"(only {n_positive} of the {sample_weight.shape[0]} rows have a "
                "positive weight). Give X_val and y_val, or positive weights to "
                "more rows."
            )


def _check_one_per_class(fraction, n_rows, n_classes):
    """Refuse a held-out fraction too small to hold a row of every class."""
    n_held_out = math.ceil(fraction * n_rows)
    if n_held_out >= n_classes:
        return
    # The smallest fraction that holds out one row per class, rounded up to
    # three decimals.
    smallest = math.ceil(n_classes / n_rows * 1000) / 1000
    raise ValueError(
        f"early_stopping holds out validation_fraction={fraction} of the "
        f"{n_rows} training rows, {n_held_out}, too few for one of each of the "
        f"{n_classes} classes: use validation_fraction={smallest} or more, or "
        "give X_val and y_val."
    )


def training_data(X, y, sample_weight, classes, class_weight):
    """The :class:`FitData` of validated ``X`` and checked labels ``y``.

    Warns when a feature of ``X`` is far from standardised. ``y`` is encoded
    over ``classes``; ``sample_weight`` and ``class_weight`` (as the
    estimator's parameter) multiply into the row weights, None when both are
    unset. The targets and weights take the dtype, library and device of
    ``X``.
    """
    warn_if_unscaled(X)
    dtype = numpy_float_dtype(X)
    source = " times ".join(
        name
        for name, value in [
            ("sample_weight", sample_weight),
            ("class_weight", class_weight),
        ]
        if value is not None
    )
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            to_numpy(sample_weight), X, dtype=dtype, ensure_non_negative=True
        )
    if class_weight is not None:
        if y.ndim == 2:
            raise ValueError("class_weight is not supported for multilabel y.")
        _check_class_weight(class_weight)
        class_weights = compute_sample_weight(class_weight, y).astype(dtype)
        sample_weight = (
            class_weights if sample_weight is None else sample_weight * class_weights
        )
    if sample_weight is not None:
        _check_total_weight(sample_weight, source)
        sample_weight = like(sample_weight, X)
    Y = like(encode(y, classes, "y"), X)
    return FitData(Rows(X, Y, sample_weight), None, classes, multilabel=y.ndim == 2)


def _check_class_weight(class_weight):
    """Refuse class weights that are not finite and non-negative numbers."""
    if not isinstance(class_weight, dict):
        return  # "balanced", which the parameter validation allows
    bad = {
        label: weight
        for label, weight in class_weight.items()
        if not isinstance(weight, numbers.Real)
        or not math.isfinite(weight)
        or weight < 0
    }
    if bad:
        raise ValueError(
            "class_weight must give each class a finite, non-negative weight; "
            f"got {bad}."
        )


def _check_total_weight(sample_weight, source):
    """Refuse row weights (from ``source``, for the message) whose total is
    zero or overflows."""
    total = float(sample_weight.sum())
    if total > 0 and math.isfinite(total):
        return
    problem = "overflows" if total > 0 else "is zero"
    raise ValueError(
        f"The total weight of the training rows ({source}) {problem}: give "
        "some rows a positive weight, and keep the weights' sum finite."
    )


def checked_labels(y, name):
    """Return class labels or a dense indicator matrix, refusing other targets.

    A sparse indicator matrix becomes dense (the network's outputs are dense
    anyway); a column vector becomes 1-D, with scikit-learn's warning.
    """
    if sp.issparse(y):
        y = y.toarray()
    y = to_numpy(y)
    if isinstance(y, list):
        y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    kind = type_of_target(y, input_name=name)
    if kind == "multiclass-multioutput":
        raise ValueError(
            f"{name} is a 2-D array of class labels with more than two values "
            "(multiclass-multioutput), which BackpropClassifier does not "
            "support: give one column of class labels, or a 0/1 indicator "
            "matrix for multilabel targets."
        )
    if kind not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(
            f"Unknown label type: {kind!r} in {name}, which must hold class "
            "labels (or be a 0/1 indicator matrix for multilabel targets), "
            "not continuous values or mixed types."
        )
    return y


def classes_of(y):
    """Return the classes of a training target, rejecting a single class."""
    if y.ndim == 2:
        return np.arange(y.shape[1])
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError(
            "BackpropClassifier needs samples of at least 2 classes; the "
            f"data contains only one class: {classes.tolist()[0]!r}."
        )
    return classes


def partial_fit_classes(y, classes, fitted_classes):
    """Return the classes of a partial_fit call, checking its ``classes``.

    ``fitted_classes`` are those of the earlier calls; None on the first.
    """
    if classes is None:
        if fitted_classes is not None:
            return fitted_classes
        if y.ndim == 2:
            return classes_of(y)
        raise ValueError(
            "classes must be given on the first call to partial_fit: all the "
            "labels y may contain, e.g. classes=np.unique(y_all)."
        )
    classes = np.unique(classes)
    if fitted_classes is not None and not np.array_equal(classes, fitted_classes):
        raise ValueError(
            f"classes={classes.tolist()} differs from the classes of the first "
            f"call to partial_fit, {fitted_classes.tolist()}."
        )
    if y.ndim == 1 and classes.size < 2:
        raise ValueError("classes must hold at least 2 labels.")
    return classes


def check_target_kind(y, multilabel):
    """Refuse multilabel targets for a multiclass model, and the reverse."""
    if (y.ndim == 2) != multilabel:
        fitted = "a label indicator matrix" if multilabel else "class labels"
        raise ValueError(
            f"y must be {fitted}, like the targets the model was fitted on."
        )


def check_same_classes(y, classes):
    """Refuse a warm-started fit whose labels are not the fitted classes."""
    if y.ndim == 2:  # the indicator's width is checked with the encoding
        return
    found = np.unique(y)
    if not np.array_equal(found, classes):
        raise ValueError(
            f"y has the classes {found.tolist()}, but the model was fitted "
            f"on {classes.tolist()}: warm_start=True continues with the "
            "same classes. Use partial_fit for batches that hold some of "
            "them, or warm_start=False to train anew."
        )


def encode(y, classes, name):
    """Return the target matrix, in NumPy: one-hot rows, or label indicators.

    ``name`` is the argument's name in error messages.
    """
    if y.ndim == 2:
        if y.shape[1] != classes.size:
            raise ValueError(
                f"{name} has {y.shape[1]} labels; the model was fitted with "
                f"{classes.size}."
            )
        return y.astype(np.float64)
    index = np.searchsorted(classes, y)
    index = np.minimum(index, classes.size - 1)
    unknown = classes[index] != y
    if unknown.any():
        raise ValueError(
            f"{name} contains labels not in classes_ {classes.tolist()}: "
            f"{np.unique(y[unknown]).tolist()}."
        )
    return np.eye(classes.size)[index]


def warn_if_unscaled(X):
    """Warn when a feature of ``X`` is far from standardised, naming the fix."""
    xp = namespace(X)
    if sp.issparse(X):
        squares = np.asarray(X.multiply(X).mean(axis=0)).ravel()
    elif xp is np:
        with np.errstate(over="ignore"):
            squares = np.einsum("ij,ij->j", X, X) / X.shape[0]
    else:
        squares = to_numpy(xp.mean(X * X, axis=0))
    column = int(np.argmax(squares))
    if not squares[column] > UNSCALED_RMS**2:
        return
    # Squares of features beyond 1e154 overflow: those are described by the
    # largest absolute value instead.
    size = (
        f"a root mean square of {math.sqrt(squares[column]):.3g}"
        if math.isfinite(squares[column])
        else "values beyond 1e154"
    )
    warnings.warn(
        f"Feature {column} of X has {size}, far "
        "from standardised features' 1: it saturates the hidden units and slows "
        "or stops learning. Scale the features first, e.g. "
        "make_pipeline(StandardScaler(), BackpropClassifier()).",
        UserWarning,
    )
