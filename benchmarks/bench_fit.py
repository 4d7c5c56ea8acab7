"""Training speed of BackpropClassifier beside MLPClassifier and PyTorch.

Two tables: the time of one training iteration on seven workloads, beside
MLPClassifier, a hand-written PyTorch loop and the two large matrix products
alone; then the fit time that BackpropClassifier's and MLPClassifier's defaults
take to their test accuracy on the data sets of ``benchmarks/bench_accuracy.py``.

Run ``python benchmarks/bench_fit.py``. ``--quick`` runs 3 repeats instead of 7;
``--workloads full64,iris`` runs only the named workloads of the first table;
``--skip-defaults`` leaves out the second table; ``--smoke`` runs everything on
tiny data, once, only to check that the script works end to end.

Time per iteration
------------------
Each workload gives every contestant the same work: the same data and dtype,
logistic hidden units, softmax outputs with the cross-entropy loss, the same
solver with the same settings (step size, momentum and Nesterov's look-ahead,
or Adam's decay rates and epsilon), the same batch size, the rows in their
order (no shuffling), no penalty and no early stopping. The contestants:

* ours: BackpropClassifier with ``tol=None`` and its default
  ``epoch_metrics="batches"``.
* MLP: MLPClassifier with ``tol=0`` and ``n_iter_no_change`` above
  ``max_iter``, so that it runs every epoch; its warnings are silenced.
* PyTorch: the loop a skorch user runs on the CPU, with PyTorch's default
  number of threads: ``nn.Sequential(nn.Linear, nn.Sigmoid, nn.Linear)``,
  ``nn.CrossEntropyLoss`` and ``torch.optim.SGD`` or ``torch.optim.Adam``; each
  epoch steps through contiguous slices of the rows (all of them at once for a
  full batch) with zero_grad, forward, loss, backward and step, and records the
  epoch's mean batch loss, weighted by rows, as a Python float. The data becomes
  tensors inside the fit, as the other contestants validate theirs. For sparse
  data each batch of the CSR matrix becomes a sparse CSR tensor, built on the
  scipy matrix's arrays, that ``nn.Linear`` multiplies. Optional: without torch
  the column is left out.
* products: full-batch workloads only, ``X @ W1`` plus ``X.T @ D1`` (``D1`` of
  n rows by the hidden units), the two products with the data that every
  full-batch iteration needs, in the data's dtype.

The workloads (key: description), all with random labels of 10 classes but
iris, and the contestants' fits of ``k1`` and ``k2`` epochs:

* full64: 50000x200 normal features, float64, 128 hidden units, full-batch
  gradient descent at step 0.1 without momentum; k1=2, k2=7.
* full32: the same in float32.
* momentum: the float64 data, mini-batches of 200, gradient descent at step
  0.01 with Nesterov's momentum of 0.9; k1=1, k2=3.
* adam: the float64 data, mini-batches of 200, Adam at step 0.001; k1=1, k2=3.
* small: 2000x20, float64, 20 hidden units, full batch, step 0.1; k1=20,
  k2=220.
* sparse: a 20000x5000 CSR matrix like TF-IDF (0.5 % non-zeros, uniform in
  [0, 1), each row of unit L2 norm), float64, 64 hidden units, Adam at step
  0.001 on mini-batches of 200; k1=1, k2=3.
* iris: standardised iris, 20 hidden units, full batch, step 0.1; k1=200,
  k2=2200; no products.

Per-iteration time is the difference between a fit of ``k2`` and one of ``k1``
iterations, divided by ``k2 - k1``, so that set-up costs common to every fit
(validation, conversion, initialisation) cancel. One fit of each contestant
before the timed ones compiles the kernels and starts the thread pools; each
timed fit starts after a pause in which the threads of the fit before go
idle. The contestants run alternately, repeat after repeat, and the table gives
the medians. Peak memory is what tracemalloc sees allocated in Python's and
NumPy's allocators during one fit of ``k1`` iterations, beyond the data itself.

Time to accuracy of the defaults
--------------------------------
For each data set of ``benchmarks/bench_accuracy.py``, a stratified split of
75 % training and 25 % test rows (seed 0), and
``make_pipeline(StandardScaler(), model)`` with all of the model's defaults and
``random_state=0``, for BackpropClassifier and MLPClassifier. The fits run
alternately, with BLAS held to one thread for both and warnings silenced; the
table gives the median fit time, the test accuracy, and the ratio of fit times.
A data set is ``ok`` when ours takes at most half MLPClassifier's fit time and
its test accuracy is at most 0.01 below MLPClassifier's.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, normalize
from threadpoolctl import threadpool_limits

from sklearn_backprop import BackpropClassifier

try:
    import torch
    from torch import nn
except ImportError:
    torch = None

SEED = 0
SETTLE_SECONDS = 0.3
REPEATS, QUICK_REPEATS, SMOKE_REPEATS = 7, 3, 1
# --smoke cuts the large data sets to this many rows.
SMOKE_ROWS = 2000
# Adam's settings, the same for all three libraries (their shared defaults).
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8

# "ok" in the defaults table: ours at most this fraction of MLPClassifier's fit
# time, and at most this much below its test accuracy.
MAX_TIME_RATIO = 0.5
MAX_FIRST_FIT_SECONDS = 2
MAX_ACCURACY_DROP = 0.01
SMOKE_DATASETS = ("iris", "moons", "small")


# Data ---------------------------------------------------------------------


def make_large(dtype=np.float64, n_samples=50_000, n_features=200, n_classes=10):
    rng = np.random.RandomState(SEED)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    return X, rng.randint(n_classes, size=n_samples)


def make_sparse(n_samples=20_000, n_features=5_000, density=0.005, n_classes=10):
    """A CSR matrix shaped like TF-IDF features: non-negative, rows of unit norm."""
    X = sp.random(
        n_samples, n_features, density=density, format="csr", random_state=SEED
    )
    X = normalize(X, norm="l2")
    y = np.random.RandomState(SEED).randint(n_classes, size=n_samples)
    return X, y


def make_iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def rows(n_samples, smoke):
    return min(n_samples, SMOKE_ROWS) if smoke else n_samples


# Workloads ----------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One row of the speed table: its data, network and optimiser settings."""

    name: str
    data: Callable[[bool], tuple]  # smoke -> (X, y)
    hidden: int
    k1: int
    k2: int
    solver: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.0
    nesterov: bool = False
    batch_size: int | None = None  # None: full batch
    products: bool = False


