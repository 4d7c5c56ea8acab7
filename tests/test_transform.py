"""BackpropClassifier.transform: the hidden layer's activations as features."""

import os
import tracemalloc

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_backprop import BackpropClassifier, _network

PARAMS = dict(hidden_size=7, max_iter=20, tol=None, random_state=0)


@pytest.fixture(scope="module", params=["logistic", "tanh", "relu"])
def fitted(request, iris):
    X, y = iris
    return BackpropClassifier(activation=request.param, **PARAMS).fit(X, y)


def _forward_hidden(clf, X):
    """The forward pass's ``H``, computed on all rows at once."""
    return _network.forward(X, clf.coefs_, clf.intercepts_, clf.spec_)[0]


def test_transform_is_the_forward_pass_hidden_layer(fitted, iris):
    X, _ = iris
    H = fitted.transform(X)
    assert H.shape == (X.shape[0], 7) and H.dtype == np.float64
    assert_array_equal(H, _forward_hidden(fitted, X))


def test_transform_matches_independent_numpy(iris):
    X, y = iris
    clf = BackpropClassifier(**PARAMS).fit(X, y)
    W1, b1 = clf.coefs_[0], clf.intercepts_[0]
    assert_allclose(clf.transform(X), 1 / (1 + np.exp(-(X @ W1 + b1))), rtol=1e-12)
    no_bias = BackpropClassifier(fit_intercept=False, **PARAMS).fit(X, y)
    expected = 1 / (1 + np.exp(-(X @ no_bias.coefs_[0])))
    assert_allclose(no_bias.transform(X), expected, rtol=1e-12)


def test_float32_stays_float32_and_matches_forward(iris):
    X, y = iris
    X32 = X.astype(np.float32)
    clf = BackpropClassifier(**PARAMS).fit(X32, y)
    H = clf.transform(X32)
    assert H.dtype == np.float32
    assert_array_equal(H, _forward_hidden(clf, X32))


def test_sparse_equals_dense(fitted, iris):
    X, _ = iris
    X_sparse = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    H = fitted.transform(X_sparse)
    assert isinstance(H, np.ndarray)
    assert_allclose(H, fitted.transform(X_sparse.toarray()), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-14), (np.float32, 1e-6)])
def test_chunks_equal_one_pass(fitted, iris, dtype, rtol):
    X = iris[0].astype(dtype)
    whole = fitted.transform(X)
    # 7 float64 activations a row, 56 bytes: 1e-3 MiB holds 18 rows. BLAS may
    # round a chunk's products differently from the whole's in the last bit.
    with sklearn.config_context(working_memory=1e-3):
        chunked = fitted.transform(X)
    assert_allclose(chunked, whole, rtol=rtol)


def test_transform_stays_within_working_memory():
    rng = np.random.RandomState(0)
    clf = BackpropClassifier(hidden_size=100, max_iter=2, tol=None, random_state=0)
    clf.fit(rng.normal(size=(200, 100)), rng.randint(2, size=200))
    X = rng.normal(size=(40_000, 100)).astype(np.float32)
    working_memory = 2 * 2**20
    with sklearn.config_context(working_memory=working_memory / 2**20):
        tracemalloc.start()
        H = clf.transform(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # All rows at once: 32 MB of float64 activations, and as much again for
    # the float64 copy of X.
    assert H.dtype == np.float32
    assert peak < working_memory + H.nbytes + 2**20
    assert_allclose(H, _forward_hidden(clf, X), rtol=1e-6)


def test_in_a_pipeline_feeding_another_estimator(iris):
    X, y = iris
    pipe = make_pipeline(BackpropClassifier(**PARAMS), LogisticRegression())
    pipe.fit(X, y)
    features = pipe[0].transform(X)
    assert_array_equal(pipe[-1].coef_, LogisticRegression().fit(features, y).coef_)
    assert pipe.score(X, y) > 0.8
    assert pipe[-1].n_features_in_ == 7


def test_fit_transform_fits_then_transforms(iris):
    X, y = iris
    H = BackpropClassifier(**PARAMS).fit_transform(X, y)
    assert_array_equal(H, BackpropClassifier(**PARAMS).fit(X, y).transform(X))


def test_feature_names_out(fitted, iris):
    names = fitted.get_feature_names_out()
    expected = [f"backpropclassifier{i}" for i in range(7)]
    assert names.dtype == object and names.tolist() == expected
    assert fitted.get_feature_names_out(["a", "b", "c", "d"]).tolist() == expected
    with pytest.raises(ValueError, match="input_features should have length"):
        fitted.get_feature_names_out(["a"])


def test_set_output_pandas_names_the_columns(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    clf = BackpropClassifier(**PARAMS).set_output(transform="pandas").fit(frame, y)
    H = clf.transform(frame)
    assert isinstance(H, pd.DataFrame)
    assert H.columns.tolist() == clf.get_feature_names_out().tolist()
    assert_array_equal(H.to_numpy(), _forward_hidden(clf, X))


def test_unfitted_raises():
    clf = BackpropClassifier()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clf.transform(np.zeros((2, 3)))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clf.get_feature_names_out()


def test_wrong_number_of_features_raises(fitted, iris):
    with pytest.raises(ValueError, match="X has 3 features, but BackpropClassifier"):
        fitted.transform(iris[0][:, :3])


@pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 set before SciPy loads",
)
def test_torch_transform_matches_numpy(iris):
    torch = pytest.importorskip("torch")
    X, y = iris
    numpy_clf = BackpropClassifier(**PARAMS).fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        X_t = torch.asarray(X)
        clf = BackpropClassifier(**PARAMS).fit(X_t, torch.asarray(y))
        H = clf.transform(X_t)
        with sklearn.config_context(working_memory=1e-3):
            chunked = clf.transform(X_t)
    assert isinstance(H, torch.Tensor) and H.shape == (150, 7)
    assert_allclose(chunked.numpy(), H.numpy(), rtol=1e-14)
    assert_array_equal(H.numpy(), _forward_hidden(clf, X_t).numpy())
    assert_allclose(H.numpy(), numpy_clf.transform(X), rtol=1e-10, atol=1e-12)
