"""The training loop: batches, penalty, stopping, validation, warm start and
partial_fit, weights, multilabel targets, Ctrl-C, verbose output, and the
endings that warn.

The optimisers' steps, and the state they carry over warm starts and
partial_fit, are tests/test_optimizers.py's.
"""

import signal
import warnings

import numpy as np
import pandas as pd
import pytest
from _reference import (
    accuracy,
    backward,
    log_loss,
    objective,
    squared_error,
    weight_total,
)
from _support import assert_same_model, metrics_only
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier, _blockwise, _network
from sklearn_backprop._training import NoImprovementStop, batch_slices, initial_state


def initial_weights(clf, X):
    """The weights that a fit of ``clf`` on rows like ``X`` starts from."""
    state = initial_state(clf.spec_, X, clf.init_scale, clf.random_state)
    return state.coefs, state.intercepts


# ------------------------------------------------------------------ mini-batches


def test_batch_slices_cover_every_row_once_per_epoch():
    rng = np.random.RandomState(0)
    batches = batch_slices(10, 3, True, rng)
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate(batches)) == list(range(10))
    assert batch_slices(10, None, True, rng) == [slice(None)]
    in_order = batch_slices(10, 4, False, rng)
    assert in_order == [slice(0, 4), slice(4, 8), slice(8, 10)]


def test_exact_mini_batch_history_is_on_the_whole_training_set(iris):
    # Row t holds the metrics of the weights at the start of epoch t on all rows,
    # not a running mean over the epoch's batches.
    X, y = iris
    params = dict(batch_size=16, epoch_metrics="exact", alpha=0.0, tol=None)
    three = BackpropClassifier(**params, max_iter=3, random_state=0).fit(X, y)
    four = BackpropClassifier(**params, max_iter=4, random_state=0).fit(X, y)
    assert_allclose(metrics_only(three), metrics_only(four).iloc[:3], rtol=1e-12)
    P = three.predict_proba(X)
    Y = np.eye(3)[y]
    row = four.history_.iloc[3]
    assert_allclose(row["mse"], squared_error(Y, P), rtol=1e-12)
    assert_allclose(row["loss"], log_loss(Y, P), rtol=1e-12)
    assert row["accuracy"] == three.score(X, y)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_batch_mean_history_weighs_each_batch_by_its_rows(iris, weighted, alpha):
    # Each batch's metrics are those of the weights before its step; the steps
    # are plain gradient descent along backward's gradients, batch by batch.
    X, y = iris
    rng = np.random.RandomState(0)
    sample_weight = rng.uniform(0.5, 2.0, len(y)) if weighted else None
    params = dict(solver="sgd", momentum=0.0, learning_rate=0.5, alpha=alpha)
    params.update(batch_size=40, shuffle=False, tol=None, random_state=0)
    clf = BackpropClassifier(**params, max_iter=1).fit(X, y, sample_weight)
    spec, Y = clf.spec_, np.eye(3)[y]
    coefs, intercepts = initial_weights(clf, X)
    sums = {"loss": 0.0, "mse": 0.0, "accuracy": 0.0}
    total = 0.0
    for start in range(0, len(y), 40):
        rows = slice(start, start + 40)
        X_b, Y_b = X[rows], Y[rows]
        w = None if sample_weight is None else sample_weight[rows]
        P = _network.forward(X_b, coefs, intercepts, spec)[1]
        weight = weight_total(P, w)
        loss = objective(X_b, Y_b, coefs, intercepts, spec, w, alpha)
        sums["loss"] += weight * loss
        sums["mse"] += weight * squared_error(Y_b, P, w)
        sums["accuracy"] += weight * accuracy(Y_b, P, w)
        total += weight
        coef_grads, intercept_grads = backward(
            X_b, Y_b, coefs, intercepts, spec, w, alpha
        )
        for param, grad in zip(coefs + intercepts, coef_grads + intercept_grads):
            param -= 0.5 * grad
    row = clf.history_.iloc[0]
    for name, value in sums.items():
        assert_allclose(row[name], value / total, rtol=1e-10)
    for fitted, expected in zip(clf.coefs_ + clf.intercepts_, coefs + intercepts):
        assert_allclose(fitted, expected, rtol=1e-10, atol=1e-14)


