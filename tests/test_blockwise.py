"""One pass in blocks: the blocks' layout, the sums of the whole-array formulas
in blocks of any size, the gradients that training steps along, fits in blocks,
and no copy of the data.

Every pass here runs on one thread; tests/test_threads.py shows that threads
give the same bits.
"""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse
from _reference import (
    accuracy,
    backward,
    make_spec,
    mean_loss,
    random_problem,
    squared_error,
    subset_accuracy,
)
from _support import assert_same_model
from numpy.testing import assert_allclose

from sklearn_backprop import BackpropClassifier, _blockwise, _network
from sklearn_backprop._fit_data import Rows
from sklearn_backprop._training import history_row


@pytest.mark.parametrize(
    "n_rows, hidden_size",
    # One block; several; several, a multiple of BLOCKS_MULTIPLE, enough work
    # for threads; and more blocks of that multiple than rows, one row each.
    [(10, 5), (3000, 100), (100_000, 128), (5, 100_000)],
)
def test_blocks_cover_the_rows_in_order_in_sizes_that_differ_by_a_row(
    n_rows, hidden_size
):
    blocks = _blockwise.block_slices(n_rows, hidden_size)
    assert len(blocks) == _blockwise.n_blocks(n_rows, hidden_size)
    assert blocks[0].start == 0 and blocks[-1].stop == n_rows
    assert all(a.stop == b.start for a, b in zip(blocks, blocks[1:]))
    sizes = [block.stop - block.start for block in blocks]
    assert 1 <= min(sizes) and max(sizes) - min(sizes) <= 1
    assert max(sizes) <= _blockwise.block_rows(hidden_size)
    if n_rows * hidden_size >= 2 * _blockwise.MIN_ELEMENTS_PER_THREAD:
        assert len(blocks) == n_rows or len(blocks) % _blockwise.BLOCKS_MULTIPLE == 0
    else:
        assert _blockwise.n_threads_for(n_rows, hidden_size) == 1


# (loss, multilabel): the formulas' path for the squared error, the compiled
# kernels' for the log loss of softmax and of multilabel sigmoid outputs.
OBJECTIVES = [("squared_error", False), ("log_loss", False), ("log_loss", True)]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss, multilabel", OBJECTIVES)
def test_pass_metrics_in_blocks_equal_the_whole_array_formulas(
    monkeypatch, loss, multilabel, weighted
):
    monkeypatch.setattr(_blockwise, "block_rows", lambda hidden_size: 7)
    spec = make_spec(loss, multilabel=multilabel)
    X, Y, coefs, intercepts = random_problem(0, spec, n_samples=50)
    P = _network.forward(X, coefs, intercepts, spec)[1]
    if multilabel:
        # Half the rows predicted exactly, so that subset accuracy is not 0.
        Y[::2] = P[::2] > 0.5
    rng = np.random.RandomState(1)
    sample_weight = rng.uniform(0.5, 2, size=50) if weighted else None
    data = Rows(X, Y, sample_weight)
    assert len(_blockwise.block_slices(50, spec.hidden_size)) == 8
    assert _blockwise.use_kernels(X, spec) == (loss == "log_loss")

    totals = _blockwise.pass_totals(data, coefs, intercepts, spec, gradients=False)
    metrics = history_row(totals, spec)
    right = subset_accuracy if multilabel else accuracy
    assert_allclose(metrics["loss"], mean_loss(Y, P, spec, sample_weight), rtol=1e-12)
    assert_allclose(metrics["mse"], squared_error(Y, P, sample_weight), rtol=1e-12)
    assert_allclose(metrics["accuracy"], right(Y, P, sample_weight), rtol=1e-12)
    assert 0 < metrics["accuracy"] < 1
    assert totals.grads is None
    # A mini-batch step needs the gradients only: the metric sums stay 0.
    bare = _blockwise.pass_totals(
        data, coefs, intercepts, spec, metrics=False, gradients=True
    )
    assert (bare.loss, bare.squared_error, bare.correct) == (0, 0, 0)
    assert_allclose(bare.weight, totals.weight, rtol=1e-15)


@pytest.mark.parametrize("batch_size", [None, 40])
def test_fit_in_small_blocks_matches_the_fit_in_one_block(
    iris, monkeypatch, batch_size
):
    X, y = iris
    params = dict(hidden_size=5, max_iter=30, tol=None, batch_size=batch_size)
    params.update(alpha=0.01, solver="sgd", momentum=0.5, random_state=0)
    one_block = BackpropClassifier(**params).fit(X, y, X_val=X[::3], y_val=y[::3])
    monkeypatch.setattr(_blockwise, "block_rows", lambda hidden_size: 16)
    # The training rows, a batch and the validation rows, each in several blocks.
    assert [_blockwise.n_blocks(n, 5) for n in (150, 40, 50)] == [10, 3, 4]
    blocks = BackpropClassifier(**params).fit(X, y, X_val=X[::3], y_val=y[::3])
    assert_same_model(blocks, one_block, rtol=1e-10)


