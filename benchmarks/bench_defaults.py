"""Default BackpropClassifier against default MLPClassifier on bundled datasets.

Run ``python benchmarks/bench_defaults.py``. Each model is a Pipeline of
StandardScaler and the classifier with its default parameters (and
random_state=0), scored by 5-fold stratified cross-validation with shuffling
(seed 0). The table gives mean test accuracy and total fit time over the folds.
ConvergenceWarnings are counted, not shown.
"""

import warnings

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier

DATASETS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}
MODELS = {
    "BackpropClassifier": BackpropClassifier(random_state=0),
    "MLPClassifier": MLPClassifier(random_state=0),
}


def evaluate(model, X, y):
    """Return mean CV accuracy, total fit seconds and ConvergenceWarning count."""
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = cross_validate(make_pipeline(StandardScaler(), model), X, y, cv=cv)
    n_warnings = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return result["test_score"].mean(), result["fit_time"].sum(), n_warnings


def main():
    rows = []
    for data_name, load in DATASETS.items():
        X, y = load(return_X_y=True)
        for model_name, model in MODELS.items():
            accuracy, seconds, n_warnings = evaluate(model, X, y)
            rows.append(
                {
                    "dataset": data_name,
                    "model": model_name,
                    "cv_accuracy": round(accuracy, 4),
                    "fit_seconds": round(seconds, 2),
                    "convergence_warnings": n_warnings,
                }
            )
    table = pd.DataFrame(rows).set_index(["dataset", "model"])
    print(__doc__)
    print(table.to_string())


if __name__ == "__main__":
    main()
