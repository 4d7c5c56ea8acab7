"""The optimisers against their published update rules, written out here
independently, and through the estimator: the same minimum for every solver,
and optimiser state that carries over warm starts, partial_fit and pickling,
with the rest of the training state (the shuffling, the history).

References: Kingma & Ba (2015), "Adam: a method for stochastic optimization",
Algorithm 1 with the bias correction folded into the step size (section 2);
Sutskever et al. (2013), "On the importance of initialization and momentum in
deep learning", for Nesterov's momentum in the form MLPClassifier uses.
"""

import math
import pickle
import warnings

import numpy as np
import pytest
from _reference import backward, make_spec, objective
from _support import assert_same_model
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from sklearn_backprop import BackpropClassifier, _network
from sklearn_backprop._network import mean_gradients
from sklearn_backprop._optimizers import SGD, Adam

N_STEPS = 7


def random_params(seed):
    """A weight matrix and a bias vector, as the network's parameters come."""
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(4, 3)), rng.normal(size=3)]


def random_gradients(seed, n_steps=N_STEPS):
    """One list of gradients per step, shaped as :func:`random_params`.

    Drawn apart from the parameters: the update rules take any gradients, and
    gradients of mixed signs and sizes exercise every term of them.
    """
    rng = np.random.RandomState(seed)
    return [[rng.normal(size=(4, 3)), rng.normal(size=3)] for _ in range(n_steps)]


def copies(arrays):
    return [a.copy() for a in arrays]


def assert_same_arrays(first, second):
    """Two lists of arrays (parameters, moments) hold the same bits."""
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)


# ------------------------------------------------------------------------- Adam


def adam_by_the_paper(params, gradient_steps, learning_rate, beta_1, beta_2, epsilon):
    """Kingma & Ba's Algorithm 1, bias correction folded into the step size."""
    lr = learning_rate
    params = copies(params)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(gradient_steps, start=1):
        lr_t = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        for i, g in enumerate(grads):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g
            v[i] = beta_2 * v[i] + (1 - beta_2) * g * g
            params[i] = params[i] - lr_t * m[i] / (np.sqrt(v[i]) + epsilon)
    return params


ADAM_SETTINGS = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8)


def make_adam(state=None):
    return Adam(**ADAM_SETTINGS, state=state)


@pytest.mark.parametrize(
    "settings",
    [
        ADAM_SETTINGS,
        # Other decay rates and a large epsilon, so that a swapped beta, or an
        # epsilon added inside the square root, would show.
        dict(learning_rate=0.3, beta_1=0.5, beta_2=0.8, epsilon=0.1),
    ],
)
def test_adam_follows_kingma_and_ba(settings):
    params, gradient_steps = random_params(0), random_gradients(1)
    expected = adam_by_the_paper(params, gradient_steps, **settings)
    optimizer = Adam(**settings, state=None)
    for grads in gradient_steps:
        optimizer.step(params, grads)
    assert optimizer.t == N_STEPS
    for got, want in zip(params, expected):
        assert_allclose(got, want, rtol=1e-12)


def test_adam_takes_steps_of_about_the_learning_rate_at_first():
    # The bias correction makes the first step lr * g / (|g| + eps / sqrt(1 -
    # beta_2)): nearly lr against the gradient's sign, whatever its size, where
    # uncorrected moments would give steps sqrt(1 - beta_2) / (1 - beta_1), about
    # a third, as large.
    g = np.array([1e-3, -5.0, 200.0])
    param = np.zeros(3)
    make_adam().step([param], [g])
    eps = ADAM_SETTINGS["epsilon"] / math.sqrt(1 - ADAM_SETTINGS["beta_2"])
    assert_allclose(param, -0.01 * g / (np.abs(g) + eps), rtol=1e-12)
    assert_allclose(param, -0.01 * np.sign(g), rtol=1e-3)


def test_adam_has_no_schedule():
    optimizer = make_adam()
    optimizer.end_epoch(1000)
    assert optimizer.rate == ADAM_SETTINGS["learning_rate"]
    # A plateau ends training: Adam does not lower its step.
    assert optimizer.on_plateau() is False


def run_with_a_resume(make, params, gradient_steps, split, through_pickle):
    """Run ``split`` steps, rebuild the optimiser from its state, run the rest."""
    first = make(None)
    for grads in gradient_steps[:split]:
        first.step(params, grads)
    state = first.state
    if through_pickle:
        state = pickle.loads(pickle.dumps(state))
    second = make(state)
    for grads in gradient_steps[split:]:
        second.step(params, grads)
    return second


