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
        Columns to plot, one axes each; None plots every column.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes
        One axes per metric.

    figure_ : matplotlib Figure
        The figure holding the axes.

    lines_ : dict of str to matplotlib Line2D
        The line drawn for each metric.

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
            Columns of ``history_`` to plot; None plots every column.

        ax : array-like of matplotlib Axes, default=None
            One axes per metric; None creates a figure with a row of axes.

        Returns
        -------
        display : HistoryDisplay
        """
        return cls(estimator.history_, metrics=metrics).plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw each metric against the iteration number.

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

        metrics = list(self.history.columns if self.metrics is None else self.metrics)
        missing = [name for name in metrics if name not in self.history.columns]
        if missing:
            raise ValueError(
                f"metrics {missing} are not in the history; its columns are "
                f"{list(self.history.columns)}."
            )
        if ax is None:
            _, ax = plt.subplots(
                1, len(metrics), figsize=(4 * len(metrics), 3), squeeze=False
            )
        ax = np.ravel(ax)
        if ax.size != len(metrics):
            raise ValueError(f"got {ax.size} axes for {len(metrics)} metrics.")
        self.lines_ = {}
        for name, axes in zip(metrics, ax):
            (self.lines_[name],) = axes.plot(self.history.index, self.history[name])
            axes.set_title(name)
            axes.set_xlabel(self.history.index.name or "iteration")
        self.ax_ = ax
        self.figure_ = ax[0].figure
        return self
