"""Fingerprints of many fits, to check that two commits train bit for bit alike.

Each line is ``<name> <digest>``: the first 16 hex digits of a SHA-256 of what
one configuration's fit leaves behind, namely the bytes of ``coefs_`` and
``intercepts_`` with their dtypes and shapes, every column of ``history_``
but ``time`` (as float64, with its name and the index), ``predict_proba`` and
``predict`` on the training data, ``classes_``, ``n_iter_``,
``best_iteration_`` and ``t_``. A fit that raises gives ``<name> error <Type>``
instead. The script uses only the public API, so it runs unchanged on any
commit; the data are small and seeded, and the whole run takes under half a
minute on two cores.

Run it on each commit and compare the outputs::

    SCIPY_ARRAY_API=1 python benchmarks/fingerprints.py > after.txt
    git stash
    SCIPY_ARRAY_API=1 python benchmarks/fingerprints.py > before.txt
    git stash pop
    diff before.txt after.txt

To fingerprint another checkout, put it first on the path
(``PYTHONPATH=/path/to/checkout``); the package's path is printed to stderr.
The PyTorch lines need torch and ``SCIPY_ARRAY_API=1``, set before SciPy loads;
without them they read ``<name> skipped``.
"""

import hashlib
import itertools
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.datasets import (
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import sklearn_backprop
from sklearn_backprop import BackpropClassifier

TUTORIAL = dict(
    hidden_size=2,
    solver="sgd",
    momentum=0.0,
    batch_size=None,
    alpha=0.0,
    learning_rate=0.1,
    max_iter=5000,
    loss="squared_error",
    fit_intercept=False,
    init_scale=0.5,
    tol=None,
    random_state=10,
)

# The solvers of the product, each with the settings that make it what it is.
SOLVERS = {
    "sgd": dict(solver="sgd", momentum=0.0, learning_rate=0.1),
    "sgd-momentum": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=False, learning_rate=0.05
    ),
    "sgd-nesterov": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=True, learning_rate=0.05
    ),
    "sgd-invscaling": dict(
        solver="sgd",
        learning_rate_schedule="invscaling",
        learning_rate=0.5,
        power_t=0.25,
    ),
    # The adaptive schedule acts only where tol would stop training.
    "sgd-adaptive": dict(
        solver="sgd",
        learning_rate_schedule="adaptive",
        learning_rate=0.5,
        tol=1e-3,
        n_iter_no_change=2,
    ),
    "adam": dict(solver="adam", learning_rate=0.02),
    "lbfgs": dict(solver="lbfgs"),
}
ACTIVATIONS = ["logistic", "tanh", "relu"]
LOSSES = ["log_loss", "squared_error"]


def to_numpy(value):
    """A NumPy array of ``value``, brought to the host from PyTorch."""
    if hasattr(value, "cpu"):
        value = value.cpu().numpy()
    return np.asarray(value)


def digest(clf, X):
    """The fingerprint of a fitted estimator, with predictions on ``X``."""
    sha = hashlib.sha256()

    def add(label, value):
        array = np.ascontiguousarray(to_numpy(value))
        sha.update(f"{label} {array.dtype.str} {array.shape}\n".encode())
        if array.dtype == object:
            sha.update(repr(array.tolist()).encode())
        else:
            sha.update(array.tobytes())

    for index, coef in enumerate(clf.coefs_):
        add(f"coefs_[{index}]", coef)
    for index, intercept in enumerate(clf.intercepts_):
        add(f"intercepts_[{index}]", intercept)
    history = clf.history_
    add("history_.index", np.asarray(history.index, dtype=np.int64))
    for column in history.columns:
        if column != "time":
            add(f"history_[{column}]", history[column].to_numpy(dtype=np.float64))
    add("predict_proba", clf.predict_proba(X))
    add("predict", clf.predict(X))
    add("classes_", clf.classes_)
    for name in ("n_iter_", "best_iteration_", "t_"):
        value = getattr(clf, name)
        sha.update(f"{name} {None if value is None else int(value)}\n".encode())
    return sha.hexdigest()[:16]


def report(name, fit):
    """Print the fingerprint of ``fit()``, which returns the estimator and X."""
    try:
        line = digest(*fit())
    except Exception as error:  # a fit that raises is fingerprinted by its type
        line = f"error {type(error).__name__}"
    print(name, line, flush=True)


def fitted(X, y, fit_params=None, **params):
    """A function that fits BackpropClassifier(**params) and returns it with X."""

    def fit():
        return BackpropClassifier(**params).fit(X, y, **(fit_params or {})), X

    return fit


