"""What ``diagnostics=True`` costs: fits with diagnostics off and on, side by side.

Two measurements, each the ratio of the median time with diagnostics on to the
median with them off, the two fits alternating repeat after repeat so that a
busy machine slows both alike:

* default fit: ``make_pipeline(StandardScaler(), BackpropClassifier())`` with
  its defaults and ``random_state=0`` on the digits of
  ``benchmarks/bench_accuracy.py``, 75 % of the rows (a stratified split, seed
  0), BLAS on one thread as there (L-BFGS, for these 1,347 rows). Target: at
  most 1.10. The same with ``solver="adam"``, mini-batches of 200 whose every
  step is measured, against the same target.
* full-batch iteration: the ``full64`` workload of ``benchmarks/bench_fit.py``
  (50000x200 normal features, float64, 128 logistic hidden units, 10 random
  classes, full-batch gradient descent at step 0.1 without momentum or
  penalty, ``tol=None``), the time of one iteration as the difference between
  fits of 7 and 2 iterations divided by 5. Target: at most 1.15.

Run ``python benchmarks/bench_diagnostics.py`` (``--repeats 7`` by default,
``--smoke`` for one tiny run that only checks the script). No assertion is
made on the times: the table reports them.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_backprop import BackpropClassifier

SEED = 0
FULL_BATCH = dict(
    hidden_size=128,
    solver="sgd",
    learning_rate=0.1,
    momentum=0.0,
    batch_size=None,
    shuffle=False,
    alpha=0.0,
    tol=None,
    random_state=SEED,
)


def digits_fit(diagnostics, X, y, **params):
    model = make_pipeline(
        StandardScaler(),
        BackpropClassifier(random_state=SEED, diagnostics=diagnostics, **params),
    )
    with threadpool_limits(1, user_api="blas"):
        start = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - start


def iteration_time(diagnostics, X, y, k1=2, k2=7):
    times = []
    for k in (k1, k2):
        clf = BackpropClassifier(max_iter=k, diagnostics=diagnostics, **FULL_BATCH)
        start = time.perf_counter()
        clf.fit(X, y)
        times.append(time.perf_counter() - start)
    return (times[1] - times[0]) / (k2 - k1)


def side_by_side(measure, repeats):
    """Median times off and on, alternating (and alternating which goes first)."""
    measure(False), measure(True)  # compile kernels, start threads
    times = {False: [], True: []}
    for repeat in range(repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for diagnostics in order:
            time.sleep(0.2)  # let the threads of the fit before go idle
            times[diagnostics].append(measure(diagnostics))
    return np.median(times[False]), np.median(times[True])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    X, y = load_digits(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=SEED
    )
    n_rows = 500 if args.smoke else 50_000
    rng = np.random.RandomState(SEED)
    X_large = rng.normal(size=(n_rows, 200))
    y_large = rng.randint(10, size=n_rows)
    repeats = 1 if args.smoke else args.repeats

    rows = [
        (
            "default fit, digits",
            side_by_side(lambda d: digits_fit(d, X_train, y_train), repeats),
            1.10,
        ),
        (
            "Adam mini-batch fit, digits",
            side_by_side(
                lambda d: digits_fit(d, X_train, y_train, solver="adam"), repeats
            ),
            1.10,
        ),
        (
            f"full-batch iteration, {n_rows}x200 f64",
            side_by_side(lambda d: iteration_time(d, X_large, y_large), repeats),
            1.15,
        ),
    ]
    print(f"{'measurement':<36}{'off (s)':>10}{'on (s)':>10}{'ratio':>8}{'target':>8}")
    for name, (off, on), target in rows:
        ratio = on / off
        verdict = "ok" if ratio <= target else "over"
        print(
            f"{name:<36}{off:>10.4f}{on:>10.4f}{ratio:>8.3f}"
            f"{'<= ' + format(target, '.2f'):>8} {verdict}"
        )


if __name__ == "__main__":
    main()