def large(dtype, n_samples=50_000, n_features=200):
    def data(smoke):
        return make_large(dtype, rows(n_samples, smoke), n_features)

    return data


def sparse(smoke):
    return make_sparse(rows(20_000, smoke))


WORKLOADS = {
    "full64": Workload(
        "full batch, float64", large(np.float64), 128, 2, 7, products=True
    ),
    "full32": Workload(
        "full batch, float32", large(np.float32), 128, 2, 7, products=True
    ),
    "momentum": Workload(
        "mini-batch 200, momentum",
        large(np.float64),
        128,
        1,
        3,
        learning_rate=0.01,
        momentum=0.9,
        nesterov=True,
        batch_size=200,
    ),
    "adam": Workload(
        "Adam, mini-batch 200",
        large(np.float64),
        128,
        1,
        3,
        solver="adam",
        learning_rate=0.001,
        batch_size=200,
    ),
    "small": Workload("small", large(np.float64, 2000, 20), 20, 20, 220, products=True),
    "sparse": Workload(
        "sparse", sparse, 64, 1, 3, solver="adam", learning_rate=0.001, batch_size=200
    ),
    "iris": Workload("iris", lambda smoke: make_iris(), 20, 200, 2200),
}


# Contestants: each makes fit(X, y, n_iter) for a workload ------------------


def ours(work):
    def fit(X, y, n_iter):
        BackpropClassifier(
            work.hidden,
            activation="logistic",
            solver=work.solver,
            learning_rate=work.learning_rate,
            momentum=work.momentum,
            nesterovs_momentum=work.nesterov,
            beta_1=BETA_1,
            beta_2=BETA_2,
            epsilon=EPSILON,
            alpha=0,
            batch_size=work.batch_size,
            shuffle=False,
            loss="log_loss",
            max_iter=n_iter,
            tol=None,
            random_state=SEED,
        ).fit(X, y)

    return fit


