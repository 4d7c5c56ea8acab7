"""The ``sklearn-backprop`` command line: a thin layer over the public API."""

import argparse
import sys
from pathlib import Path

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import BackpropClassifier, HistoryDisplay, __version__

FIT_EXAMPLES = """\
examples:
  sklearn-backprop fit
  sklearn-backprop fit --hidden-size 2 --learning-rate 0.1 --max-iter 5000 \\
      --loss squared_error --no-intercept --init-scale 0.5 --no-tol \\
      --no-scale --test-size 20 --random-state 10 --split-random-state 4
  sklearn-backprop fit --output-dir results
"""


def build_parser():
    """Return the argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="sklearn-backprop",
        description="Train a two-layer sigmoid network by backpropagation.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    fit = commands.add_parser(
        "fit",
        help="train on iris and report train and test accuracy",
        description="Train BackpropClassifier on iris, split into train and test.",
        epilog=FIT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = BackpropClassifier()
    fit.add_argument("--hidden-size", type=int, default=defaults.hidden_size)
    fit.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    fit.add_argument("--max-iter", type=int, default=defaults.max_iter)
    fit.add_argument(
        "--loss", choices=["log_loss", "squared_error"], default=defaults.loss
    )
    fit.add_argument(
        "--no-intercept",
        dest="fit_intercept",
        action="store_false",
        help="train without bias terms, as the tutorial does",
    )
    fit.add_argument(
        "--init-scale",
        type=_init_scale,
        default=defaults.init_scale,
        help='standard deviation of the initial weights, or "auto"',
    )
    fit.add_argument("--tol", type=float, default=defaults.tol)
    fit.add_argument(
        "--no-tol",
        dest="tol",
        action="store_const",
        const=None,
        help="run all --max-iter iterations",
    )
    fit.add_argument(
        "--random-state", type=int, default=0, help="seed of the initial weights"
    )
    fit.add_argument(
        "--no-scale",
        dest="scale",
        action="store_false",
        help="train on raw features instead of standardised ones",
    )
    fit.add_argument(
        "--test-size",
        type=_test_size,
        default=0.2,
        help="test fraction (below 1) or number of test rows (default: 0.2)",
    )
    fit.add_argument(
        "--split-random-state",
        type=int,
        default=0,
        help="seed of the train/test split (default: 0)",
    )
    fit.add_argument(
        "--output-dir",
        type=Path,
        help="write history.csv and history.png into this directory",
    )
    fit.set_defaults(handler=run_fit)
    return parser


def _init_scale(text):
    return text if text == "auto" else float(text)


def _test_size(text):
    value = float(text)
    return int(value) if value >= 1 else value


def run_fit(args):
    """Train on iris, print the metrics, and write the outputs requested."""
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=args.split_random_state
    )
    clf = BackpropClassifier(
        hidden_size=args.hidden_size,
        learning_rate=args.learning_rate,
        max_iter=args.max_iter,
        loss=args.loss,
        fit_intercept=args.fit_intercept,
        init_scale=args.init_scale,
        tol=args.tol,
        random_state=args.random_state,
    )
    model = make_pipeline(StandardScaler(), clf) if args.scale else clf
    model.fit(X_train, y_train)

    print(f"{'iterations':<16}{clf.n_iter_:>10}")
    print(f"{'train accuracy':<16}{model.score(X_train, y_train):>10.4f}")
    print(f"{'test accuracy':<16}{model.score(X_test, y_test):>10.4f}")
    if args.output_dir is not None:
        write_history(clf, args.output_dir)
        print(f"wrote history.csv and history.png to {args.output_dir}")


def write_history(clf, output_dir):
    """Write a fitted classifier's history as CSV and as a plot of its curves."""
    import matplotlib

    matplotlib.use("Agg")
    output_dir.mkdir(parents=True, exist_ok=True)
    clf.history_.to_csv(output_dir / "history.csv")
    display = HistoryDisplay.from_estimator(clf, metrics=["mse", "accuracy"])
    display.figure_.tight_layout()
    display.figure_.savefig(output_dir / "history.png")


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except (ValueError, OSError) as exc:
        # Bad values and unusable paths: one line on stderr, no traceback.
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0