def test_batch_mean_and_exact_rows_agree_on_still_weights(iris):
    # With steps too small to move the weights, every batch sees the initial
    # weights, and the mean of their metrics is the whole set's.
    X, y = iris
    params = dict(learning_rate=1e-300, batch_size=32, max_iter=3, tol=None)
    batches = BackpropClassifier(**params, random_state=0).fit(X, y)
    exact = BackpropClassifier(**params, epoch_metrics="exact", random_state=0)
    exact.fit(X, y)
    assert_allclose(metrics_only(batches), metrics_only(exact), rtol=1e-12)


def test_shuffle_changes_the_batches_and_is_seeded(iris):
    X, y = iris
    params = dict(solver="adam", batch_size=10, max_iter=5, tol=None, random_state=0)
    shuffled = BackpropClassifier(**params).fit(X, y)
    again = BackpropClassifier(**params).fit(X, y)
    ordered = BackpropClassifier(shuffle=False, **params).fit(X, y)
    assert_array_equal(shuffled.coefs_[0], again.coefs_[0])
    assert not np.allclose(shuffled.coefs_[0], ordered.coefs_[0])


def test_one_batch_of_all_rows_in_order_is_full_batch(iris):
    X, y = iris
    params = dict(max_iter=10, tol=None, random_state=0, shuffle=False)
    full = BackpropClassifier(**params).fit(X, y)
    one_batch = BackpropClassifier(batch_size=len(X), **params).fit(X, y)
    assert_same_model(full, one_batch, rtol=1e-12)


# ------------------------------------------------------------------- penalty


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_penalty_is_in_loss_but_not_in_mse_or_accuracy(iris, loss):
    X, y = iris
    params = dict(loss=loss, max_iter=1, tol=None, random_state=0)
    plain = BackpropClassifier(alpha=0.0, **params).fit(X, y)
    penalised = BackpropClassifier(alpha=0.5, **params).fit(X, y)
    # Row 0 is computed with the initial weights, the same for both.
    penalty = _network.l2_penalty(initial_weights(plain, X)[0], 0.5)
    row, plain_row = penalised.history_.iloc[0], plain.history_.iloc[0]
    plain_loss = plain_row["loss"] if loss == "log_loss" else plain_row["mse"]
    assert_allclose(row["loss"], plain_loss + penalty, rtol=1e-12)
    assert row["mse"] == plain_row["mse"]
    assert row["accuracy"] == plain_row["accuracy"]


def test_penalty_shrinks_the_weights(iris):
    X, y = iris
    params = dict(max_iter=200, tol=None, random_state=0)
    plain = BackpropClassifier(alpha=0.0, **params).fit(X, y)
    penalised = BackpropClassifier(alpha=0.01, **params).fit(X, y)
    norm = lambda clf: sum((W**2).sum() for W in clf.coefs_)  # noqa: E731
    assert norm(penalised) < 0.5 * norm(plain)


# -------------------------------------------------------------------- stopping


@pytest.mark.parametrize(
    "rule, values, stops",
    [
        # 0.45 falls short of the best, 0.5, by tol (one miss) but becomes the
        # best; 0.3 beats it by tol (count reset); 0.35 and 0.28 both fall
        # short (two).
        (dict(tol=0.1, patience=2), [1.0, 0.5, 0.45, 0.3, 0.35, 0.28], 5),
        # A validation loss that rises from the first value counts at once.
        (dict(tol=0.1, patience=2), [1.0, 1.2, 1.4], 2),
        # A training loss that rises first is waited out.
        (
            dict(tol=0.1, patience=2, wait_for_fall=True),
            [1.0, 1.2, 1.4, 1.3, 1.1, 0.8, 0.85, 0.9],
            7,
        ),
        # Each value improves on the last, but by less than tol: a plateau at
        # the scale of tol, which ends training after patience values.
        (
            dict(tol=0.5, patience=3, wait_for_fall=True),
            [0.63 * 0.5**k for k in range(6)],
            3,
        ),
        (dict(tol=None, patience=1), [5.0, 6.0, 7.0], None),
    ],
)
def test_no_improvement_stop_counts_consecutive_misses(rule, values, stops):
    rule = NoImprovementStop(**rule)
    decisions = [rule.update(value) for value in values]
    # Once it says stop, it goes on saying so.
    expected = [stops is not None and i >= stops for i in range(len(values))]
    assert decisions == expected


