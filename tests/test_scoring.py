"""``scoring``: validation scores in history_, and early stopping on them."""

import os
import warnings

import numpy as np
import pytest
import sklearn
from _support import assert_same_model, metrics_only
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, f1_score, get_scorer, make_scorer

from sklearn_backprop import BackpropClassifier

# Short fits of few iterations, and F-scores of rows without labels.
pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::sklearn.exceptions.UndefinedMetricWarning",
)

# Full-batch gradient descent: each history row is that of the weights an
# iteration starts from, so a fit of k iterations ends on row k's weights.
FULL_BATCH = dict(
    solver="sgd", momentum=0.0, batch_size=None, alpha=1e-3, random_state=0
)


@pytest.fixture(scope="module")
def imbalanced():
    """Training and validation rows of two classes, 85 % and 15 %, with noise
    in the labels: balanced accuracy and the loss disagree about the best
    iteration."""
    X, y = make_classification(
        n_samples=400,
        n_features=8,
        n_informative=4,
        weights=[0.85, 0.15],
        flip_y=0.1,
        random_state=2,
    )
    return X[:250], y[:250], X[250:], y[250:]


def _numpy_predict(clf, X):
    """Labels from the fitted weights, by an independent forward pass."""
    (W1, W2), (b1, b2) = clf.coefs_, clf.intercepts_
    H = 1 / (1 + np.exp(-(X @ W1 + b1)))
    return clf.classes_[np.argmax(H @ W2 + b2, axis=1)]


def test_early_stopping_stops_and_restores_on_the_score(imbalanced):
    X, y, X_val, y_val = imbalanced
    params = dict(FULL_BATCH, learning_rate=0.5, n_iter_no_change=15, max_iter=300)
    clf = BackpropClassifier(
        early_stopping=True, scoring="balanced_accuracy", tol=1e-12, **params
    ).fit(X, y, X_val=X_val, y_val=y_val)
    history = clf.history_
    best = clf.best_iteration_
    # The first iteration of the highest score, then n_iter_no_change more.
    assert best == history["val_score"].idxmax() == 25
    assert clf.n_iter_ == best + 15 + 1
    # The loss would not have stopped there: it was still falling.
    assert history["val_loss"].idxmin() == clf.n_iter_ - 1
    assert clf.validation_scores_ == history["val_score"].tolist()
    assert clf.best_validation_score_ == history["val_score"].max()
    # The restored weights are those the best iteration started from.
    again = BackpropClassifier(**dict(params, max_iter=best, tol=None)).fit(X, y)
    for restored, trained in zip(
        clf.coefs_ + clf.intercepts_, again.coefs_ + again.intercepts_
    ):
        assert_array_equal(restored, trained)
    assert (
        balanced_accuracy_score(y_val, clf.predict(X_val))
        == history.loc[best, "val_score"]
    )


def test_loss_monitoring_stops_elsewhere_on_the_same_data(imbalanced):
    X, y, X_val, y_val = imbalanced
    params = dict(FULL_BATCH, learning_rate=0.5, n_iter_no_change=15, max_iter=300)
    clf = BackpropClassifier(early_stopping=True, tol=1e-12, **params)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert "val_score" not in clf.history_.columns
    assert clf.best_iteration_ == clf.history_["val_loss"].idxmin() > 25
    assert clf.validation_scores_ == clf.history_["val_accuracy"].tolist()


@pytest.mark.parametrize(
    "fit_params", [dict(), dict(batch_size=32), dict(solver="adam", batch_size=32)]
)
def test_val_score_is_the_scorer_on_the_rebuilt_model(imbalanced, fit_params):
    X, y, X_val, y_val = imbalanced
    params = dict(FULL_BATCH, learning_rate=0.3, tol=None, **fit_params)
    clf = BackpropClassifier(scoring="f1", max_iter=6, **params)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    scores = clf.history_["val_score"]
    assert len(scores) == 6 and scores.notna().all()
    if params["batch_size"] is None:
        # Row 5 holds the weights after 5 steps.
        model = BackpropClassifier(max_iter=5, **params).fit(X, y)
    else:
        # Mini-batch epochs score the weights they end on.
        model = clf
    assert scores.iloc[-1] == get_scorer("f1")(model, X_val, y_val)
    assert scores.iloc[-1] == f1_score(y_val, _numpy_predict(model, X_val))