def datasets():
    """The seeded data sets, by name."""
    X_iris, y_iris = load_iris(return_X_y=True)
    X_small, y_small = make_classification(
        n_samples=300,
        n_features=10,
        n_informative=5,
        n_classes=3,
        random_state=0,
    )
    X_binary, y_binary = make_classification(
        n_samples=200, n_features=8, n_informative=4, random_state=1
    )
    rng = np.random.RandomState(2)
    X_sparse = sp.random(
        250, 40, density=0.15, format="csr", random_state=rng, dtype=np.float64
    )
    y_sparse = np.asarray(X_sparse[:, :20].sum(axis=1)).ravel()
    y_sparse = np.digitize(y_sparse, np.quantile(y_sparse, [1 / 3, 2 / 3]))
    X_multi, Y_multi = make_multilabel_classification(
        n_samples=200, n_features=10, n_classes=4, random_state=3
    )
    X_large, y_large = make_classification(
        n_samples=20000,
        n_features=50,
        n_informative=20,
        n_classes=5,
        random_state=4,
    )
    return {
        "iris_raw": (X_iris, y_iris),
        "iris": (StandardScaler().fit_transform(X_iris), y_iris),
        "small": (X_small, y_small),
        "binary": (X_binary, y_binary),
        "sparse": (X_sparse, y_sparse),
        "multilabel": (StandardScaler().fit_transform(X_multi), Y_multi),
        "large": (X_large, y_large),
    }


def tutorial(data):
    X, y = data["iris_raw"]
    X_train, _, y_train, _ = train_test_split(X, y, test_size=20, random_state=4)
    report("tutorial", fitted(X_train, y_train, **TUTORIAL))


def solvers(data):
    """Every solver with every activation, loss and intercept, mini-batches."""
    X, y = data["iris"]
    product = itertools.product(SOLVERS, ACTIVATIONS, LOSSES, [True, False])
    for solver, activation, loss, fit_intercept in product:
        params = dict(
            hidden_size=8,
            activation=activation,
            loss=loss,
            fit_intercept=fit_intercept,
            batch_size=32,
            max_iter=30,
            tol=None,
            random_state=0,
        )
        params.update(SOLVERS[solver])
        intercept = "intercept" if fit_intercept else "no-intercept"
        name = f"solver:{solver}:{activation}:{loss}:{intercept}"
        report(name, fitted(X, y, **params))


def batches(data):
    X, y = data["small"]
    common = dict(hidden_size=10, max_iter=25, tol=None, random_state=1)
    for batch_size, loss, epoch_metrics in itertools.product(
        [None, "auto", 16], LOSSES, ["batches", "exact"]
    ):
        name = f"batch:{batch_size}:{loss}:{epoch_metrics}"
        params = dict(batch_size=batch_size, loss=loss, epoch_metrics=epoch_metrics)
        report(name, fitted(X, y, **common, **params))
    for solver in ["sgd", "adam"]:
        report(
            f"batch:16:no-shuffle:{solver}",
            fitted(X, y, solver=solver, batch_size=16, shuffle=False, **common),
        )
    report(
        "batch:auto:tol-stops",
        fitted(X, y, hidden_size=10, max_iter=200, n_iter_no_change=3, random_state=1),
    )


def inputs(data):
    """float32, sparse and multilabel data."""
    X, y = data["small"]
    X32 = X.astype(np.float32)
    common = dict(hidden_size=10, max_iter=25, tol=None, random_state=2)
    for solver, loss in itertools.product(["sgd", "adam", "lbfgs"], LOSSES):
        report(
            f"float32:{solver}:{loss}",
            fitted(X32, y, solver=solver, loss=loss, **common),
        )
    X_sparse, y_sparse = data["sparse"]
    for solver, loss in itertools.product(["sgd", "adam", "lbfgs"], LOSSES):
        # L-BFGS takes the whole training set whatever the batch size.
        for batch_size in [None] if solver == "lbfgs" else [None, 32]:
            name = f"sparse:{solver}:{loss}:batch-{batch_size}"
            params = dict(solver=solver, loss=loss, batch_size=batch_size)
            report(
                name, fitted(X_sparse, y_sparse, learning_rate=0.05, **common, **params)
            )
    X_sparse32 = X_sparse.astype(np.float32)
    report(
        "sparse:float32:adam:log_loss",
        fitted(X_sparse32, y_sparse, batch_size=32, **common),
    )
    X_multi, Y_multi = data["multilabel"]
    for solver, loss in itertools.product(["sgd", "adam", "lbfgs"], LOSSES):
        report(
            f"multilabel:{solver}:{loss}",
            fitted(X_multi, Y_multi, solver=solver, loss=loss, **common),
        )
    report(
        "multilabel:adam:log_loss:early-stopping",
        fitted(
            X_multi,
            Y_multi,
            hidden_size=10,
            max_iter=60,
            early_stopping=True,
            n_iter_no_change=5,
            random_state=2,
        ),
    )


