"""The tutorial's configuration reproduces the tutorial's own loop exactly."""

import os

import numpy as np
import pandas as pd
import pytest
from _support import TUTORIAL_PARAMS, run_child
from numpy.testing import assert_allclose, assert_array_equal


def tutorial_loop(X_train, y_train, X_test, y_test):
    """The tutorial's code, with one-hot targets and without DataFrame.append."""
    y_train = np.eye(3)[y_train]
    y_test = np.eye(3)[y_test]
    learning_rate, iterations, N = 0.1, 5000, y_train.size
    np.random.seed(10)
    W1 = np.random.normal(scale=0.5, size=(4, 2))
    W2 = np.random.normal(scale=0.5, size=(2, 3))

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def mean_squared_error(y_pred, y_true):
        return ((y_pred - y_true) ** 2).sum() / (2 * y_pred.size)

    def accuracy(y_pred, y_true):
        return (y_pred.argmax(axis=1) == y_true.argmax(axis=1)).mean()

    rows = []
    for _ in range(iterations):
        A1 = sigmoid(np.dot(X_train, W1))
        A2 = sigmoid(np.dot(A1, W2))
        rows.append(
            {"mse": mean_squared_error(A2, y_train), "accuracy": accuracy(A2, y_train)}
        )
        dW1 = (A2 - y_train) * A2 * (1 - A2)
        dW2 = np.dot(dW1, W2.T) * A1 * (1 - A1)
        W2 = W2 - learning_rate * (np.dot(A1.T, dW1) / N)
        W1 = W1 - learning_rate * (np.dot(X_train.T, dW2) / N)
    A2 = sigmoid(np.dot(sigmoid(np.dot(X_test, W1)), W2))
    return pd.DataFrame(rows), accuracy(A2, y_test), (W1, W2)


def test_history_equals_the_tutorial_loop_row_by_row(tutorial_split, tutorial_fit):
    X_train, X_test, y_train, y_test = tutorial_split
    expected, test_accuracy, weights = tutorial_loop(X_train, y_train, X_test, y_test)
    history = tutorial_fit.history_
    assert history.index.name == "iteration"
    assert_array_equal(history.index, np.arange(5000))
    assert_array_equal(history["mse"], expected["mse"])
    assert_array_equal(history["accuracy"], expected["accuracy"])
    assert_array_equal(tutorial_fit.coefs_[0], weights[0])
    assert_array_equal(tutorial_fit.coefs_[1], weights[1])
    assert test_accuracy == tutorial_fit.score(X_test, y_test)


def test_tutorial_reference_figures(tutorial_split, tutorial_fit):
    _, X_test, _, y_test = tutorial_split
    history = tutorial_fit.history_
    assert list(history.columns) == ["loss", "mse", "accuracy", "time"]
    # The tutorial's loss is its squared error, without a penalty.
    assert history["loss"].equals(history["mse"])
    # Hard-coded figures hold to a relative 1e-12: NumPy's exp takes other SIMD
    # paths on other CPUs (AVX-512 ends at 0.060953950202724594).
    assert_allclose(history["mse"].iloc[0], 0.1391001853580335, rtol=1e-12)
    assert_allclose(history["mse"].iloc[-1], 0.0609539502027246, rtol=1e-12)
    assert round(history["accuracy"].iloc[-1], 4) == 0.7077
    assert tutorial_fit.score(X_test, y_test) == 0.8
    assert tutorial_fit.n_iter_ == len(history) == 5000


def test_history_plots_as_in_the_tutorial(tutorial_fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.figure()  # a fresh current figure, as in a new notebook
    ax = tutorial_fit.history_.mse.plot(title="Mean Squared Error")
    assert ax.get_title() == "Mean Squared Error"
    assert len(ax.get_lines()[0].get_ydata()) == 5000


# NumPy 2 names its AVX-512 dispatch targets X86_V4 and up; NumPy 1 by feature.
NO_AVX512 = (
    "X86_V4 AVX512_ICL AVX512_SPR"
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0"
    else "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
)
FIGURES_SCRIPT = """
import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn_backprop import BackpropClassifier

try:
    from numpy._core._multiarray_umath import __cpu_features__
except ImportError:  # NumPy 1
    from numpy.core._multiarray_umath import __cpu_features__
X, y = load_iris(return_X_y=True)
X, _, y, _ = train_test_split(X, y, test_size=20, random_state=4)
mse = BackpropClassifier(**PARAMS).fit(X, y).history_["mse"]
print(__cpu_features__["AVX512_SKX"], float(mse.iloc[0]), float(mse.iloc[-1]))
"""


def cpu_has_avx512():
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy 1
        from numpy.core._multiarray_umath import __cpu_features__
    return __cpu_features__.get("AVX512_SKX", False)


@pytest.mark.skipif(not cpu_has_avx512(), reason="no AVX-512: the suite runs without")
def test_reference_figures_without_avx512():
    """NumPy's AVX2 code paths reproduce the figures too, to a relative 1e-12."""
    script = FIGURES_SCRIPT.replace("PARAMS", repr(TUTORIAL_PARAMS))
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=NO_AVX512)
    avx512, first, last = run_child(["-c", script], env=env)[-1].split()
    assert avx512 == "False"  # the child really ran without AVX-512
    assert_allclose(float(first), 0.1391001853580335, rtol=1e-12)
    assert_allclose(float(last), 0.0609539502027246, rtol=1e-12)
