"""
Tuning hidden size and learning rate with GridSearchCV
======================================================

``BackpropClassifier`` is an ordinary scikit-learn estimator: it goes in a
Pipeline behind a scaler, and ``GridSearchCV`` searches its parameters through
the Pipeline's ``step__parameter`` names.
"""

import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier

X, y = load_wine(return_X_y=True)
# The learning rates are Adam's steps: the default solver on 178 rows, L-BFGS,
# has none.
model = make_pipeline(
    StandardScaler(), BackpropClassifier(solver="adam", random_state=0)
)
grid = {
    "backpropclassifier__hidden_size": [2, 8, 32],
    "backpropclassifier__learning_rate": [0.001, 0.003, 0.01, 0.03],
}
# With the smallest learning rates some fits reach max_iter before the loss
# stops improving: their ConvergenceWarnings are silenced, and the lower
# accuracies below show it.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search = GridSearchCV(model, grid, cv=5, n_jobs=2).fit(X, y)
best = {name.split("__")[1]: value for name, value in search.best_params_.items()}
print(f"best: {best}, accuracy {search.best_score_:.3f}")

# %%
# Mean cross-validated accuracy for each pair.
results = pd.DataFrame(
    {
        "hidden size": search.cv_results_["param_backpropclassifier__hidden_size"],
        "learning rate": search.cv_results_["param_backpropclassifier__learning_rate"],
        "accuracy": search.cv_results_["mean_test_score"],
    }
)
table = results.pivot(index="hidden size", columns="learning rate", values="accuracy")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
values = table.to_numpy(dtype=float)
image = ax.imshow(values, cmap="viridis")
ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
ax.set_yticks(range(table.shape[0]), table.index)
ax.set_xlabel("learning rate")
ax.set_ylabel("hidden size")
# Dark text on the light (high) cells, white on the dark ones.
middle = (values.min() + values.max()) / 2
for (i, j), value in pd.DataFrame(values).stack().items():
    color = "k" if value > middle else "w"
    ax.text(j, i, f"{value:.3f}", ha="center", va="center", color=color)
ax.set_title("mean cross-validated accuracy")
fig.colorbar(image, ax=ax, label="mean CV accuracy")
plt.show()
