"""Bad input, numerical extremes, sparse data, persistence, threads, determinism."""

import hashlib
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from _support import run_child
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_backprop import BackpropClassifier, NetworkSpec


@pytest.fixture(scope="module")
def fitted(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    return BackpropClassifier(max_iter=50, tol=None, random_state=0).fit(X, names)


# ------------------------------------------------------------------ bad input


def _with(X, row, col, value):
    X = X.copy()
    X[row, col] = value
    return X


BAD_FIT_INPUT = {
    "NaN in X": (lambda X, y: (_with(X, 3, 1, np.nan), y), "Input X contains NaN"),
    "infinity in X": (
        lambda X, y: (_with(X, 3, 1, np.inf), y),
        "Input X contains infinity",
    ),
    "single class": (
        lambda X, y: (X, np.zeros_like(y)),
        "needs samples of at least 2 classes",
    ),
    "continuous target": (
        lambda X, y: (X, np.linspace(0, 1, len(y))),
        "Unknown label type",
    ),
    "empty X": (lambda X, y: (X[:0], y[:0]), "0 sample"),
    "lengths differ": (
        lambda X, y: (X, y[:-1]),
        "inconsistent numbers of samples",
    ),
    "3-D X": (lambda X, y: (X.reshape(len(X), 2, 2), y), "dim 3"),
    "strings in X": (
        lambda X, y: (np.where(X > 0, "a", "b"), y),
        "could not convert string to float",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIT_INPUT))
def test_bad_training_input_is_named(iris, case):
    make, message = BAD_FIT_INPUT[case]
    X, y = make(*iris)
    with pytest.raises(ValueError, match=message):
        BackpropClassifier().fit(X, y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_other_number_of_features_at_predict_time(fitted, iris, method):
    with pytest.raises(ValueError, match="X has 3 features, but BackpropClassifier"):
        getattr(fitted, method)(iris[0][:, :3])


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_nan_at_predict_time(fitted, iris, method):
    with pytest.raises(ValueError, match="Input X contains NaN"):
        getattr(fitted, method)(_with(iris[0], 0, 0, np.nan))


INVALID_PARAMETERS = {
    "hidden_size": [0, 2.5, "10"],
    "activation": ["sigmoid", None],
    "solver": ["newton", None],
    "learning_rate_schedule": ["decay"],
    "power_t": [-0.5],
    "nesterovs_momentum": ["yes"],
    "beta_1": [1.0, -0.1],
    "beta_2": [1.0],
    "epsilon": [0.0],
    "learning_rate": [0, -1.0, "fast"],
    "max_iter": [0, 1.5],
    "loss": ["hinge", None],
    "fit_intercept": ["yes"],
    "init_scale": [0.0, -1.0, "glorot"],
    "tol": [-1e-4, "small"],
    "n_iter_no_change": [0, 2.5],
    "batch_size": [0, "full"],
    "epoch_metrics": ["mean", None],
    "shuffle": ["sometimes"],
    "momentum": [-0.1, 1.0],
    "alpha": [-1.0],
    "early_stopping": ["yes"],
    "validation_fraction": [0.0, 1.0],
    "class_weight": ["even", [1, 2]],
    "warm_start": ["yes"],
    "diagnostics": ["yes"],
    "snapshot_every": [0, 1.5],
    "scoring": ["not_a_scorer", 3],
    "verbose": ["loud"],
    "random_state": ["seed"],
}


@pytest.mark.parametrize(
    "name, value",
    [(name, value) for name, values in INVALID_PARAMETERS.items() for value in values],
)
def test_each_invalid_hyper_parameter_is_named(iris, name, value):
    X, y = iris
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter"):
        BackpropClassifier(**{name: value}).fit(X, y)


def test_every_parameter_has_invalid_values_tested():
    assert set(INVALID_PARAMETERS) == set(BackpropClassifier().get_params())


# ---------------------------------------------------------- numerical extremes


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize(
    "scale, learning_rate", [(1e300, 1.0), (1.0, 1e6), (1e300, 1e6), (1e-300, 1.0)]
)
def test_extreme_features_and_steps_give_finite_weights_and_say_why(
    iris, loss, scale, learning_rate
):
    X, y = iris
    # Plain gradient descent: nothing bounds its steps, unlike Adam's.
    clf = BackpropClassifier(
        solver="sgd",
        momentum=0.0,
        batch_size=None,
        alpha=0.0,
        loss=loss,
        learning_rate=learning_rate,
        max_iter=50,
        tol=None,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X * scale, y)
        proba = clf.predict_proba(X * scale)
        log_proba = clf.predict_log_proba(X * scale)
    # No overflow or invalid-value warnings from NumPy; the features far from
    # standardised are named, with the fix.
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    unscaled = [w for w in caught if "StandardScaler" in str(w.message)]
    assert bool(unscaled) == (scale > 100)
    assert all(np.isfinite(W).all() for W in clf.coefs_ + clf.intercepts_)
    assert np.isfinite(clf.history_.to_numpy()).all()
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.isfinite(log_proba).all()


def test_unscaled_features_are_named_with_the_fix():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.warns(UserWarning, match=r"Feature 23 of X .*StandardScaler"):
        BackpropClassifier(max_iter=2, tol=None, random_state=0).fit(X, y)
    scaled = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BackpropClassifier(max_iter=2, tol=None, random_state=0).fit(scaled, y)
    with pytest.warns(UserWarning, match="StandardScaler"):
        BackpropClassifier(max_iter=2, tol=None, random_state=0).fit(
            sp.csr_matrix(X), y
        )


# ----------------------------------------------------------------- sparse data


@pytest.mark.parametrize("format", ["csr", "csc"])
@pytest.mark.parametrize("batch_size", [None, 32])
def test_sparse_input_gives_the_dense_results(iris, format, batch_size):
    X, y = iris
    X = np.where(np.abs(X) < 0.5, 0.0, X)  # a third of the entries are zero
    X_sparse = sp.csr_matrix(X).asformat(format)
    # Adam's steps: L-BFGS's line searches would magnify the products' rounding.
    params = dict(
        solver="adam", max_iter=30, tol=None, batch_size=batch_size, random_state=0
    )
    dense = BackpropClassifier(**params).fit(X, y)
    sparse = BackpropClassifier(**params).fit(X_sparse, y)
    for a, b in zip(
        dense.coefs_ + dense.intercepts_, sparse.coefs_ + sparse.intercepts_
    ):
        assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    assert_allclose(
        dense.history_.drop(columns="time"),
        sparse.history_.drop(columns="time"),
        rtol=1e-10,
    )
    assert_allclose(dense.predict_proba(X), sparse.predict_proba(X_sparse), rtol=1e-10)
    dense.partial_fit(X, y)
    sparse.partial_fit(X_sparse, y)
    assert_allclose(dense.coefs_[0], sparse.coefs_[0], rtol=1e-10, atol=1e-13)


def test_text_pipeline_with_tfidf():
    documents = [
        "the network learns by backpropagation",
        "gradient descent updates the weights",
        "a sigmoid squashes its input",
        "cats sleep on warm windows",
        "my cat chases a red ball",
        "dogs and cats play in the garden",
    ] * 5
    labels = ["ml", "ml", "ml", "pets", "pets", "pets"] * 5
    model = make_pipeline(
        TfidfVectorizer(), BackpropClassifier(max_iter=300, random_state=0)
    )
    model.fit(documents, labels)
    assert model.score(documents, labels) == 1.0
    assert list(model.predict(["weights of the network", "a cat in the garden"])) == [
        "ml",
        "pets",
    ]


# ----------------------------------------------------------------- persistence


def _assert_same_model(first, second, X):
    assert_array_equal(first.predict(X), second.predict(X))
    assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.history_.equals(second.history_)


def test_pickle_round_trip(fitted, iris):
    _assert_same_model(fitted, pickle.loads(pickle.dumps(fitted)), iris[0])


def test_pickled_model_keeps_training(fitted, iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    copy = pickle.loads(pickle.dumps(fitted)).set_params(warm_start=True)
    copy.fit(X, names)
    assert copy.n_iter_ == 100


def test_skops_round_trip_trusts_only_this_package(fitted, iris):
    sio = pytest.importorskip("skops.io")
    data = sio.dumps(fitted)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(name.startswith("sklearn_backprop.") for name in untrusted), untrusted
    loaded = sio.loads(data, trusted=untrusted)
    _assert_same_model(fitted, loaded, iris[0])


# -------------------------------------------------- threads and determinism


def test_predict_proba_from_eight_threads(iris):
    X, y = iris
    big = np.repeat(X, 200, axis=0)
    clf = BackpropClassifier(max_iter=20, tol=None, random_state=0).fit(X, y)
    expected = clf.predict_proba(big)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(big), range(8)))
    for result in results:
        assert_array_equal(result, expected)


DIGEST_SCRIPT = """
import hashlib
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn_backprop import BackpropClassifier
X, y = load_iris(return_X_y=True)
clf = BackpropClassifier(batch_size=16, momentum=0.5, max_iter=40, tol=None,
                         random_state=7).fit(X, y)
digest = hashlib.sha256()
for array in clf.coefs_ + clf.intercepts_:
    digest.update(array.tobytes())
digest.update(clf.history_.drop(columns="time").to_numpy().tobytes())
print(digest.hexdigest())
"""


def test_same_random_state_is_bit_identical_across_processes():
    digests = {run_child(["-c", DIGEST_SCRIPT])[-1] for _ in range(2)}
    assert len(digests) == 1
    assert len(next(iter(digests))) == len(hashlib.sha256().hexdigest())


# ------------------------------------------------------ targets and warm starts


def test_multiclass_multioutput_y_is_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="y is a 2-D array of class labels"):
        BackpropClassifier().fit(X, np.c_[y, 2 - y])


