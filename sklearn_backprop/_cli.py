"""The ``sklearn-backprop`` command line: a thin layer over the public API."""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import BackpropClassifier, HistoryDisplay, __version__

# The types a model file written by ``fit`` may ask to be trusted with: this
# package's and scikit-learn's. Anything else means the file is not ours.
TRUSTED_PREFIXES = ("sklearn_backprop.", "sklearn.")

FIT_EXAMPLES = """\
examples:
  sklearn-backprop fit
  sklearn-backprop fit flowers.csv --target species --output-dir results
  sklearn-backprop fit --hidden-size 2 --learning-rate 0.1 --max-iter 5000 \\
      --loss squared_error --no-intercept --init-scale 0.5 --no-tol \\
      --no-scale --test-size 20 --random-state 10 --split-random-state 4
"""
GRID_EXAMPLES = """\
examples:
  sklearn-backprop grid --hidden-size 2 4 8 --learning-rate 0.1 1
  sklearn-backprop grid flowers.csv --target species --hidden-size 4 16 \\
      --learning-rate 0.3 1 3 --cv 5 --n-jobs 2 --output-dir search
"""
PREDICT_EXAMPLES = """\
examples:
  sklearn-backprop predict results/model.skops new_flowers.csv
  sklearn-backprop predict results/model.skops new_flowers.csv --output labels.csv
"""


class CommandError(Exception):
    """A problem with the user's input, reported as one line on stderr."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    """Return the argument parser with its subcommands."""
    parser = Parser(
        prog="sklearn-backprop",
        description="Train, tune and apply a two-layer sigmoid network trained "
        "by backpropagation (BackpropClassifier).",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    fit = _add_command(
        commands,
        "fit",
        run_fit,
        FIT_EXAMPLES,
        "train on a CSV file (iris by default) and report train and test accuracy",
    )
    _add_data_arguments(fit)
    defaults = BackpropClassifier()
    fit.add_argument("--hidden-size", type=int, default=defaults.hidden_size)
    fit.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    fit.add_argument("--max-iter", type=int, default=defaults.max_iter)
    fit.add_argument(
        "--loss", choices=["log_loss", "squared_error"], default=defaults.loss
    )
    fit.add_argument("--batch-size", type=int, help="rows per step (default: all)")
    fit.add_argument("--momentum", type=float, default=defaults.momentum)
    fit.add_argument("--alpha", type=float, default=defaults.alpha, help="L2 penalty")
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
        "--early-stopping",
        action="store_true",
        help="hold out 10%% of the training rows and keep the best weights",
    )
    fit.add_argument(
        "--random-state", type=int, default=0, help="seed of the initial weights"
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
    _add_output_arguments(fit, "history.csv, history.png and model.skops")

    grid = _add_command(
        commands,
        "grid",
        run_grid,
        GRID_EXAMPLES,
        "cross-validate every hidden size x learning rate pair",
    )
    _add_data_arguments(grid)
    grid.add_argument("--hidden-size", type=int, nargs="+", required=True, metavar="N")
    grid.add_argument(
        "--learning-rate", type=float, nargs="+", required=True, metavar="RATE"
    )
    grid.add_argument("--cv", type=int, default=5, help="folds (default: 5)")
    grid.add_argument("--n-jobs", type=int, help="parallel fits (default: 1)")
    grid.add_argument("--max-iter", type=int, default=defaults.max_iter)
    grid.add_argument("--random-state", type=int, default=0)
    _add_output_arguments(grid, "grid.csv and grid.png")

    predict = _add_command(
        commands,
        "predict",
        run_predict,
        PREDICT_EXAMPLES,
        "predict the class of each row of a CSV file with a saved model",
    )
    predict.add_argument("model", type=Path, help="a model.skops written by fit")
    predict.add_argument("data", type=Path, help="CSV file with the feature columns")
    predict.add_argument(
        "--output", type=Path, help="write the predictions here instead of stdout"
    )
    predict.add_argument(
        "--force", action="store_true", help="overwrite an existing --output file"
    )
    return parser


def _add_command(commands, name, handler, examples, summary):
    command = commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.set_defaults(handler=handler)
    return command


def _add_data_arguments(command):
    command.add_argument(
        "data", nargs="?", type=Path, help="CSV file with a header row (default: iris)"
    )
    command.add_argument("--target", help="the column to predict (with DATA)")
    command.add_argument(
        "--no-scale",
        dest="scale",
        action="store_false",
        help="train on raw features instead of standardised ones",
    )


def _add_output_arguments(command, files):
    command.add_argument(
        "--output-dir", type=Path, help=f"write {files} into this directory"
    )
    command.add_argument(
        "--force", action="store_true", help="overwrite existing output files"
    )


def _init_scale(text):
    return text if text == "auto" else float(text)


def _test_size(text):
    value = float(text)
    return int(value) if value >= 1 else value


# ----------------------------------------------------------------- input data


def load_training_data(path, target):
    """Return features and target from a CSV file, or iris when ``path`` is None."""
    if path is None:
        if target is not None:
            raise CommandError("--target needs a DATA file")
        iris = load_iris(as_frame=True)
        return iris.data, iris.target_names[iris.target]
    if target is None:
        raise CommandError(f"give the column to predict with --target ({path})")
    table = read_csv(path)
    if target not in table.columns:
        raise CommandError(
            f"{path} has no column {target!r}; its columns are "
            f"{', '.join(map(str, table.columns))}"
        )
    return numeric_features(table.drop(columns=target), path), table[target]


def read_csv(path):
    """Read a CSV file, turning every failure into a CommandError."""
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise CommandError(f"no such file: {path}") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise CommandError(f"cannot read {path} as CSV: {exc}") from None


def numeric_features(table, path):
    """Return the table if every column is numeric, else say which is not."""
    text = [str(name) for name in table.columns if not is_numeric(table[name])]
    if text:
        raise CommandError(
            f"feature columns of {path} must be numeric; not numeric: {', '.join(text)}"
        )
    return table


def is_numeric(column):
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
        column
    )


# ------------------------------------------------------------------- outputs


def output_paths(output_dir, names, force):
    """Return the output files, refusing to overwrite any without ``force``."""
    paths = [output_dir / name for name in names]
    existing = [str(path) for path in paths if path.exists()]
    if existing and not force:
        raise CommandError(
            f"{', '.join(existing)} already exist; use --force to overwrite"
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    return paths


def use_file_backend():
    """Draw figures into files: no screen is needed."""
    import matplotlib

    matplotlib.use("Agg")


def with_progress_bar(estimator):
    """Show scikit-learn's progress bar on a terminal, where it is available."""
    if not sys.stdout.isatty():
        return estimator
    try:
        from sklearn.callback import ProgressBar

        return estimator.set_callbacks(ProgressBar())
    except ImportError:  # scikit-learn < 1.9, or rich missing
        return estimator