def weights(data):
    """Row and class weights, and the penalty."""
    X, y = data["small"]
    rng = np.random.RandomState(5)
    sample_weight = rng.uniform(0.2, 3.0, size=len(y))
    # An imbalanced subset, so that "balanced" weighs the classes differently.
    keep = (y != 2) | (np.arange(len(y)) % 4 == 0)
    X_imbalanced, y_imbalanced = X[keep], y[keep]
    common = dict(hidden_size=10, max_iter=25, tol=None, random_state=3)
    for solver, loss in itertools.product(["sgd", "adam", "lbfgs"], LOSSES):
        report(
            f"sample_weight:{solver}:{loss}",
            fitted(
                X,
                y,
                dict(sample_weight=sample_weight),
                solver=solver,
                loss=loss,
                **common,
            ),
        )
        report(
            f"class_weight:balanced:{solver}:{loss}",
            fitted(
                X_imbalanced,
                y_imbalanced,
                solver=solver,
                loss=loss,
                class_weight="balanced",
                **common,
            ),
        )
        report(
            f"class_weight:dict:{solver}:{loss}",
            fitted(
                X,
                y,
                solver=solver,
                loss=loss,
                class_weight={0: 1.0, 1: 2.5, 2: 0.5},
                **common,
            ),
        )
    report(
        "sample_weight:class_weight:adam",
        fitted(
            X_imbalanced,
            y_imbalanced,
            dict(sample_weight=sample_weight[keep]),
            class_weight="balanced",
            **common,
        ),
    )
    for solver, alpha in itertools.product(["sgd", "adam", "lbfgs"], [0.0, 0.01]):
        report(
            f"alpha:{alpha}:{solver}",
            fitted(X, y, solver=solver, alpha=alpha, **common),
        )


def validation(data):
    """Early stopping on a held-out fraction, and validation data given."""
    X, y = data["small"]
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=60, random_state=6
    )
    common = dict(hidden_size=10, max_iter=60, n_iter_no_change=5, random_state=4)
    val = dict(X_val=X_val, y_val=y_val)
    for solver in ["sgd", "adam", "lbfgs"]:
        report(
            f"early_stopping:fraction:{solver}",
            fitted(X, y, solver=solver, early_stopping=True, **common),
        )
        report(
            f"early_stopping:X_val:{solver}",
            fitted(X_train, y_train, val, solver=solver, early_stopping=True, **common),
        )
        report(
            f"X_val:no-early-stopping:{solver}",
            fitted(X_train, y_train, val, solver=solver, **common),
        )
    report(
        "early_stopping:fraction:0.3:squared_error:exact",
        fitted(
            X,
            y,
            loss="squared_error",
            early_stopping=True,
            validation_fraction=0.3,
            epoch_metrics="exact",
            **common,
        ),
    )
    report(
        "X_val:tol-None:batches",
        fitted(
            X_train, y_train, val, hidden_size=10, max_iter=30, tol=None, random_state=4
        ),
    )


def continuation(data):
    """warm_start and partial_fit."""
    X, y = data["small"]
    common = dict(hidden_size=10, tol=None, random_state=5)

    def warm(solver, loss):
        def fit():
            clf = BackpropClassifier(
                solver=solver, loss=loss, warm_start=True, max_iter=15, **common
            )
            clf.fit(X, y)
            clf.set_params(max_iter=25)
            return clf.fit(X, y), X

        return fit

    def partial(solver, loss, sample_weight=None):
        def fit():
            clf = BackpropClassifier(solver=solver, loss=loss, **common)
            classes = np.unique(y)
            for chunk in np.array_split(np.arange(len(y)), 3):
                weight = None if sample_weight is None else sample_weight[chunk]
                clf.partial_fit(X[chunk], y[chunk], classes, sample_weight=weight)
            return clf, X

        return fit

    for solver in ["sgd", "adam", "lbfgs"]:
        for loss in LOSSES:
            report(f"warm_start:{solver}:{loss}", warm(solver, loss))
    for solver in ["sgd", "adam"]:
        for loss in LOSSES:
            report(f"partial_fit:{solver}:{loss}", partial(solver, loss))
    rng = np.random.RandomState(7)
    report(
        "partial_fit:adam:sample_weight",
        partial("adam", "log_loss", rng.uniform(0.5, 2.0, size=len(y))),
    )

    X_multi, Y_multi = data["multilabel"]

    def partial_multilabel():
        clf = BackpropClassifier(**common)
        for chunk in np.array_split(np.arange(len(Y_multi)), 3):
            clf.partial_fit(X_multi[chunk], Y_multi[chunk])
        return clf, X_multi

    report("partial_fit:multilabel", partial_multilabel)