def test_sparse_indicator_y_trains_as_the_dense_one(iris):
    X, y = iris
    Y = np.c_[y == 0, y == 1, y > 0].astype(int)
    params = dict(max_iter=20, tol=None, random_state=0)
    dense = BackpropClassifier(**params).fit(X, Y)
    sparse = BackpropClassifier(**params).fit(X, sp.csr_matrix(Y))
    assert_array_equal(sparse.history_["loss"], dense.history_["loss"])
    assert_array_equal(sparse.predict(X), dense.predict(X))


@pytest.mark.parametrize(
    "name, value",
    [("fit_intercept", False), ("loss", "squared_error"), ("hidden_size", 7)],
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_changing_the_network_refuses_to_continue(iris, name, value, how):
    X, y = iris
    clf = BackpropClassifier(max_iter=5, tol=None, warm_start=True, random_state=0)
    if how == "warm_start":
        clf.fit(X, y)
    else:
        clf.partial_fit(X, y, classes=[0, 1, 2])
    before = [W.copy() for W in clf.coefs_ + clf.intercepts_]
    clf.set_params(**{name: value})
    message = f"{name} is {value!r}, but the model was fitted with {name}="
    with pytest.raises(ValueError, match=message + r".*warm_start=False"):
        clf.fit(X, y) if how == "warm_start" else clf.partial_fit(X, y)
    for W, saved in zip(clf.coefs_ + clf.intercepts_, before):
        assert_array_equal(W, saved)
    # Without warm_start, fit trains the new network.
    clf.set_params(warm_start=False).fit(X, y)
    assert clf.spec_ == NetworkSpec.of(
        {**clf.get_params(), "hidden_size": value if name == "hidden_size" else 50},
        multilabel=False,
        n_outputs=3,
    )


def test_warm_started_fit_on_fewer_classes_is_refused(iris):
    X, y = iris
    clf = BackpropClassifier(max_iter=3, tol=None, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"y has the classes \[0, 1\], but the"):
        clf.fit(X[y < 2], y[y < 2])
    # partial_fit batches may hold some of the classes.
    clf.partial_fit(X[y < 2], y[y < 2])
    assert clf.n_iter_ == 4


@pytest.mark.parametrize(
    "y_val, message",
    [
        (np.linspace(0.1, 0.9, 30), r"Unknown label type: 'continuous' in y_val"),
        ([None] * 30, r"Unknown label type: 'unknown' in y_val"),
        (np.eye(3)[np.arange(30) % 3], r"y_val must be class labels, like y"),
        (np.c_[np.arange(30) % 3, np.arange(30) % 3], "y_val is a 2-D array"),
        (np.full(30, 7), r"y_val contains labels not in classes_ \[0, 1, 2\]: \[7\]"),
    ],
)
def test_y_val_is_validated_like_y(iris, y_val, message):
    X, y = iris
    with pytest.raises(ValueError, match=message):
        BackpropClassifier().fit(X, y, X_val=X[:30], y_val=y_val)


def test_validation_split_too_small_names_the_smallest_fraction(iris):
    X, y = iris
    X, y = X[::5], y[::5]  # 30 rows, 10 of each class
    clf = BackpropClassifier(early_stopping=True, validation_fraction=0.05)
    with pytest.raises(
        ValueError,
        match=r"validation_fraction=0\.05 of the 30 training rows, 2, too few for "
        r"one of each of the 3 classes: use validation_fraction=0\.1 or more",
    ):
        clf.fit(X, y)
    clf.set_params(validation_fraction=0.1, max_iter=5, tol=None).fit(X, y)
    assert clf.best_iteration_ is not None


def test_n_iter_no_change_inf_never_stops_on_patience(iris):
    X, y = iris
    clf = BackpropClassifier(
        solver="adam", n_iter_no_change=np.inf, max_iter=400, tol=0.5
    )
    with pytest.warns(Warning, match="reached max_iter=400"):
        clf.fit(X, y)
    assert clf.n_iter_ == 400


# ------------------------------------------------------------- weights, L-BFGS


def test_lbfgs_that_cannot_start_warns_and_keeps_its_first_row(iris):
    X, y = iris
    clf = BackpropClassifier(solver="lbfgs", activation="relu", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the unscaled features
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="L-BFGS stopped after 0"):
            clf.fit(X * 1e6, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X * 1e6, y)
    assert clf.n_iter_ == len(clf.history_) == len(clf.loss_curve_) == 1
    assert clf.loss_ == clf.loss_curve_[0] == clf.history_["loss"][0]


@pytest.mark.parametrize("shuffle", [True, False])
def test_mini_batches_of_zero_weight_take_no_step(iris, shuffle):
    X, y = iris
    weights = np.zeros(len(y))
    weights[::10] = 1.0
    params = dict(solver="adam", batch_size=1, shuffle=shuffle, max_iter=3, tol=None)
    clf = BackpropClassifier(random_state=0, **params)
    clf.fit(X, y, sample_weight=weights)
    assert np.isfinite(clf.loss_curve_).all()
    if not shuffle:
        # The same steps as on the weighted rows alone.
        alone = BackpropClassifier(random_state=0, **params).fit(X[::10], y[::10])
        for W, W_alone in zip(clf.coefs_, alone.coefs_):
            assert_array_equal(W, W_alone)
        assert clf.loss_curve_ == alone.loss_curve_


@pytest.mark.parametrize(
    "fraction, seed, side", [(0.1, 1, "validation"), (0.9, 0, "training")]
)
def test_early_stopping_split_leaving_no_weight_is_refused(iris, fraction, seed, side):
    X, y = iris
    weights = np.zeros(len(y))
    weights[[0, 60, 120]] = 1.0
    # Seeds whose split leaves the weighted rows all on one side.
    clf = BackpropClassifier(
        early_stopping=True, validation_fraction=fraction, random_state=seed
    )
    message = f"the {side} rows it left all have zero sample_weight.*X_val"
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y, sample_weight=weights)


