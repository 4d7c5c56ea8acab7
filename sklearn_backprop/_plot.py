"""HistoryDisplay: training curves from a fitted estimator's history_."""


class HistoryDisplay:
    """Training curves, one axes per metric, from a ``history_`` DataFrame.

    Build it with :meth:`from_estimator`, or from a DataFrame and call
    :meth:`plot`. matplotlib is imported only when plotting.

    Parameters
    ----------
    history : pandas.DataFrame
        Per-iteration metrics, such as a fitted estimator's ``history_``.

    metrics : list of str, default=None
        Columns to plot, one axes each, with their validation columns on the
        same axes; None plots every training metric (not ``time``).

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes
        One axes per metric.

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
    """

    def __init__(self, history, *, metrics=None):
        self.history = history
        self.metrics = metrics

    @classmethod
    def from_estimator(cls, estimator, *, metrics=None, ax=None):
        """Plot the training curves of a fitted estimator.

        Parameters
        ----------
        estimator : BackpropClassifier
            A fitted estimator; only its ``history_`` is read.

        metrics : list of str, default=None
            Columns of ``history_`` to plot, one axes each, with their
            validation columns on the same axes; None plots every training
            metric.

        ax : array-like of matplotlib Axes, default=None
            One axes per metric; None creates a figure with a row of axes.

        Returns
        -------
        display : HistoryDisplay
        """
        return cls(estimator.history_, metrics=metrics).plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw each metric against the iteration number, one axes per metric.

        Where the history has a validation column for a metric (``val_loss``
        for ``loss``), both curves share the metric's axes, with a legend.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            One axes per metric; None creates a figure with a row of axes.

        Returns
        -------
        display : HistoryDisplay
            Itself, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        import matplotlib.pyplot as plt
        import numpy as np

        metrics = self._metrics()
        if ax is None:
            _, ax = plt.subplots(
                1,
                len(metrics),
                figsize=(4 * len(metrics), 3),
                squeeze=False,
                layout="constrained",
            )
        ax = np.ravel(ax)
        if ax.size != len(metrics):
            raise ValueError(f"got {ax.size} axes for {len(metrics)} metrics.")
        self.lines_ = {}
        for name, axes in zip(metrics, ax):
            validation = f"val_{name}"
            curves = {name: "train"}
            if validation in self.history.columns:
                curves[validation] = "validation"
            for column, label in curves.items():
                (self.lines_[column],) = axes.plot(
                    self.history.index, self.history[column], label=label
                )
            if len(curves) > 1:
                axes.legend()
            axes.set_title(name)
            axes.set_xlabel(self.history.index.name or "iteration")
        self.ax_ = ax
        self.figure_ = ax[0].figure
        return self

    def _metrics(self):
        """The metrics to plot: those asked for, or every training metric."""
        columns = list(self.history.columns)
        if self.metrics is None:
            return [
                name
                for name in columns
                if not name.startswith("val_") and name != "time"
            ]
        missing = [name for name in self.metrics if name not in columns]
        if missing:
            raise ValueError(
                f"metrics {missing} are not in the history; its columns are {columns}."
            )
        return list(self.metrics)
