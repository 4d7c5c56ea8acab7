"""Weights kept every k iterations (snapshot_every, snapshots_) and the
decision regions drawn from them (DecisionRegionsDisplay)."""

import os

import matplotlib
import numpy as np
import pytest
import sklearn
from PIL import Image
from sklearn.datasets import make_classification, make_moons
from sklearn.utils import check_random_state

from sklearn_backprop import BackpropClassifier, DecisionRegionsDisplay
from sklearn_backprop._array_api import to_numpy
from sklearn_backprop._model_files import load_model, save_model
from sklearn_backprop._network import init_weights
from sklearn_backprop._prediction import predict_outputs

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Full-batch gradient descent without a stopping rule: a fit with max_iter=k
# runs exactly the first k iterations of a longer one.
FULL_BATCH = dict(
    solver="sgd",
    batch_size=None,
    momentum=0.0,
    learning_rate=0.5,
    hidden_size=4,
    tol=None,
    random_state=0,
)


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=60, noise=0.2, random_state=0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def weights(model):
    return model.coefs_ + model.intercepts_


def kept(snapshot):
    return snapshot["coefs"] + snapshot["intercepts"]


def assert_identical(arrays, expected):
    assert len(arrays) == len(expected)
    for array, other in zip(arrays, expected):
        assert isinstance(array, np.ndarray)
        assert array.dtype == other.dtype
        np.testing.assert_array_equal(array, other, strict=True)


def test_off_by_default(moons):
    X, y = moons
    clf = BackpropClassifier(max_iter=5, tol=None, random_state=0).fit(X, y)
    assert clf.snapshot_every is None
    assert clf.snapshots_ is None


def test_snapshots_equal_shorter_fits(moons):
    X, y = moons
    clf = BackpropClassifier(max_iter=23, snapshot_every=5, **FULL_BATCH).fit(X, y)
    assert list(clf.snapshots_) == [0, 5, 10, 15, 20, 23]
    for iteration in [5, 10, 20, 23]:
        shorter = BackpropClassifier(max_iter=iteration, **FULL_BATCH).fit(X, y)
        assert_identical(kept(clf.snapshots_[iteration]), weights(shorter))
    assert_identical(kept(clf.snapshots_[23]), weights(clf))


def test_initial_snapshot_is_the_initial_weights(moons):
    X, y = moons
    clf = BackpropClassifier(max_iter=3, snapshot_every=2, **FULL_BATCH).fit(X, y)
    # The weights that the estimator draws for random_state=0, drawn anew.
    sizes = [X.shape[1], clf.spec_.hidden_size, clf.spec_.n_outputs]
    coefs, intercepts = init_weights(
        check_random_state(0), sizes, clf.init_scale, np.float64, clf.activation
    )
    assert_identical(kept(clf.snapshots_[0]), coefs + intercepts)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_every_solver_keeps_multiples_and_the_end(moons, solver):
    X, y = moons
    params = dict(FULL_BATCH, solver=solver)
    clf = BackpropClassifier(max_iter=9, snapshot_every=4, **params).fit(X, y)
    assert list(clf.snapshots_) == [0, 4, 8, clf.n_iter_]
    assert_identical(kept(clf.snapshots_[clf.n_iter_]), weights(clf))
    shorter = BackpropClassifier(max_iter=4, **params).fit(X, y)
    assert_identical(kept(clf.snapshots_[4]), weights(shorter))


def test_warm_start_continues_the_count(moons):
    X, y = moons
    clf = BackpropClassifier(
        max_iter=7, snapshot_every=3, warm_start=True, **FULL_BATCH
    )
    clf.fit(X, y)
    assert list(clf.snapshots_) == [0, 3, 6, 7]
    clf.set_params(max_iter=6).fit(X, y)
    # The earlier call's end (7) falls between multiples: dropped.
    assert list(clf.snapshots_) == [0, 3, 6, 9, 12, 13]
    assert_identical(kept(clf.snapshots_[13]), weights(clf))
    # Two calls in a row equal one long fit, iteration by iteration.
    long = BackpropClassifier(max_iter=13, snapshot_every=3, **FULL_BATCH).fit(X, y)
    assert list(long.snapshots_) == list(clf.snapshots_)
    for iteration in long.snapshots_:
        assert_identical(
            kept(clf.snapshots_[iteration]), kept(long.snapshots_[iteration])
        )


