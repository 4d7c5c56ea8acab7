"""Memory that ``snapshot_every`` takes: a 2,000-iteration fit keeping the
weights every 20 iterations, 50 hidden units, 20 features (target: under 5 MiB).

Run ``python benchmarks/bench_snapshots.py``. Two measures of ``snapshots_``:

- ``nbytes``: the sum of the kept arrays' ``nbytes``, the numbers alone;
- ``tracemalloc``: the memory still allocated after the fit (NumPy reports
  its buffers to tracemalloc), with snapshots minus without, everything else
  equal: the arrays and the Python objects around them (ndarray headers,
  lists, dicts).

The data are 1,000 rows of ``make_classification`` (two classes, so two
softmax outputs), trained by full-batch gradient descent with ``tol=None`` so
that every fit runs its 2,000 iterations.
"""

import argparse
import gc
import tracemalloc

import numpy as np
from sklearn.datasets import make_classification

from sklearn_backprop import BackpropClassifier


def fit(X, y, args, snapshot_every):
    return BackpropClassifier(
        hidden_size=args.hidden_size,
        solver="sgd",
        batch_size=None,
        learning_rate=0.1,
        max_iter=args.max_iter,
        tol=None,
        snapshot_every=snapshot_every,
        random_state=0,
    ).fit(X, y)


def retained(X, y, args, snapshot_every):
    """Bytes still allocated once the fit returns, and the fitted estimator."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    clf = fit(X, y, args, snapshot_every)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, clf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=2000)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--hidden-size", type=int, default=50)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--n-samples", type=int, default=1000)
    args = parser.parse_args()
    X, y = make_classification(
        n_samples=args.n_samples, n_features=args.n_features, random_state=0
    )
    # A first fit of each kind imports, compiles and caches what any later
    # fit reuses: it would count for whichever is measured first.
    warm_up = argparse.Namespace(**{**vars(args), "max_iter": 2 * args.every})
    fit(X, y, warm_up, None)
    fit(X, y, warm_up, args.every)
    without, _ = retained(X, y, args, None)
    with_snapshots, clf = retained(X, y, args, args.every)
    snapshots = clf.snapshots_
    nbytes = sum(
        array.nbytes
        for snapshot in snapshots.values()
        for array in snapshot["coefs"] + snapshot["intercepts"]
    )
    per_copy = nbytes / len(snapshots)
    measured = with_snapshots - without
    mib = 2**20
    print(
        f"{args.max_iter} iterations, snapshot_every={args.every}, "
        f"{args.n_features} features, {args.hidden_size} hidden units, "
        f"{clf.n_outputs_} outputs, {clf.coefs_[0].dtype}"
    )
    print(f"snapshots kept: {len(snapshots)} (iterations 0 to {max(snapshots)})")
    print(f"nbytes of the kept arrays: {nbytes / mib:.3f} MiB ({per_copy:.0f} B each)")
    print(
        f"tracemalloc, retained with minus without: {measured / mib:.3f} MiB "
        f"({measured / len(snapshots):.0f} B each)"
    )
    verdict = "under" if max(measured, nbytes) < 5 * mib else "OVER"
    print(f"target 5 MiB: {verdict}")
    assert np.array_equal(snapshots[clf.n_iter_]["coefs"][0], clf.coefs_[0])


if __name__ == "__main__":
    main()
