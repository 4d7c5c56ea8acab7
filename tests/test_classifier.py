"""BackpropClassifier's behaviour as a scikit-learn classifier."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier


def test_default_pipeline_reaches_96_percent_on_iris_without_warnings():
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), BackpropClassifier(random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = cross_val_score(model, X, y, cv=5)
    assert scores.mean() >= 0.96


def test_grid_search_over_hidden_size_and_learning_rate_in_parallel():
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(
        StandardScaler(), BackpropClassifier(max_iter=300, tol=None, random_state=0)
    )
    grid = {
        "backpropclassifier__hidden_size": [2, 8],
        "backpropclassifier__learning_rate": [0.1, 1.0],
    }
    search = GridSearchCV(model, grid, cv=3, n_jobs=2).fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert search.best_score_ >= 0.9
    sequential = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X, y)
    assert_array_equal(
        search.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )


def test_string_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = BackpropClassifier(random_state=0).fit(X, names)
    assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert set(clf.predict(X)) <= set(names)
    assert clf.score(X, names) > 0.95


def test_binary_problem_uses_two_outputs():
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    labels = np.where(y == 1, "yes", "no")
    clf = BackpropClassifier(random_state=0).fit(X, labels)
    assert clf.coefs_[1].shape == (50, 2)
    assert clf.predict_proba(X).shape == (200, 2)
    assert clf.score(X, labels) > 0.9


def test_dataframe_input_records_feature_names(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    clf = BackpropClassifier(random_state=0).fit(frame, y)
    assert_array_equal(clf.feature_names_in_, ["sl", "sw", "pl", "pw"])
    assert clf.n_features_in_ == 4
    plain = BackpropClassifier(random_state=0).fit(X, y)
    assert_array_equal(clf.predict_proba(frame), plain.predict_proba(X))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_methods_before_fit_raise_not_fitted(iris, method):
    with pytest.raises(NotFittedError):
        getattr(BackpropClassifier(), method)(iris[0])


def test_history_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        BackpropClassifier().history_


@pytest.mark.parametrize(
    "loss, columns",
    [
        ("log_loss", ["loss", "mse", "accuracy", "time"]),
        ("squared_error", ["loss", "mse", "accuracy", "time"]),
    ],
)
def test_history_columns_and_length(iris, loss, columns):
    X, y = iris
    clf = BackpropClassifier(
        loss=loss, alpha=0.0, max_iter=30, tol=None, random_state=0
    )
    history = clf.fit(X, y).history_
    assert list(history.columns) == columns
    assert len(history) == clf.n_iter_ == 30
    assert history.index.name == "iteration"
    assert history["accuracy"].between(0, 1).all()


def test_history_mse_is_the_squared_error_of_softmax_outputs(iris):
    # history_ records the state before each update: row 0 is the initial network.
    X, y = iris
    params = dict(solver="adam", alpha=0.0, max_iter=1, tol=None, random_state=0)
    history = BackpropClassifier(**params).fit(X, y).history_
    initial = BackpropClassifier(**params, learning_rate=1e-300)
    proba = initial.fit(X, y).predict_proba(X)
    Y = np.eye(3)[y]
    assert_allclose(history["mse"].iloc[0], ((proba - Y) ** 2).sum() / (2 * Y.size))
    assert_allclose(history["loss"].iloc[0], -np.log(proba[np.arange(150), y]).mean())


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_predict_proba_rows_sum_to_one_and_agree_with_predict(
    iris, loss, fit_intercept
):
    X, y = iris
    clf = BackpropClassifier(loss=loss, fit_intercept=fit_intercept, random_state=0)
    proba = clf.fit(X, y).predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_without_intercept_exposes_zero_intercepts(iris):
    X, y = iris
    clf = BackpropClassifier(
        fit_intercept=False, max_iter=5, tol=None, random_state=0
    ).fit(X, y)
    assert [b.shape for b in clf.intercepts_] == [(50,), (3,)]
    assert not any(b.any() for b in clf.intercepts_)
    assert [W.shape for W in clf.coefs_] == [(4, 50), (50, 3)]


def test_tol_stops_training_early(iris):
    X, y = iris
    clf = BackpropClassifier(tol=1e-3, n_iter_no_change=5, random_state=0).fit(X, y)
    assert clf.n_iter_ < clf.max_iter
    loss = clf.history_["loss"].to_numpy()
    # Each of the last five losses fell short of the best before it by tol.
    for i in range(len(loss) - 5, len(loss)):
        assert loss[i] > loss[:i].min() - 1e-3
    assert loss[-6] <= loss[:-6].min() - 1e-3


def test_convergence_warning_when_max_iter_ends_training(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        BackpropClassifier(max_iter=3, random_state=0).fit(X, y)


def test_no_convergence_warning_without_tol(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BackpropClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)


def test_float32_input_is_trained_in_float32(iris):
    X, y = iris
    # Adam's steps: L-BFGS's line searches would magnify the rounding.
    params = dict(solver="adam", max_iter=20, tol=None, random_state=0)
    clf = BackpropClassifier(**params).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    reference = BackpropClassifier(**params).fit(X, y)
    assert_allclose(clf.coefs_[0], reference.coefs_[0], rtol=1e-4, atol=1e-5)


def test_single_class_is_rejected(iris):
    X, _ = iris
    with pytest.raises(ValueError, match="at least 2 classes"):
        BackpropClassifier().fit(X, np.zeros(len(X)))


def test_divergence_raises_an_error_naming_the_iteration(iris):
    # A step this large overflows the output weights to infinity, and the loss
    # to NaN, at the second iteration.
    X, y = iris
    clf = BackpropClassifier(
        solver="adam", learning_rate=1.7e308, tol=None, random_state=0
    )
    with np.errstate(all="ignore"):
        with pytest.raises(FloatingPointError, match="at iteration 1.*learning_rate"):
            clf.fit(X, y)
    assert not hasattr(clf, "coefs_")
