"""
Saturated sigmoids and the vanishing first-layer gradient
=========================================================

A sigmoid unit passes back its error multiplied by its slope ``H (1 - H)``,
at most 1/4 and near 0 when the unit is saturated (its output near 0 or 1).
The first layer's gradient ``X^T D1`` goes through that slope once more than
the second layer's ``H^T D2``: in a sigmoid network, the first layer learns
slowly. ``diagnostics=True`` makes ``history_`` record what happens inside the
network at every iteration: the norm of each layer's gradient
(``grad_norm_W1``, ``grad_norm_W2``), of its weights, the relative size of
each update (``update_ratio_W1``, ``update_ratio_W2``) and the share of
saturated hidden units (``saturated``).

The same network is trained on the standardised digits with each hidden
activation, by full-batch gradient descent, so that each row of ``history_``
is one exact gradient step, from the default initial weights (Glorot's, four
times larger for the sigmoid).
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier, HistoryDisplay

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

histories = {}
for activation in ["logistic", "tanh", "relu"]:
    clf = BackpropClassifier(
        hidden_size=32,
        activation=activation,
        solver="sgd",
        learning_rate=0.1,
        batch_size=None,
        max_iter=300,
        tol=None,
        diagnostics=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        histories[activation] = clf.fit(X, y).history_

# %%
# The first layer's gradient, against the second's
# -------------------------------------------------
# The ratio ``grad_norm_W1 / grad_norm_W2`` says how much of the error signal
# reaches the first layer. Saturated sigmoid units pass little of it back:
# the sigmoid's first layer gets a gradient many times smaller than tanh's
# and relu's, and its loss falls slowest.

fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), layout="constrained")
for activation, history in histories.items():
    axes[0].plot(history["grad_norm_W1"], label=activation)
    axes[1].plot(history["grad_norm_W1"] / history["grad_norm_W2"], label=activation)
    axes[2].plot(history["loss"], label=activation)
axes[0].set(title="first-layer gradient norm", yscale="log", xlabel="iteration")
axes[1].set(title="grad_norm_W1 / grad_norm_W2", yscale="log", xlabel="iteration")
axes[2].set(title="training loss", xlabel="iteration")
axes[2].legend()

# %%
# Saturated units
# ---------------
# The share of (unit, row) pairs whose slope is below 5 % of its largest, for
# the sigmoid and tanh; for relu, the share of units that no row activates
# (dead units). A quarter of the sigmoid's pairs are saturated from the first
# iteration on; tanh's share grows as its weights grow, once it has learnt.

fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
for activation, history in histories.items():
    ax.plot(history["saturated"], label=activation)
ax.set(title="saturated share", xlabel="iteration", ylim=(0, 1))
ax.legend()

for activation, history in histories.items():
    first, last = history.iloc[0], history.iloc[-1]
    print(
        f"{activation:>8}: saturated {first['saturated']:.2f} -> "
        f"{last['saturated']:.2f}, W1/W2 gradient ratio "
        f"{first['grad_norm_W1'] / first['grad_norm_W2']:.3f}, "
        f"final loss {last['loss']:.3f}"
    )

# %%
# Everything at once
# ------------------
# :class:`~sklearn_backprop.HistoryDisplay` draws the diagnostics of one fit
# with ``kind="diagnostics"``: the gradient norms and the update ratios of
# both layers on log scales, and the saturated share. Here, the sigmoid
# network's.

display = HistoryDisplay(histories["logistic"], kind="diagnostics").plot()
display.figure_.suptitle("logistic hidden units")
plt.show()
