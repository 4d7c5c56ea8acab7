"""
Reproducing the backpropagation tutorial
========================================

The iris tutorial trains a 4-2-3 sigmoid network without biases by full-batch
gradient descent on the squared error: learning rate 0.1, 5000 iterations,
weights drawn with seed 10. ``BackpropClassifier`` configured the same way
gives the same numbers, to the last digit or so of a float64 (NumPy's
exponential can differ in the last bit between CPUs), and its ``history_``
holds the curves the tutorial plots.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from sklearn_backprop import BackpropClassifier

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=20, random_state=4)
clf = BackpropClassifier(
    hidden_size=2,
    solver="sgd",
    momentum=0.0,
    batch_size=None,
    alpha=0.0,
    learning_rate=0.1,
    max_iter=5000,
    loss="squared_error",
    fit_intercept=False,
    init_scale=0.5,
    tol=None,
    random_state=10,
).fit(X_train, y_train)

# float() prints the shortest decimal that reads back as the same float64.
print(f"first mse: {float(clf.history_.mse.iloc[0])}")
print(f"last mse:  {float(clf.history_.mse.iloc[-1])}")
print(f"Accuracy: {float(clf.score(X_test, y_test))}")

# %%
# The tutorial's two plots, from the same DataFrame.
fig, (ax_mse, ax_accuracy) = plt.subplots(1, 2, figsize=(9, 3.5))
clf.history_.mse.plot(title="Mean Squared Error", ax=ax_mse)
clf.history_.accuracy.plot(title="Accuracy", ax=ax_accuracy)
fig.tight_layout()
plt.show()
