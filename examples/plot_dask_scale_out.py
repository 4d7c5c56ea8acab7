"""
Grid search on a Dask cluster, and blockwise training
=====================================================

With the ``dask`` extra installed (``pip install "sklearn-backprop[dask]"``), the
same ``GridSearchCV`` runs its fits on a Dask cluster through joblib, and
``dask_ml.wrappers.Incremental`` trains on a dask array block by block through
``partial_fit``, so the data never has to fit in one machine's memory.

This page starts a small cluster inside its own process (two workers of one
thread each), so that it runs anywhere, quickly; the code is the same
for a cluster of many machines.
"""

import warnings

import dask.array as da
import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier

X, y = make_classification(n_samples=3000, n_features=20, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=1000, random_state=0
)
scaler = StandardScaler().fit(X_train)

# %%
# Both computations run while the cluster is up; the ``with`` statements shut
# the client and the cluster down at the end, even after an error. Here the
# workers are threads of this process (``processes=False``);
# ``Client("tcp://scheduler:8786")`` connects to a real cluster instead.
#
# The grid search sends each of its fits to the cluster as a task. The
# blockwise training cuts the scaled training set into 10 blocks of 200 rows
# and makes eight passes over them: ``Incremental.fit`` makes the first pass
# on a fresh copy of the estimator, ``partial_fit`` continues from the weights
# it reached. Each block is one call of ``BackpropClassifier.partial_fit``, one
# epoch of mini-batches of 32 rows, and one row of ``history_``.
grid = {
    "backpropclassifier__hidden_size": [4, 16, 64],
    "backpropclassifier__learning_rate": [0.001, 0.01, 0.1],
}
n_passes = 8
local_cluster = dict(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
with LocalCluster(**local_cluster) as cluster, Client(cluster):
    # The learning rates are Adam's steps (the default solver on this many
    # rows, L-BFGS, has none).
    model = make_pipeline(
        StandardScaler(), BackpropClassifier(solver="adam", random_state=0)
    )
    with joblib.parallel_config(backend="dask"), warnings.catch_warnings():
        # Some fits with the smallest learning rate reach max_iter first.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X_train, y_train)

    X_blocks = da.from_array(scaler.transform(X_train), chunks=(200, 20))
    y_blocks = da.from_array(y_train, chunks=200)
    incremental = Incremental(
        BackpropClassifier(batch_size=32, random_state=0), random_state=0
    )
    test_accuracy = []
    for n_pass in range(n_passes):
        if n_pass == 0:
            incremental.fit(X_blocks, y_blocks, classes=[0, 1])
        else:
            incremental.partial_fit(X_blocks, y_blocks, classes=[0, 1])
        test_accuracy.append(incremental.score(scaler.transform(X_test), y_test))
    history = incremental.estimator_.history_

# %%
# The grid search
# ---------------
#
# Its results are those of the same search run in this process: only where
# the fits ran has changed.
best = {name.split("__")[1]: value for name, value in search.best_params_.items()}
print(f"best: {best}, mean CV accuracy {search.best_score_:.3f}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

results = pd.DataFrame(search.cv_results_["params"]).rename(
    columns=lambda name: name.split("__")[1]
)
results["accuracy"] = search.cv_results_["mean_test_score"]
fig, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
for hidden_size, rows in results.groupby("hidden_size"):
    ax.plot(rows["learning_rate"], rows["accuracy"], "o-", label=hidden_size)
ax.set_xscale("log")
ax.set(xlabel="learning rate", ylabel="mean CV accuracy (3 folds)")
ax.set_title("grid search run on the cluster")
ax.legend(title="hidden size")
plt.show()

# %%
# The nine settings are within about two points of each other. The smallest
# learning rate costs the networks of 4 and 16 hidden units one to two points,
# and not the one of 64; a tenfold larger one costs all three a little. The
# best pair, refitted on the whole training set, is the model ``search``
# predicts with.
#
# Blockwise training
# ------------------
#
# The history of the blockwise training has one row per block and pass, 80 in
# all; the dotted lines separate the passes.
print(history.round(3).tail())
for n_pass, accuracy in enumerate(test_accuracy, start=1):
    print(f"test accuracy after pass {n_pass}: {accuracy:.3f}")
print(f"rows seen, blockwise: {incremental.estimator_.t_}")
print(f"rows seen, grid search's refit: {search.best_estimator_[-1].t_}")

fig, (ax_loss, ax_accuracy) = plt.subplots(
    1, 2, figsize=(9, 3.5), sharex=True, layout="constrained"
)
ax_loss.plot(history.index, history["loss"])
ax_loss.set(ylabel="training loss on the block", title="loss")
ax_accuracy.plot(history.index, history["accuracy"], label="training, on the block")
n_blocks = X_blocks.numblocks[0]
ends = n_blocks * np.arange(1, n_passes + 1) - 1
ax_accuracy.plot(ends, test_accuracy, "o", label="test, after the pass")
ax_accuracy.set(ylabel="accuracy", title="accuracy")
ax_accuracy.legend(loc="lower right")
for ax in (ax_loss, ax_accuracy):
    ax.set_xlabel("block (partial_fit call)")
    for end in ends[:-1]:
        ax.axvline(end + 0.5, color="grey", linestyle=":")
plt.show()
# sphinx_gallery_thumbnail_number = 2

# %%
# Each row of the history is measured on a different block, so the curves are
# noisy from one block to the next, but the loss falls pass after pass, and
# the test accuracy measured after each pass rises from about 0.90 to 0.95.
# After eight passes the blockwise model is still below the grid search's
# refitted one (0.965), which saw every training row over a hundred times
# (``t_`` counts the rows each model has trained on): on data too large for
# one machine, each pass costs a full read of the data, and here the test
# accuracy is still rising over the last passes.