# ----------------------------------------------------------------- commands


def run_fit(args):
    """Train, print a metrics table, and write the outputs asked for."""
    X, y = load_training_data(args.data, args.target)
    if args.output_dir is not None:
        names = ["history.csv", "history.png", "model.skops"]
        history_csv, history_png, model_file = output_paths(
            args.output_dir, names, args.force
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=args.split_random_state
    )
    clf = BackpropClassifier(
        hidden_size=args.hidden_size,
        learning_rate=args.learning_rate,
        max_iter=args.max_iter,
        loss=args.loss,
        batch_size=args.batch_size,
        momentum=args.momentum,
        alpha=args.alpha,
        fit_intercept=args.fit_intercept,
        init_scale=args.init_scale,
        tol=args.tol,
        early_stopping=args.early_stopping,
        random_state=args.random_state,
    )
    model = make_pipeline(StandardScaler(), clf) if args.scale else clf
    with_progress_bar(clf)
    model.fit(X_train, y_train)

    last = clf.history_.iloc[-1]
    rows = [
        ("iterations", f"{clf.n_iter_}"),
        ("training loss", f"{last.get('loss', last['mse']):.4f}"),
        ("train accuracy", f"{model.score(X_train, y_train):.4f}"),
        ("test accuracy", f"{model.score(X_test, y_test):.4f}"),
    ]
    for name, value in rows:
        print(f"{name:<16}{value:>10}")
    if args.output_dir is not None:
        import skops.io

        use_file_backend()
        clf.history_.to_csv(history_csv)
        display = HistoryDisplay.from_estimator(clf, metrics=["mse", "accuracy"])
        display.figure_.savefig(history_png)
        skops.io.dump(model, model_file)
        print(f"wrote {', '.join(map(str, (history_csv, history_png, model_file)))}")


