"""Pieces of the training loop that know nothing of the network: the update rule,
mini-batches, the stopping rule, and stopping cleanly on Ctrl-C."""

import signal
import threading
from contextlib import contextmanager

import numpy as np

from . import _kernels
from ._array_api import namespace

# The velocity argument of _kernels.descend without momentum, which never reads it.
_NO_VELOCITY = np.empty(0)


class GradientDescent:
    """Gradient descent with optional classical momentum, updating in place.

    ``v <- momentum * v - learning_rate * g`` then ``w <- w + v``; with
    ``momentum=0`` the step is the plain ``w <- w - learning_rate * g``.

    Parameters
    ----------
    learning_rate : float
        Step size.

    momentum : float
        Fraction of the previous step carried into the next.

    velocities : list of ndarray or None
        Velocities to continue from, one per parameter; None starts from zero.
    """

    def __init__(self, learning_rate, momentum, velocities=None):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.velocities = velocities

    def step(self, params, grads):
        """Move each parameter along its gradient, in place."""
        if not self.momentum:
            for param, grad in zip(params, grads):
                param -= self.learning_rate * grad
            return
        if self.velocities is None:
            self.velocities = [namespace(p).zeros_like(p) for p in params]
        for param, grad, velocity in zip(params, grads, self.velocities):
            velocity *= self.momentum
            velocity -= self.learning_rate * grad
            param += velocity

    def step_from_sums(self, params, sums, N, alphas):
        """Move each parameter along its mean gradient, ``sum / N + alpha * param``.

        ``sums`` are gradients summed over rows, ``N`` what they are divided
        by, and ``alphas`` the L2 penalty of each parameter (0 for none). On
        NumPy arrays in C order one compiled loop per parameter does what
        :func:`._network.finish_gradients` and :meth:`step` do, with the same
        result to the last bit; other arrays take those two steps.
        """
        if not all(_c_ordered_numpy(array) for array in params + sums):
            grads = [total / N for total in sums]
            for grad, param, alpha in zip(grads, params, alphas):
                if alpha:
                    grad += alpha * param
            self.step(params, grads)
            return
        if self.momentum and self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in params]
        for i, (param, total, alpha) in enumerate(zip(params, sums, alphas)):
            velocity = self.velocities[i] if self.momentum else _NO_VELOCITY
            _kernels.descend(
                param, total, N, alpha, velocity, self.learning_rate, self.momentum
            )


def _c_ordered_numpy(array):
    """Whether ``array`` is a NumPy array laid out in C order."""
    return isinstance(array, np.ndarray) and array.flags.c_contiguous


def batch_slices(n_samples, batch_size, shuffle, rng):
    """Return the row indices of each mini-batch of one epoch.

    ``batch_size=None`` gives a single batch of all rows, in order. With
    ``shuffle``, the rows are permuted by ``rng`` before they are cut into
    batches (index arrays); without, the batches are slices, whose rows are
    views of the data rather than copies.
    """
    if batch_size is None or (batch_size >= n_samples and not shuffle):
        return [slice(None)]
    starts = range(0, n_samples, batch_size)
    if not shuffle:
        return [slice(start, min(start + batch_size, n_samples)) for start in starts]
    order = rng.permutation(n_samples)
    return [order[start : start + batch_size] for start in starts]


class NoImprovementStop:
    """Decide when a monitored loss has stopped improving.

    Training stops once ``patience`` values in a row fail to beat the best value so
    far by at least ``tol``; ``tol=None`` never stops. Misses count only after the
    first improvement on the initial value: a large step can make the loss rise
    for a while before it falls, and that rise is not a plateau.
    """

    def __init__(self, tol, patience):
        self.tol = tol
        self.patience = patience
        self.best = np.inf
        self.improved = False
        self.n_without_improvement = 0

    def update(self, value):
        """Take the next value; return True when training should stop."""
        if self.tol is None:
            self.best = min(self.best, value)
            return False
        if value <= self.best - self.tol:
            self.improved = self.best < np.inf
            self.n_without_improvement = 0
        elif self.improved:
            self.n_without_improvement += 1
        self.best = min(self.best, value)
        return self.n_without_improvement >= self.patience


class TrainingInterrupted(UserWarning):
    """Warned when Ctrl-C ends training early; the result so far is kept."""


class InterruptFlag:
    """Set when Ctrl-C arrives during training; read at the end of each epoch."""

    def __init__(self):
        self.raised = False

    def set(self, signum=None, frame=None):
        self.raised = True


@contextmanager
def interrupt_after_epoch():
    """Turn Ctrl-C into a flag for the duration of the block, then restore it.

    Only the main thread can take signals; elsewhere (worker threads of a parallel
    search, say) Ctrl-C keeps its usual effect and the flag is never set.
    """
    flag = InterruptFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.signal(signal.SIGINT, flag.set)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