# ---------------------------------------------------------------- memory


def test_fit_does_not_copy_the_training_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80_000, 50))  # 32 MB
    y = rng.randint(3, size=80_000)
    tracemalloc.start()
    BackpropClassifier(hidden_size=16, max_iter=2, tol=None, random_state=0).fit(X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # A copy of X would be 32 MB; the blocks' temporaries take a few MB.
    assert peak < X.nbytes / 2


@pytest.mark.parametrize("batch_size", [None, 200])
def test_sparse_training_and_prediction_stay_sparse(batch_size):
    # 3000 x 20000 with 0.1 % non-zeros: 0.7 MB stored, 480 MB dense.
    X = scipy.sparse.random(3000, 20_000, density=0.001, format="csr", random_state=0)
    y = np.random.RandomState(0).randint(3, size=3000)
    dense_bytes = X.shape[0] * X.shape[1] * 8
    clf = BackpropClassifier(
        solver="adam", hidden_size=16, batch_size=batch_size, max_iter=2
    )
    clf.set_params(tol=None, random_state=0)
    tracemalloc.start()
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # The compiled kernels serve CSR input: products by SciPy, loops between.
    assert _blockwise.use_kernels(X, clf.spec_)
    assert proba.shape == (3000, 3)
    # Arrays the size of the weights into the hidden layer (20000 x 16, 2.5
    # MB): the weights and their copies, gradient sums, Adam's two moments,
    # X^T D1; not a dense copy of X, nor of a batch's 200 rows (32 MB).
    weight_bytes = X.shape[1] * 16 * 8
    assert peak < 16 * weight_bytes < dense_bytes / 10


# 6000 rows of 40 hidden units: several blocks, each on the kernels' path with
# its X^T D1 summed over products of 128 rows; CSR input: SciPy's products
# between the same loops.
@pytest.mark.parametrize("n_samples", [7, 6000])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss, multilabel", OBJECTIVES)
@pytest.mark.parametrize("activation", sorted(_network.ACTIVATIONS))
def test_pass_gradients_equal_backward(
    activation, loss, multilabel, fit_intercept, weighted, sparse, n_samples
):
    spec = make_spec(
        loss,
        multilabel=multilabel,
        activation=activation,
        fit_intercept=fit_intercept,
        hidden_size=40,
    )
    # Two implementations of one formula: a ReLU kink needs no margin here.
    X, Y, coefs, intercepts = random_problem(4, spec, n_samples=n_samples)
    if sparse:
        X = np.where(np.abs(X) > 1, X, 0.0)
    rng = np.random.RandomState(5)
    sample_weight = rng.uniform(0.2, 3.0, size=n_samples) if weighted else None
    data = Rows(scipy.sparse.csr_matrix(X) if sparse else X, Y, sample_weight)
    assert _blockwise.use_kernels(data.X, spec) == (loss == "log_loss")
    blocks = _blockwise.block_slices(n_samples, spec.hidden_size)
    if n_samples > 7:
        assert len(blocks) > 1
        smallest = min(block.stop - block.start for block in blocks)
        assert smallest * spec.hidden_size >= _blockwise.BLOCK_ELEMENTS // 2

    totals = _blockwise.pass_totals(data, coefs, intercepts, spec, gradients=True)
    assert (totals.grads.intercepts is None) == (not fit_intercept)
    params, sums, alphas = coefs, totals.grads.coefs, [0.1, 0.1]
    if fit_intercept:
        params, sums = params + intercepts, sums + totals.grads.intercepts
        alphas = alphas + [0.0, 0.0]
    N = _network.normaliser(spec.loss, totals.weight, spec.n_outputs)
    got = _network.mean_gradients(params, sums, N, alphas)
    coef_grads, intercept_grads = backward(
        X, Y, coefs, intercepts, spec, sample_weight, alpha=0.1
    )
    want = coef_grads + (intercept_grads or [])
    assert len(got) == len(want) == (4 if fit_intercept else 2)
    for a, b in zip(got, want):
        # The kernels' exponential is within two ulps of NumPy's, and their sums
        # run in another order: agreement to rounding, not to the bit. The atol
        # covers entries that cancel to nearly zero over thousands of rows.
        assert_allclose(a, b, rtol=1e-10, atol=1e-14)