def mlp(work):
    def fit(X, y, n_iter):
        model = MLPClassifier(
            (work.hidden,),
            activation="logistic",
            solver=work.solver,
            learning_rate_init=work.learning_rate,
            momentum=work.momentum,
            nesterovs_momentum=work.nesterov,
            beta_1=BETA_1,
            beta_2=BETA_2,
            epsilon=EPSILON,
            alpha=0,
            batch_size=X.shape[0] if work.batch_size is None else work.batch_size,
            shuffle=False,
            max_iter=n_iter,
            # No improvement can stop it: it runs all n_iter epochs, as ours does.
            tol=0,
            n_iter_no_change=n_iter + 1,
            random_state=SEED,
        )
        with warnings.catch_warnings():
            # ConvergenceWarning at max_iter, every fit: expected here.
            warnings.simplefilter("ignore")
            model.fit(X, y)

    return fit


def torch_optimizer(work, parameters):
    if work.solver == "adam":
        return torch.optim.Adam(
            parameters, lr=work.learning_rate, betas=(BETA_1, BETA_2), eps=EPSILON
        )
    return torch.optim.SGD(
        parameters,
        lr=work.learning_rate,
        momentum=work.momentum,
        nesterov=work.nesterov,
    )


def torch_dtype(dtype):
    return torch.from_numpy(np.empty(0, dtype=dtype)).dtype


def csr_rows(X, start, stop):
    """Rows start:stop of a scipy CSR matrix as a torch sparse CSR tensor."""
    first, last = X.indptr[start], X.indptr[stop]
    return torch.sparse_csr_tensor(
        torch.from_numpy(X.indptr[start : stop + 1] - first),
        torch.from_numpy(X.indices[first:last]),
        torch.from_numpy(X.data[first:last]),
        size=(stop - start, X.shape[1]),
        # Checking would cost a pass over the indices each batch, and the
        # slices of a valid scipy matrix are valid.
        check_invariants=False,
    )


def torch_batches(X, X_dense, y, batch_size):
    """Yield an epoch's (rows, labels) batches: contiguous slices, in order."""
    n_samples = X.shape[0]
    step = n_samples if batch_size is None else batch_size
    for start in range(0, n_samples, step):
        stop = min(start + step, n_samples)
        if X_dense is None:
            yield csr_rows(X, start, stop), y[start:stop]
        else:
            yield X_dense[start:stop], y[start:stop]


def torch_epoch(model, optimizer, loss_fn, batches):
    """One epoch of steps; return its mean batch loss, weighted by rows."""
    total, n_rows = 0.0, 0
    for X_batch, y_batch in batches:
        optimizer.zero_grad()
        loss = loss_fn(model(X_batch), y_batch)
        loss.backward()
        optimizer.step()
        # .item(), as skorch does, so that the history holds Python floats.
        total += loss.item() * len(y_batch)
        n_rows += len(y_batch)
    return total / n_rows


def pytorch(work):
    def fit(X, y, n_iter):
        classes, codes = np.unique(y, return_inverse=True)
        y_t = torch.from_numpy(codes.astype(np.int64))
        X_dense = None if sp.issparse(X) else torch.from_numpy(X)
        torch.manual_seed(SEED)
        model = nn.Sequential(
            nn.Linear(X.shape[1], work.hidden),
            nn.Sigmoid(),
            nn.Linear(work.hidden, len(classes)),
        ).to(torch_dtype(X.dtype))
        optimizer = torch_optimizer(work, model.parameters())
        loss_fn = nn.CrossEntropyLoss()
        history = []
        with warnings.catch_warnings():
            # Sparse CSR tensors warn that their support is in beta.
            warnings.simplefilter("ignore")
            for _ in range(n_iter):
                batches = torch_batches(X, X_dense, y_t, work.batch_size)
                history.append(torch_epoch(model, optimizer, loss_fn, batches))
        return history

    return fit


