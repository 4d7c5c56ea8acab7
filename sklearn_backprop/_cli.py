"""The ``sklearn-backprop`` command line: a thin layer over the public API.

Each subcommand reads a CSV file (``_tables``), fits or applies a Pipeline of
the preparation and a :class:`BackpropClassifier`, and writes its outputs; model
files go through ``_model_files``, which loads only the types ``fit`` writes.
What the user sees follows a few rules: results on stdout; notices, warnings
and errors as single lines on stderr; exit status 2 for bad input and 130 for
Ctrl-C; on a terminal, scikit-learn's progress bar.
"""

import argparse
import re
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from . import BackpropClassifier, HistoryDisplay, __version__, register_onnx_converter
from ._model_files import load_model, save_model, written_atomically
from ._tables import (
    NUMERIC,
    TableError,
    branch_columns,
    describe,
    empty_means_missing,
    prediction_table,
    preparation,
    training_table,
    typed_features,
)
from ._training import TrainingInterrupted

FIT_EXAMPLES = """\
examples:
  sklearn-backprop fit
  sklearn-backprop fit penguins.csv --target species --output-dir results
  sklearn-backprop fit penguins.csv --target species --drop year island
  sklearn-backprop fit --hidden-size 2 --solver sgd --momentum 0 \\
      --batch-size full --alpha 0 --learning-rate 0.1 --max-iter 5000 \\
      --loss squared_error --no-intercept --init-scale 0.5 --no-tol \\
      --no-scale --test-size 20 --random-state 10 --split-random-state 4
"""
GRID_EXAMPLES = """\
examples:
  sklearn-backprop grid --hidden-size 8 32 --learning-rate 0.003 0.01 0.03
  sklearn-backprop grid penguins.csv --target species --hidden-size 4 16 \\
      --learning-rate 0.003 0.01 0.03 --cv 5 --n-jobs 2 --output-dir search
"""
PREDICT_EXAMPLES = """\
examples:
  sklearn-backprop predict results/model.skops new_penguins.csv
  sklearn-backprop predict results/model.skops new_penguins.csv --output labels.csv
"""
EXPORT_EXAMPLES = """\
examples:
  sklearn-backprop export results/model.skops model.onnx
"""
# The exit status of a program ended by Ctrl-C (128 + SIGINT), as shells report.
INTERRUPTED = 130


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
        description="Train, tune, apply and export a two-layer sigmoid network trained "
        "by backpropagation (BackpropClassifier).",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    defaults = BackpropClassifier()

    fit = _add_command(
        commands,
        "fit",
        run_fit,
        FIT_EXAMPLES,
        "train on a CSV file (iris by default) and report train and test accuracy",
    )
    _add_data_arguments(fit)
    fit.add_argument(
        "--hidden-size",
        type=int,
        default=defaults.hidden_size,
        help="number of hidden units (default: %(default)s)",
    )
    fit.add_argument(
        "--activation",
        choices=["logistic", "tanh", "relu"],
        default=defaults.activation,
        help="the hidden units' function; logistic is the sigmoid "
        "(default: %(default)s)",
    )
    fit.add_argument(
        "--solver",
        choices=["sgd", "adam", "lbfgs"],
        default=defaults.solver,
        help="sgd: gradient descent with --momentum; adam: steps scaled by "
        "running gradient moments; lbfgs: quasi-Newton on all rows "
        "(default: %(default)s)",
    )
    fit.add_argument(
        "--learning-rate",
        type=float,
        default=defaults.learning_rate,
        help="step size of sgd and adam (default: %(default)s)",
    )
    fit.add_argument(
        "--max-iter",
        type=int,
        default=defaults.max_iter,
        help="most iterations (epochs) to train (default: %(default)s)",
    )
    fit.add_argument(
        "--loss",
        choices=["log_loss", "squared_error"],
        default=defaults.loss,
        help="log_loss: softmax and cross-entropy; squared_error: sigmoid "
        "outputs and the tutorial's mean squared error (default: %(default)s)",
    )
    fit.add_argument(
        "--batch-size",
        type=_batch_size,
        default=defaults.batch_size,
        help="rows per gradient step: a number, auto for min(200, rows) or full "
        "for all rows (full-batch descent) (default: %(default)s)",
    )
    fit.add_argument(
        "--momentum",
        type=float,
        default=defaults.momentum,
        help="fraction of the previous step added to each sgd step, in [0, 1) "
        "(default: %(default)s)",
    )
    fit.add_argument(
        "--alpha",
        type=float,
        default=defaults.alpha,
        help="strength of the L2 penalty on the weights (default: %(default)s)",
    )
    fit.add_argument(
        "--no-intercept",
        dest="fit_intercept",
        action="store_false",
        help="train without bias terms, as the tutorial does (default: with biases)",
    )
    fit.add_argument(
        "--init-scale",
        type=_init_scale,
        default=defaults.init_scale,
        help='standard deviation of the initial weights, or "auto" for Glorot '
        "initialisation (default: %(default)s)",
    )
    fit.add_argument(
        "--tol",
        type=float,
        default=defaults.tol,
        help="stop when the loss has not improved by this much for "
        f"{defaults.n_iter_no_change} iterations (default: %(default)s)",
    )
    fit.add_argument(
        "--no-tol",
        dest="tol",
        action="store_const",
        const=None,
        help="run all --max-iter iterations (default: stop by --tol)",
    )
    fit.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out 10%% of the training rows, stop when their loss stops "
        "improving and keep the best weights (default: off)",
    )
    fit.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the initial weights (default: %(default)s)",
    )
    fit.add_argument(
        "--test-size",
        type=_test_size,
        default=0.2,
        help="test fraction (below 1) or number of test rows (default: %(default)s)",
    )
    fit.add_argument(
        "--split-random-state",
        type=int,
        default=0,
        help="seed of the train/test split (default: %(default)s)",
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
    grid.add_argument(
        "--hidden-size",
        type=int,
        nargs="+",
        required=True,
        metavar="N",
        help="hidden sizes to try (required)",
    )
    grid.add_argument(
        "--learning-rate",
        type=float,
        nargs="+",
        required=True,
        metavar="RATE",
        help="learning rates to try (required)",
    )
    grid.add_argument(
        "--cv",
        type=int,
        default=5,
        help="cross-validation folds (default: %(default)s)",
    )
    grid.add_argument(
        "--n-jobs",
        type=int,
        help="fits to run in parallel, -1 for one per core (default: 1)",
    )
    grid.add_argument(
        "--max-iter",
        type=int,
        default=defaults.max_iter,
        help="most iterations (epochs) of each fit (default: %(default)s)",
    )
    grid.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the initial weights (default: %(default)s)",
    )
    _add_output_arguments(grid, "grid.csv and grid.png")

    predict = _add_command(
        commands,
        "predict",
        run_predict,
        PREDICT_EXAMPLES,
        "predict the class of each row of a CSV file with a saved model",
    )
    predict.add_argument("model", type=Path, help="a model.skops written by fit")
    predict.add_argument(
        "data", type=Path, help="CSV file with the feature columns used in fit"
    )
    predict.add_argument(
        "--output",
        type=Path,
        help="write the predictions to this CSV file (default: standard output)",
    )
    predict.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing --output file (default: refuse)",
    )
    export = _add_command(
        commands,
        "export",
        run_export,
        EXPORT_EXAMPLES,
        "convert a saved model, its data preparation included, to ONNX "
        "(needs the onnx extra)",
    )
    export.add_argument("model", type=Path, help="a model.skops written by fit")
    export.add_argument("output", type=Path, help="the ONNX file to write")
    export.add_argument(
        "--force",
        action="store_true",
        help="overwrite an existing output file (default: refuse)",
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
        "data",
        nargs="?",
        type=Path,
        help="CSV file with a header row (default: iris); numeric columns are "
        "median-filled and standardised, other columns most-frequent-filled and "
        "one-hot encoded",
    )
    command.add_argument("--target", help="the column to predict (required with DATA)")
    command.add_argument(
        "--drop",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns of DATA that are no features, such as identifiers "
        "(default: none)",
    )
    command.add_argument(
        "--no-scale",
        dest="scale",
        action="store_false",
        help="leave numeric features unstandardised (default: standardise)",
    )