def test_partial_fit_keeps_one_end(moons):
    X, y = moons
    clf = BackpropClassifier(snapshot_every=3, **FULL_BATCH)
    for _ in range(7):
        clf.partial_fit(X, y, classes=[0, 1])
    assert list(clf.snapshots_) == [0, 3, 6, 7]
    assert_identical(kept(clf.snapshots_[7]), weights(clf))


def test_turned_off_on_warm_start_keeps_earlier_ones(moons):
    X, y = moons
    clf = BackpropClassifier(
        max_iter=4, snapshot_every=2, warm_start=True, **FULL_BATCH
    )
    clf.fit(X, y)
    clf.set_params(snapshot_every=None).fit(X, y)
    assert list(clf.snapshots_) == [0, 2, 4]
    assert clf.n_iter_ == 8


def test_early_stopping_last_snapshot_is_the_restored_weights(moons):
    X, y = moons
    clf = BackpropClassifier(
        early_stopping=True,
        snapshot_every=5,
        max_iter=300,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X, y)
    assert clf.best_iteration_ is not None
    last = list(clf.snapshots_)[-1]
    assert last == clf.n_iter_
    assert_identical(kept(clf.snapshots_[last]), weights(clf))


def test_float32_snapshots_keep_the_dtype(moons):
    X, y = moons
    X = X.astype(np.float32)
    clf = BackpropClassifier(max_iter=4, snapshot_every=2, **FULL_BATCH).fit(X, y)
    assert all(W.dtype == np.float32 for W in kept(clf.snapshots_[2]))


def test_snapshots_are_copies(moons):
    X, y = moons
    clf = BackpropClassifier(max_iter=4, snapshot_every=2, **FULL_BATCH).fit(X, y)
    for W, kept_W in zip(weights(clf), kept(clf.snapshots_[4])):
        assert not np.shares_memory(W, kept_W)
    before = [W.copy() for W in kept(clf.snapshots_[4])]
    clf.set_params(warm_start=True).fit(X, y)
    assert_identical(kept(clf.snapshots_[4]), before)


def test_model_file_round_trip(moons, tmp_path):
    X, y = moons
    clf = BackpropClassifier(max_iter=5, snapshot_every=2, **FULL_BATCH).fit(X, y)
    path = tmp_path / "model.skops"
    save_model(clf, path)
    loaded = load_model(path)
    assert list(loaded.snapshots_) == list(clf.snapshots_)
    for iteration, snapshot in clf.snapshots_.items():
        assert_identical(kept(loaded.snapshots_[iteration]), kept(snapshot))
    # A loaded model continues the count.
    loaded.set_params(warm_start=True, max_iter=1).fit(X, y)
    assert list(loaded.snapshots_) == [0, 2, 4, 6]


# ------------------------------------------------------------------ display


def test_display_draws_chosen_iterations(moons):
    X, y = moons
    clf = BackpropClassifier(max_iter=20, snapshot_every=5, **FULL_BATCH).fit(X, y)
    display = DecisionRegionsDisplay.from_estimator(
        clf, X, y, iterations=[0, 10, 20], grid_resolution=15
    )
    assert display.ax_.shape == (3,)
    assert [ax.get_title() for ax in display.ax_] == [
        "iteration 0",
        "iteration 10",
        "iteration 20",
    ]
    assert display.figure_ is display.ax_[0].figure
    assert display.ax_[0].get_xlabel() == "x0"
    assert not suptitle_of(display.figure_)
    # The regions are the estimator's predictions with the kept weights.
    grid = np.column_stack([display.xx.ravel(), display.yy.ravel()])
    np.testing.assert_array_equal(
        display.regions[20].ravel(), np.searchsorted(clf.classes_, clf.predict(grid))
    )
    snapshot = clf.snapshots_[10]
    proba = predict_outputs(
        grid, snapshot["coefs"], snapshot["intercepts"], clf.spec_, log=False
    )
    np.testing.assert_array_equal(display.regions[10].ravel(), proba.argmax(axis=1))