def run_grid(args):
    """Cross-validate the grid, print the ranking, write CSV and heatmap."""
    X, y = load_training_data(args.data, args.target)
    if args.output_dir is not None:
        grid_csv, grid_png = output_paths(
            args.output_dir, ["grid.csv", "grid.png"], args.force
        )
    clf = BackpropClassifier(max_iter=args.max_iter, random_state=args.random_state)
    model = make_pipeline(StandardScaler(), clf) if args.scale else clf
    prefix = "backpropclassifier__" if args.scale else ""
    search = GridSearchCV(
        model,
        {
            f"{prefix}hidden_size": args.hidden_size,
            f"{prefix}learning_rate": args.learning_rate,
        },
        cv=args.cv,
        n_jobs=args.n_jobs,
    )
    with_progress_bar(search)
    search.fit(X, y)

    results = pd.DataFrame(
        {
            "rank": search.cv_results_["rank_test_score"],
            "hidden_size": search.cv_results_[f"param_{prefix}hidden_size"],
            "learning_rate": search.cv_results_[f"param_{prefix}learning_rate"],
            "mean_accuracy": search.cv_results_["mean_test_score"],
            "std_accuracy": search.cv_results_["std_test_score"],
        }
    ).sort_values(["rank", "hidden_size", "learning_rate"])
    print(results.to_string(index=False, float_format="{:.4f}".format))
    if args.output_dir is not None:
        results.to_csv(grid_csv, index=False)
        use_file_backend()
        heatmap(results).savefig(grid_png)
        print(f"wrote {grid_csv}, {grid_png}")


def heatmap(results):
    """Draw mean CV accuracy for each hidden size x learning rate; return the figure."""
    import matplotlib.pyplot as plt

    table = results.pivot(
        index="hidden_size", columns="learning_rate", values="mean_accuracy"
    )
    figure, ax = plt.subplots(
        figsize=(1.2 * table.shape[1] + 2, 0.8 * len(table) + 1.5)
    )
    image = ax.imshow(table.to_numpy(dtype=float), cmap="viridis")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(len(table)), [str(v) for v in table.index])
    ax.set_xlabel("learning rate")
    ax.set_ylabel("hidden size")
    ax.set_title("mean CV accuracy")
    values = table.to_numpy(dtype=float)
    middle = (np.nanmin(values) + np.nanmax(values)) / 2
    for (i, j), value in np.ndenumerate(values):
        # Dark text on the bright end of viridis, light text on the dark end.
        color = "black" if value > middle else "white"
        ax.text(j, i, f"{value:.3f}", ha="center", va="center", color=color)
    figure.colorbar(image, ax=ax)
    figure.tight_layout()
    return figure


def load_model(path):
    """Load a model written by ``fit``, trusting only the types we create."""
    import skops.io

    if not path.exists():
        raise CommandError(f"no such file: {path}")
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises several types for foreign files
        raise CommandError(
            f"{path} is not a model file written by fit: {exc}"
        ) from None
    foreign = [name for name in untrusted if not name.startswith(TRUSTED_PREFIXES)]
    if foreign:
        raise CommandError(
            f"{path} is not a model file written by fit: it holds the types "
            f"{', '.join(foreign)}"
        )
    return skops.io.load(path, trusted=untrusted)


def run_predict(args):
    """Write one prediction per row of the data."""
    model = load_model(args.model)
    if args.output is not None:
        output_paths(args.output.parent, [args.output.name], args.force)
    table = read_csv(args.data)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        missing = [str(name) for name in names if name not in table.columns]
        if missing:
            raise CommandError(
                f"{args.data} lacks the feature columns {', '.join(missing)}"
            )
        table = table[list(names)]
    predictions = pd.DataFrame(
        {"prediction": model.predict(numeric_features(table, args.data))}
    )
    if args.output is None:
        predictions.to_csv(sys.stdout, index=False)
    else:
        predictions.to_csv(args.output, index=False)


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except (CommandError, ValueError, OSError) as exc:
        # Bad input: one line on stderr, no traceback.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"{parser.prog} {args.command}: error: {message}", file=sys.stderr)
        return 2
    return 0