def test_early_stopping_restores_the_best_validation_weights(iris):
    X, y = iris
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    # A large network on few rows overfits: the validation loss turns back up.
    clf = BackpropClassifier(
        hidden_size=100,
        learning_rate=2.0,
        max_iter=3000,
        early_stopping=True,
        tol=0.0,
        n_iter_no_change=50,
        random_state=0,
    ).fit(X_train[::4], y_train[::4], X_val=X_val, y_val=y_val)
    val_loss = clf.history_["val_loss"].to_numpy()
    best = int(np.argmin(val_loss))
    assert clf.best_iteration_ == best
    assert clf.n_iter_ == len(val_loss) == best + 51
    assert val_loss[-1] > val_loss[best]
    restored = log_loss(np.eye(3)[y_val], clf.predict_proba(X_val))
    assert_allclose(restored, val_loss[best], rtol=1e-12)


def test_early_stopping_holds_out_a_stratified_fraction(iris):
    X, y = iris
    clf = BackpropClassifier(
        early_stopping=True, validation_fraction=0.2, random_state=0
    ).fit(X, y)
    history = clf.history_
    assert {"val_loss", "val_mse", "val_accuracy"} <= set(history.columns)
    assert clf.best_iteration_ == int(history["val_loss"].idxmin())
    # 30 held-out rows, 10 of each class: accuracies are multiples of 1/30.
    assert_allclose((history["val_accuracy"] * 30) % 1, 0, atol=1e-9)
    assert clf.n_iter_ < clf.max_iter


def test_convergence_warning_names_the_monitored_loss(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="val_loss"):
        BackpropClassifier(max_iter=3, early_stopping=True, random_state=0).fit(X, y)


# ------------------------------------------------------------- validation data


def test_validation_columns_are_metrics_on_the_validation_set(iris):
    X, y = iris
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    params = dict(batch_size=None, max_iter=1, tol=None, random_state=0)
    clf = BackpropClassifier(**params).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert list(clf.history_.columns) == [
        "loss",
        "mse",
        "accuracy",
        "val_loss",
        "val_mse",
        "val_accuracy",
        "time",
    ]
    # Row 0: the initial weights on the validation rows.
    coefs, intercepts = initial_weights(clf, X_train)
    P = _network.forward(X_val, coefs, intercepts, clf.spec_)[1]
    Y_val = np.eye(3)[y_val]
    row = clf.history_.iloc[0]
    assert_allclose(row["val_loss"], log_loss(Y_val, P), rtol=1e-12)
    assert_allclose(row["val_mse"], squared_error(Y_val, P), rtol=1e-12)
    assert row["val_accuracy"] == accuracy(Y_val, P)


def test_batch_mean_rows_validate_the_weights_at_the_end_of_the_epoch(iris):
    X, y = iris
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    for n_epochs in (1, 2):
        clf = BackpropClassifier(
            solver="adam", batch_size=20, max_iter=n_epochs, tol=None
        )
        clf.set_params(random_state=0).fit(X_train, y_train, X_val=X_val, y_val=y_val)
        P = clf.predict_proba(X_val)
        row = clf.history_.iloc[-1]
        Y_val = np.eye(3)[y_val]
        assert_allclose(row["val_loss"], log_loss(Y_val, P), rtol=1e-12)
        assert row["val_accuracy"] == clf.score(X_val, y_val)


def test_validation_data_with_string_labels(iris):
    X, y = iris
    names = np.array(["a", "b", "c"])[y]
    clf = BackpropClassifier(max_iter=20, tol=None, random_state=0)
    clf.fit(X[::2], names[::2], X_val=X[1::2], y_val=names[1::2])
    assert clf.history_["val_accuracy"].iloc[-1] > 0.5


def test_time_column_counts_seconds_since_the_first_fit(iris):
    X, y = iris
    clf = BackpropClassifier(max_iter=20, tol=None, warm_start=True, random_state=0)
    clf.fit(X, y).fit(X, y)
    seconds = clf.history_["time"].to_numpy()
    assert seconds[0] >= 0
    assert (np.diff(seconds) > 0).all()


# ------------------------------------------------------ warm start, partial_fit


