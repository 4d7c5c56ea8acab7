"""
BackpropClassifier beside MLPClassifier
=======================================

Both classifiers with their default parameters, behind a ``StandardScaler``, on
the classification datasets that ship with scikit-learn: mean accuracy of
5-fold cross-validation and total fit time. ``benchmarks/bench_accuracy.py``
prints the same comparison, on 54 more data sets (eight synthetic, 46 real
tables), as a table.
"""

import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier

datasets = {
    "iris": load_iris,
    "wine": load_wine,
    "breast cancer": load_breast_cancer,
    "digits": load_digits,
}
models = {
    "BackpropClassifier": BackpropClassifier(random_state=0),
    "MLPClassifier": MLPClassifier(random_state=0),
}
# BackpropClassifier compiles its kernels, or loads them from Numba's cache, in
# its first fit in a process: one fit beforehand keeps that out of the times.
BackpropClassifier(max_iter=1, tol=None).fit(*load_iris(return_X_y=True))
rows = []
for data_name, load in datasets.items():
    X, y = load(return_X_y=True)
    for model_name, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_validate(make_pipeline(StandardScaler(), model), X, y, cv=5)
        rows.append(
            {
                "dataset": data_name,
                "model": model_name,
                "accuracy": scores["test_score"].mean(),
                "fit seconds": scores["fit_time"].sum(),
            }
        )
results = pd.DataFrame(rows)
print(results.round(3).to_string(index=False))

# %%
# The same figures as bars; one legend for both plots, above them, so that it
# covers no bar.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for ax, column in zip(axes, ["accuracy", "fit seconds"]):
    results.pivot(index="dataset", columns="model", values=column).plot.bar(
        ax=ax, rot=0, title=column, legend=False
    )
axes[0].set(ylim=(0.8, 1.0), ylabel="mean accuracy of 5 folds")
axes[1].set_ylabel("seconds for 5 fits")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=2)
plt.show()
