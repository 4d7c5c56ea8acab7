"""HistoryDisplay draws the curves of a fitted estimator's history_."""

import matplotlib
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris

from sklearn_backprop import BackpropClassifier, HistoryDisplay

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    return BackpropClassifier(max_iter=25, tol=None, random_state=0).fit(X, y)


def test_from_estimator_draws_one_axes_per_metric(fitted):
    display = HistoryDisplay.from_estimator(fitted, metrics=["mse", "accuracy"])
    assert [ax.get_title() for ax in display.ax_] == ["mse", "accuracy"]
    assert display.figure_ is display.ax_[0].figure
    assert_array_equal(display.lines_["mse"].get_ydata(), fitted.history_["mse"])
    assert_array_equal(display.lines_["accuracy"].get_xdata(), range(25))


def test_plot_draws_every_column_by_default_on_given_axes(fitted):
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(1, 3)
    display = HistoryDisplay(fitted.history_).plot(ax=axes)
    assert list(display.lines_) == ["loss", "mse", "accuracy"]
    assert display.ax_[0] is axes[0]


def test_unknown_metric_is_named(fitted):
    with pytest.raises(ValueError, match=r"\['val_loss'\] are not in the history"):
        HistoryDisplay.from_estimator(fitted, metrics=["val_loss"])


def test_wrong_number_of_axes_is_rejected(fitted):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="got 1 axes for 2 metrics"):
        HistoryDisplay.from_estimator(fitted, metrics=["mse", "accuracy"], ax=ax)


def test_training_and_validation_curves_share_an_axes():
    X, y = load_iris(return_X_y=True)
    clf = BackpropClassifier(max_iter=15, tol=None, random_state=0)
    clf.fit(X[::2], y[::2], X_val=X[1::2], y_val=y[1::2])
    display = HistoryDisplay.from_estimator(clf, metrics=["loss", "accuracy"])
    assert list(display.lines_) == ["loss", "val_loss", "accuracy", "val_accuracy"]
    loss_axes = display.ax_[0]
    assert display.lines_["val_loss"].axes is loss_axes
    assert [t.get_text() for t in loss_axes.get_legend().get_texts()] == [
        "train",
        "validation",
    ]
    assert_array_equal(display.lines_["val_loss"].get_ydata(), clf.history_["val_loss"])


def test_matplotlib_is_imported_only_to_plot():
    import subprocess
    import sys

    code = (
        "import sys, sklearn_backprop; "
        "from sklearn.datasets import load_iris; "
        "X, y = load_iris(return_X_y=True); "
        "sklearn_backprop.BackpropClassifier(max_iter=3, tol=None).fit(X, y); "
        "print('matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- Diagnostics ---------------------------------------------------------------


@pytest.fixture(scope="module")
def diagnosed():
    X, y = load_iris(return_X_y=True)
    return BackpropClassifier(
        max_iter=25, tol=None, diagnostics=True, random_state=0
    ).fit(X, y)


def test_diagnostics_draw_norms_and_ratios_on_log_scales(diagnosed):
    display = HistoryDisplay.from_estimator(diagnosed, kind="diagnostics")
    titles = [ax.get_title() for ax in display.ax_]
    assert titles == ["gradient norm", "update ratio", "saturated share"]
    assert [ax.get_yscale() for ax in display.ax_] == ["log", "log", "linear"]
    history = diagnosed.history_
    for column in ["grad_norm_W1", "grad_norm_W2", "update_ratio_W2", "saturated"]:
        assert_array_equal(display.lines_[column].get_ydata(), history[column])
    assert display.figure_ is display.ax_[0].figure


def test_default_metrics_leave_the_diagnostics_out(diagnosed):
    display = HistoryDisplay.from_estimator(diagnosed)
    assert list(display.lines_) == ["loss", "mse", "accuracy"]


def test_all_draws_metrics_then_diagnostics(diagnosed):
    display = HistoryDisplay.from_estimator(
        diagnosed, metrics=["loss", "accuracy"], kind="all"
    )
    assert [ax.get_title() for ax in display.ax_] == [
        "loss",
        "accuracy",
        "gradient norm",
        "update ratio",
        "saturated share",
    ]


def test_diagnostics_need_a_fit_that_records_them(fitted):
    with pytest.raises(ValueError, match="fit with diagnostics=True"):
        HistoryDisplay.from_estimator(fitted, kind="diagnostics")


def test_unknown_kind_is_rejected(fitted):
    with pytest.raises(ValueError, match="kind must be one of"):
        HistoryDisplay.from_estimator(fitted, kind="weights")


def test_empty_metrics_are_refused_by_name(fitted):
    with pytest.raises(ValueError, match="metrics is empty"):
        HistoryDisplay.from_estimator(fitted, metrics=[])


def test_a_metric_name_is_one_metric(fitted):
    display = HistoryDisplay.from_estimator(fitted, metrics="loss")
    assert [ax.get_title() for ax in display.ax_] == ["loss"]
