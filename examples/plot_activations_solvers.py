"""
Hidden activations and solvers
==============================

The same network, trained on the same data, with each hidden activation
(``"logistic"``, the sigmoid; ``"tanh"``; ``"relu"``) and each solver: plain
gradient descent, gradient descent with classical or with Nesterov's momentum,
Adam and L-BFGS. ``history_`` holds the training loss of every iteration, so
the fifteen training curves can be drawn side by side.

The data are the 8x8 images of handwritten digits shipped with scikit-learn
(64 features, 10 classes), standardised, with 30% of the rows held out for a
test accuracy. Every fit uses the whole training set for each step
(``batch_size=None``), so that an iteration means one gradient step for every
solver but L-BFGS, and every row of ``history_`` is exact. There is no L2
penalty (``alpha=0``): the loss is the plain log loss, comparable between
activations.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# 32 hidden units and at most 300 iterations for every fit; a learning rate of
# 0.1 for the three kinds of gradient descent and Adam's default of 0.01 (L-BFGS
# chooses its own step lengths).
COMMON = dict(hidden_size=32, batch_size=None, alpha=0.0, max_iter=300, random_state=0)
SOLVERS = {
    "gradient descent": dict(solver="sgd", momentum=0.0, learning_rate=0.1),
    "momentum": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=False, learning_rate=0.1
    ),
    "Nesterov": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=True, learning_rate=0.1
    ),
    "Adam": dict(solver="adam", learning_rate=0.01),
    "L-BFGS": dict(solver="lbfgs"),
}
ACTIVATIONS = ["logistic", "tanh", "relu"]


# %%
# Why sigmoid units learn slowly
# ------------------------------
#
# Back-propagation carries the output error back to each hidden unit through
# the slope of its activation: the error of hidden unit ``j`` on a row is
# ``f'(z_j)`` times the output errors weighted by the unit's outgoing weights,
# and the first layer's gradient is made of these errors. The sigmoid's slope
# ``s (1 - s)`` is at most 0.25, at ``z = 0``, and close to zero once ``|z|``
# exceeds 5; tanh's slope ``1 - tanh(z) ** 2`` reaches 1, and relu's is 1 for
# every positive input and 0 otherwise.
def logistic(z):
    return 1 / (1 + np.exp(-z))


FUNCTIONS = {"logistic": logistic, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}
SLOPES = {
    "logistic": lambda z: logistic(z) * (1 - logistic(z)),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "relu": lambda z: (z > 0).astype(float),
}

# %%
# The fitted network exposes its weights, which is all it takes to repeat the
# backward pass by hand: after the first step of gradient descent, compute each
# hidden unit's input ``z`` on every training row, the slopes there, and the
# mean absolute gradient of each weight matrix. With the log loss and softmax
# outputs, the error at the outputs is ``(P - Y) / n_rows``.
Y = np.eye(10)[y_train]
inputs, gradients = {}, []
for activation in ACTIVATIONS:
    one_step = {"max_iter": 1, "tol": None}
    first_step = BackpropClassifier(
        activation=activation, **COMMON | SOLVERS["gradient descent"] | one_step
    ).fit(X_train, y_train)
    (W1, W2), (b1, b2) = first_step.coefs_, first_step.intercepts_
    Z = X_train @ W1 + b1
    H = FUNCTIONS[activation](Z)
    slope = SLOPES[activation](Z)
    D2 = (first_step.predict_proba(X_train) - Y) / len(Y)  # error at the outputs
    D1 = (D2 @ W2.T) * slope  # error at the hidden units
    inputs[activation] = Z.ravel()
    gradients.append(
        {
            "activation": activation,
            "mean slope": slope.mean(),
            "slopes below 0.01": (slope < 0.01).mean(),
            "|grad W1|": np.abs(X_train.T @ D1).mean(),
            "|grad W2|": np.abs(H.T @ D2).mean(),
        }
    )
gradients = pd.DataFrame(gradients).set_index("activation")
gradients["W1 / W2"] = gradients["|grad W1|"] / gradients["|grad W2|"]
print(gradients.to_string(float_format="{:.3g}".format))

z = np.linspace(-8, 8, 401)
fig, (ax_slope, ax_inputs, ax_grad) = plt.subplots(
    1, 3, figsize=(11, 3.4), layout="constrained"
)
for activation in ACTIVATIONS:
    ax_slope.plot(z, SLOPES[activation](z), label=activation)
# tanh and relu start from the same weights: their inputs are alike.
bins = np.linspace(-12, 12, 61)
ax_inputs.hist(inputs["logistic"], bins, density=True, alpha=0.6, label="logistic")
ax_inputs.hist(inputs["tanh"], bins, density=True, alpha=0.6, label="tanh, relu")
ax_slope.set(xlabel="input z of a hidden unit", ylabel="slope f'(z)")
ax_slope.set_title("slope of each activation")
ax_slope.legend()
ax_inputs.set(xlabel="input z of a hidden unit", ylabel="density")
ax_inputs.set_title("hidden inputs after one step")
ax_inputs.legend()
layers = gradients[["|grad W1|", "|grad W2|"]]
layers.columns = ["first layer (W1)", "second layer (W2)"]
layers.plot.bar(ax=ax_grad, rot=0, color=["tab:gray", "k"])
ax_grad.set(xlabel="", ylabel="mean |gradient|", ylim=(0, 1.5 * layers.max().max()))
ax_grad.set_title("gradient of each layer after one step")
plt.show()

# %%
# The sigmoid network's first layer starts with about a sixth of the gradient
# that tanh's and relu's get, and about a ninth of its own second layer's,
# where tanh and relu keep more than half. Two things add up. The sigmoid's
# slope is at most a quarter of the others'. And its inputs spread far wider:
# ``init_scale="auto"`` draws the weights into sigmoid units four times larger,
# to make up for that quarter near ``z = 0``; with 64 inputs that puts many
# hidden inputs on the flat tails, and about a quarter of the slopes are below
# 0.01. Half of relu's slopes are exactly 0, yet its gradient is as large as
# tanh's: on the rows where a relu unit is active, it passes the error back
# whole.
#
# Fifteen fits
# ------------
#
# Each activation with each solver, everything else equal. Runs that reach
# ``max_iter`` before the loss stops improving by ``tol`` warn; the warnings
# are silenced here, and the table shows which runs those are.
histories, rows = {}, []
for activation in ACTIVATIONS:
    for solver, params in SOLVERS.items():
        clf = BackpropClassifier(activation=activation, **COMMON | params)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        histories[activation, solver] = clf.history_
        rows.append(
            {
                "activation": activation,
                "solver": solver,
                "final loss": clf.loss_,
                "test accuracy": clf.score(X_test, y_test),
                "iterations": clf.n_iter_,
                "fit seconds": seconds,
                "ms per iteration": 1000 * seconds / clf.n_iter_,
            }
        )
results = pd.DataFrame(rows).set_index(["activation", "solver"])
print(results.round(4).to_string())

# %%
# Training curves by activation
# -----------------------------
#
# The training loss of every fit, one plot per activation, on a log scale.
# Nesterov's curve is dashed: it lies on top of classical momentum's.
styles = {"Nesterov": "--"}
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True, layout="constrained")
for ax, activation in zip(axes, ACTIVATIONS):
    for solver in SOLVERS:
        history = histories[activation, solver]
        ax.plot(history.index, history["loss"], styles.get(solver, "-"), label=solver)
    ax.set_yscale("log")
    ax.set_title(f'activation="{activation}"')
    ax.set_xlabel("iteration")
axes[0].set_ylabel("training log loss")
fig.legend(*axes[0].get_legend_handles_labels(), title="solver", loc="outside right")
plt.show()
# sphinx_gallery_thumbnail_number = 2

# %%
# What each solver changes shows the same way under every activation:
#
# - **Gradient descent** takes a step of ``learning_rate`` times the gradient:
#   steady, and slow once the gradient is small. After 300 iterations it is
#   still far from the others, and with the sigmoid it has not even reached
#   90% training accuracy.
# - **Momentum** keeps a velocity, a decaying sum of its past steps, so a
#   direction that the gradient keeps pointing to builds up speed: with
#   ``momentum=0.9`` the steps grow towards ten times gradient descent's, and
#   the loss falls roughly ten times lower in the same number of iterations.
#   **Nesterov's** variant takes the gradient's effect on the velocity one
#   step ahead; it is a little ahead of classical momentum in the first few
#   dozen iterations, then the two curves coincide.
# - **Adam** divides each weight's step by the root of a running mean of that
#   weight's squared gradients, so every weight moves at about
#   ``learning_rate`` per step however small or large its own gradient: the
#   small gradients of a layer count as much as the large ones. It gets below
#   momentum's loss under all three activations.
# - **L-BFGS** builds an estimate of the loss's curvature from its recent
#   gradients and chooses the length of each step by a line search. Its
#   curves fall almost vertically at this scale: it stops on ``tol`` after
#   fewer than 20 iterations, with a training loss far below the others'. An
#   iteration costs more than a gradient step (the table's ``ms per
#   iteration``: its line search may evaluate the loss more than once), but so
#   few are needed that it is also the quickest fit here. It always works on
#   the whole training set, which is what makes it a choice for small data
#   sets such as this one rather than for large ones.
#
# A lower training loss is not a better model: apart from the sigmoid with
# plain gradient descent, the test accuracies are within about a point of each
# other, and under no activation does L-BFGS, with by far the lowest training
# loss, reach the best of them.

# %%
# The same curves regrouped by solver: each plot compares the activations.
fig, axes = plt.subplots(
    1, len(SOLVERS), figsize=(12, 3.2), sharey=True, layout="constrained"
)
for ax, solver in zip(axes, SOLVERS):
    for activation in ACTIVATIONS:
        history = histories[activation, solver]
        ax.plot(history.index, history["loss"], label=activation)
    ax.set_yscale("log")
    ax.set_title(solver)
    ax.set_xlabel("iteration")
axes[0].set_ylabel("training log loss")
axes[0].legend(title="activation", loc="lower left")
plt.show()

# %%
# The sigmoid is behind under every solver, from the first iterations on,
# which the small gradients of its first layer above explain for gradient
# descent and momentum. Adam evens out the size of the steps between weights,
# and L-BFGS rescales its steps by the curvature, yet the sigmoid is behind
# with them too: the flat tails do not only shrink the gradient, they also
# make a saturated unit's output barely move when its weights change, so
# there is less to gain from each step whatever its size. tanh and relu,
# whose slopes reach 1, stay close together, relu a little ahead. The gap is
# smallest with L-BFGS, which needs only two or three more iterations for the
# sigmoid.
