"""Optimisers: how the weights move, given the gradients of the mean loss.

One class per solver of the stochastic kind, each with the same small
interface: :meth:`~SGD.step_from_sums` takes gradient sums (what a pass over
rows leaves behind) and updates the parameters in place; :meth:`~SGD.end_epoch`
and :meth:`~SGD.on_plateau` let a learning-rate schedule react; ``state`` is
what must outlive a call to ``fit`` (velocities, moments, step count), a dict of
arrays and numbers that pickles and saves with skops as it is. L-BFGS is a
driver of its own (:func:`minimize_lbfgs`): SciPy's L-BFGS-B decides every
step, and the caller only evaluates the loss and its gradient.
"""

import math

import numpy as np
import scipy.optimize

from . import _kernels
from ._array_api import like, namespace, to_numpy
from ._network import mean_gradients

# The adaptive schedule stops dividing the step below this: MLPClassifier's floor.
_SMALLEST_ADAPTIVE_RATE = 1e-6


class SGD:
    """Stochastic gradient descent with momentum and a learning-rate schedule.

    Classical momentum: ``v <- momentum * v - rate * g``, then ``w <- w + v``;
    Nesterov's momentum takes the step ``w <- w + momentum * v - rate * g``
    instead (the look-ahead form of Sutskever et al., 2013). With
    ``momentum=0`` both are the plain step ``w <- w - rate * g``.

    Parameters
    ----------
    learning_rate : float
        Initial step size ``rate``.

    momentum : float
        Fraction of the previous step carried into the next.

    nesterov : bool
        Whether to use Nesterov's momentum.

    schedule : {"constant", "invscaling", "adaptive"}
        ``"invscaling"``: after each epoch, ``rate = learning_rate /
        (t + 1) ** power_t`` with ``t`` the training rows seen so far;
        ``"adaptive"``: the rate is divided by 5 each time the monitored loss
        stops improving (:meth:`on_plateau`).

    power_t : float
        Exponent of the ``"invscaling"`` schedule.

    state : dict or None
        The ``state`` of an earlier SGD to continue from, with its velocities,
        and its scheduled step where it had the same ``learning_rate``; None
        starts at rest.
    """

    name = "sgd"

    def __init__(self, learning_rate, momentum, nesterov, schedule, power_t, state):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.schedule = schedule
        self.power_t = power_t
        resumed = state is not None and state.get("solver") == self.name
        self.velocities = state["velocities"] if resumed else None
        same_rate = resumed and state["learning_rate"] == learning_rate
        self.rate = state["rate"] if same_rate else learning_rate

    @property
    def state(self):
        """What carries on into the next call to fit: velocities and step size."""
        return {
            "solver": self.name,
            "velocities": self.velocities,
            "learning_rate": self.learning_rate,
            "rate": self.rate,
        }

    def step(self, params, grads):
        """Move each parameter along its gradient, in place."""
        if not self.momentum:
            for param, grad in zip(params, grads):
                param -= self.rate * grad
            return
        if self.velocities is None:
            self.velocities = [namespace(p).zeros_like(p) for p in params]
        for param, grad, velocity in zip(params, grads, self.velocities):
            velocity *= self.momentum
            velocity -= self.rate * grad
            if self.nesterov:
                param += self.momentum * velocity - self.rate * grad
            else:
                param += velocity

    def step_from_sums(self, params, sums, N, alphas):
        """Move each parameter along the mean gradient of its sums over rows.

        The gradient is :func:`._network.mean_gradients`'s. On NumPy arrays in
        C order, one compiled loop per parameter computes the gradient and
        takes the step (:func:`._kernels.descend`), with the result of
        :func:`._network.mean_gradients` and :meth:`step` to the last bit.
        """
        if not _compiled(params, sums):
            self.step(params, mean_gradients(params, sums, N, alphas))
            return
        if self.momentum and self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in params]
        scalar = params[0].dtype.type
        rate, momentum = scalar(self.rate), scalar(self.momentum)
        for i, (param, total, alpha) in enumerate(zip(params, sums, alphas)):
            # Flat views: one compiled version serves weights and biases.
            if self.momentum:
                velocity = self.velocities[i].reshape(-1)
            else:
                velocity = param[:0].reshape(-1)  # never read
            _kernels.descend(
                param.reshape(-1),
                total.reshape(-1),
                scalar(N),
                scalar(alpha),
                velocity,
                rate,
                momentum,
                self.nesterov,
            )

    def end_epoch(self, samples_seen):
        """Update the step size of the ``"invscaling"`` schedule."""
        if self.schedule == "invscaling":
            self.rate = self.learning_rate / (samples_seen + 1) ** self.power_t

    def on_plateau(self):
        """Divide the step by 5 (``"adaptive"``); return whether training goes on.

        Other schedules, and a step already below 1e-6, end training.
        """
        if self.schedule != "adaptive" or self.rate <= _SMALLEST_ADAPTIVE_RATE:
            return False
        self.rate /= 5
        return True