def test_partial_fit_runs_one_mini_batch_epoch_and_appends_one_row(iris):
    X, y = iris
    clf = BackpropClassifier(batch_size=32, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    clf.partial_fit(X[:50], y[:50])
    assert clf.n_iter_ == len(clf.history_) == 2
    assert_array_equal(clf.history_.index, [0, 1])
    assert clf.t_ == 150 + 50


def test_partial_fit_needs_classes_on_the_first_call(iris):
    X, y = iris
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        BackpropClassifier().partial_fit(X, y)


def test_partial_fit_rejects_unseen_labels_and_other_classes(iris):
    X, y = iris
    clf = BackpropClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels not in classes_ \[0, 1, 2\]: \[7\]"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    assert clf.n_iter_ == 1


def test_fit_without_warm_start_starts_afresh(iris):
    X, y = iris
    clf = BackpropClassifier(max_iter=5, tol=None, random_state=0)
    clf.fit(X, y).fit(X, y)
    assert clf.n_iter_ == 5
    assert_array_equal(clf.history_.index, np.arange(5))


# ------------------------------------------------------- sample and class weights


def test_weight_two_equals_a_repeated_row(iris):
    X, y = iris
    rng = np.random.RandomState(0)
    weights = rng.randint(0, 4, size=len(X))
    repeated = np.repeat(np.arange(len(X)), weights)
    # Full batch: mini-batches of the repeated rows are other batches.
    params = dict(solver="adam", batch_size=None, max_iter=50, tol=None, random_state=0)
    weighted = BackpropClassifier(**params).fit(X, y, sample_weight=weights)
    duplicated = BackpropClassifier(**params).fit(X[repeated], y[repeated])
    assert_same_model(weighted, duplicated, rtol=1e-10)


def test_sample_weight_in_partial_fit(iris):
    X, y = iris
    weights = np.where(y == 0, 2.0, 1.0)
    repeated = np.repeat(np.arange(len(X)), weights.astype(int))
    weighted = BackpropClassifier(random_state=0)
    weighted.partial_fit(X, y, classes=[0, 1, 2], sample_weight=weights)
    duplicated = BackpropClassifier(random_state=0)
    duplicated.partial_fit(X[repeated], y[repeated], classes=[0, 1, 2])
    assert_same_model(weighted, duplicated, rtol=1e-10)


def test_balanced_class_weight_raises_minority_recall():
    X, y = make_classification(
        n_samples=600,
        n_features=5,
        weights=[0.95],
        flip_y=0,
        class_sep=0.5,
        random_state=0,
    )
    assert 0.04 < y.mean() < 0.06
    params = dict(max_iter=300, tol=None, random_state=0)
    plain = BackpropClassifier(**params).fit(X, y)
    balanced = BackpropClassifier(class_weight="balanced", **params).fit(X, y)
    plain_recall = recall_score(y, plain.predict(X))
    balanced_recall = recall_score(y, balanced.predict(X))
    assert balanced_recall > plain_recall + 0.2


def test_class_weight_dict_equals_sample_weight(iris):
    X, y = iris
    params = dict(max_iter=20, tol=None, random_state=0)
    by_class = BackpropClassifier(class_weight={0: 3.0, 1: 1.0, 2: 0.5}, **params)
    by_row = BackpropClassifier(**params)
    by_class.fit(X, y)
    by_row.fit(X, y, sample_weight=np.array([3.0, 1.0, 0.5])[y])
    assert_same_model(by_class, by_row, rtol=1e-12)


@pytest.mark.parametrize(
    "sample_weight, message",
    [
        (-np.ones(150), "Negative values in data passed to `?sample_weight"),
        (
            np.zeros(150),
            r"\(sample_weight\) is zero|Sample weights must contain",
        ),
        (np.ones(10), r"sample_weight.shape == \(10,\), expected \(150,\)"),
        (np.full(150, np.nan), "Input sample_weight contains NaN"),
    ],
)
def test_bad_sample_weight_is_rejected(iris, sample_weight, message):
    X, y = iris
    with pytest.raises(ValueError, match=message):
        BackpropClassifier().fit(X, y, sample_weight=sample_weight)


def test_balanced_class_weight_is_refused_by_partial_fit(iris):
    X, y = iris
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported"):
        BackpropClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


# ---------------------------------------------------------------- multilabel


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(
        n_samples=200, n_features=8, n_classes=4, random_state=0
    )
    return StandardScaler().fit_transform(X), Y


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_multilabel_targets_use_independent_sigmoid_outputs(multilabel, loss):
    X, Y = multilabel
    clf = BackpropClassifier(loss=loss, max_iter=500, tol=None, random_state=0)
    clf.fit(X, Y)
    assert clf.spec_.multilabel and clf.spec_.output == "sigmoid"
    assert clf.out_activation_ == "sigmoid"
    assert_array_equal(clf.classes_, np.arange(4))
    proba = clf.predict_proba(X)
    assert proba.shape == (200, 4)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1)
    predicted = clf.predict(X)
    assert_array_equal(predicted, (proba > 0.5).astype(int))
    assert clf.score(X, Y) == (predicted == Y).all(axis=1).mean()
    assert clf.history_["accuracy"].iloc[-1] == pytest.approx(clf.score(X, Y), abs=0.05)
    # Better than predicting each label's most frequent value for every row.
    baseline = (Y == (Y.mean(axis=0) > 0.5)).all(axis=1).mean()
    assert clf.score(X, Y) > baseline + 0.2


