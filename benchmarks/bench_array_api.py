"""Training time per iteration on NumPy and on PyTorch (CPU, and CUDA when present).

Run ``SCIPY_ARRAY_API=1 python benchmarks/bench_array_api.py`` (``--n-samples``
to change the size; the default is 1,000,000 x 200, 10 classes, 128 hidden
units, full batch, float32). Per-iteration time is the difference between fits
of ``k2`` and ``k1`` iterations over ``k2 - k1``, median of the repeats, so that
set-up and transfers cancel. The PyTorch data is created on its device before
timing.
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
import sklearn

from sklearn_backprop import BackpropClassifier


def per_iteration(fit, k1=2, k2=7, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit(k1)
        middle = time.perf_counter()
        fit(k2)
        times.append((time.perf_counter() - middle - (middle - start)) / (k2 - k1))
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=200)
    args = parser.parse_args()
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        parser.error("set SCIPY_ARRAY_API=1 before running this benchmark")
    import torch

    rng = np.random.RandomState(0)
    X = rng.normal(size=(args.n_samples, args.n_features)).astype(np.float32)
    y = rng.randint(10, size=args.n_samples)
    params = dict(hidden_size=128, learning_rate=0.1, tol=None, random_state=0)

    def fit_numpy(n_iter):
        BackpropClassifier(max_iter=n_iter, **params).fit(X, y)

    rows = [{"library": "numpy", "device": "cpu", "ms": per_iteration(fit_numpy)}]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        X_t = torch.asarray(X, device=device)
        y_t = torch.asarray(y, device=device)

        def fit_torch(n_iter, X_t=X_t, y_t=y_t, device=device):
            with sklearn.config_context(array_api_dispatch=True):
                BackpropClassifier(max_iter=n_iter, **params).fit(X_t, y_t)
            if device == "cuda":
                torch.cuda.synchronize()

        rows.append(
            {"library": "torch", "device": device, "ms": per_iteration(fit_torch)}
        )
    table = pd.DataFrame(rows)
    table["ms"] *= 1e3
    table["vs numpy"] = table["ms"] / table["ms"].iloc[0]
    print(__doc__)
    print(f"{args.n_samples} x {args.n_features}, float32")
    print(table.round(2).to_string(index=False))


if __name__ == "__main__":
    main()
