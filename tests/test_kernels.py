"""The compiled kernels agree with the formulas of _network, edge cases included,
and fits through them with fits through the formulas."""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import make_spec
from _support import assert_same_model
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_multilabel_classification
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import (
    BackpropClassifier,
    _blockwise,
    _kernels,
    _network,
    _optimizers,
)

ACTIVATIONS = sorted(_network.ACTIVATIONS)
# Relative tolerance of one kernel's result against NumPy's: a few units in the
# last place of the dtype.
RTOL = {np.float64: 1e-15, np.float32: 1e-6}


@pytest.mark.parametrize(
    "exp, dtype, lowest",
    [
        (_kernels._exp_nonpositive64, np.float64, -708.0),
        (_kernels._exp_nonpositive32, np.float32, -87.0),
    ],
)
def test_exponential_is_within_two_units_in_the_last_place(exp, dtype, lowest):
    # Down to the smallest normal result; below, see the activations' test.
    x = np.linspace(lowest, 0, 20001).astype(dtype)
    ours = np.array([exp(value) for value in x])
    exact = np.exp(x.astype(np.float64))
    ulp = np.spacing(exact.astype(dtype)).astype(np.float64)
    # NumPy's float64 exp is itself within one unit of the exact value.
    slack = 1 if dtype == np.float64 else 0
    assert np.max(np.abs(ours - exact) / ulp) <= 2 + slack


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_match_numpy_over_the_whole_range(activation, dtype):
    tiny = np.finfo(dtype).tiny
    z = np.concatenate(
        [
            np.linspace(-800, 800, 20001),
            np.random.RandomState(0).normal(size=5000),
            # Relative precision near 0 too, where 1 - exp(-2|z|) would cancel.
            np.geomspace(tiny, 1, 2000),
            -np.geomspace(tiny, 1, 2000),
        ]
    ).astype(dtype)
    ours = z[:, None].copy()
    _kernels.ACTIVATIONS[activation](ours, np.zeros(1, dtype))
    with np.errstate(over="ignore"):
        expected = _network.ACTIVATIONS[activation](z.astype(np.float64))
    # Where the float64 value is below the dtype's smallest normal number, the
    # subnormal result may lose relative precision; compare it absolutely.
    normal = np.abs(expected) >= tiny
    assert ours.dtype == dtype
    assert_allclose(ours[normal, 0], expected[normal], rtol=4 * RTOL[dtype], atol=0)
    assert_allclose(ours[~normal, 0], expected[~normal], rtol=0, atol=tiny)


LIMITS = {
    "logistic": [0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0],
    "tanh": [-1.0, -1.0, -1.0, 0.0, 1.0, 1.0, 1.0],
    "relu": [0.0, 0.0, 0.0, 0.0, 746.0, 1e300, np.inf],
}


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_limits_infinities_and_nan(activation):
    Z = np.array([[-np.inf, -1e300, -746.0, 0.0, 746.0, 1e300, np.inf, np.nan]])
    _kernels.ACTIVATIONS[activation](Z, np.zeros(Z.shape[1]))
    assert_array_equal(Z[0, :-1], LIMITS[activation])
    # A NaN stays NaN, so that divergence is seen, not hidden.
    assert np.isnan(Z[0, -1])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_and_slopes_match_the_formulas(activation):
    rng = np.random.RandomState(1)
    Z, b = rng.normal(size=(6, 4)), rng.normal(size=4)
    # The bias is added before the activation.
    expected = _network.ACTIVATIONS[activation](Z + b)
    H = Z.copy()
    _kernels.ACTIVATIONS[activation](H, b)
    assert_allclose(H, expected, rtol=4 * RTOL[np.float64])
    D = rng.normal(size=H.shape)
    expected_slope = _network.SLOPES[activation](D.copy(), H)
    column_sums = np.ones(4)
    _kernels.SLOPES[activation](D, H, column_sums)
    # 1 - H * H may be one fused multiply-add: rounding, not the last bit.
    assert_allclose(D, expected_slope, rtol=4 * RTOL[np.float64])
    # The slope kernels add each column's sum to what is there.
    assert_allclose(column_sums, 1 + expected_slope.sum(axis=0), rtol=1e-14)