def test_multilabel_partial_fit_needs_no_classes(multilabel):
    X, Y = multilabel
    clf = BackpropClassifier(random_state=0).partial_fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    with pytest.raises(ValueError, match="y has 3 labels; the model was fitted with 4"):
        clf.partial_fit(X, Y[:, :3])


def test_continuing_refuses_the_other_kind_of_target(multilabel, iris):
    X, Y = multilabel
    clf = BackpropClassifier(random_state=0).partial_fit(X, Y)
    with pytest.raises(ValueError, match="y must be a label indicator matrix"):
        clf.partial_fit(X, Y.argmax(axis=1))
    X_iris, y_iris = iris
    warm = BackpropClassifier(max_iter=2, tol=None, warm_start=True).fit(X_iris, y_iris)
    with pytest.raises(ValueError, match="y must be class labels"):
        warm.fit(X_iris, np.eye(3, dtype=int)[y_iris])


def test_multilabel_rejects_class_weight(multilabel):
    X, Y = multilabel
    with pytest.raises(
        ValueError, match="class_weight is not supported for multilabel"
    ):
        BackpropClassifier(class_weight="balanced").fit(X, Y)


# ------------------------------------------------------------ Ctrl-C, verbose


def test_ctrl_c_stops_after_the_current_iteration_and_keeps_the_result(
    iris, monkeypatch
):
    X, y = iris
    calls = {"n": 0}
    pass_totals = _blockwise.pass_totals

    def pass_totals_then_ctrl_c(*args, **kwargs):
        # Ctrl-C arrives during the fifth pass over the data.
        calls["n"] += 1
        if calls["n"] == 5:
            signal.raise_signal(signal.SIGINT)
        return pass_totals(*args, **kwargs)

    monkeypatch.setattr(_blockwise, "pass_totals", pass_totals_then_ctrl_c)
    # Full batch: one pass per iteration.
    params = dict(solver="adam", batch_size=None, tol=None, random_state=0)
    clf = BackpropClassifier(max_iter=100, **params)
    with pytest.warns(UserWarning, match="interrupted by Ctrl-C after iteration 4"):
        clf.fit(X, y)
    assert clf.n_iter_ == len(clf.history_) == 5
    monkeypatch.setattr(_blockwise, "pass_totals", pass_totals)
    reference = BackpropClassifier(max_iter=5, **params).fit(X, y)
    assert_same_model(clf, reference)
    # The usual Ctrl-C handler is back once fit returns.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_verbose_prints_one_line_per_iteration(iris, capsys):
    X, y = iris
    clf = BackpropClassifier(max_iter=3, tol=None, verbose=1, random_state=0)
    clf.fit(X[::2], y[::2], X_val=X[1::2], y_val=y[1::2])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Iteration 0: loss = ")
    assert "val_accuracy = " in lines[2]


def test_silent_by_default(iris, capsys):
    X, y = iris
    BackpropClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------- bad input


def test_x_val_needs_y_val(iris):
    X, y = iris
    with pytest.raises(ValueError, match="X_val and y_val must be given together"):
        BackpropClassifier().fit(X, y, X_val=X)


def test_x_val_with_other_features_is_rejected(iris):
    X, y = iris
    with pytest.raises(ValueError, match="X has 3 features"):
        BackpropClassifier().fit(X, y, X_val=X[:, :3], y_val=y)