def test_scoring_without_early_stopping_changes_nothing_else(imbalanced):
    X, y, X_val, y_val = imbalanced
    params = dict(max_iter=8, tol=None, random_state=0)
    plain = BackpropClassifier(**params).fit(X, y, X_val=X_val, y_val=y_val)
    scored = BackpropClassifier(scoring="roc_auc", **params)
    scored.fit(X, y, X_val=X_val, y_val=y_val)
    assert_array_equal(
        metrics_only(scored).drop(columns="val_score"), metrics_only(plain)
    )
    for a, b in zip(
        plain.coefs_ + plain.intercepts_, scored.coefs_ + scored.intercepts_
    ):
        assert_array_equal(a, b)
    assert scored.validation_scores_ is None and scored.best_validation_score_ is None
    columns = scored.history_.columns.tolist()
    assert columns[columns.index("val_accuracy") + 1] == "val_score"


def test_scoring_none_is_the_default_behaviour(iris):
    X, y = iris
    params = dict(early_stopping=True, max_iter=30, random_state=0)
    default = BackpropClassifier(**params).fit(X, y)
    explicit = BackpropClassifier(scoring=None, **params).fit(X, y)
    assert_same_model(default, explicit)
    assert "val_score" not in default.history_.columns


def test_held_out_rows_are_scored(iris):
    X, y = iris
    clf = BackpropClassifier(
        early_stopping=True,
        scoring="accuracy",
        validation_fraction=0.2,
        max_iter=40,
        random_state=0,
    ).fit(X, y)
    history = clf.history_
    # Accuracy as a scorer is the pass's validation accuracy.
    assert_array_equal(history["val_score"], history["val_accuracy"])
    assert clf.best_iteration_ == history["val_score"].idxmax()


def test_callable_scorers_see_the_current_weights(imbalanced):
    X, y, X_val, y_val = imbalanced
    calls = []

    def errors(estimator, X, y):
        calls.append(estimator.coefs_[0].copy())
        return -float(np.sum(estimator.predict(X) != y))

    params = dict(FULL_BATCH, learning_rate=0.3, max_iter=4, tol=None)
    clf = BackpropClassifier(scoring=errors, **params)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert len(calls) == 4
    # The first call sees the initial weights, the last the weights of row 3.
    assert_array_equal(
        calls[-1], BackpropClassifier(**dict(params, max_iter=3)).fit(X, y).coefs_[0]
    )
    assert not np.array_equal(calls[0], calls[-1])
    expected = np.sum(clf.history_["val_accuracy"] * len(y_val) - len(y_val))
    assert clf.history_["val_score"].sum() == pytest.approx(expected)

    macro_f1 = make_scorer(f1_score, average="macro")
    clf = BackpropClassifier(scoring=macro_f1, early_stopping=True, **params)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.validation_scores_ == clf.history_["val_score"].tolist()


def test_multilabel_targets():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X_val, Y_val = X[150:], Y[150:]
    params = dict(FULL_BATCH, learning_rate=0.5, max_iter=5, tol=None)
    clf = BackpropClassifier(scoring="f1_samples", early_stopping=True, **params)
    clf.fit(X[:150], Y[:150], X_val=X_val, y_val=Y_val)
    last = BackpropClassifier(**dict(params, max_iter=4)).fit(X[:150], Y[:150])
    expected = f1_score(Y_val, last.predict(X_val), average="samples")
    assert clf.history_["val_score"].iloc[-1] == expected
    assert clf.best_iteration_ == clf.history_["val_score"].idxmax()


def test_lbfgs_stops_on_the_score(imbalanced):
    X, y, X_val, y_val = imbalanced
    clf = BackpropClassifier(
        solver="lbfgs", early_stopping=True, scoring="f1", random_state=0
    ).fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.best_iteration_ == clf.history_["val_score"].idxmax()
    assert clf.n_iter_ < 500


def test_no_validation_data_records_no_score(iris):
    X, y = iris
    clf = BackpropClassifier(scoring="f1_macro", max_iter=3, tol=None).fit(X, y)
    assert "val_score" not in clf.history_.columns


def test_a_score_that_never_improves_warns(imbalanced):
    X, y, X_val, y_val = imbalanced
    clf = BackpropClassifier(
        scoring=lambda estimator, X, y: 0.5,
        early_stopping=True,
        n_iter_no_change=3,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="validation score never improved"):
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.best_iteration_ == 0 and clf.n_iter_ == 4


@pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 set before SciPy loads",
)
def test_torch_validation_scores(iris):
    torch = pytest.importorskip("torch")
    X, y = iris
    params = dict(scoring="accuracy", early_stopping=True, max_iter=10)
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = BackpropClassifier(random_state=0, **params)
        clf.fit(torch.asarray(X), torch.asarray(y))
    history = clf.history_
    # scikit-learn's accuracy_score counts in float32 on PyTorch.
    assert_allclose(history["val_score"], history["val_accuracy"], rtol=1e-6)
    assert clf.best_iteration_ == history["val_score"].idxmax()
