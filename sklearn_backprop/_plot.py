"""HistoryDisplay: training curves from a fitted estimator's history_."""

from ._diagnostics import DIAGNOSTICS

# The panels of kind="diagnostics": title, columns and labels, log scale.
DIAGNOSTIC_PANELS = (
    ("gradient norm", {"grad_norm_W1": "W1", "grad_norm_W2": "W2"}, True),
    ("update ratio", {"update_ratio_W1": "W1", "update_ratio_W2": "W2"}, True),
    ("saturated share", {"saturated": "hidden units"}, False),
)
KINDS = ("metrics", "diagnostics", "all")


class HistoryDisplay:
    """Training curves, one axes per metric, from a ``history_`` DataFrame.

    Build it with :meth:`from_estimator`, or from a DataFrame and call
    :meth:`plot`. matplotlib is imported only when plotting. With
    ``kind="diagnostics"`` it draws what a fit with ``diagnostics=True``
    records instead: the gradient norm of each weight matrix and the update
    ratios on log scales, and the share of saturated hidden units.

    Parameters
    ----------
    history : pandas.DataFrame
        Per-iteration metrics, such as a fitted estimator's ``history_``.

    metrics : str or list of str, default=None
        Columns to plot, one axes each, with their validation columns on the
        same axes; a string is one column; None plots every training metric
        (not ``time`` nor the diagnostics).

    kind : {"metrics", "diagnostics", "all"}, default="metrics"
        ``"metrics"``: the ``metrics``; ``"diagnostics"``: three axes, the
        gradient norms ``grad_norm_W1`` and ``grad_norm_W2``, the update
        ratios ``update_ratio_W1`` and ``update_ratio_W2`` (both on log
        scales) and the ``saturated`` share; ``"all"``: the metrics, then the
        diagnostics.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes
        One axes per metric or diagnostic panel.

    figure_ : matplotlib Figure
        The figure holding the axes.

    lines_ : dict of str to matplotlib Line2D
        The line drawn for each column, validation columns included.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_backprop import BackpropClassifier, HistoryDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = BackpropClassifier(max_iter=50, tol=None, random_state=0).fit(X, y)
    >>> display = HistoryDisplay.from_estimator(clf, metrics=["mse", "accuracy"])
    >>> [ax.get_title() for ax in display.ax_]
    ['mse', 'accuracy']

    The inside of training, from a fit with ``diagnostics=True``:

    >>> clf = BackpropClassifier(
    ...     max_iter=50, tol=None, diagnostics=True, random_state=0
    ... ).fit(X, y)
    >>> display = HistoryDisplay.from_estimator(clf, kind="diagnostics")
    >>> [ax.get_title() for ax in display.ax_]
    ['gradient norm', 'update ratio', 'saturated share']
    """

    def __init__(self, history, *, metrics=None, kind="metrics"):
        self.history = history
        self.metrics = metrics
        self.kind = kind

    @classmethod
    def from_estimator(cls, estimator, *, metrics=None, kind="metrics", ax=None):
        """Plot the training curves of a fitted estimator.

        Parameters
        ----------
        estimator : BackpropClassifier
            A fitted estimator; only its ``history_`` is read.

        metrics : str or list of str, default=None
            Columns of ``history_`` to plot, one axes each, with their
            validation columns on the same axes; a string is one column;
            None plots every training metric.

        kind : {"metrics", "diagnostics", "all"}, default="metrics"
            What to draw: see :class:`HistoryDisplay`.

        ax : array-like of matplotlib Axes, default=None
            One axes per metric or panel; None creates a figure with a row
            of axes.

        Returns
        -------
        display : HistoryDisplay
        """
        return cls(estimator.history_, metrics=metrics, kind=kind).plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw each metric against the iteration number, one axes per metric.

        Where the history has a validation column for a metric (``val_loss``
        for ``loss``), both curves share the metric's axes, with a legend; the
        diagnostics of the two weight matrices share an axes likewise.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            One axes per metric or panel; None creates a figure with a row
            of axes.

        Returns
        -------
        display : HistoryDisplay
            Itself, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        import matplotlib.pyplot as plt
        import numpy as np

        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}.")
        panels = []
        if self.kind in ("metrics", "all"):
            panels += self._metric_panels()
        if self.kind in ("diagnostics", "all"):
            panels += self._diagnostic_panels()
        if ax is None:
            _, ax = plt.subplots(
                1,
                len(panels),
                figsize=(4 * len(panels), 3),
                squeeze=False,
                layout="constrained",
            )
        ax = np.ravel(ax)
        if ax.size != len(panels):
            what = "metrics" if self.kind == "metrics" else "panels"
            raise ValueError(f"got {ax.size} axes for {len(panels)} {what}.")
        self.lines_ = {}
        for (title, curves, log), axes in zip(panels, ax):
            for column, label in curves.items():
                (self.lines_[column],) = axes.plot(
                    self.history.index, self.history[column], label=label
                )
            if len(curves) > 1:
                axes.legend()
            if log:
                axes.set_yscale("log")
            axes.set_title(title)
            axes.set_xlabel(self.history.index.name or "iteration")
        self.ax_ = ax
        self.figure_ = ax[0].figure
        return self

    def _metric_panels(self):
        """Each metric's title, columns with their labels, and linear scale."""
        panels = []
        for name in self._metrics():
            curves = {name: "train"}
            if f"val_{name}" in self.history.columns:
                curves[f"val_{name}"] = "validation"
            panels.append((name, curves, False))
        return panels

    def _diagnostic_panels(self):
        """The panels of the diagnostics, which the history must hold."""
        missing = [name for name in DIAGNOSTICS if name not in self.history.columns]
        if missing:
            raise ValueError(
                f"the history has no diagnostics ({', '.join(missing)}): fit "
                "with diagnostics=True to record them."
            )
        return list(DIAGNOSTIC_PANELS)

    def _metrics(self):
        """The metrics to plot: those asked for (a name is one metric), or
        every training metric."""
        columns = list(self.history.columns)
        if self.metrics is None:
            return [
                name
                for name in columns
                if not name.startswith("val_")
                and name != "time"
                and name not in DIAGNOSTICS
            ]
        metrics = [self.metrics] if isinstance(self.metrics, str) else self.metrics
        if len(metrics) == 0:
            raise ValueError(
                "metrics is empty: name at least one column of the history "
                f"({columns}), or give None for every training metric."
            )
        missing = [name for name in metrics if name not in columns]
        if missing:
            raise ValueError(
                f"metrics {missing} are not in the history; its columns are {columns}."
            )
        return list(metrics)