def _add_output_arguments(command, files):
    command.add_argument(
        "--output-dir",
        type=Path,
        help=f"write {files} into this directory (default: write nothing)",
    )
    command.add_argument(
        "--force",
        action="store_true",
        help="overwrite existing output files (default: refuse)",
    )


def _init_scale(text):
    return text if text == "auto" else float(text)


def _batch_size(text):
    if text in ("auto", "full"):
        return None if text == "full" else text
    return int(text)


def _test_size(text):
    value = float(text)
    return int(value) if value >= 1 else value


# ----------------------------------------------------------------- input data


def load_training_data(args):
    """Return features, target and notices from ``args.data``, or iris."""
    if args.data is None:
        if args.target is not None or args.drop:
            raise CommandError("--target and --drop need a DATA file")
        iris = load_iris(as_frame=True)
        return typed_features(iris.data, "iris"), iris.target_names[iris.target], []
    if args.target is None:
        raise CommandError(f"give the column to predict with --target ({args.data})")
    return training_table(args.data, args.target, args.drop)


def prepared_model(X, estimator, scale):
    """The Pipeline that ``fit`` trains and saves: preparation, then estimator."""
    return make_pipeline(preparation(X, scale), estimator)


# ------------------------------------------------------------------- outputs


def note(message):
    """Tell the user, on stderr, something done that they did not ask for."""
    print(f"note: {message}", file=sys.stderr)