# Each output kernel's loss, and its count of correct rows, by output function.
OUTPUT_METRICS = {
    "softmax": (_network.log_loss_sum, _network.correct_sum),
    "sigmoid": (_network.binary_log_loss_sum, _network.subset_correct_sum),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("output", sorted(_kernels.OUTPUT_ERRORS))
def test_output_errors_and_metric_sums_match_the_formulas(output, weighted, dtype):
    rng = np.random.RandomState(2)
    # Large logits too: outputs at 0 and 1, whose logarithms are clipped.
    Z = (5 * rng.normal(size=(40, 4))).astype(dtype)
    Z[0, :2] = [800.0, -800.0]
    b = rng.normal(size=4).astype(dtype)
    if output == "softmax":
        Y = np.eye(4, dtype=dtype)[rng.randint(4, size=40)]
    else:
        Y = (rng.uniform(size=(40, 4)) < 0.5).astype(dtype)
    w = rng.uniform(0.5, 2, size=40).astype(dtype) if weighted else None
    with np.errstate(over="ignore"):
        P = _network.OUTPUT_ACTIVATIONS[output](Z + b)
    expected_errors = _network.output_errors(Y, P, "log_loss", w)
    loss_sum, correct_sum = OUTPUT_METRICS[output]
    expected_sums = [
        loss_sum(Y, P, w),
        _network.squared_error_sum(Y, P, w),
        correct_sum(Y, P, w),
    ]
    column_sums = np.zeros(4, dtype)
    weights = np.empty(0, dtype) if w is None else w
    sums = _kernels.OUTPUT_ERRORS[output](Z, b, Y, weights, True, column_sums)
    assert_allclose(Z, expected_errors, rtol=10 * RTOL[dtype], atol=1e-7)
    assert_allclose(sums, expected_sums, rtol=10 * RTOL[dtype])
    assert_allclose(column_sums, expected_errors.sum(axis=0), atol=1e-5)


@pytest.mark.parametrize("output", sorted(_kernels.OUTPUT_ERRORS))
def test_output_errors_without_metrics_return_zeros(output):
    # Zero logits of two outputs: probabilities of 0.5 by softmax and sigmoid.
    Z, Y = np.zeros((3, 2)), np.eye(2)[[0, 1, 1]]
    errors = _kernels.OUTPUT_ERRORS[output]
    sums = errors(Z, np.zeros(2), Y, np.empty(0), False, np.zeros(2))
    assert_array_equal(sums, [0.0, 0.0, 0.0])
    assert_array_equal(Z, 0.5 - Y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_softmax_errors_let_a_nan_or_infinite_logit_reach_the_loss(bad):
    Z = np.array([[1.0, bad, 0.0], [0.0, 1.0, 2.0]])
    Y = np.eye(3)[[0, 2]]
    sums = _kernels.softmax_errors(Z, np.zeros(3), Y, np.empty(0), True, np.zeros(3))
    assert np.isnan(sums[0])


def test_softmax_errors_clip_a_vanishing_probability_like_the_formulas():
    # The true class's probability underflows to 0; both clip it at tiny.
    Z = np.array([[0.0, 2000.0]])
    Y = np.array([[1.0, 0.0]])
    expected = _network.log_loss_sum(Y, _network.softmax(Z.copy()))
    sums = _kernels.softmax_errors(Z, np.zeros(2), Y, np.empty(0), True, np.zeros(2))
    assert sums[0] == expected == -np.log(np.finfo(np.float64).tiny)


def test_the_kernels_serve_the_log_loss_on_float_arrays_and_csr_matrices(iris):
    X, _ = iris
    for activation in ACTIVATIONS:
        for multilabel in (False, True):
            spec = make_spec(activation=activation, multilabel=multilabel)
            assert _blockwise.use_kernels(X, spec)
            assert _blockwise.use_kernels(X.astype(np.float32), spec)
            assert _blockwise.use_kernels(sp.csr_matrix(X), spec)
            assert not _blockwise.use_kernels(sp.csc_matrix(X), spec)
            for other in (np.asfortranarray(X), X.astype(np.float16)):
                assert not _blockwise.use_kernels(other, spec)
        # The tutorial's squared error keeps NumPy's arithmetic, to the last bit.
        spec = make_spec("squared_error", activation=activation)
        assert not _blockwise.use_kernels(X, spec)


FIT_SETTINGS = [
    {},
    {"fit_intercept": False},
    {"activation": "tanh", "solver": "sgd", "alpha": 0.01},
    {"activation": "relu", "solver": "sgd", "nesterovs_momentum": False},
    {"batch_size": 16, "solver": "sgd", "momentum": 0.5},
    {"batch_size": None, "early_stopping": True, "validation_fraction": 0.2},
    {"class_weight": "balanced", "epoch_metrics": "exact"},
    {"hidden_size": 6, "multilabel": True},
    {"dtype": np.float32},
]

# A compiled fit against the formulas' fit: the kernels round otherwise than
# NumPy, and 40 iterations carry each difference on.
FIT_RTOL = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.mark.parametrize("settings", FIT_SETTINGS)
def test_compiled_fit_matches_the_reference_formulas(iris, monkeypatch, settings):
    # Adam unless said otherwise: L-BFGS's line searches would magnify the
    # differences in rounding past any tolerance.
    params = dict(solver="adam", hidden_size=7, max_iter=40, tol=None, random_state=0)
    params.update(settings)
    multilabel = params.pop("multilabel", False)
    dtype = params.pop("dtype", np.float64)
    if multilabel:
        X, y = make_multilabel_classification(
            n_samples=120, n_classes=4, random_state=0
        )
        X = StandardScaler().fit_transform(X)
    else:
        X, y = iris
    X = X.astype(dtype)
    weights = np.random.RandomState(4).uniform(0.5, 2, size=len(X))
    activation = params.get("activation", "logistic")
    spec = make_spec(multilabel=multilabel, activation=activation)
    assert _blockwise.use_kernels(X, spec)
    compiled = BackpropClassifier(**params).fit(X, y, sample_weight=weights)
    monkeypatch.setattr(_blockwise, "use_kernels", lambda *args: False)
    monkeypatch.setattr(_optimizers, "_compiled", lambda *args: False)
    reference = BackpropClassifier(**params).fit(X, y, sample_weight=weights)
    assert all(W.dtype == dtype for W in compiled.coefs_ + reference.coefs_)
    assert_same_model(compiled, reference, rtol=FIT_RTOL[dtype])


def test_fortran_ordered_and_sparse_input_give_the_fit_of_c_ordered_input(iris):
    X, y = iris
    params = dict(max_iter=20, tol=None, random_state=0)
    c_order = BackpropClassifier(**params).fit(X, y)
    # Validation makes dense input C-ordered, so both take the same path.
    f_order = BackpropClassifier(**params).fit(np.asfortranarray(X), y)
    assert_array_equal(f_order.history_["loss"], c_order.history_["loss"])
    sparse = BackpropClassifier(**params).fit(sp.csr_matrix(X), y)
    assert_allclose(sparse.history_["loss"], c_order.history_["loss"], rtol=1e-10)