def test_display_default_iterations_and_given_axes(moons):
    X, y = moons
    clf = BackpropClassifier(max_iter=40, snapshot_every=4, **FULL_BATCH).fit(X, y)
    display = DecisionRegionsDisplay.from_estimator(clf, X, y, grid_resolution=10)
    titles = [ax.get_title() for ax in display.ax_]
    assert len(titles) == 6
    assert titles[0] == "iteration 0" and titles[-1] == "iteration 40"
    _, axes = plt.subplots(1, 2)
    display = DecisionRegionsDisplay.from_estimator(
        clf, X, y, iterations=[4, 8], grid_resolution=10, ax=axes
    )
    assert list(display.ax_) == list(axes)
    with pytest.raises(ValueError, match="got 2 axes for 3 iterations"):
        DecisionRegionsDisplay.from_estimator(
            clf, X, y, iterations=[4, 8, 12], grid_resolution=10, ax=axes
        )


def test_display_projects_on_principal_components():
    X, y = make_classification(
        n_samples=80, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    clf = BackpropClassifier(max_iter=6, snapshot_every=3, **FULL_BATCH).fit(X, y)
    display = DecisionRegionsDisplay.from_estimator(clf, X, y, grid_resolution=12)
    assert [ax.get_title() for ax in display.ax_] == [
        "iteration 0",
        "iteration 3",
        "iteration 6",
    ]
    assert display.ax_[0].get_xlabel() == "PC1"
    assert display.ax_[0].get_ylabel() == "PC2"
    assert "principal components" in suptitle_of(display.figure_)
    assert display.regions[6].shape == (12, 12)
    assert set(np.unique(display.regions[6])) <= {0, 1, 2}


def test_display_errors(moons):
    X, y = moons
    unkept = BackpropClassifier(max_iter=2, **FULL_BATCH).fit(X, y)
    with pytest.raises(ValueError, match="fit it with snapshot_every"):
        DecisionRegionsDisplay.from_estimator(unkept, X, y)
    clf = BackpropClassifier(max_iter=4, snapshot_every=2, **FULL_BATCH).fit(X, y)
    with pytest.raises(ValueError, match=r"iterations \[3\]; those kept are"):
        DecisionRegionsDisplay.from_estimator(clf, X, y, iterations=[3])
    with pytest.raises(ValueError, match="one class of estimator.classes_"):
        DecisionRegionsDisplay.from_estimator(clf, X, y + 5, grid_resolution=5)
    with pytest.raises(ValueError, match="X has 3 features"):
        DecisionRegionsDisplay.from_estimator(clf, np.c_[X, X[:, :1]], y)


def test_save_gif_writes_one_frame_per_snapshot(moons, tmp_path):
    X, y = moons
    clf = BackpropClassifier(max_iter=10, snapshot_every=3, **FULL_BATCH).fit(X, y)
    display = DecisionRegionsDisplay.from_estimator(clf, X, y, grid_resolution=10)
    path = tmp_path / "regions.gif"
    assert display.save_gif(path, fps=5) is display
    assert path.read_bytes()[:4] == b"GIF8"
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == len(clf.snapshots_) == 5
    # The GIF's figure is closed; the display's own stays.
    assert plt.get_fignums() == [display.figure_.number]


@pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 set before SciPy loads",
)
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_array_api_models_keep_numpy_copies(moons, device):
    torch = pytest.importorskip("torch")
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X, y = moons
    X_t = torch.asarray(X, device=device)
    y_t = torch.asarray(y, device=device)
    with sklearn.config_context(array_api_dispatch=True):
        clf = BackpropClassifier(max_iter=6, snapshot_every=3, **FULL_BATCH)
        clf.fit(X_t, y_t)
        shorter = BackpropClassifier(max_iter=3, **FULL_BATCH).fit(X_t, y_t)
    assert list(clf.snapshots_) == [0, 3, 6]
    for iteration, model in [(3, shorter), (6, clf)]:
        assert_identical(
            kept(clf.snapshots_[iteration]), [to_numpy(W) for W in weights(model)]
        )
    display = DecisionRegionsDisplay.from_estimator(clf, X_t, y_t, grid_resolution=8)
    assert [ax.get_title() for ax in display.ax_] == [
        "iteration 0",
        "iteration 3",
        "iteration 6",
    ]


def suptitle_of(figure):
    """The figure's title; Figure.get_suptitle is missing before matplotlib 3.8."""
    title = figure._suptitle
    return "" if title is None else title.get_text()
