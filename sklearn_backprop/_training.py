"""The training loop: mini-batches -> passes -> optimiser steps -> history rows ->
stopping rule -> callbacks, and stopping cleanly on Ctrl-C.

:class:`Loop` receives the fit's data (:class:`._fit_data.FitData`), the
network's :class:`._spec.NetworkSpec`, a :class:`TrainingState` (fresh ones
from :func:`initial_state`) and :class:`Settings`, and trains the state in
place; the estimator only builds them and stores the result. The passes over
rows are those of :mod:`._blockwise`, the steps those of :mod:`._optimizers`.
"""

import math
import signal
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from . import _blockwise, _network, _optimizers, _threads
from ._array_api import copy as copy_array
from ._array_api import like, to_numpy
from ._diagnostics import (
    DIAGNOSTICS,
    UNKNOWN_UPDATE,
    StepMeans,
    pass_diagnostics,
    update_ratios,
)
from ._history import History


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
    """Decide when a monitored loss (or score) has stopped improving.

    Training stops once ``patience`` values in a row fail to beat the best value
    so far by at least ``tol``, counted from the first value; ``tol=None`` never
    stops. Lower values are better, or higher ones with ``maximize`` (a
    validation score). With ``wait_for_fall``, values worse than the first one
    are not counted: a large step can make the training loss rise for a while
    before it falls, and stopping there would end on weights worse than the
    initial ones. (A monitored validation loss or score needs no such wait:
    early stopping restores the best weights, the initial ones included.)
    """

    def __init__(self, tol, patience, *, wait_for_fall=False, maximize=False):
        self.tol = tol
        self.patience = patience
        self.wait_for_fall = wait_for_fall
        # Comparisons are made on sign * value, for which lower is better.
        self.sign = -1.0 if maximize else 1.0
        self.first = None
        self.last = None
        self.best = self.sign * np.inf
        self.n_without_improvement = 0

    def update(self, value):
        """Take the next value; return True when training should stop."""
        if self.first is None:
            self.first = value
        self.last = value
        sign = self.sign
        if self.tol is not None:
            if sign * value <= sign * self.best - self.tol:
                self.n_without_improvement = 0
            elif not (self.wait_for_fall and sign * value > sign * self.first):
                self.n_without_improvement += 1
        if sign * value < sign * self.best:
            self.best = value
        return self.tol is not None and self.n_without_improvement >= self.patience

    def restart(self):
        """Start counting anew, after the step size was reduced."""
        self.n_without_improvement = 0


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


@dataclass
class TrainingState:
    """What training updates, and what a later call to fit continues from."""

    coefs: list
    intercepts: list
    # The optimiser's state (see _optimizers); None before its first step.
    optimizer_state: dict | None
    history: History
    rng: np.random.RandomState
    # Training rows processed over all epochs: MLPClassifier's t_.
    samples_seen: int = 0
    # NumPy copies of the weights by iteration (see Loop._snapshot); None
    # until a fit keeps some.
    snapshots: dict | None = None

    def all_params(self):
        """Weights then biases, in the order the optimiser's state follows."""
        return self.coefs + self.intercepts


def initial_state(spec, X, init_scale, random_state):
    """A fresh training state for ``spec``'s network on data like ``X``.

    ``check_random_state(random_state)`` draws the weights (see
    :func:`._network.init_weights`) in NumPy's float64, so that every array
    library and float type starts from the same ones, then goes on to draw the
    validation split and the mini-batch order.
    """
    rng = check_random_state(random_state)
    layer_sizes = [X.shape[1], spec.hidden_size, spec.n_outputs]
    coefs, intercepts = _network.init_weights(
        rng, layer_sizes, init_scale, np.float64, spec.activation
    )
    return TrainingState(
        coefs=[like(W, X) for W in coefs],
        intercepts=[like(b, X) for b in intercepts],
        optimizer_state=None,
        history=History(),
        rng=rng,
    )


