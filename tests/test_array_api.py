"""Training and prediction on other Array API libraries (PyTorch, array-api-strict).

scikit-learn's array API checks in test_common.py run only when the environment
variable SCIPY_ARRAY_API=1 is set before SciPy is imported; CI sets it, and
sets SKLEARN_BACKPROP_REQUIRE_ARRAY_API=1 so that a missing variable fails here
instead of skipping those checks silently.
"""

import os

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_backprop import BackpropClassifier


def test_array_api_checks_are_enabled_where_required():
    if os.environ.get("SKLEARN_BACKPROP_REQUIRE_ARRAY_API") != "1":
        pytest.skip("this run does not require the array API checks")
    assert os.environ.get("SCIPY_ARRAY_API") == "1"
    pytest.importorskip("array_api_strict")
    pytest.importorskip("torch")


# scikit-learn refuses array API dispatch unless SciPy's support is on too.
needs_dispatch = pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 set before SciPy loads",
)


def _torch_devices():
    torch = pytest.importorskip("torch")
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    return devices


def _fit_torch(params, X, y, device, **fit_params):
    torch = pytest.importorskip("torch")
    X_t = torch.asarray(X, device=device)
    y_t = torch.asarray(y, device=device)
    with sklearn.config_context(array_api_dispatch=True):
        return BackpropClassifier(**params).fit(X_t, y_t, **fit_params), X_t


@needs_dispatch
@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize(
    "params",
    [
        dict(loss="log_loss"),
        dict(loss="squared_error", fit_intercept=False, init_scale=0.5),
        dict(batch_size=16, momentum=0.9, alpha=0.01),
        dict(solver="lbfgs", alpha=0.01),
    ],
)
def test_torch_history_matches_numpy(iris, device, params):
    if device not in _torch_devices():
        pytest.skip("no CUDA device")
    X, y = iris
    params = dict(params, max_iter=30, tol=None, random_state=0)
    reference = BackpropClassifier(**params).fit(X, y)
    clf, X_t = _fit_torch(params, X, y, device)
    assert isinstance(clf.history_, pd.DataFrame)
    assert_allclose(
        clf.history_.drop(columns="time"),
        reference.history_.drop(columns="time"),
        rtol=1e-8,
        atol=1e-12,
    )
    for W, W_ref in zip(
        clf.coefs_ + clf.intercepts_, reference.coefs_ + reference.intercepts_
    ):
        assert type(W).__module__.startswith("torch")
        assert W.device.type == device
        assert_allclose(W.cpu().numpy(), W_ref, rtol=1e-8, atol=1e-12)
    with sklearn.config_context(array_api_dispatch=True):
        proba = clf.predict_proba(X_t)
        labels = clf.predict(X_t)
    assert proba.device.type == device
    assert_allclose(proba.cpu().numpy(), reference.predict_proba(X), rtol=1e-8)
    assert_array_equal(labels.cpu().numpy(), reference.predict(X))


@needs_dispatch
def test_torch_weights_and_sample_weights(iris):
    torch = pytest.importorskip("torch")
    X, y = iris
    weights = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    params = dict(max_iter=10, tol=None, random_state=0)
    reference = BackpropClassifier(**params).fit(X, y, sample_weight=weights)
    clf, _ = _fit_torch(params, X, y, "cpu", sample_weight=torch.asarray(weights))
    assert_allclose(clf.coefs_[0].numpy(), reference.coefs_[0], rtol=1e-8)


@needs_dispatch
def test_torch_float32_stays_float32(iris):
    torch = pytest.importorskip("torch")
    X, y = iris
    clf, X_t = _fit_torch(
        dict(max_iter=5, tol=None, random_state=0), X.astype(np.float32), y, "cpu"
    )
    assert clf.coefs_[0].dtype == torch.float32
    with sklearn.config_context(array_api_dispatch=True):
        assert clf.predict_proba(X_t).dtype == torch.float32


@needs_dispatch
def test_predict_refuses_another_library_than_fit(iris):
    pytest.importorskip("torch")
    X, y = iris
    clf, _ = _fit_torch(dict(max_iter=3, tol=None), X, y, "cpu")
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="must use the same namespace"):
            clf.predict(X)


@needs_dispatch
def test_array_api_strict_round_trip(iris):
    xp = pytest.importorskip("array_api_strict")
    X, y = iris
    params = dict(batch_size=32, max_iter=5, tol=None, random_state=0)
    reference = BackpropClassifier(**params).fit(X, y)
    with sklearn.config_context(array_api_dispatch=True):
        clf = BackpropClassifier(**params).fit(xp.asarray(X), xp.asarray(y))
        proba = clf.predict_proba(xp.asarray(X))
    assert_allclose(np.asarray(proba), reference.predict_proba(X), rtol=1e-8)


@needs_dispatch
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_training_continues_only_in_the_library_of_the_fit(iris, how):
    X, y = iris
    clf, _ = _fit_torch(dict(max_iter=3, tol=None, warm_start=True), X, y, "cpu")
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="must use the same namespace.*torch"):
            clf.fit(X, y) if how == "warm_start" else clf.partial_fit(X, y)


@needs_dispatch
def test_validation_rows_come_from_the_library_of_X(iris):
    torch = pytest.importorskip("torch")
    X, y = iris
    with sklearn.config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="X_val must use the same namespace"):
            BackpropClassifier(max_iter=2).fit(
                torch.asarray(X), torch.asarray(y), X_val=X, y_val=y
            )


@needs_dispatch
def test_float32_tensors_continue_a_float64_fit_in_float64(iris):
    torch = pytest.importorskip("torch")
    X, y = iris
    clf, X_t = _fit_torch(dict(max_iter=3, tol=None, warm_start=True), X, y, "cpu")
    with sklearn.config_context(array_api_dispatch=True):
        clf.fit(X_t.to(torch.float32), torch.asarray(y))
    assert clf.coefs_[0].dtype == torch.float64
    assert clf.n_iter_ == 6


@needs_dispatch
def test_a_tensor_fit_saves_with_skops_as_numpy(iris, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, y = iris
    clf, X_t = _fit_torch(dict(max_iter=3, tol=None), X, y, "cpu")
    with sklearn.config_context(array_api_dispatch=True):
        expected = clf.predict_proba(X_t).cpu().numpy()
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert all(isinstance(W, np.ndarray) for W in loaded.coefs_ + loaded.intercepts_)
    assert_allclose(loaded.predict_proba(X), expected, rtol=1e-12)
    # The model in memory keeps its tensors.
    assert type(clf.coefs_[0]).__name__ == "Tensor"
    # Training goes on from the NumPy copies, optimiser state included.
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == 4
