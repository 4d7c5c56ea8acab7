"""backprop_step: one gradient step, every intermediate named, against training
and against the tutorial's loop."""

import copy
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _support import TUTORIAL_PARAMS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier, _blockwise, backprop_step

# One full-batch step of plain gradient descent, as backprop_step takes it.
PLAIN_SGD = dict(solver="sgd", momentum=0.0, batch_size=None, tol=None)


@pytest.fixture(scope="module")
def scaled_iris(iris):
    X, y = iris
    return StandardScaler().fit_transform(X), y


def partial_fit_step(clf, X, y, classes, sample_weight=None):
    """The weights after one partial_fit call of a copy of ``clf``."""
    clf = copy.deepcopy(clf) if hasattr(clf, "coefs_") else clone(clf)
    clf.partial_fit(X, y, classes=classes, sample_weight=sample_weight)
    return clf


# The loss runs training's formulas (sklearn_backprop._network) for the squared
# error: the step equals partial_fit's to the last bit. For the log loss,
# training runs the compiled kernels, whose exponential rounds otherwise:
# switched off (use_kernels patched to False) the loop runs the same formulas
# on one block of iris rows and the two agree to the last bit; switched on,
# to rounding.
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.01])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
def test_new_weights_equal_one_partial_fit_step_bit_for_bit(
    scaled_iris, monkeypatch, loss, activation, fit_intercept, alpha, weighted
):
    X, y = scaled_iris
    sample_weight = None
    if weighted:
        sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    clf = BackpropClassifier(
        hidden_size=5,
        activation=activation,
        loss=loss,
        fit_intercept=fit_intercept,
        alpha=alpha,
        learning_rate=0.3,
        random_state=0,
        **PLAIN_SGD,
    )
    # From fresh weights (unfitted), then from fitted ones.
    step = backprop_step(clf, X, y, sample_weight=sample_weight)
    if loss == "log_loss":
        assert _blockwise.use_kernels(X, step.spec)
        fitted = partial_fit_step(clf, X, y, np.unique(y), sample_weight)
        for got, want in zip(_new_params(step), _params(fitted)):
            assert_allclose(got, want, rtol=1e-13, atol=1e-15)
        # The loss comes from training's own pass, kernels included.
        assert step.loss == fitted.loss_curve_[0]
        monkeypatch.setattr(_blockwise, "use_kernels", lambda X, spec: False)
        step = backprop_step(clf, X, y, sample_weight=sample_weight)
    assert _blockwise.n_blocks(len(y), 5) == 1
    fitted = partial_fit_step(clf, X, y, np.unique(y), sample_weight)
    for got, want in zip(_new_params(step), _params(fitted)):
        assert_array_equal(got, want)
    assert step.loss == fitted.loss_curve_[0]

    step = backprop_step(fitted, X, y, sample_weight=sample_weight)
    again = partial_fit_step(fitted, X, y, None, sample_weight)
    for got, want in zip(_new_params(step), _params(again)):
        assert_array_equal(got, want)
    assert step.loss == again.loss_curve_[-1]
    # The estimator is left as it was.
    for got, want in zip(_params(fitted), [step.W1, step.W2, step.b1, step.b2]):
        if want is not None:
            assert_array_equal(got, want)


def _params(clf):
    return clf.coefs_ + (clf.intercepts_ if clf.fit_intercept else [])


def _new_params(step):
    biases = [step.new_b1, step.new_b2] if step.spec.fit_intercept else []
    return [step.new_W1, step.new_W2] + biases