class BestWeights(NamedTuple):
    """Copies of the parameters at the iteration of the best validation loss or
    score: ``value``."""

    iteration: int
    value: float
    params: list


@dataclass(frozen=True)
class Settings:
    """The estimator's parameters that the loop reads, resolved for this fit."""

    alpha: float
    # Rows per step; None for full-batch steps.
    batch_size: int | None
    shuffle: bool
    # None: never stop before the last epoch (partial_fit, or tol=None).
    tol: float | None
    n_iter_no_change: float
    early_stopping: bool
    learning_rate: float
    max_iter: int
    verbose: int
    # "batches" or "exact": how mini-batch epochs compute their history rows.
    epoch_metrics: str = "batches"
    # The validation data's score for a training state's current weights
    # (greater is better), recorded as val_score; None records none.
    validation_score: Callable[["TrainingState"], float] | None = None
    # Keep a copy of the weights every this many iterations; None keeps none.
    snapshot_every: int | None = None
    # Whether history rows record gradient and weight norms, update ratios and
    # saturated units (see ._diagnostics).
    diagnostics: bool = False


class Loop:
    """Train a :class:`TrainingState` in place, one iteration (epoch) at a time.

    Each iteration records the metrics of the weights it starts from as a row
    of the history, then updates the weights (:meth:`run_epochs`, for the
    stochastic solvers; :meth:`run_lbfgs` lets L-BFGS choose the steps), then
    asks the stopping rule and the callbacks whether to go on.

    Parameters
    ----------
    state : TrainingState
        The state to train.

    spec : ._spec.NetworkSpec
        The network the state's weights belong to, and its loss.

    settings : Settings
        How to train.

    data : ._fit_data.FitData
        The training rows, and the validation rows or None.

    task : ._callbacks.FitTask
        Reports the epochs to scikit-learn's callbacks.
    """

    def __init__(self, state, spec, settings, data, task):
        self.state = state
        self.spec = spec
        self.settings = settings
        self.data = data.train
        self.validation = data.validation
        self.task = task
        self.restores_best = settings.early_stopping and self.validation is not None
        self.scored = settings.validation_score is not None and (
            self.validation is not None
        )
        if self.restores_best:
            self.monitored = "val_score" if self.scored else "val_loss"
        else:
            self.monitored = "loss"
        self.stop_rule = NoImprovementStop(
            settings.tol,
            settings.n_iter_no_change,
            wait_for_fall=not self.restores_best,
            maximize=self.monitored == "val_score",
        )
        # The best row so far, with early stopping.
        self.best = None
        # Seconds count on from the last recorded row, across warm starts.
        self.start = time.perf_counter() - state.history.last("time")

    # -------------------------------------------------------------- stochastic

    def run_epochs(self, optimizer, n_epochs):
        """Run up to ``n_epochs`` epochs of ``optimizer``'s steps.

        ``optimizer`` is one of :mod:`._optimizers`' stochastic solvers; its
        state is kept in the training state at the end.
        """
        n_rows = self.data.X.shape[0]
        # BLAS on one thread for the whole loop, not pass by pass: its results
        # would otherwise depend on the machine's cores, and setting it for
        # each of a small fit's passes costs a third of an iris iteration.
        with _threads.blas_on_one_thread(), interrupt_after_epoch() as interrupt:
            # Reported once Ctrl-C is caught: a progress bar shown by a
            # callback tells the user that training has begun.
            self.task.begin()
            self._snapshot()
            for _ in range(n_epochs):
                self.task.begin_epoch()
                row = self._epoch(optimizer)
                self.state.samples_seen += n_rows
                optimizer.end_epoch(self.state.samples_seen)
                self._snapshot()
                stop = self.stop_rule.update(row[self.monitored])
                if stop and optimizer.on_plateau():
                    self.stop_rule.restart()
                    stop = False
                if self.task.end_epoch() or stop:
                    break
                if self._interrupted(interrupt):
                    break
            else:
                self._warn_unconverged()
        self.state.optimizer_state = optimizer.state
        return self._finish_with_snapshot()

    def _epoch(self, optimizer):
        """Run one epoch of steps and record its history row; return the row.

        A full-batch step takes its gradients from the pass that computes the
        row, exact for the weights it starts from. Mini-batch epochs record
        the mean of their batches' metrics, weighted by rows, each batch's
        taken before its step (``epoch_metrics="batches"``), or make a pass
        over the whole training set first for exact metrics (``"exact"``).
        """
        params = self.state.all_params()
        full_batch = self.settings.batch_size is None
        diagnose = self.settings.diagnostics
        if full_batch or self.settings.epoch_metrics == "exact":
            totals = self._pass(
                self.data, gradients=full_batch or diagnose, saturation=diagnose
            )
            diagnostics = None
            if diagnose:
                # The update ratios are those of the step(s) still to come.
                diagnostics = self._diagnostics(totals, self.data, UNKNOWN_UPDATE)
            row = self._record(totals, self._penalty(), diagnostics)
            self._keep_if_best(row, params)
            before = self._coef_copies() if diagnose else None
            if full_batch:
                self._step(optimizer, totals)
                ratios = update_ratios(before, self.state.coefs) if diagnose else None
            else:
                _, _, ratios = self._descend(optimizer, metrics=False)
            if diagnose:
                self.state.history.amend(ratios)
                row.update(ratios)
            return row
        totals, penalty, diagnostics = self._descend(optimizer, metrics=True)
        # Validation metrics, and the weights kept as the best, are those at the
        # end of the epoch.
        row = self._record(totals, penalty, diagnostics)
        self._keep_if_best(row, params)
        return row

    def _descend(self, optimizer, *, metrics):
        """Take one step per mini-batch of an epoch.

        Return the batches' metric sums added up, the mean of the penalty at
        the weights each batch saw, and the mean of the batches' diagnostics
        (:class:`._diagnostics.StepMeans`), the means weighted by rows: with
        ``metrics``; without, None for the first two and, with diagnostics,
        the update ratios alone (a pass over the whole set gives the rest).
        """
        settings = self.settings
        batches = batch_slices(
            self.data.X.shape[0], settings.batch_size, settings.shuffle, self.state.rng
        )
        steps = None
        if settings.diagnostics:
            steps = StepMeans(self.state.coefs, self.spec, settings.alpha, metrics)
        saturation = steps is not None and metrics
        epoch_totals, penalty_sum = None, 0.0
        for rows in batches:
            batch = self.data.take(rows)
            totals = self._pass(
                batch, metrics=metrics, gradients=True, saturation=saturation
            )
            if batch.sample_weight is not None and not totals.weight > 0:
                # Rows of zero weight only: the batch adds nothing, nor steps.
                continue
            if metrics:
                penalty_sum += totals.weight * self._penalty()
            if steps is not None:
                steps.before_step()
            self._step(optimizer, totals)
            if steps is not None:
                steps.after_step(totals, batch.X.shape[0])
            if metrics:
                # The metric sums only: the gradients have done their work.
                totals.grads = totals.saturated = None
                if epoch_totals is None:
                    epoch_totals = totals
                else:
                    epoch_totals += totals
        diagnostics = None if steps is None else steps.means()
        if metrics:
            return epoch_totals, penalty_sum / epoch_totals.weight, diagnostics
        return None, None, diagnostics

    def _penalty(self, coefs=None):
        """The L2 penalty of ``coefs`` (the current weights by default)."""
        coefs = self.state.coefs if coefs is None else coefs
        return _network.l2_penalty(coefs, self.settings.alpha)

    def _step(self, optimizer, totals):
        """Update the weights along the gradient sums in ``totals``."""
        params, sums, alphas = self._gradient_terms(totals.grads)
        optimizer.step_from_sums(params, sums, totals.N, alphas)

    def _coef_copies(self):
        """Copies of the weight matrices, to measure a step by."""
        return [copy_array(W) for W in self.state.coefs]

    def _diagnostics(self, totals, rows, ratios, coefs=None):
        """The diagnostics of a pass over ``rows`` at ``coefs`` (the current
        weights by default), with the update ratios ``ratios``."""
        coefs = self.state.coefs if coefs is None else coefs
        values = pass_diagnostics(
            totals, rows.X.shape[0], coefs, self.spec, self.settings.alpha
        )
        values.update(ratios)
        return values

    def _gradient_terms(self, grads):
        """The parameters, their gradient sums ``grads`` and L2 penalties.

        The penalty applies to the weights, not to the biases; a network
        without biases leaves them out.
        """
        state, alpha = self.state, self.settings.alpha
        params, sums = list(state.coefs), list(grads.coefs)
        alphas = [alpha] * len(params)
        if grads.intercepts is not None:
            params, sums = params + state.intercepts, sums + grads.intercepts
            alphas += [0.0] * len(state.intercepts)
        return params, sums, alphas

    # ------------------------------------------------------------------ L-BFGS

    def run_lbfgs(self, max_iter):
        """Minimise the training loss with L-BFGS, for up to ``max_iter`` iterations.

        Full batch: each evaluation is one pass over the training data. The
        history row of an iteration comes from the pass at its starting
        weights, as for the other solvers.
        """
        state, settings = self.state, self.settings
        if not self.spec.fit_intercept:
            # L-BFGS moves every parameter it is given: leave the zero biases out.
            params = state.coefs
        else:
            params = state.all_params()
        # The latest evaluation, and the one at the start of the iteration that
        # runs: (copies of the parameters, their Totals).
        latest, start = {}, {}

        diagnose = settings.diagnostics

        def objective(current):
            totals = self._pass(self.data, gradients=True, saturation=diagnose)
            latest["point"] = ([copy_array(p) for p in current], totals)
            start.setdefault("point", latest["point"])
            _, sums, alphas = self._gradient_terms(totals.grads)
            loss = history_row(totals, self.spec)["loss"] + self._penalty()
            return loss, _network.mean_gradients(current, sums, totals.N, alphas)

        def record_start(current):
            """Record the row of the iteration that took the parameters from
            the start point to ``current``: every column, training and
            validation, is that of the start point, and so are the weights
            kept as the best (the row is recorded with them in place)."""
            copies, totals = start["point"]
            diagnostics = None
            if diagnose:
                before = copies[: len(state.coefs)]
                ratios = update_ratios(before, state.coefs)
                diagnostics = self._diagnostics(totals, self.data, ratios, before)
            reached = [copy_array(p) for p in current]
            _assign(current, copies)
            row = self._record(totals, self._penalty(), diagnostics)
            self._keep_if_best(row, current)
            _assign(current, reached)
            return row

        def after_iteration(current):
            self.task.begin_epoch()
            row = record_start(current)
            state.samples_seen += self.data.X.shape[0]
            self._snapshot()
            stop = self.stop_rule.update(row[self.monitored])
            if self.task.end_epoch() or stop:
                raise _optimizers.StopMinimizing
            if self._interrupted(interrupt):
                raise _optimizers.StopMinimizing
            # The next iteration starts where this one ended, which SciPy
            # evaluated last; a fresh pass only where it did not.
            copies = latest["point"][0]
            if not all(_same(a, b) for a, b in zip(copies, current)):
                totals = self._pass(self.data, gradients=diagnose, saturation=diagnose)
                latest["point"] = ([copy_array(p) for p in current], totals)
            start["point"] = latest["point"]

        with _threads.blas_on_one_thread(), interrupt_after_epoch() as interrupt:
            self.task.begin()
            self._snapshot()
            result = _optimizers.minimize_lbfgs(
                objective,
                params,
                max_iter=max_iter,
                tol=0.0 if settings.tol is None else settings.tol,
                after_iteration=after_iteration,
            )
        if result is not None:
            if result.nit == 0 and "point" in start:
                # No iteration ended: the history keeps the start point SciPy
                # evaluated.
                record_start(params)
            self._warn_lbfgs_stop(result, max_iter)
        self.state.optimizer_state = None
        return self._finish_with_snapshot()

    # ---------------------------------------------------------------- records

    def _pass(self, data, *, metrics=True, gradients, saturation=False):
        """Return the Totals of the current weights over ``data`` (Rows); with
        ``saturation``, counting the saturated hidden units."""
        # A mini-batch is too small to share among threads.
        n_threads = None if self.settings.batch_size is None else 1
        return _blockwise.pass_totals(
            data,
            self.state.coefs,
            self.state.intercepts,
            self.spec,
            metrics=metrics,
            gradients=gradients,
            saturation=saturation,
            n_threads=n_threads,
        )

    def _record(self, totals, penalty, diagnostics=None):
        """Append the metrics in ``totals`` (and on validation data) to the history.

        The loss includes ``penalty``, that of the weights ``totals`` come
        from; ``diagnostics``, None or the values of :meth:`_diagnostics`,
        follow the metrics. The validation metrics are those of the current
        weights. Returns the row.
        """
        state, settings = self.state, self.settings
        row = history_row(totals, self.spec)
        if settings.alpha > 0:
            # Not +=: for the squared error, loss and mse may be one 0-d array
            # of another library, which += would change in place.
            row["loss"] = row["loss"] + penalty
        if diagnostics is not None:
            row.update({name: diagnostics[name] for name in DIAGNOSTICS})
        if not math.isfinite(float(row["loss"])):
            raise FloatingPointError(
                f"The training loss became {row['loss']} at iteration "
                f"{len(state.history)}: gradient descent diverged. Use a smaller "
                f"learning_rate (now {settings.learning_rate}) or scale the features."
            )
        if self.validation is not None:
            val_totals = self._pass(self.validation, gradients=False)
            val_row = history_row(val_totals, self.spec)
            row.update({f"val_{name}": value for name, value in val_row.items()})
            if self.scored:
                row["val_score"] = float(self.settings.validation_score(state))
        row["time"] = time.perf_counter() - self.start
        state.history.record(row)
        if settings.verbose:
            print(progress_line(len(state.history) - 1, row))
        return row

    def _keep_if_best(self, row, params):
        """With early stopping, keep a copy of the best weights so far: those of
        the lowest validation loss, or of the highest score; the first of equals.
        """
        if not self.restores_best:
            return
        value = row[self.monitored]
        if self.best is None:
            better = True
        elif self.monitored == "val_score":
            better = value > self.best.value
        else:
            better = value < self.best.value
        if better:
            iteration = len(self.state.history) - 1
            copies = [copy_array(p) for p in params]
            self.best = BestWeights(iteration, value, copies)

    # -------------------------------------------------------------- endings

    def _interrupted(self, interrupt):
        """Whether Ctrl-C arrived; if so, warn that training ends here."""
        if not interrupt.raised:
            return False
        warnings.warn(
            "Training interrupted by Ctrl-C after iteration "
            f"{len(self.state.history) - 1}; the weights and history trained so "
            "far are kept.",
            TrainingInterrupted,
        )
        return True

    def _warn_unconverged(self):
        if self.settings.tol is None:
            return
        warnings.warn(
            f"BackpropClassifier reached max_iter={self.settings.max_iter} "
            f"before the {self.monitored} stopped improving by "
            f"tol={self.settings.tol}; increase max_iter or tol.",
            ConvergenceWarning,
        )

    def _warn_lbfgs_stop(self, result, max_iter):
        """Warn where SciPy's L-BFGS ``result`` is no convergence."""
        if result.nit >= max_iter:
            self._warn_unconverged()
        elif not result.success:
            reason = str(result.message).rstrip(": .")
            warnings.warn(
                f"L-BFGS stopped after {result.nit} iterations without "
                f"converging ({reason}). Scale the features (for instance with "
                "StandardScaler) or use another solver.",
                ConvergenceWarning,
            )

    def _snapshot(self, *, final=False):
        """Keep NumPy copies of the current weights when the iteration count is
        a multiple of ``snapshot_every``, or at the end of training (``final``).

        The count is that of the iterations run, over all calls: the weights
        kept under ``n`` are those after ``n`` iterations (0: the initial ones),
        those that a fit with ``max_iter=n`` would end on. The end of training
        keeps the weights the estimator stores (with early stopping, the
        restored ones) and drops the end of an earlier call that falls between
        multiples, so that at most one entry, the last, is not a multiple.
        """
        every = self.settings.snapshot_every
        if every is None:
            return
        state = self.state
        iteration = len(state.history)
        if not final and iteration % every:
            return
        snapshots = {} if state.snapshots is None else state.snapshots
        if final:
            snapshots = {i: kept for i, kept in snapshots.items() if i % every == 0}
        # NumPy copies, for every array library: they cost no device memory,
        # and plots and model files read them as they are.
        snapshots[iteration] = {
            "coefs": [np.array(to_numpy(W)) for W in state.coefs],
            "intercepts": [np.array(to_numpy(b)) for b in state.intercepts],
        }
        state.snapshots = snapshots

    def _finish_with_snapshot(self):
        """:meth:`_finish`, then keep the final weights; return its result."""
        best_iteration = self._finish()
        self._snapshot(final=True)
        return best_iteration

    def _finish(self):
        """Restore the best weights with early stopping; return their iteration.

        Without early stopping, warn when training ends on a loss much worse than
        its best (an unstable step size): more than half as large again, plus
        0.01.
        """
        if self.best is not None:
            iteration, params = self.best.iteration, self.best.params
            for param, saved in zip(self.state.all_params(), params):
                param[...] = saved
            if iteration == 0 and len(self.state.history) > 1:
                what = "score" if self.monitored == "val_score" else "loss"
                warnings.warn(
                    f"The validation {what} never improved on its value at "
                    "iteration 0: early stopping restored those weights after "
                    f"{len(self.state.history)} iterations. Use a smaller "
                    "learning_rate, or more validation data.",
                    ConvergenceWarning,
                )
            return iteration
        best, last = self.stop_rule.best, self.stop_rule.last
        if last is not None and last > 1.5 * best + 0.01:
            warnings.warn(
                f"Training ended with a {self.monitored} of {last:.4g}, well above "
                f"its best, {best:.4g}: the steps were unstable. Use a smaller "
                "learning_rate, or early_stopping=True to keep the best weights.",
                ConvergenceWarning,
            )
        return None


def history_row(totals, spec):
    """The mean ``loss``, ``mse`` and ``accuracy`` of a pass's ``totals``.

    ``mse`` is the tutorial's: the squared errors over every output entry,
    divided by twice their number.
    """
    mse = totals.squared_error / (2 * spec.n_outputs * totals.weight)
    if spec.loss == "squared_error":
        mean_loss = mse
    else:
        # 0.0 + m: a perfect fit reads 0.0, not -0.0.
        mean_loss = 0.0 + totals.loss / totals.weight
    return {"loss": mean_loss, "mse": mse, "accuracy": totals.correct / totals.weight}


def _assign(params, values):
    """Write ``values`` into the arrays ``params``, in place."""
    for param, value in zip(params, values):
        param[...] = value


def _same(a, b):
    """Whether two arrays of one library hold the same values."""
    return bool((a == b).all()) if isinstance(a, np.ndarray) else False


def progress_line(iteration, row):
    """Format one history row for verbose output."""
    metrics = ", ".join(
        f"{name} = {value:.6g}" for name, value in row.items() if name != "time"
    )
    return f"Iteration {iteration}: {metrics}"