def output_paths(output_dir, names, force):
    """Return the output files, refusing to overwrite any without ``force``."""
    if output_dir.exists() and not output_dir.is_dir():
        raise CommandError(f"{output_dir} is a file, not a directory")
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


def with_progress_bar(estimator, depth=1):
    """Show scikit-learn's progress bar on a terminal, where it is available.

    Callbacks go on the outermost estimator, which passes them on to those it
    fits (scikit-learn refuses callbacks set on an inner estimator); ``depth``
    is how many levels of nested fits get a bar of their own.
    """
    if not sys.stdout.isatty():
        return estimator
    try:
        from sklearn.callback import ProgressBar

        return estimator.set_callbacks(ProgressBar(max_propagation_depth=depth))
    except ImportError:  # scikit-learn < 1.9, or rich missing
        return estimator


@contextmanager
def progress_shown(estimator, depth=1):
    """Show the progress bar while the block fits ``estimator``, then remove it,
    so that the saved model holds no callback."""
    with_progress_bar(estimator, depth)
    try:
        yield estimator
    finally:
        if hasattr(estimator, "_skl_callbacks"):
            estimator.set_callbacks()


# Estimator parameter names, as the command line spells them.
_OPTIONS = {
    name: "--" + name.replace("_", "-")
    for name in ("max_iter", "tol", "learning_rate", "hidden_size", "batch_size")
}


def in_command_line_terms(message):
    """Rewrite a warning in the options' names: ``max_iter=5`` as ``--max-iter 5``."""
    message = message.replace("increase max_iter or tol", "raise --max-iter")
    for name, option in _OPTIONS.items():
        # The name alone or as name=value, not inside a longer word or option.
        pattern = rf"(?<![\w-]){name}\b(?:=(\S+?)(?=[\s,;)]|$))?"
        message = re.sub(
            pattern,
            lambda match, option=option: option + (f" {match[1]}" if match[1] else ""),
            message,
        )
    return message


class TrainingReport:
    """What happened during training besides the result: warnings and Ctrl-C.

    Use :meth:`watch` around training: warnings print as one line each,
    ``warning: ...`` on stderr, repeated ones once; Ctrl-C, which the estimator
    turns into a TrainingInterrupted warning after the current iteration, sets
    :attr:`interrupted` instead, or with ``stop_on_ctrl_c`` stops at once.
    """

    def __init__(self, stop_on_ctrl_c=False):
        self.stop_on_ctrl_c = stop_on_ctrl_c
        self.interrupted = False
        self.shown = set()

    @contextmanager
    def watch(self):
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConvergenceWarning)
            warnings.simplefilter("always", TrainingInterrupted)
            # The preparation's transformers take no callbacks: the progress
            # bar is on the classifier all the same.
            warnings.filterwarnings("ignore", message=".* does not support callbacks")
            warnings.showwarning = self.show
            yield self

    def show(self, message, category, filename, lineno, file=None, line=None):
        if issubclass(category, TrainingInterrupted):
            if self.stop_on_ctrl_c:
                raise KeyboardInterrupt
            self.interrupted = True
            return
        text = in_command_line_terms(first_line(message))
        if text not in self.shown:
            self.shown.add(text)
            print(f"warning: {text}", file=sys.stderr)


# ----------------------------------------------------------------- commands


