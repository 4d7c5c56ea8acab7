"""scikit-learn's callback API (1.9+): progress bars and per-iteration scores."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.model_selection import GridSearchCV

from sklearn_backprop import BackpropClassifier

try:
    import sklearn.callback as sklearn_callback
except ImportError:
    sklearn_callback = None

needs_callbacks = pytest.mark.skipif(
    sklearn_callback is None, reason="scikit-learn < 1.9 has no callback API"
)


def test_callback_support_follows_scikit_learn():
    assert hasattr(BackpropClassifier(), "set_callbacks") == (
        sklearn_callback is not None
    )


@needs_callbacks
def test_scoring_monitor_logs_a_score_per_iteration(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    monitor = sklearn_callback.ScoringMonitor(scoring="accuracy")
    clf = BackpropClassifier(max_iter=15, tol=None, random_state=0)
    clf.set_callbacks(monitor).fit(X, names)
    log = monitor.get_logs().data_as_pandas
    epochs = log[log["task_name"] == "epoch"]
    assert len(epochs) == clf.n_iter_ == 15
    # Epoch t ends with the weights history_ row t + 1 starts from.
    assert_allclose(epochs["accuracy"].iloc[:-1], clf.history_["accuracy"].iloc[1:])
    assert epochs["accuracy"].iloc[-1] == clf.score(X, names)


@needs_callbacks
def test_progress_bar_shows_the_fit(iris, capsys):
    pytest.importorskip("rich")
    X, y = iris
    clf = BackpropClassifier(max_iter=10, tol=None, random_state=0)
    clf.set_callbacks(sklearn_callback.ProgressBar()).fit(X, y)
    assert "BackpropClassifier - fit" in capsys.readouterr().out
    assert clf.n_iter_ == 10


@needs_callbacks
def test_progress_bar_nested_in_grid_search(iris, capsys):
    pytest.importorskip("rich")
    X, y = iris
    search = GridSearchCV(
        BackpropClassifier(max_iter=10, tol=None, random_state=0),
        {"hidden_size": [2, 4]},
        cv=2,
    )
    search.set_callbacks(sklearn_callback.ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out
    assert "BackpropClassifier - fit" in out
    plain = GridSearchCV(
        BackpropClassifier(max_iter=10, tol=None, random_state=0),
        {"hidden_size": [2, 4]},
        cv=2,
    ).fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )


@needs_callbacks
def test_a_callback_can_stop_training(iris):
    X, y = iris

    class StopAtThird:
        def setup(self, estimator, context):
            self.ends = 0

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context):
            self.ends += 1
            return self.ends == 3

    clf = BackpropClassifier(max_iter=50, random_state=0)
    clf.set_callbacks(StopAtThird()).fit(X, y)
    assert clf.n_iter_ == 3
