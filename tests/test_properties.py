"""Properties that hold for any data: hypothesis draws shapes, labels, dtypes and
sample weights."""

import numpy as np
from _support import assert_same_model
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_backprop import BackpropClassifier

LABEL_SETS = [[0, 1], [-1, 1], [2, 5, 7], ["a", "b", "c", "d"], [True, False]]


@st.composite
def problems(draw):
    """A small classification problem: X, y, sample weights or None, and a seed."""
    labels = draw(st.sampled_from(LABEL_SETS))
    n_samples = draw(st.integers(len(labels), 40))
    n_features = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    # Every label at least once, the rest drawn at random, in random order.
    y = np.array(labels + list(rng.choice(labels, size=n_samples - len(labels))))
    y = y[rng.permutation(n_samples)]
    weighted = draw(st.booleans())
    sample_weight = rng.uniform(0.1, 3.0, size=len(y)) if weighted else None
    return X, y, sample_weight, seed


def _fit(X, y, sample_weight, seed, **params):
    clf = BackpropClassifier(
        hidden_size=4, max_iter=5, tol=None, random_state=seed, **params
    )
    return clf.fit(X, y, sample_weight=sample_weight)


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from(["log_loss", "squared_error"]))
def test_probabilities_sum_to_one_and_predictions_are_classes(problem, loss):
    X, y, sample_weight, seed = problem
    clf = _fit(X, y, sample_weight, seed, loss=loss)
    proba = clf.predict_proba(X)
    assert proba.dtype == X.dtype
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert_array_equal(np.unique(y), clf.classes_)


@settings(max_examples=25, deadline=None)
@given(problems())
def test_fixed_seed_is_deterministic(problem):
    X, y, sample_weight, seed = problem
    first = _fit(X, y, sample_weight, seed, batch_size=3)
    second = _fit(X, y, sample_weight, seed, batch_size=3)
    assert_same_model(first, second)
    other = _fit(X, y, sample_weight, seed + 1, batch_size=3)
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


@settings(max_examples=25, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_permuting_rows_leaves_full_batch_weights_unchanged(problem, random):
    X, y, sample_weight, seed = problem
    X = X.astype(np.float64)
    order = list(range(len(y)))
    random.shuffle(order)
    weights = None if sample_weight is None else sample_weight[order]
    original = _fit(X, y, sample_weight, seed)
    permuted = _fit(X[order], y[order], weights, seed)
    for a, b in zip(
        original.coefs_ + original.intercepts_, permuted.coefs_ + permuted.intercepts_
    ):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
