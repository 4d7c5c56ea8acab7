"""Scale-out on Dask: grid search on a cluster, blockwise training with dask-ml."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(y))
    return StandardScaler().fit_transform(X)[order], y[order]


def test_grid_search_on_a_dask_cluster_equals_sequential_search(client, iris):
    X, y = iris
    model = make_pipeline(
        StandardScaler(), BackpropClassifier(max_iter=100, tol=None, random_state=0)
    )
    grid = {
        "backpropclassifier__hidden_size": [2, 8],
        "backpropclassifier__learning_rate": [0.3, 1.0],
    }
    with joblib.parallel_config(backend="dask"):
        on_cluster = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X, y)
    sequential = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X, y)
    assert on_cluster.best_params_ == sequential.best_params_
    assert_array_equal(
        on_cluster.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    # The fits ran on the cluster's workers, which imported the package.
    imported = client.run(lambda: "sklearn_backprop" in __import__("sys").modules)
    assert len(imported) == 2
    assert all(imported.values())


def test_incremental_trains_blockwise_through_partial_fit(iris):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = iris
    X_blocks = da.from_array(X, chunks=(25, 4))
    y_blocks = da.from_array(y, chunks=25)
    assert X_blocks.numblocks[0] == 6
    incremental = wrappers.Incremental(
        BackpropClassifier(batch_size=8, random_state=0), shuffle_blocks=False
    )
    incremental.fit(X_blocks, y_blocks, classes=[0, 1, 2])
    trained = incremental.estimator_
    assert trained.n_iter_ == len(trained.history_) == 6

    by_hand = BackpropClassifier(batch_size=8, random_state=0)
    for start in range(0, 150, 25):
        by_hand.partial_fit(
            X[start : start + 25], y[start : start + 25], classes=[0, 1, 2]
        )
    for a, b in zip(
        trained.coefs_ + trained.intercepts_, by_hand.coefs_ + by_hand.intercepts_
    ):
        assert_allclose(a, b, rtol=1e-12)
    predictions = incremental.predict(X_blocks).compute()
    assert_array_equal(predictions, by_hand.predict(X))