@pytest.mark.parametrize("through_pickle", [False, True])
def test_resumed_adam_continues_as_one_uninterrupted_adam(through_pickle):
    gradient_steps = random_gradients(1)
    uninterrupted = random_params(0)
    whole = make_adam()
    for grads in gradient_steps:
        whole.step(uninterrupted, grads)

    resumed = random_params(0)
    second = run_with_a_resume(make_adam, resumed, gradient_steps, 3, through_pickle)
    assert set(second.state) == {"solver", "t", "first_moments", "second_moments"}
    assert second.state["solver"] == "adam"
    assert second.t == whole.t == N_STEPS
    # The same operations on the same values: the same bits.
    assert_same_arrays(resumed, uninterrupted)
    assert_same_arrays(second.state["first_moments"], whole.state["first_moments"])
    assert_same_arrays(second.state["second_moments"], whole.state["second_moments"])


# -------------------------------------------------------------------------- SGD


def sgd_with_momentum(params, gradient_steps, lr, mu, nesterov):
    """``v <- mu v - lr g``, then ``w <- w + v`` (classical) or, Nesterov's
    momentum in Sutskever et al.'s form, ``w <- w + mu v - lr g``."""
    params = copies(params)
    velocities = [np.zeros_like(p) for p in params]
    for grads in gradient_steps:
        for i, g in enumerate(grads):
            velocities[i] = mu * velocities[i] - lr * g
            if nesterov:
                params[i] = params[i] + mu * velocities[i] - lr * g
            else:
                params[i] = params[i] + velocities[i]
    return params


def make_sgd(nesterov, momentum=0.9, learning_rate=0.05, schedule="constant"):
    return lambda state: SGD(learning_rate, momentum, nesterov, schedule, 0.5, state)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_momentum_follows_its_formula(nesterov, momentum):
    params, gradient_steps = random_params(2), random_gradients(3)
    expected = sgd_with_momentum(params, gradient_steps, 0.05, momentum, nesterov)
    optimizer = make_sgd(nesterov, momentum)(None)
    for grads in gradient_steps:
        optimizer.step(params, grads)
    for got, want in zip(params, expected, strict=True):
        # Without momentum both are w - lr g: the same bits.
        assert_allclose(got, want, rtol=1e-12 if momentum else 0)


def test_nesterov_differs_from_classical_momentum():
    # Guards the test above: with momentum the two rules must part ways, or the
    # reference could not tell them apart.
    params, gradient_steps = random_params(2), random_gradients(3)
    nesterov = sgd_with_momentum(params, gradient_steps, 0.05, 0.9, True)
    classical = sgd_with_momentum(params, gradient_steps, 0.05, 0.9, False)
    assert not np.allclose(nesterov[0], classical[0], rtol=1e-3)


@pytest.mark.parametrize("through_pickle", [False, True])
@pytest.mark.parametrize("nesterov", [True, False])
def test_resumed_sgd_continues_as_one_uninterrupted_sgd(nesterov, through_pickle):
    make = make_sgd(nesterov)
    gradient_steps = random_gradients(3)
    uninterrupted = random_params(2)
    whole = make(None)
    for grads in gradient_steps:
        whole.step(uninterrupted, grads)

    resumed = random_params(2)
    second = run_with_a_resume(make, resumed, gradient_steps, 4, through_pickle)
    assert second.state["solver"] == "sgd"
    assert_same_arrays(resumed, uninterrupted)
    assert_same_arrays(second.state["velocities"], whole.state["velocities"])


def test_invscaling_divides_the_rate_by_a_power_of_the_rows_seen():
    optimizer = SGD(0.3, 0.0, False, "invscaling", 0.25, None)
    for samples_seen in [0, 150, 1500, 10**6]:
        optimizer.end_epoch(samples_seen)
        assert_allclose(optimizer.rate, 0.3 / (samples_seen + 1) ** 0.25, rtol=1e-15)
    # The next step is taken at the scheduled rate.
    param, grad = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    expected = param - 0.3 / (10**6 + 1) ** 0.25 * grad
    optimizer.step([param], [grad])
    assert_allclose(param, expected, rtol=1e-15)


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_other_schedules_keep_the_rate_between_epochs(schedule):
    optimizer = SGD(0.3, 0.9, True, schedule, 0.5, None)
    optimizer.end_epoch(1000)
    assert optimizer.rate == 0.3


def test_adaptive_divides_the_rate_by_five_on_each_plateau_down_to_1e_6():
    learning_rate = 0.01
    expected = []
    rate = learning_rate
    while rate > 1e-6:
        rate /= 5
        expected.append(rate)

    optimizer = SGD(learning_rate, 0.9, True, "adaptive", 0.5, None)
    rates = []
    while optimizer.on_plateau():
        rates.append(optimizer.rate)
        assert len(rates) <= 50, "on_plateau never ended training"
    # 0.01 / 5**6 = 6.4e-7 is the first rate at or below 1e-6.
    assert len(rates) == 6
    assert_allclose(rates, expected, rtol=1e-15)
    # Ending training leaves the last rate as it was.
    assert optimizer.rate == rates[-1]
    assert optimizer.on_plateau() is False


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_a_plateau_ends_training_without_the_adaptive_schedule(schedule):
    optimizer = SGD(0.3, 0.9, True, schedule, 0.5, None)
    assert optimizer.on_plateau() is False
    assert optimizer.rate == 0.3


