"""
Training and validation curves, and early stopping
==================================================

Give ``fit`` validation data and ``history_`` records the validation loss,
squared error and accuracy at every iteration, beside the training ones.
``HistoryDisplay`` draws each metric's two curves on one axes. With
``early_stopping=True`` training stops once the validation loss stops
improving, and the weights of its best iteration are restored.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier, HistoryDisplay

X, y = load_breast_cancer(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)

# %%
# A wide network on a small training set overfits: after about 100 iterations
# the validation loss turns back up while the training loss keeps falling.
# Full-batch gradient descent without a penalty, so that nothing holds the
# overfitting back.
DESCENT = dict(solver="sgd", momentum=0.0, batch_size=None, alpha=0.0)
clf = BackpropClassifier(
    hidden_size=64, learning_rate=0.3, max_iter=600, tol=None, random_state=0, **DESCENT
)
clf.fit(X_train[:100], y_train[:100], X_val=X_val, y_val=y_val)
HistoryDisplay.from_estimator(clf, metrics=["loss", "accuracy"])
plt.show()

# %%
# Early stopping on the same validation data keeps the best weights.
stopped = BackpropClassifier(
    **DESCENT,
    hidden_size=64,
    learning_rate=0.3,
    max_iter=600,
    early_stopping=True,
    n_iter_no_change=20,
    random_state=0,
).fit(X_train[:100], y_train[:100], X_val=X_val, y_val=y_val)
print(f"stopped after {stopped.n_iter_} iterations")
print(f"best iteration: {stopped.best_iteration_}")
print(f"validation accuracy: {stopped.score(X_val, y_val):.3f}")
display = HistoryDisplay.from_estimator(stopped, metrics=["loss"])
ax = display.ax_[0]
ax.axvline(stopped.best_iteration_, color="grey", linestyle=":", label="best iteration")
ax.legend()
plt.show()
