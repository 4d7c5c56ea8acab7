"""
The decision regions forming
============================

A network starts from small random weights, which put almost the whole plane
in one class, and backpropagation bends the boundary step by step until it
follows the data. ``snapshot_every=k`` keeps a copy of the weights every ``k``
iterations (and the initial and final ones) in ``snapshots_``;
:class:`~sklearn_backprop.DecisionRegionsDisplay` draws the regions that each
copy predicts, as small multiples and as an animated GIF.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification, make_moons

from sklearn_backprop import BackpropClassifier, DecisionRegionsDisplay

X, y = make_moons(n_samples=300, noise=0.15, random_state=0)
# Full-batch gradient descent with a large step, as in the hidden-layer
# example: 600 iterations, the weights kept every 20.
clf = BackpropClassifier(
    hidden_size=6,
    solver="sgd",
    momentum=0.0,
    batch_size=None,
    learning_rate=3.0,
    max_iter=600,
    tol=None,
    snapshot_every=20,
    random_state=0,
).fit(X, y)
print(f"training accuracy: {clf.score(X, y):.3f}")
print(f"weights kept at {len(clf.snapshots_)} iterations: {list(clf.snapshots_)[:4]}")

# %%
# The memory the copies take
# --------------------------
# Each copy holds ``coefs_`` and ``intercepts_`` as NumPy arrays:
# ``(n_features + 1) * hidden_size + (hidden_size + 1) * n_outputs`` numbers,
# here 3 * 6 + 7 * 2 = 32 float64 numbers, 256 bytes, plus about 1 KB of
# Python objects around them. A larger network costs more per copy: 50 hidden
# units on 20 features take 9 KB a copy, so that 2,000 iterations kept every
# 20 take about 1 MB (``benchmarks/bench_snapshots.py`` measures it).
kept_bytes = sum(
    array.nbytes
    for snapshot in clf.snapshots_.values()
    for array in snapshot["coefs"] + snapshot["intercepts"]
)
print(f"{len(clf.snapshots_)} copies, {kept_bytes} bytes of weights")

# %%
# Small multiples
# ---------------
# The regions at a few chosen iterations, each predicted on a grid through the
# package's forward pass with that iteration's weights.
display = DecisionRegionsDisplay.from_estimator(
    clf, X, y, iterations=[0, 20, 60, 140, 300, 600], grid_resolution=150
)
plt.show()

# %%
# The animation
# -------------
# ``save_gif`` draws one frame per kept iteration, 31 here, with matplotlib's
# Pillow writer. The file is written next to this example; the
# documentation's build moves it onto this page.
display.save_gif("plot_decision_regions.gif", fps=6)
print(f"{len(display.regions)} frames")

# %%
# More than two features
# ----------------------
# With more features the plane drawn is that of the data's first two
# principal components, which the axes (``PC1``, ``PC2``) and the title say;
# the grid's points are mapped back to the features before predicting, so the
# regions are those of the network on that plane through the data.

X4, y4 = make_classification(
    n_samples=300,
    n_features=4,
    n_informative=3,
    n_redundant=1,
    n_classes=3,
    n_clusters_per_class=1,
    random_state=0,
)
clf4 = BackpropClassifier(
    solver="adam",
    hidden_size=8,
    max_iter=200,
    tol=None,
    snapshot_every=50,
    random_state=0,
).fit(X4, y4)
DecisionRegionsDisplay.from_estimator(
    clf4, X4, y4, iterations=[0, 50, 200], grid_resolution=100
)
plt.show()
