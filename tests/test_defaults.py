"""The "auto" values of hidden_size, solver and alpha, resolved from the rows."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_backprop import BackpropClassifier, _defaults, backprop_step

# Short fits: stopping at max_iter is expected.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_small_data_takes_lbfgs_and_a_penalty_of_one_over_the_rows(iris):
    X, y = iris
    clf = BackpropClassifier(random_state=0).fit(X, y)
    assert clf.solver_ == "lbfgs"
    assert clf.alpha_ == 1 / 150
    assert clf.spec_.hidden_size == 50


def test_rows_past_the_thresholds_take_adam_and_more_units(iris, monkeypatch):
    X, y = iris
    monkeypatch.setattr(_defaults, "LBFGS_MAX_ROWS", 149)
    monkeypatch.setattr(_defaults, "LARGE_HIDDEN_MIN_ROWS", 150)
    clf = BackpropClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    assert clf.solver_ == "adam"
    assert clf.spec_.hidden_size == _defaults.LARGE_HIDDEN == 100
    assert clf.coefs_[0].shape == (4, 100)


def test_early_stopping_counts_the_training_rows_only(iris):
    X, y = iris
    clf = BackpropClassifier(early_stopping=True, max_iter=5, random_state=0)
    clf.fit(X, y)
    assert clf.alpha_ == 1 / 135  # 15 of the 150 rows held out


def test_the_squared_error_counts_output_entries(iris):
    X, y = iris
    clf = BackpropClassifier(loss="squared_error", max_iter=5, random_state=0)
    assert clf.fit(X, y).alpha_ == 1 / (150 * 3)


def test_the_penalty_follows_the_weights_not_the_rows(iris):
    X, y = iris
    weights = np.where(np.arange(150) % 2 == 0, 2.0, 0.5)
    clf = BackpropClassifier(max_iter=5, random_state=0)
    assert_allclose(clf.fit(X, y, sample_weight=weights).alpha_, 1 / weights.sum())


def test_partial_fit_takes_adam_and_counts_every_row_seen(iris):
    X, y = iris
    clf = BackpropClassifier(random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    assert (clf.solver_, clf.alpha_) == ("adam", 1 / 150)
    clf.partial_fit(X, y)
    assert clf.alpha_ == 1 / 300


def test_a_warm_start_keeps_the_fitted_hidden_size(iris, monkeypatch):
    X, y = iris
    clf = BackpropClassifier(warm_start=True, max_iter=3, tol=None, random_state=0)
    clf.fit(X, y)
    monkeypatch.setattr(_defaults, "LARGE_HIDDEN_MIN_ROWS", 100)
    clf.fit(X, y)
    assert clf.spec_.hidden_size == 50 and clf.n_iter_ == 6


@pytest.mark.parametrize("value", [0.0, 0.25])
def test_explicit_values_are_kept(iris, value):
    X, y = iris
    clf = BackpropClassifier(alpha=value, solver="sgd", hidden_size=7, max_iter=3)
    clf.fit(X, y)
    assert (clf.alpha_, clf.solver_, clf.spec_.hidden_size) == (value, "sgd", 7)


def test_backprop_step_uses_the_resolved_penalty(iris):
    X, y = iris
    clf = BackpropClassifier(hidden_size=3)
    step = backprop_step(clf, X, y, random_state=0)
    explicit = backprop_step(clf.set_params(alpha=1 / 150), X, y, random_state=0)
    assert_allclose(step.new_W1, explicit.new_W1, rtol=0, atol=0)