def test_quantities_follow_their_formulas(scaled_iris):
    # The relations between the names, as the docstring states them.
    X, y = scaled_iris
    clf = BackpropClassifier(hidden_size=4, alpha=0.1, random_state=1, **PLAIN_SGD)
    step = backprop_step(clf, X, y)
    Y = np.eye(3)[y]
    assert_array_equal(step.Y, Y)
    assert_allclose(step.Z1, X @ step.W1 + step.b1, rtol=1e-12)
    assert_allclose(step.A1, 1 / (1 + np.exp(-step.Z1)), rtol=1e-12)
    assert_allclose(step.Z2, step.A1 @ step.W2 + step.b2, rtol=1e-12)
    softmax = np.exp(step.Z2) / np.exp(step.Z2).sum(axis=1, keepdims=True)
    assert_allclose(step.A2, softmax, rtol=1e-12)
    assert_array_equal(step.E2, step.A2 - Y)
    assert_array_equal(step.D2, step.E2)  # log loss: no slope
    assert_array_equal(step.E1, step.D2 @ step.W2.T)
    assert_allclose(step.D1, step.E1 * step.A1 * (1 - step.A1), rtol=1e-12)
    n = len(y)
    assert step.N == n
    assert_allclose(step.dW1, X.T @ step.D1 / n + 0.1 * step.W1, rtol=1e-12)
    assert_allclose(step.dW2, step.A1.T @ step.D2 / n + 0.1 * step.W2, rtol=1e-12)
    assert_allclose(step.db1, step.D1.sum(axis=0) / n, rtol=1e-12)
    assert_allclose(step.db2, step.D2.sum(axis=0) / n, atol=1e-15)
    for name in ["W1", "b1", "W2", "b2"]:
        gradient, update = getattr(step, "d" + name), getattr(step, "update_" + name)
        assert_array_equal(update, clf.learning_rate * gradient)
        assert_array_equal(getattr(step, "new_" + name), getattr(step, name) - update)
    penalty = 0.05 * ((step.W1**2).sum() + (step.W2**2).sum())
    log_loss = -np.log(step.A2[np.arange(n), y]).mean()
    assert_allclose(step.loss, log_loss + penalty, rtol=1e-12)


def test_first_step_equals_the_tutorials_loop(tutorial_split):
    X_train, _, y_train, _ = tutorial_split
    clf = BackpropClassifier(**TUTORIAL_PARAMS)
    step = backprop_step(clf, X_train, y_train)

    # The first iteration of tests/test_tutorial.py::tutorial_loop, with its
    # names: its E1 and dW1 belong to the output layer, its W*_update are the
    # gradients.
    y = np.eye(3)[y_train]
    learning_rate, N = 0.1, y.size
    np.random.seed(10)
    W1 = np.random.normal(scale=0.5, size=(4, 2))
    W2 = np.random.normal(scale=0.5, size=(2, 3))

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    Z1 = np.dot(X_train, W1)
    A1 = sigmoid(Z1)
    Z2 = np.dot(A1, W2)
    A2 = sigmoid(Z2)
    mse = ((A2 - y) ** 2).sum() / (2 * A2.size)
    E1 = A2 - y
    dW1 = E1 * A2 * (1 - A2)
    E2 = np.dot(dW1, W2.T)
    dW2 = E2 * A1 * (1 - A1)
    W2_update = np.dot(A1.T, dW1) / N
    W1_update = np.dot(X_train.T, dW2) / N
    new_W2 = W2 - learning_rate * W2_update
    new_W1 = W1 - learning_rate * W1_update

    pairs = {
        "W1": W1,
        "W2": W2,
        "Y": y,
        "Z1": Z1,
        "A1": A1,
        "Z2": Z2,
        "A2": A2,
        "E2": E1,
        "D2": dW1,
        "E1": E2,
        "D1": dW2,
        "dW2": W2_update,
        "dW1": W1_update,
        "update_W2": learning_rate * W2_update,
        "update_W1": learning_rate * W1_update,
        "new_W2": new_W2,
        "new_W1": new_W1,
    }
    for name, tutorial in pairs.items():
        assert_array_equal(getattr(step, name), tutorial, err_msg=name)
    assert step.N == N
    assert step.loss == mse
    assert step.b1 is None and step.db2 is None and step.new_b1 is None