def products(work):
    def fit(X, y, n_iter):
        W1 = np.ones((X.shape[1], work.hidden), dtype=X.dtype)
        D1 = np.ones((X.shape[0], work.hidden), dtype=X.dtype)
        for _ in range(n_iter):
            X @ W1
            X.T @ D1

    return fit


CONTESTANTS = {"ours": ours, "MLP": mlp, "PyTorch": pytorch, "products": products}


def contestants(work):
    labels = ["ours", "MLP"]
    if torch is not None:
        labels.append("PyTorch")
    if work.products:
        labels.append("products")
    return labels


# Measuring ----------------------------------------------------------------


def timed_fit(fit, X, y, n_iter):
    # OpenBLAS's threads (and PyTorch's) spin for a while after a product
    # before they sleep; a fit that started meanwhile would share the cores.
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


def median_per_iteration(fits, X, y, k1, k2, repeats):
    """Return label -> median seconds per iteration, the contestants alternating."""
    for fit in fits.values():
        # Warm-up: compiles the kernels where needed and starts thread pools.
        fit(X, y, 1)
    times = {label: [] for label in fits}
    for _ in range(repeats):
        for label, fit in fits.items():
            times[label].append(per_iteration(fit, X, y, k1, k2))
    return {label: float(np.median(seconds)) for label, seconds in times.items()}


def describe(work, X):
    return {
        "workload": work.name,
        "shape": f"{X.shape[0]}x{X.shape[1]}",
        "dtype": X.dtype.name,
        "solver": work.solver,
        "batch": "full" if work.batch_size is None else work.batch_size,
    }


def speed_row(work, smoke, repeats):
    X, y = work.data(smoke)
    fits = {label: CONTESTANTS[label](work) for label in contestants(work)}
    seconds = median_per_iteration(fits, X, y, work.k1, work.k2, repeats)
    row = describe(work, X)
    for label, value in seconds.items():
        row[f"{label} ms"] = 1e3 * value
    for label in fits:
        if label != "ours":
            row[f"ours / {label}"] = seconds["ours"] / seconds[label]
    for label in ("ours", "MLP"):
        row[f"{label} peak MiB"] = peak_memory(fits[label], X, y, work.k1) / 2**20
    return row


def speed_table(keys, smoke, repeats):
    rows = []
    for key in keys:
        print(f"speed: {key}", file=sys.stderr, flush=True)
        rows.append(speed_row(WORKLOADS[key], smoke, repeats))
    table = pd.DataFrame(rows).set_index("workload")
    return table[speed_columns(table)]


def speed_columns(table):
    """The columns in a fixed order; rows differ in which contestants they have."""
    times = [f"{label} ms" for label in CONTESTANTS]
    ratios = [f"ours / {label}" for label in CONTESTANTS if label != "ours"]
    peaks = ["ours peak MiB", "MLP peak MiB"]
    ordered = ["shape", "dtype", "solver", "batch", *times, *ratios, *peaks]
    return [column for column in ordered if column in table.columns]


# Time to accuracy of the defaults -----------------------------------------


