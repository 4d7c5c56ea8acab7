"""
Grid search on a Dask cluster, and blockwise training
=====================================================

With the ``dask`` extra installed (``pip install "sklearn-backprop[dask]"``), the
same ``GridSearchCV`` runs its fits on a Dask cluster through joblib, and
``dask_ml.wrappers.Incremental`` trains on a dask array block by block through
``partial_fit``, so the data never has to fit in one machine's memory.

This page is not executed when the documentation is built, because it starts a
cluster; ``tests/test_dask.py`` runs the same code.
"""

import dask.array as da
import joblib
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier

if __name__ == "__main__":
    # A local cluster of worker processes; Client("tcp://scheduler:8786")
    # connects to a real one instead.
    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
        X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
        model = make_pipeline(StandardScaler(), BackpropClassifier(random_state=0))
        grid = {
            "backpropclassifier__hidden_size": [4, 16, 64],
            "backpropclassifier__learning_rate": [0.003, 0.01, 0.03],
        }
        with joblib.parallel_config(backend="dask"):
            search = GridSearchCV(model, grid, cv=5, n_jobs=-1).fit(X, y)
        print("best:", search.best_params_, f"{search.best_score_:.3f}")

        # Blockwise training: one partial_fit call, one history row, per block.
        X_blocks = da.from_array(StandardScaler().fit_transform(X), chunks=(200, 20))
        y_blocks = da.from_array(y, chunks=200)
        incremental = Incremental(BackpropClassifier(batch_size=32, random_state=0))
        incremental.fit(X_blocks, y_blocks, classes=[0, 1])
        print(incremental.estimator_.history_.tail())
        print("accuracy:", incremental.score(X_blocks, y_blocks))