def _advance_invscaling(optimizer):
    optimizer.end_epoch(99)


def _advance_adaptive(optimizer):
    assert optimizer.on_plateau()


@pytest.mark.parametrize(
    "schedule, advance",
    [("invscaling", _advance_invscaling), ("adaptive", _advance_adaptive)],
)
def test_resumed_sgd_keeps_its_scheduled_rate(schedule, advance):
    first = SGD(0.3, 0.9, True, schedule, 0.5, None)
    first.step(random_params(2), random_gradients(3, 1)[0])
    advance(first)
    assert first.rate < 0.3
    resumed = SGD(0.3, 0.9, True, schedule, 0.5, first.state)
    assert resumed.rate == first.rate


# ---------------------------------------------------- steps from gradient sums


@pytest.mark.parametrize(
    "make",
    [
        make_sgd(nesterov=True),
        make_sgd(nesterov=False),
        make_sgd(nesterov=False, momentum=0.0),
        make_adam,
    ],
    ids=["nesterov", "classical", "plain", "adam"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_steps_from_sums_equal_steps_along_mean_gradients(make, dtype, order):
    # The compiled steps, against the formulas: the same bits, in float32 too.
    # Fortran-ordered weights take the formulas (a compiled step would move a
    # flat copy of them, not the weights).
    rng = np.random.RandomState(4)
    # Weights then biases, as the loop passes them: the penalty on weights only.
    params = [rng.normal(size=(4, 5)), rng.normal(size=(5, 3))]
    params += [rng.normal(size=5), rng.normal(size=3)]
    params = [np.asarray(p, dtype=dtype, order=order) for p in params]
    alphas = [0.01, 0.01, 0.0, 0.0]
    N = 37.5
    from_sums, reference = copies(params), copies(params)
    fused, plain = make(None), make(None)
    for _ in range(4):
        sums = [(rng.normal(size=p.shape) * N).astype(dtype) for p in params]
        fused.step_from_sums(from_sums, sums, N, alphas)
        plain.step(reference, mean_gradients(reference, sums, N, alphas))
    assert_same_arrays(from_sums, reference)
    assert not any(np.array_equal(p, q) for p, q in zip(params, from_sums))


def test_mean_gradients_divide_the_sums_and_add_the_penalty():
    params = [np.array([[1.0, -2.0]]), np.array([3.0])]
    sums = [np.array([[4.0, 8.0]]), np.array([6.0])]
    grads = mean_gradients(params, sums, 2.0, [0.5, 0.0])
    assert_allclose(grads[0], [[2.0 + 0.5, 4.0 - 1.0]])
    assert_allclose(grads[1], [3.0])
    # The sums are left as they were: the loop may read them again.
    assert_array_equal(sums[0], [[4.0, 8.0]])


# ---------------------------------------------------------- through the estimator


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, cluster_std=2.0, random_state=0)
    return StandardScaler().fit_transform(X), y


# A penalty that keeps the minimum away from the origin (with alpha >= 0.1 the
# best network here is the constant one, which every solver finds trivially)
# and a tiny hidden layer: from the same initial weights, every solver ends in
# the same minimum.
ALPHA = 0.01
NETWORK = dict(hidden_size=2, activation="logistic", loss="log_loss", alpha=ALPHA)
SOLVERS = {
    # tol=None: L-BFGS stops when SciPy finds the loss no longer falls.
    "lbfgs": dict(solver="lbfgs", max_iter=500, tol=None),
    "sgd": dict(
        solver="sgd",
        learning_rate=0.5,
        momentum=0.9,
        nesterovs_momentum=True,
        learning_rate_schedule="constant",
        batch_size=None,
        max_iter=1000,
        tol=None,
    ),
    "adam": dict(
        solver="adam", learning_rate=0.05, batch_size=None, max_iter=1000, tol=None
    ),
}


def training_objective(clf, X, y):
    """The mean log loss plus the L2 penalty of the estimator's final weights."""
    Y = np.eye(len(clf.classes_))[np.searchsorted(clf.classes_, y)]
    return objective(X, Y, clf.coefs_, clf.intercepts_, clf.spec_, alpha=clf.alpha)


def test_every_solver_reaches_the_same_minimum(blobs):
    X, y = blobs
    Y = np.eye(3)[y]
    minima = {}
    for name, solver in SOLVERS.items():
        with warnings.catch_warnings():
            # No solver is meant to stop short of its minimum.
            warnings.simplefilter("error", ConvergenceWarning)
            clf = BackpropClassifier(**NETWORK, **solver, random_state=0).fit(X, y)
        minima[name] = training_objective(clf, X, y)
        # A minimum, not a point on the way: the gradient has vanished.
        coef_grads, intercept_grads = backward(
            X, Y, clf.coefs_, clf.intercepts_, clf.spec_, alpha=ALPHA
        )
        for grad in coef_grads + intercept_grads:
            assert np.abs(grad).max() < 1e-4, name
    # Well below log(3), the loss of the constant network at the origin.
    assert minima["sgd"] < math.log(3) - 0.1
    assert_allclose(minima["lbfgs"], minima["sgd"], rtol=1e-6)
    assert_allclose(minima["adam"], minima["sgd"], rtol=1e-6)


def initial_objective(X, y, random_state):
    """The objective of the documented initial weights: Glorot draws, zero biases."""
    spec = make_spec(hidden_size=NETWORK["hidden_size"])
    coefs, intercepts = _network.init_weights(
        check_random_state(random_state),
        [X.shape[1], spec.hidden_size, spec.n_outputs],
        "auto",
        np.float64,
        spec.activation,
    )
    return objective(X, np.eye(3)[y], coefs, intercepts, spec, alpha=ALPHA)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_loss_curve_holds_the_objective_of_each_iterations_starting_weights(
    blobs, solver
):
    # Row k of a fit of 4 iterations is the objective at the weights a fit of k
    # iterations ends on (the initial weights for row 0): full batch, every
    # solver is deterministic. Penalised, so that the penalty is in the rows.
    X, y = blobs
    params = {**SOLVERS[solver], "tol": None, "random_state": 0}
    longer = BackpropClassifier(**NETWORK, **{**params, "max_iter": 4}).fit(X, y)
    expected = [initial_objective(X, y, 0)]
    for k in range(1, 4):
        shorter = BackpropClassifier(**NETWORK, **{**params, "max_iter": k})
        expected.append(training_objective(shorter.fit(X, y), X, y))
    assert_allclose(longer.loss_curve_, expected, rtol=1e-12)


def test_momentum_speeds_up_training(iris):
    X, y = iris
    params = dict(solver="sgd", batch_size=None, learning_rate=0.1, max_iter=50)
    params.update(tol=None, random_state=0)
    plain = BackpropClassifier(momentum=0.0, **params).fit(X, y)
    heavy = BackpropClassifier(momentum=0.9, nesterovs_momentum=False, **params)
    assert heavy.fit(X, y).loss_curve_[-1] < plain.loss_curve_[-1]


SGD_SETTINGS = dict(solver="sgd", learning_rate=0.5, momentum=0.9)
CONTINUED = {
    "adam": dict(solver="adam", learning_rate=0.05),
    "plain": dict(SGD_SETTINGS, momentum=0.0),
    "nesterov": dict(SGD_SETTINGS, nesterovs_momentum=True),
    "classical": dict(SGD_SETTINGS, nesterovs_momentum=False),
    # The step depends on the rows seen in all the calls before.
    "invscaling": dict(SGD_SETTINGS, learning_rate_schedule="invscaling"),
}


def continued_params(name):
    # Shuffled mini-batches of 40 of the 120 rows: the order of each epoch's
    # rows carries on, with the optimiser's state.
    return dict(**NETWORK, **CONTINUED[name], batch_size=40, tol=None, random_state=0)


@pytest.mark.parametrize("name", list(CONTINUED))
def test_ten_and_ten_warm_iterations_equal_twenty(blobs, name):
    X, y = blobs
    params = continued_params(name)
    twenty = BackpropClassifier(**params, max_iter=20).fit(X, y)
    warm = BackpropClassifier(**params, max_iter=10, warm_start=True)
    warm.fit(X, y).fit(X, y)
    assert_same_model(warm, twenty)


@pytest.mark.parametrize("name", list(CONTINUED))
def test_a_pickled_estimator_continues_as_it_would_have(blobs, name):
    X, y = blobs
    params = continued_params(name)
    twenty = BackpropClassifier(**params, max_iter=20).fit(X, y)
    ten = BackpropClassifier(**params, max_iter=10, warm_start=True).fit(X, y)
    restored = pickle.loads(pickle.dumps(ten))
    assert_same_model(restored.fit(X, y), twenty)


@pytest.mark.parametrize("name", list(CONTINUED))
def test_partial_fits_carry_the_optimiser_state(blobs, name):
    X, y = blobs
    params = continued_params(name)
    twenty = BackpropClassifier(**params, max_iter=20).fit(X, y)
    incremental = BackpropClassifier(**params, max_iter=20)
    for _ in range(20):
        incremental.partial_fit(X, y, classes=[0, 1, 2])
    assert_same_model(incremental, twenty)
