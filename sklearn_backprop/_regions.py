"""DecisionRegionsDisplay: the decision regions at the iterations kept in
``snapshots_``, as small multiples and as an animated GIF."""

import numpy as np

from . import _prediction
from ._array_api import to_numpy

# The number of iterations drawn when none are chosen.
_DEFAULT_PANELS = 6


class DecisionRegionsDisplay:
    """Decision regions of a network at several iterations of its training.

    One axes per iteration, with the data on top, from the weights a fit with
    ``snapshot_every`` kept in ``snapshots_``. Data with two features are drawn
    as they are; data with more are projected on their first two principal
    components (axes ``PC1`` and ``PC2``, said in the figure's title), whose
    grid points are mapped back to the features before predicting. Build it
    with :meth:`from_estimator`. matplotlib is imported only when drawing.

    Parameters
    ----------
    xx, yy : ndarray of shape (grid_resolution, grid_resolution)
        The grid's coordinates in the plane drawn, as ``numpy.meshgrid`` gives.

    regions : dict of int to ndarray of shape (grid_resolution, grid_resolution)
        For each kept iteration, in order, the index in ``classes`` of the
        class predicted at each grid point.

    points : ndarray of shape (n_samples, 2)
        The data's coordinates in the plane drawn.

    labels : ndarray of shape (n_samples,)
        The index in ``classes`` of each row's class.

    classes : ndarray of shape (n_classes,)
        The estimator's classes, for the legend.

    iterations : list of int, default=None
        The iterations :meth:`plot` draws, keys of ``regions``; None draws up
        to six of them, evenly spread, the first and the last included.

    axis_labels : tuple of two str, default=("x0", "x1")
        The horizontal and vertical axes' labels.

    projected : bool, default=False
        Whether the plane is that of the first two principal components,
        which :meth:`plot` says in the figure's title.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes
        One axes per iteration drawn, titled ``"iteration N"``.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    BackpropClassifier : its ``snapshot_every`` parameter keeps the weights.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sklearn_backprop import BackpropClassifier, DecisionRegionsDisplay
    >>> X, y = make_moons(n_samples=100, noise=0.2, random_state=0)
    >>> clf = BackpropClassifier(
    ...     max_iter=30, tol=None, snapshot_every=10, random_state=0
    ... ).fit(X, y)
    >>> list(clf.snapshots_)
    [0, 10, 20, 30]
    >>> display = DecisionRegionsDisplay.from_estimator(clf, X, y, grid_resolution=20)
    >>> [ax.get_title() for ax in display.ax_]
    ['iteration 0', 'iteration 10', 'iteration 20', 'iteration 30']
    """

    def __init__(
        self,
        xx,
        yy,
        regions,
        points,
        labels,
        classes,
        *,
        iterations=None,
        axis_labels=("x0", "x1"),
        projected=False,
    ):
        self.xx = xx
        self.yy = yy
        self.regions = regions
        self.points = points
        self.labels = labels
        self.classes = classes
        self.iterations = iterations
        self.axis_labels = axis_labels
        self.projected = projected

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, iterations=None, grid_resolution=100, ax=None
    ):
        """Draw the decision regions of a fitted estimator at kept iterations.

        Parameters
        ----------
        estimator : BackpropClassifier
            Fitted with ``snapshot_every`` on single-label targets. Its
            ``snapshots_`` weights and ``spec_`` predict, through the
            package's forward pass; the estimator itself is not changed.

        X : array-like of shape (n_samples, n_features)
            Data to draw, dense, with the estimator's features; at least two.
            With more than two, its first two principal components (fitted
            on ``X``) span the plane drawn.

        y : array-like of shape (n_samples,)
            The rows' classes, among ``estimator.classes_``.

        iterations : list of int, default=None
            Iterations to draw, among the keys of ``snapshots_``; None draws
            up to six, evenly spread, the first and the last included.

        grid_resolution : int, default=100
            Grid points along each axis; the regions of every kept iteration
            are predicted on ``grid_resolution ** 2`` points.

        ax : array-like of matplotlib Axes, default=None
            One axes per iteration; None creates a figure with a row of axes.

        Returns
        -------
        display : DecisionRegionsDisplay
        """
        from sklearn.decomposition import PCA
        from sklearn.utils import check_array
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(estimator)
        snapshots = getattr(estimator, "snapshots_", None)
        if snapshots is None:
            raise ValueError(
                "The estimator kept no weights: fit it with snapshot_every set "
                "to draw its decision regions."
            )
        if estimator.spec_.multilabel:
            raise ValueError(
                "DecisionRegionsDisplay draws single-label classifiers; this "
                "one was fitted on multilabel targets."
            )
        X = check_array(to_numpy(X), dtype=np.float64)
        if X.shape[1] != estimator.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but the estimator was fitted "
                f"with {estimator.n_features_in_}."
            )
        if X.shape[1] < 2:
            raise ValueError("DecisionRegionsDisplay needs at least two features.")
        classes = np.asarray(estimator.classes_)
        y = np.asarray(to_numpy(y))
        labels = np.searchsorted(classes, y)
        labels = np.minimum(labels, classes.size - 1)
        if y.ndim != 1 or not np.array_equal(classes[labels], y):
            raise ValueError("y must hold one class of estimator.classes_ per row.")

        projected = X.shape[1] > 2
        if projected:
            pca = PCA(n_components=2).fit(X)
            points = pca.transform(X)
            axis_labels = ("PC1", "PC2")
        else:
            points = X
            names = getattr(estimator, "feature_names_in_", None)
            axis_labels = ("x0", "x1") if names is None else tuple(names)
        low, high = points.min(axis=0), points.max(axis=0)
        # A margin of a tenth of the range (or 1 where the range is 0) on
        # every side, so that points on the edge are not cut.
        margin = np.where(high > low, (high - low) / 10, 1.0)
        xx, yy = np.meshgrid(
            np.linspace(low[0] - margin[0], high[0] + margin[0], grid_resolution),
            np.linspace(low[1] - margin[1], high[1] + margin[1], grid_resolution),
        )
        grid = np.column_stack([xx.ravel(), yy.ravel()])
        if projected:
            # The points of the features' space that project onto the grid.
            grid = pca.inverse_transform(grid)
        regions = {
            iteration: _predicted_classes(grid, weights, estimator.spec_).reshape(
                xx.shape
            )
            for iteration, weights in snapshots.items()
        }
        display = cls(
            xx,
            yy,
            regions,
            points,
            labels,
            classes,
            iterations=iterations,
            axis_labels=axis_labels,
            projected=projected,
        )
        return display.plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the regions and the data at each iteration, one axes each.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            One axes per iteration; None creates a figure with a row of axes.

        Returns
        -------
        display : DecisionRegionsDisplay
            Itself, with ``ax_`` and ``figure_`` set.
        """
        import matplotlib.pyplot as plt

        iterations = self._iterations()
        if ax is None:
            _, ax = plt.subplots(
                1,
                len(iterations),
                figsize=(3 * len(iterations), 3.2),
                squeeze=False,
                sharex=True,
                sharey=True,
                layout="constrained",
            )
        ax = np.ravel(ax)
        if ax.size != len(iterations):
            raise ValueError(f"got {ax.size} axes for {len(iterations)} iterations.")
        for iteration, axes in zip(iterations, ax):
            self._draw(axes, iteration)
        self.ax_ = ax
        self.figure_ = ax[0].figure
        if self.projected:
            self.figure_.suptitle(_PROJECTED_TITLE)
        return self

    def save_gif(self, path, *, fps=4):
        """Save an animated GIF of the regions at every kept iteration.

        One frame per key of ``regions``, in order, drawn in a figure of its
        own (closed afterwards) with matplotlib's ``FuncAnimation`` and
        ``PillowWriter``.

        Parameters
        ----------
        path : str or path-like
            The GIF file to write.

        fps : float, default=4
            Frames per second.

        Returns
        -------
        display : DecisionRegionsDisplay
            Itself.
        """
        import matplotlib.pyplot as plt
        from matplotlib.animation import FuncAnimation, PillowWriter

        iterations = list(self.regions)
        figure, axes = plt.subplots(figsize=(4.5, 4.2), layout="constrained")
        if self.projected:
            figure.suptitle(_PROJECTED_TITLE, fontsize="medium")
        mesh = self._draw(axes, iterations[0])

        def draw_frame(frame):
            iteration = iterations[frame]
            mesh.set_array(self.regions[iteration].ravel())
            axes.set_title(f"iteration {iteration}")
            return (mesh,)

        animation = FuncAnimation(
            figure, draw_frame, frames=len(iterations), blit=False, repeat=False
        )
        try:
            animation.save(path, writer=PillowWriter(fps=fps))
        finally:
            plt.close(figure)
        return self

    def _iterations(self):
        """The iterations to draw: those chosen, or up to six spread evenly."""
        kept = list(self.regions)
        if self.iterations is None:
            if len(kept) <= _DEFAULT_PANELS:
                return kept
            positions = np.linspace(0, len(kept) - 1, _DEFAULT_PANELS)
            return [kept[i] for i in np.unique(np.round(positions).astype(int))]
        missing = [i for i in self.iterations if i not in self.regions]
        if missing:
            raise ValueError(
                f"No weights were kept at iterations {missing}; those kept are {kept}."
            )
        return list(self.iterations)

    def _draw(self, axes, iteration):
        """Draw one iteration's regions and the data on ``axes``; return the
        regions' mesh."""
        from matplotlib.colors import ListedColormap

        n_classes = len(self.classes)
        colors = ListedColormap([f"C{i % 10}" for i in range(n_classes)])
        mesh = axes.pcolormesh(
            self.xx,
            self.yy,
            self.regions[iteration],
            cmap=colors,
            vmin=-0.5,
            vmax=n_classes - 0.5,
            alpha=0.35,
            shading="auto",
        )
        axes.scatter(
            self.points[:, 0],
            self.points[:, 1],
            c=self.labels,
            cmap=colors,
            vmin=-0.5,
            vmax=n_classes - 0.5,
            edgecolors="k",
            linewidths=0.5,
            s=15,
        )
        axes.set_title(f"iteration {iteration}")
        axes.set_xlabel(self.axis_labels[0])
        axes.set_ylabel(self.axis_labels[1])
        return mesh


_PROJECTED_TITLE = "Decision regions on the first two principal components (PCA of X)"


def _predicted_classes(X, weights, spec):
    """The index of the most probable class of each row of ``X`` for the kept
    ``weights``, through the package's forward pass in the weights' dtype."""
    coefs, intercepts = weights["coefs"], weights["intercepts"]
    X = X.astype(coefs[0].dtype, copy=False)
    proba = _prediction.predict_outputs(X, coefs, intercepts, spec, log=False)
    return np.argmax(proba, axis=1)
