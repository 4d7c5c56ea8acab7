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

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.6)
ax.contour(xx, yy, proba, levels=[0.5], colors="k")
ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=20)
W1, b1 = clf.coefs_[0], clf.intercepts_[0]
xs = np.linspace(-1.5, 2.5, 2)
for j in range(W1.shape[1]):
    # The unit's boundary: W1[0, j] * x + W1[1, j] * y + b1[j] = 0.
    ax.plot(xs, -(W1[0, j] * xs + b1[j]) / W1[1, j], "--", lw=1, color="grey")
ax.set_xlim(-1.5, 2.5)
ax.set_ylim(-1, 1.5)
ax.set_title("decision boundary (black) and hidden units' lines (dashed)")
plt.show()

# %%
# Each hidden unit's activation over the plane: a soft step across its line.
hidden = 1 / (1 + np.exp(-(grid @ W1 + b1)))
fig, axes = plt.subplots(2, 3, figsize=(9, 5), sharex=True, sharey=True)
for j, ax in enumerate(axes.ravel()):
    ax.contourf(xx, yy, hidden[:, j].reshape(xx.shape), levels=20, cmap="viridis")
    ax.set_title(f"hidden unit {j}")
fig.tight_layout()
plt.show()