def accuracy_benchmark():
    """Import benchmarks/bench_accuracy.py, this script's neighbour."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_accuracy

    return bench_accuracy


def default_models():
    return {
        "ours": make_pipeline(StandardScaler(), BackpropClassifier(random_state=SEED)),
        "MLP": make_pipeline(StandardScaler(), MLPClassifier(random_state=SEED)),
    }


def timed_default_fit(model, X, y):
    """Fit a clone of model; return it and the seconds its fit took."""
    model = clone(model)
    with warnings.catch_warnings():
        # MLPClassifier's ConvergenceWarning at max_iter says nothing on speed.
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    return model, seconds


def defaults_row(name, X, y, models, repeats):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=SEED
    )
    times = {label: [] for label in models}
    fitted = {}
    # No pause between fits: BLAS is on one thread, with none left spinning.
    for _ in range(repeats):
        for label, model in models.items():
            fitted[label], seconds = timed_default_fit(model, X_train, y_train)
            times[label].append(seconds)
    row = {"dataset": name, "shape": f"{X.shape[0]}x{X.shape[1]}"}
    for label, model in fitted.items():
        # Every fit of a model is the same (random_state=0): score the last.
        row[f"{label} acc"] = model.score(X_test, y_test)
    for label, seconds in times.items():
        row[f"{label} ms"] = 1e3 * float(np.median(seconds))
    row["ours / MLP"] = row["ours ms"] / row["MLP ms"]
    row["ok"] = (
        row["ours / MLP"] <= MAX_TIME_RATIO
        and row["ours acc"] >= row["MLP acc"] - MAX_ACCURACY_DROP
    )
    return row


def defaults_table(smoke, repeats):
    bench_accuracy = accuracy_benchmark()
    datasets = bench_accuracy.classic_datasets()
    if smoke:
        datasets = {name: datasets[name] for name in SMOKE_DATASETS}
    models = default_models()
    rows = []
    # BackpropClassifier holds BLAS to one thread while it trains; MLPClassifier
    # is held to one as well, so that both fits have one core, as in
    # bench_accuracy.py, and the ratio does not measure the machine's load.
    with threadpool_limits(limits=1, user_api="blas"):
        bench_accuracy.warm_up(models)
        for name, (X, y) in datasets.items():
            print(f"defaults: {name}", file=sys.stderr, flush=True)
            rows.append(defaults_row(name, X, y, models, repeats))
    return pd.DataFrame(rows).set_index("dataset")


# Command line -------------------------------------------------------------


# The first fit of the default model on iris, in a fresh process whose Numba
# cache is empty, as after installing: compiling the kernels it runs included.
FIRST_FIT = """
import time
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn_backprop import BackpropClassifier
X, y = load_iris(return_X_y=True)
start = time.perf_counter()
make_pipeline(StandardScaler(), BackpropClassifier(random_state=0)).fit(X, y)
print(time.perf_counter() - start)
"""


def first_fit_seconds():
    """Seconds of the first fit after installing (imports not counted)."""
    with tempfile.TemporaryDirectory() as cache:
        environment = {**os.environ, "NUMBA_CACHE_DIR": cache}
        result = subprocess.run(
            [sys.executable, "-c", FIRST_FIT],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
    return float(result.stdout.split()[-1])


def workload_keys(text):
    keys = [key.strip() for key in text.split(",") if key.strip()]
    unknown = [key for key in keys if key not in WORKLOADS]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}"
        )
    return keys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_REPEATS} repeats, not {REPEATS}"
    )
    parser.add_argument(
        "--workloads",
        type=workload_keys,
        default=list(WORKLOADS),
        metavar="KEYS",
        help=f"comma-separated workloads to time (default: {','.join(WORKLOADS)})",
    )
    parser.add_argument(
        "--skip-defaults",
        action="store_true",
        help="leave out the table of time to accuracy of the defaults",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny data ({SMOKE_ROWS} rows), one repeat, three data sets in the "
        "defaults table: only checks that the script runs",
    )
    return parser.parse_args()


def repeats_for(args):
    if args.smoke:
        return SMOKE_REPEATS
    return QUICK_REPEATS if args.quick else REPEATS


def print_table(title, table):
    print(f"\n{title}")
    print(table.round(3).to_string())


def main():
    args = parse_args()
    repeats = repeats_for(args)
    speed = speed_table(args.workloads, args.smoke, repeats)
    defaults = None if args.skip_defaults else defaults_table(args.smoke, repeats)
    first_seconds = first_fit_seconds()

    print(__doc__)
    if torch is None:
        print(
            "PyTorch is not installed, so its column is left out; "
            "`pip install torch==2.13.0` installs the CPU build."
        )
    else:
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads.")
    if args.smoke:
        print("--smoke: tiny data and one repeat; the times mean nothing.")
    print(
        f"First fit of the defaults on iris with an empty Numba cache: "
        f"{first_seconds:.2f} s (target: under {MAX_FIRST_FIT_SECONDS} s)."
    )
    print_table(f"Time per iteration (median of {repeats})", speed)
    if defaults is not None:
        n_ok = int(defaults["ok"].sum())
        print_table(f"Time to accuracy of the defaults (median of {repeats})", defaults)
        print(f"{n_ok} of {len(defaults)} data sets ok.")


if __name__ == "__main__":
    main()