class Adam:
    """Adam: steps scaled by running moments of the gradients (Kingma & Ba, 2015).

    At step ``t``: ``m <- beta_1 m + (1 - beta_1) g``, ``v <- beta_2 v + (1 -
    beta_2) g ** 2``, then ``w <- w - rate_t m / (sqrt(v) + epsilon)`` with
    ``rate_t = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)``,
    which corrects the moments' bias towards their zero start.

    Parameters
    ----------
    learning_rate : float
        Step size.

    beta_1, beta_2 : float
        Decay rates of the first and second moments.

    epsilon : float
        Added to ``sqrt(v)`` so that a zero moment gives no division by zero.

    state : dict or None
        The ``state`` of an earlier Adam to continue from; None starts afresh.
    """

    name = "adam"

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, state):
        self.learning_rate = learning_rate
        self.rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        resumed = state is not None and state.get("solver") == self.name
        self.t = state["t"] if resumed else 0
        self.first_moments = state["first_moments"] if resumed else None
        self.second_moments = state["second_moments"] if resumed else None

    @property
    def state(self):
        """What carries on into the next call to fit: moments and step count."""
        return {
            "solver": self.name,
            "t": self.t,
            "first_moments": self.first_moments,
            "second_moments": self.second_moments,
        }

    def _next_rate(self, params):
        """Count one more step and return its bias-corrected step size."""
        if self.first_moments is None:
            self.first_moments = [namespace(p).zeros_like(p) for p in params]
            self.second_moments = [namespace(p).zeros_like(p) for p in params]
        self.t += 1
        return (
            self.rate * math.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        )

    def step(self, params, grads):
        """Take one Adam step of each parameter, in place."""
        rate = self._next_rate(params)
        moments = zip(params, grads, self.first_moments, self.second_moments)
        for param, grad, m, v in moments:
            m *= self.beta_1
            m += (1 - self.beta_1) * grad
            v *= self.beta_2
            v += (1 - self.beta_2) * grad**2
            param -= rate * m / (namespace(v).sqrt(v) + self.epsilon)

    def step_from_sums(self, params, sums, N, alphas):
        """Take one step along the mean gradients of the sums over rows.

        On NumPy arrays in C order, one compiled loop per parameter
        (:func:`._kernels.adam_step`), equal to :meth:`step` along
        :func:`._network.mean_gradients` to the last bit.
        """
        if not _compiled(params, sums):
            self.step(params, mean_gradients(params, sums, N, alphas))
            return
        scalar = params[0].dtype.type
        rate = scalar(self._next_rate(params))
        betas = (self.beta_1, 1 - self.beta_1, self.beta_2, 1 - self.beta_2)
        betas = tuple(scalar(beta) for beta in betas)
        epsilon = scalar(self.epsilon)
        moments = zip(params, sums, alphas, self.first_moments, self.second_moments)
        for param, total, alpha, first, second in moments:
            # Flat views: one compiled version serves weights and biases.
            _kernels.adam_step(
                param.reshape(-1),
                total.reshape(-1),
                scalar(N),
                scalar(alpha),
                first.reshape(-1),
                second.reshape(-1),
                rate,
                betas,
                epsilon,
            )

    def end_epoch(self, samples_seen):
        """Adam adapts its own steps: no schedule."""

    def on_plateau(self):
        """A plateau ends training."""
        return False


def _compiled(params, sums):
    """Whether the steps run compiled: NumPy arrays in C order, of one dtype."""
    arrays = params + sums
    return all(
        isinstance(array, np.ndarray)
        and array.flags.c_contiguous
        and array.dtype == params[0].dtype
        for array in arrays
    )


class StopMinimizing(Exception):
    """Raised by the callback of :func:`minimize_lbfgs` to end the search."""


def minimize_lbfgs(objective, params, *, max_iter, tol, after_iteration):
    """Minimise ``objective`` over ``params`` with SciPy's L-BFGS-B, in place.

    ``objective(params)`` returns the loss and the list of its gradients, for
    parameters shaped as ``params``; ``after_iteration(params)`` is called with
    the parameters reached by each iteration and may raise
    :class:`StopMinimizing`. The search stops after ``max_iter`` iterations,
    or when the largest gradient entry falls below ``tol`` (``gtol``), or when
    the loss stops changing. ``params`` end at the last point reached.
    Returns SciPy's result, or None when the callback stopped the search.

    SciPy works in float64 on NumPy vectors; the parameters keep their dtype
    and array library, and are copied in and out at each evaluation.
    """
    shapes = [tuple(p.shape) for p in params]
    sizes = [math.prod(shape) for shape in shapes]
    edges = np.cumsum([0] + sizes)

    def unpack(vector):
        for param, start, end, shape in zip(params, edges[:-1], edges[1:], shapes):
            # like() casts to the parameter's dtype in its own library: a
            # tensor's dtype is no NumPy dtype.
            param[...] = like(vector[start:end].reshape(shape), param)

    def pack(arrays):
        return np.concatenate([to_numpy(a).ravel() for a in arrays]).astype(np.float64)

    def fun(vector):
        unpack(vector)
        loss, grads = objective(params)
        return float(loss), pack(grads)

    def callback(vector):
        unpack(vector)
        after_iteration(params)

    try:
        result = scipy.optimize.minimize(
            fun,
            pack(params),
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxiter": max_iter, "gtol": tol, "maxfun": 15 * max_iter},
        )
    except StopMinimizing:
        return None
    unpack(result.x)
    return result