def labels(data):
    """String and binary labels."""
    X, y = data["iris"]
    names = np.array(["setosa", "versicolor", "virginica"])
    common = dict(hidden_size=6, max_iter=30, tol=None, random_state=6)
    for loss in LOSSES:
        report(f"labels:strings:{loss}", fitted(X, names[y], loss=loss, **common))
        report(
            f"labels:strings-object:{loss}",
            fitted(X, names[y].astype(object), loss=loss, **common),
        )
    X_binary, y_binary = data["binary"]
    binary_names = np.array(["no", "yes"])
    for solver, loss in itertools.product(["sgd", "adam", "lbfgs"], LOSSES):
        report(
            f"labels:binary:{solver}:{loss}",
            fitted(X_binary, y_binary, solver=solver, loss=loss, **common),
        )
    report(
        "labels:binary-strings:adam",
        fitted(X_binary, binary_names[y_binary], **common),
    )
    report(
        "labels:binary-signed:adam",
        fitted(X_binary, 2 * y_binary - 1, **common),
    )


def large(data):
    """Full-batch passes over enough rows to run in blocks on several threads."""
    X, y = data["large"]
    X32 = X.astype(np.float32)
    common = dict(hidden_size=64, max_iter=3, tol=None, random_state=7)
    for (dtype, X_dtype), loss in itertools.product(
        [("float64", X), ("float32", X32)], LOSSES
    ):
        for solver in ["sgd", "adam"]:
            report(
                f"large:{dtype}:{solver}:{loss}:full-batch",
                fitted(X_dtype, y, solver=solver, loss=loss, batch_size=None, **common),
            )
    report(
        "large:float64:lbfgs:log_loss",
        fitted(X, y, solver="lbfgs", **common),
    )
    report(
        "large:float32:adam:log_loss:batch-8000",
        fitted(X32, y, batch_size=8000, epoch_metrics="exact", **common),
    )


def array_api(data):
    """PyTorch tensors on the CPU, with scikit-learn's array API dispatch."""
    X, y = data["iris"]
    X_multi, Y_multi = data["multilabel"]
    configurations = []
    for dtype, solver, loss in itertools.product(
        ["float64", "float32"], ["sgd", "adam", "lbfgs"], LOSSES
    ):
        name = f"torch:{dtype}:{solver}:{loss}"
        configurations.append((name, dtype, X, y, dict(solver=solver, loss=loss)))
    for dtype in ["float64", "float32"]:
        configurations.append(
            (f"torch:{dtype}:early_stopping", dtype, X, y, dict(early_stopping=True))
        )
        configurations.append(
            (
                f"torch:{dtype}:batch-16:exact",
                dtype,
                X,
                y,
                dict(batch_size=16, epoch_metrics="exact"),
            )
        )
        configurations.append(
            (f"torch:{dtype}:multilabel", dtype, X_multi, Y_multi, dict())
        )
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None or os.environ.get("SCIPY_ARRAY_API") != "1":
        for name, *_ in configurations:
            print(name, "skipped", flush=True)
        return
    torch.manual_seed(0)
    common = dict(hidden_size=8, max_iter=30, n_iter_no_change=5, random_state=8)
    for name, dtype, X_np, y_np, params in configurations:
        if not params.get("early_stopping"):
            params = dict(params, tol=None)
        X_t = torch.asarray(X_np, dtype=getattr(torch, dtype))
        y_t = torch.asarray(y_np)

        def fit(X_t=X_t, y_t=y_t, params=params):
            return BackpropClassifier(**common, **params).fit(X_t, y_t), X_t

        with sklearn.config_context(array_api_dispatch=True):
            report(name, fit)


def main():
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)
    print(f"sklearn_backprop from {sklearn_backprop.__file__}", file=sys.stderr)
    data = datasets()
    for group in [
        tutorial,
        solvers,
        batches,
        inputs,
        weights,
        validation,
        continuation,
        labels,
        large,
        array_api,
    ]:
        group(data)


if __name__ == "__main__":
    main()
