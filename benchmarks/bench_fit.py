"""Training speed of BackpropClassifier beside MLPClassifier, a plain NumPy loop,
and the two large matrix products alone.

Run ``python benchmarks/bench_fit.py`` (``--quick`` for fewer repeats). For each
workload every contestant does the same work: same shapes, number of
iterations, loss (softmax and cross-entropy), batch size, no early stopping, no
penalty, no momentum. The contestants run alternately, repeat after repeat, and
the table gives the median. Per-iteration time is measured as the difference
between a fit of ``k2`` and a fit of ``k1`` iterations, divided by ``k2 - k1``,
so that set-up costs common to every fit (validation, initialisation) cancel;
one fit of each contestant before the timed ones compiles the kernels and starts
the BLAS threads, and each timed fit starts after a pause in which the BLAS
threads of the one before go idle.
"products" is ``X @ W1`` plus ``X.T @ D1``, the two products with the data that
every full-batch iteration needs. Peak memory is what tracemalloc sees NumPy
allocate during one fit of ``k1`` iterations, beyond the data itself.
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_backprop import BackpropClassifier


def make_large(dtype, n_samples=50_000, n_features=200, n_classes=10, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    return X, rng.randint(n_classes, size=n_samples)


def ours(hidden, batch_size):
    def fit(X, y, n_iter):
        BackpropClassifier(
            hidden,
            learning_rate=0.1,
            max_iter=n_iter,
            tol=None,
            batch_size=batch_size,
            shuffle=False,
            random_state=0,
        ).fit(X, y)

    return fit


def mlp(hidden, batch_size):
    def fit(X, y, n_iter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MLPClassifier(
                (hidden,),
                activation="logistic",
                solver="sgd",
                batch_size=len(X) if batch_size is None else batch_size,
                learning_rate_init=0.1,
                momentum=0,
                alpha=0,
                max_iter=n_iter,
                shuffle=False,
                tol=0,
                n_iter_no_change=n_iter + 1,
                random_state=0,
            ).fit(X, y)

    return fit


def plain_numpy(hidden, batch_size):
    """A straightforward loop: whole-array forward and backward, expit, history."""

    def fit(X, y, n_iter):
        rng = np.random.RandomState(0)
        Y = np.eye(y.max() + 1, dtype=X.dtype)[y]
        W1 = rng.normal(scale=0.1, size=(X.shape[1], hidden)).astype(X.dtype)
        W2 = rng.normal(scale=0.1, size=(hidden, Y.shape[1])).astype(X.dtype)
        b1, b2 = np.zeros(hidden, X.dtype), np.zeros(Y.shape[1], X.dtype)
        history = []
        for _ in range(n_iter):
            H = expit(X @ W1 + b1)
            Z = H @ W2 + b2
            P = np.exp(Z - Z.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            history.append(-np.log(P[np.arange(len(y)), y]).mean())
            D2 = (P - Y) / len(X)
            D1 = (D2 @ W2.T) * H * (1 - H)
            W2 -= 0.1 * (H.T @ D2)
            b2 -= 0.1 * D2.sum(axis=0)
            W1 -= 0.1 * (X.T @ D1)
            b1 -= 0.1 * D1.sum(axis=0)

    return fit


def products(hidden, batch_size):
    def fit(X, y, n_iter):
        W1 = np.ones((X.shape[1], hidden), dtype=X.dtype)
        D1 = np.ones((X.shape[0], hidden), dtype=X.dtype)
        for _ in range(n_iter):
            X @ W1
            X.T @ D1

    return fit


SETTLE_SECONDS = 0.3

CONTESTANTS = {
    "ours": ours,
    "MLPClassifier": mlp,
    "plain NumPy": plain_numpy,
    "products": products,
}


def timed_fit(fit, X, y, n_iter):
    # OpenBLAS's threads spin for about 0.1 s after a product before they sleep;
    # a fit that started meanwhile would share the cores with them.
    time.sleep(SETTLE_SECONDS)
    start = time.perf_counter()
    fit(X, y, n_iter)
    return time.perf_counter() - start


def per_iteration(fit, X, y, k1, k2):
    return (timed_fit(fit, X, y, k2) - timed_fit(fit, X, y, k1)) / (k2 - k1)


def peak_memory(fit, X, y, n_iter):
    tracemalloc.start()
    fit(X, y, n_iter)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(name, X, y, hidden, batch_size, k1, k2, repeats, contestants):
    fits = {label: CONTESTANTS[label](hidden, batch_size) for label in contestants}
    times = {label: [] for label in fits}
    for fit in fits.values():
        # Warm-up: compiles the kernels where needed, and starts BLAS threads.
        fit(X, y, 1)
    for _ in range(repeats):
        for label, fit in fits.items():
            times[label].append(per_iteration(fit, X, y, k1, k2))
    row = {
        "workload": name,
        "shape": f"{X.shape[0]}x{X.shape[1]}",
        "dtype": X.dtype.name,
        "batch": "full" if batch_size is None else batch_size,
    }
    for label in fits:
        row[f"{label} ms"] = 1e3 * np.median(times[label])
    row["ours / MLP"] = row["ours ms"] / row["MLPClassifier ms"]
    if "products" in fits:
        row["ours / products"] = row["ours ms"] / row["products ms"]
    for label in ("ours", "MLPClassifier"):
        row[f"{label} peak MiB"] = peak_memory(fits[label], X, y, k1) / 2**20
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    all_four = list(CONTESTANTS)
    iris_X, iris_y = load_iris(return_X_y=True)
    iris_X = StandardScaler().fit_transform(iris_X)
    rows = []
    for dtype in (np.float64, np.float32):
        X, y = make_large(dtype)
        name = f"large, {np.dtype(dtype).name}"
        rows.append(run(name, X, y, 128, None, 2, 7, repeats, all_four))
    X, y = make_large(np.float64)
    rows.append(run("large, mini-batch", X, y, 128, 200, 1, 3, repeats, all_four[:2]))
    rows.append(run("iris", iris_X, iris_y, 20, None, 200, 2200, repeats, all_four[:3]))
    table = pd.DataFrame(rows).set_index("workload")
    print(__doc__)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.round(3).to_string())


if __name__ == "__main__":
    main()