def trained(estimator, X, y, args):
    """Fit ``estimator``; an error about the data becomes one line naming it.

    Invalid hyper-parameters keep scikit-learn's message, which names them.
    """
    try:
        return estimator.fit(X, y)
    except InvalidParameterError:
        raise
    except (ValueError, ArithmeticError) as exc:
        source = args.data if args.data is not None else "iris"
        raise CommandError(
            f"cannot train on {source}: {in_command_line_terms(first_line(exc))}"
        ) from None


def first_line(exc):
    """The first non-empty line of an exception's message, or its type's name."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0].strip() if lines else type(exc).__name__


def run_fit(args):
    """Train, print a metrics table, and write the outputs asked for.

    Returns the exit status: 0, or 130 when Ctrl-C ended training early.
    """
    X, y, notices = load_training_data(args)
    for notice in notices:
        note(notice)
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
        activation=args.activation,
        solver=args.solver,
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
    model = prepared_model(X_train, clf, args.scale)
    report = TrainingReport()
    with progress_shown(model), report.watch():
        trained(model, X_train, y_train, args)

    history = clf.history_
    loss = "loss" if "loss" in history else "mse"
    rows = [
        ("iterations", f"{clf.n_iter_}"),
        ("training loss", f"{history[loss].iloc[-1]:.4f}"),
        ("train accuracy", f"{model.score(X_train, y_train):.4f}"),
        ("test accuracy", f"{model.score(X_test, y_test):.4f}"),
    ]
    for name, value in rows:
        print(f"{name:<16}{value:>10}")
    print(f"features: {describe(X, model[0], args.scale)}")
    written = []
    if args.output_dir is not None:
        use_file_backend()
        with written_atomically(history_csv) as path:
            history.to_csv(path)
        display = HistoryDisplay.from_estimator(clf, metrics=[loss, "accuracy"])
        with written_atomically(history_png) as path:
            display.figure_.savefig(path, format="png")
        save_model(model, model_file)
        written = [history_csv, history_png, model_file]
        print(f"wrote {', '.join(map(str, written))}")
    if report.interrupted:
        kept = "written above" if written else "not saved: no --output-dir"
        print(
            f"interrupted: Ctrl-C ended training after {clf.n_iter_} iterations; "
            f"the model and history trained so far are {kept}",
            file=sys.stderr,
        )
        return INTERRUPTED
    return 0


def iterations(estimator, X, y):
    """The scorer that counts a fit's iterations, to find unconverged fits."""
    return estimator[-1].n_iter_


def run_grid(args):
    """Cross-validate the grid, print the ranking, write CSV and heatmap."""
    X, y, notices = load_training_data(args)
    for notice in notices:
        note(notice)
    if args.output_dir is not None:
        grid_csv, grid_png = output_paths(
            args.output_dir, ["grid.csv", "grid.png"], args.force
        )
    clf = BackpropClassifier(max_iter=args.max_iter, random_state=args.random_state)
    model = prepared_model(X, clf, args.scale)
    prefix = "backpropclassifier__"
    search = GridSearchCV(
        model,
        {
            f"{prefix}hidden_size": args.hidden_size,
            f"{prefix}learning_rate": args.learning_rate,
        },
        scoring={"accuracy": "accuracy", "iterations": iterations},
        refit="accuracy",
        cv=args.cv,
        n_jobs=args.n_jobs,
    )
    report = TrainingReport(stop_on_ctrl_c=True)
    # One bar for the whole search, not one per cross-validation fit.
    with progress_shown(search, depth=0), report.watch():
        # Each fit's ConvergenceWarning would print from every worker process;
        # the fits' iteration counts below tell the same once.
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        trained(search, X, y, args)
    _warn_unconverged(search.cv_results_, args)

    results = pd.DataFrame(
        {
            "rank": search.cv_results_["rank_test_accuracy"],
            "hidden_size": search.cv_results_[f"param_{prefix}hidden_size"],
            "learning_rate": search.cv_results_[f"param_{prefix}learning_rate"],
            "mean_accuracy": search.cv_results_["mean_test_accuracy"],
            "std_accuracy": search.cv_results_["std_test_accuracy"],
        }
    ).sort_values(["rank", "hidden_size", "learning_rate"])
    print(results.to_string(index=False, float_format="{:.4f}".format))
    if args.output_dir is not None:
        with written_atomically(grid_csv) as path:
            results.to_csv(path, index=False)
        use_file_backend()
        with written_atomically(grid_png) as path:
            heatmap(results).savefig(path, format="png")
        print(f"wrote {grid_csv}, {grid_png}")
    return 0


