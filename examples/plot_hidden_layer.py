"""
What the hidden layer learns
============================

On two interleaved half moons no straight line separates the classes. Each
hidden sigmoid unit draws one straight boundary, where its input
``x @ W1[:, j] + b1[j]`` is zero; the output layer combines these half-planes
into a curved decision boundary.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

from sklearn_backprop import BackpropClassifier

X, y = make_moons(n_samples=300, noise=0.15, random_state=0)
# Full-batch gradient descent, as in the tutorial, with a large step.
clf = BackpropClassifier(
    hidden_size=6,
    solver="sgd",
    momentum=0.0,
    batch_size=None,
    learning_rate=3.0,
    max_iter=3000,
    tol=None,
    random_state=0,
).fit(X, y)
print(f"training accuracy: {clf.score(X, y):.3f}")

# %%
# The probability of the second class over the plane, the data, and the line
# each hidden unit draws.
xx, yy = np.meshgrid(np.linspace(-1.5, 2.5, 300), np.linspace(-1, 1.5, 300))
grid = np.c_[xx.ravel(), yy.ravel()]
proba = clf.predict_proba(grid)[:, 1].reshape(xx.shape)

fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.6)
ax.contour(xx, yy, proba, levels=[0.5], colors="k", linewidths=2)
ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=20)
W1, b1 = clf.coefs_[0], clf.intercepts_[0]
xs = np.linspace(-1.5, 2.5, 400)
for j in range(W1.shape[1]):
    # The unit's boundary: W1[0, j] * x + W1[1, j] * y + b1[j] = 0.
    ys = -(W1[0, j] * xs + b1[j]) / W1[1, j]
    ax.plot(xs, ys, "--", lw=1.5, color="0.15")
    # Number the line (as in the next figure), each at its own distance along
    # its visible part, so that the numbers of nearby lines do not overlap.
    inside = np.flatnonzero((ys > -1) & (ys < 1.5))
    if inside.size:
        k = inside[(j + 1) * inside.size // (W1.shape[1] + 1)]
        ax.annotate(
            str(j),
            (xs[k], ys[k]),
            ha="center",
            va="center",
            fontweight="bold",
            bbox=dict(boxstyle="circle", fc="w", ec="0.15"),
        )
ax.set(xlim=(-1.5, 2.5), ylim=(-1, 1.5), xlabel="feature 0", ylabel="feature 1")
ax.set_title("decision boundary (solid) and hidden units' lines (dashed)")
plt.show()

# %%
# Each hidden unit's activation over the plane: a soft step across its line.
hidden = 1 / (1 + np.exp(-(grid @ W1 + b1)))
fig, axes = plt.subplots(
    2, 3, figsize=(9, 5), sharex=True, sharey=True, layout="constrained"
)
levels = np.linspace(0, 1, 21)
for j, ax in enumerate(axes.ravel()):
    image = ax.contourf(
        xx, yy, hidden[:, j].reshape(xx.shape), levels=levels, cmap="viridis"
    )
    ax.set_title(f"hidden unit {j}")
for ax in axes[-1]:
    ax.set_xlabel("feature 0")
for ax in axes[:, 0]:
    ax.set_ylabel("feature 1")
fig.colorbar(image, ax=axes, label="activation", ticks=[0, 0.5, 1])
plt.show()