def test_summary_lists_names_shapes_and_norms(tutorial_split):
    X_train, _, y_train, _ = tutorial_split
    step = backprop_step(BackpropClassifier(**TUTORIAL_PARAMS), X_train, y_train)
    text = str(step)
    assert repr(step) == text
    lines = text.splitlines()
    assert "logistic" in lines[0] and "squared_error" in lines[0]
    assert lines[1] == "loss before the step 0.1391, N 390, learning_rate 0.1"
    lines = lines[2:]
    # No biases in the tutorial's network: no lines for them.
    names = [line.split()[0] for line in lines]
    assert names == step.names
    assert "b1" not in names and "db2" not in names
    expected = {
        "W1": "4 x 2",
        "Z1": "130 x 2",
        "A2": "130 x 3",
        "D2": "130 x 3",
        "D1": "130 x 2",
        "dW1": "4 x 2",
        "dW2": "2 x 3",
        "new_W2": "2 x 3",
    }
    for line in lines:
        name = line.split()[0]
        if name in expected:
            assert expected[name] in line
        norm = float(re.search(r"norm (\S+)", line).group(1))
        assert_allclose(norm, np.linalg.norm(getattr(step, name)), rtol=1e-4)
    page = step._repr_html_()
    assert page.count("<tr>") == len(step.names) + 1
    assert "<code>dW1</code>" in page and "4 &times; 2" in page


def test_random_state_draws_the_weights_fit_would_draw(scaled_iris):
    X, y = scaled_iris
    clf = BackpropClassifier(random_state=3)
    step = backprop_step(clf, X, y)
    other = backprop_step(BackpropClassifier(random_state=4), X, y, random_state=3)
    assert_array_equal(step.W1, other.W1)
    fitted = BackpropClassifier(random_state=3, max_iter=1, tol=None)
    fitted.fit(X, y)
    # fit's first history row is that of the weights the step starts from.
    assert_allclose(step.loss, fitted.loss_curve_[0], rtol=1e-12)
    assert not hasattr(clf, "n_features_in_")


def test_multilabel_and_float32(scaled_iris):
    X, y = scaled_iris
    Y = np.eye(3, dtype=int)[y]
    Y[:, 0] = 1
    step = backprop_step(BackpropClassifier(random_state=0), X, Y)
    assert step.spec.multilabel and step.spec.output == "sigmoid"
    step = backprop_step(BackpropClassifier(random_state=0), X.astype(np.float32), y)
    assert step.new_W1.dtype == step.D1.dtype == np.float32
    # float32 steps too equal training's, where it runs the same formulas.
    clf = BackpropClassifier(loss="squared_error", random_state=0, **PLAIN_SGD)
    step = backprop_step(clf, X.astype(np.float32), y)
    clf.partial_fit(X.astype(np.float32), y, classes=[0, 1, 2])
    for got, want in zip(_new_params(step), _params(clf)):
        assert_array_equal(got, want)


def test_clear_errors(scaled_iris):
    X, y = scaled_iris
    with pytest.raises(
        TypeError, match="takes a BackpropClassifier.*LogisticRegression"
    ):
        backprop_step(LogisticRegression(), X, y)
    fitted = BackpropClassifier(max_iter=2, tol=None, random_state=0)
    fitted.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features.*expecting 4"):
        backprop_step(fitted, X[:, :3], y)
    with pytest.raises(ValueError, match=r"labels not in classes_ \[0, 1, 2\]: \[7\]"):
        backprop_step(fitted, X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match="random_state draws fresh weights"):
        backprop_step(fitted, X, y, random_state=0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        backprop_step(BackpropClassifier(), X, np.zeros_like(y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        backprop_step(BackpropClassifier(), X, y[:-1])
    with pytest.raises(ValueError, match="hidden_size"):
        backprop_step(BackpropClassifier(hidden_size=0), X, y)


def _blocks(section):
    """The code blocks of a section of the user guide, as (language, code)."""
    blocks = re.findall(
        r"\.\. code-block:: (\w+)\n\n((?:   .*\n|\n)+)", section, flags=re.M
    )
    return [(language, textwrap.dedent(code).strip()) for language, code in blocks]


def test_user_guide_section_runs_and_shows_what_it_prints(capsys):
    guide = (Path(__file__).parents[1] / "docs" / "user_guide.rst").read_text()
    title = "One step, every intermediate\n"
    body = guide[guide.index(title) + len(title) :].split("\n", 1)[1]
    # Up to the next section's title, a line over a row of dashes.
    section = body[: re.search(r"^.+\n-{4,}\n", body, flags=re.M).start()]
    (_, step_code), (_, shown), (_, check_code) = _blocks(section)
    namespace = {}
    exec(step_code, namespace)
    assert capsys.readouterr().out.strip() == shown
    exec(check_code, namespace)
    assert namespace["result"].ok
