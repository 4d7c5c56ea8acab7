"""Prediction in chunks: the same probabilities as in one chunk, within
scikit-learn's ``working_memory``."""

import tracemalloc

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose

from sklearn_backprop import BackpropClassifier


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_predict_in_chunks_equals_one_chunk(iris, loss):
    X, y = iris
    clf = BackpropClassifier(
        solver="adam", loss=loss, max_iter=50, tol=None, random_state=0
    )
    clf.fit(X, y)
    whole = clf.predict_proba(X), clf.predict_log_proba(X)
    # 150 rows of 50 hidden units and 2 x 3 outputs: 448 bytes each, so that
    # 1e-3 MiB holds 2 rows.
    with sklearn.config_context(working_memory=1e-3):
        chunked = clf.predict_proba(X), clf.predict_log_proba(X)
    for ours, theirs in zip(chunked, whole):
        assert_allclose(ours, theirs, rtol=1e-14)


@pytest.mark.parametrize(
    "model_dtype, X_dtype",
    [(np.float64, np.float64), (np.float64, np.float32), (np.float32, np.float64)],
)
def test_predict_proba_stays_within_working_memory(model_dtype, X_dtype):
    rng = np.random.RandomState(0)
    clf = BackpropClassifier(hidden_size=100, max_iter=2, tol=None, random_state=0)
    clf.fit(rng.normal(size=(200, 100)).astype(model_dtype), rng.randint(2, size=200))
    X = rng.normal(size=(40_000, 100)).astype(X_dtype)
    working_memory = 2 * 2**20
    with sklearn.config_context(working_memory=working_memory / 2**20):
        tracemalloc.start()
        proba = clf.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # The hidden layer of all rows at once is 32 MB in float64, and so is a
    # float64 copy of X; chunks sized for float32 took four times the working
    # memory. Chunks of X are converted one at a time.
    assert peak < working_memory + proba.nbytes + 2**20
    with sklearn.config_context(working_memory=1024):
        assert_allclose(proba, clf.predict_proba(X), rtol=1e-6)