def test_divergence_keeps_the_previous_state(iris):
    X, y = iris
    clf = BackpropClassifier(
        solver="adam", max_iter=3, tol=None, warm_start=True, random_state=0
    )
    clf.fit(X, y)
    before = [W.copy() for W in clf.coefs_]
    random_state_before = clf._rng.get_state()[1].copy()
    clf.set_params(learning_rate=1.7e308, batch_size=50)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert_array_equal(clf._rng.get_state()[1], random_state_before)
    for W, saved in zip(clf.coefs_, before):
        assert_array_equal(W, saved)
    assert isinstance(clf.history_, pd.DataFrame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict(X)


# ------------------------------------------------ endings that need a warning


def test_early_stopping_that_never_improves_restores_the_initial_weights(iris):
    X, y = iris
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    # Steps far too large: the validation loss only rises.
    clf = BackpropClassifier(
        solver="sgd",
        momentum=0.0,
        batch_size=None,
        learning_rate=50.0,
        early_stopping=True,
        n_iter_no_change=5,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="never improved .* restored those"):
        clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.best_iteration_ == 0
    assert clf.n_iter_ == 6
    for restored, drawn in zip(clf.coefs_, initial_weights(clf, X_train)[0]):
        assert_array_equal(restored, drawn)


def test_training_that_ends_far_above_its_best_loss_says_so(iris):
    X, y = iris
    clf = BackpropClassifier(
        solver="sgd",
        momentum=0.0,
        batch_size=None,
        learning_rate=30.0,
        max_iter=30,
        tol=None,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="well above its best"):
        clf.fit(X, y)
    assert clf.loss_curve_[-1] > 1.5 * min(clf.loss_curve_)


@pytest.mark.filterwarnings("ignore:BackpropClassifier reached max_iter")
def test_mlp_classifier_attributes_follow_the_history(iris):
    X, y = iris
    clf = BackpropClassifier(batch_size=50, max_iter=20, tol=None, random_state=0)
    clf.fit(X, y)
    assert clf.loss_curve_ == clf.history_["loss"].tolist()
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    # Without early stopping, no weights are restored.
    assert clf.best_iteration_ is None
    assert (clf.n_layers_, clf.n_outputs_, clf.t_) == (3, 3, 20 * 150)
    stopped = BackpropClassifier(early_stopping=True, max_iter=50, random_state=0).fit(
        X, y
    )
    scores = stopped.validation_scores_
    assert scores == stopped.history_["val_accuracy"].tolist()
    assert stopped.best_validation_score_ == scores[stopped.best_iteration_]
    assert stopped.best_loss_ is None
    # Squared error without a penalty: the loss is the mse.
    tutorial_like = BackpropClassifier(
        loss="squared_error", alpha=0.0, max_iter=5, tol=None, random_state=0
    ).fit(X, y)
    assert tutorial_like.loss_curve_ == tutorial_like.history_["mse"].tolist()


def test_partial_fit_is_not_offered_by_lbfgs(iris):
    X, y = iris
    clf = BackpropClassifier(solver="lbfgs")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit") as error:
        clf.partial_fit(X, y, classes=[0, 1, 2])
    # The reason is chained to scikit-learn's generic message.
    assert "stochastic solvers" in str(error.value.__cause__)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_every_solver_and_activation_learns_iris(iris, solver, activation):
    X, y = iris
    clf = BackpropClassifier(
        solver=solver, activation=activation, max_iter=500, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.score(X, y) >= 0.95
    assert clf.n_iter_ == len(clf.history_) == len(clf.loss_curve_)


def test_lbfgs_early_stopping_restores_the_weights_of_its_best_validation_row(iris):
    X, y = iris
    clf = BackpropClassifier(
        solver="lbfgs", early_stopping=True, max_iter=60, n_iter_no_change=5
    )
    clf.set_params(hidden_size=20, alpha=0.0, random_state=0)
    clf.fit(X[::2], y[::2], X_val=X[1::2], y_val=y[1::2])
    val_loss = clf.history_["val_loss"].to_numpy()
    best = clf.best_iteration_
    assert 0 < best < len(val_loss) - 1 and val_loss[best] == val_loss.min()
    restored = log_loss(np.eye(3)[y[1::2]], clf.predict_proba(X[1::2]))
    assert_allclose(restored, val_loss[best], rtol=1e-9)
    # The row's training loss is that of the same weights.
    trained = log_loss(np.eye(3)[y[::2]], clf.predict_proba(X[::2]))
    assert_allclose(trained, clf.history_["loss"][best], rtol=1e-9)
    assert clf.best_validation_score_ == clf.history_["val_accuracy"][best]
    assert clf.best_validation_score_ == clf.score(X[1::2], y[1::2])
    # Not the weights of a neighbouring row, whose validation loss differs.
    assert abs(val_loss[best - 1] - val_loss[best]) > 1e-6