def _warn_unconverged(cv_results, args):
    """Say how many cross-validation fits ran all --max-iter iterations."""
    counts = [cv_results[f"split{fold}_test_iterations"] for fold in range(args.cv)]
    counts = np.concatenate(counts)
    unconverged = int(np.sum(counts >= args.max_iter))
    if unconverged:
        print(
            f"warning: {unconverged} of {counts.size} cross-validation fits "
            f"reached --max-iter {args.max_iter} before the loss stopped "
            "improving; raise --max-iter",
            file=sys.stderr,
        )


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


def load_prepared_model(path):
    """Load a model file that ``fit`` wrote: its preparation, then the network."""
    model = load_model(path)
    if not (isinstance(model, Pipeline) and isinstance(model[0], ColumnTransformer)):
        raise CommandError(
            f"{path} holds no data preparation: it was written by an older "
            "version of fit; train it again with fit --output-dir"
        )
    return model


def run_predict(args):
    """Write one prediction per row of the data."""
    model = load_prepared_model(args.model)
    if args.output is not None:
        output_paths(args.output.parent, [args.output.name], args.force)
    X = prediction_table(args.data, model[0])
    filled = int(X.isna().to_numpy().sum())
    if filled:
        note(f"filled {filled} missing values of {args.data} as in training")
    predictions = pd.DataFrame({"prediction": model.predict(X)})
    if args.output is None:
        predictions.to_csv(sys.stdout, index=False)
    else:
        with written_atomically(args.output) as path:
            predictions.to_csv(path, index=False)
        print(f"wrote {len(predictions)} predictions to {args.output}")
    return 0


def run_export(args):
    """Write the model, preparation included, as an ONNX file."""
    model = load_prepared_model(args.model)
    output_paths(args.output.parent, [args.output.name], args.force)
    onnx_model, numeric = onnx_pipeline(model)
    with written_atomically(args.output) as path:
        Path(path).write_bytes(onnx_model.SerializeToString())
    inputs = ", ".join(
        _describe_input(graph_input.name, column, column in numeric)
        for graph_input, column in zip(
            onnx_model.graph.input, model[0].feature_names_in_
        )
    )
    classes = ", ".join(str(label) for label in model.classes_)
    print(f"wrote {args.output}")
    print(f"inputs, one column each: {inputs}")
    print(f"outputs: label, and probabilities of the classes {classes}")
    return 0


def _describe_input(name, column, numeric):
    """An ONNX input in words, with the column it takes where the names differ."""
    kind = "float" if numeric else "string"
    return f"{name} ({kind})" if name == column else f"{name} ({kind}, {column!r})"


def onnx_pipeline(model):
    """Convert a model file's Pipeline to ONNX; return it and its numeric inputs.

    The graph takes each feature column as an input of its own, of shape
    (rows, 1): float32 for numeric columns, where NaN is a missing value, and
    strings for categorical ones, where the empty string is. Probabilities come
    out as a matrix whose columns follow ``classes_``.
    """
    try:
        from skl2onnx import to_onnx
        from skl2onnx.common.data_types import FloatTensorType, StringTensorType
    except ImportError as exc:
        raise CommandError(
            "export needs skl2onnx: pip install 'sklearn-backprop[onnx]'"
        ) from exc
    register_onnx_converter()
    numeric = branch_columns(model[0], NUMERIC)
    types = [
        (name, (FloatTensorType if name in numeric else StringTensorType)([None, 1]))
        for name in model[0].feature_names_in_
    ]
    prepared = Pipeline(
        [(model.steps[0][0], empty_means_missing(model[0])), *model.steps[1:]]
    )
    onnx_model = to_onnx(
        prepared, initial_types=types, options={BackpropClassifier: {"zipmap": False}}
    )
    return onnx_model, numeric


def describe_os_error(exc):
    """An OSError in words, without its errno: ``PATH: permission denied``."""
    reason = (exc.strerror or type(exc).__name__).lower()
    return f"{exc.filename}: {reason}" if exc.filename else reason


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prefix = f"{parser.prog} {args.command}"
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted by Ctrl-C", file=sys.stderr)
        return INTERRUPTED
    except OSError as exc:
        print(f"{prefix}: error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except (CommandError, TableError, ValueError, ArithmeticError) as exc:
        # Bad input: one line on stderr, no traceback.
        print(f"{prefix}: error: {first_line(exc)}", file=sys.stderr)
        return 2
