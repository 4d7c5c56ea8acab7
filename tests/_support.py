"""Helpers the tests share: the tutorial's parameters, comparisons of fitted
models, and a child Python process."""

import os
import subprocess
import sys
from pathlib import Path

from numpy.testing import assert_allclose, assert_array_equal

import sklearn_backprop

# The tutorial's 4-2-3 network: full-batch gradient descent without biases,
# momentum or penalty, on the squared error, from normal(0, 0.5) weights.
TUTORIAL_PARAMS = dict(
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


def metrics_only(clf):
    """The history without its wall-clock column, for exact comparisons."""
    return clf.history_.drop(columns="time")


def assert_same_model(first, second, rtol=0.0):
    """Two fitted estimators hold the same weights and history (bit for bit at
    ``rtol=0``)."""
    assert first.n_iter_ == second.n_iter_
    compare = assert_array_equal if rtol == 0 else _close(rtol)
    for a, b in zip(
        first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
    ):
        compare(a, b)
    assert list(first.history_.columns) == list(second.history_.columns)
    compare(metrics_only(first).to_numpy(), metrics_only(second).to_numpy())


def _close(rtol):
    return lambda a, b: assert_allclose(a, b, rtol=rtol, atol=1e-14)


def run_child(args, *, env=None, cwd=None, timeout=600):
    """Run Python with ``args`` in a fresh process that imports this package;
    return the lines it printed. It fails the test unless the child succeeds."""
    package_root = str(Path(sklearn_backprop.__file__).parents[1])
    environment = dict(os.environ if env is None else env)
    path = [package_root, environment.get("PYTHONPATH")]
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, path))
    result = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()