@pytest.mark.parametrize(
    "weight", [-0.5, np.nan, np.inf, "heavy"], ids=["negative", "nan", "inf", "str"]
)
def test_class_weight_values_are_refused_by_name(iris, weight):
    X, y = iris
    clf = BackpropClassifier(class_weight={0: weight, 1: 1.0, 2: 1.0})
    with pytest.raises(ValueError, match="class_weight must give each class a fin"):
        clf.fit(X, y)


@pytest.mark.parametrize(
    "sample_weight, class_weight, source",
    [
        (None, {0: 0, 1: 0, 2: 0}, r"\(class_weight\) is zero"),
        ("ones", {0: 0, 1: 0, 2: 0}, r"\(sample_weight times class_weight\) is"),
        ("huge", None, r"\(sample_weight\) overflows"),
    ],
)
def test_total_row_weight_names_its_source(iris, sample_weight, class_weight, source):
    X, y = iris
    weights = {"ones": np.ones(len(y)), "huge": np.full(len(y), 1e308), None: None}
    clf = BackpropClassifier(class_weight=class_weight)
    with pytest.raises(ValueError, match=source):
        clf.fit(X, y, sample_weight=weights[sample_weight])


def test_squared_error_loss_curve_across_penalties(iris):
    X, y = iris
    clf = BackpropClassifier(
        loss="squared_error", warm_start=True, max_iter=3, tol=None, random_state=0
    )
    for alpha in (0.0, 0.1, 0.0):
        clf.set_params(alpha=alpha).fit(X, y)
    assert len(clf.loss_curve_) == 9 and np.isfinite(clf.loss_curve_).all()
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    history = clf.history_
    # Without the penalty the loss is the squared error; with it, more.
    unpenalised = history.index.isin([0, 1, 2, 6, 7, 8])
    assert_array_equal(history["loss"][unpenalised], history["mse"][unpenalised])
    assert (history["loss"][~unpenalised] > history["mse"][~unpenalised]).all()


def test_fitted_attributes_outlive_changed_parameters(iris):
    X, y = iris
    clf = BackpropClassifier(early_stopping=True, max_iter=20, random_state=0)
    clf.fit(X, y)
    names = [
        "loss_curve_",
        "loss_",
        "best_loss_",
        "validation_scores_",
        "best_validation_score_",
        "best_iteration_",
    ]
    before = {name: getattr(clf, name) for name in names}
    assert before["validation_scores_"] is not None and before["best_loss_"] is None
    clf.set_params(early_stopping=False, scoring="f1_macro")
    assert {name: getattr(clf, name) for name in names} == before
