"""The command line's options: subcommands, their arguments, help and examples.

The choices and defaults of the options that set estimator parameters come
from :class:`BackpropClassifier` itself, so that ``--help`` shows what the
estimator accepts and does; where the command line's default differs from the
estimator's, it is written here, with the reason. Numbers out of their
option's range, and values given twice where an option takes several, are
refused as the arguments are parsed, before any data is read.
"""

import argparse
import math
from pathlib import Path

from sklearn.metrics import get_scorer_names
from sklearn.utils._param_validation import StrOptions

from .. import BackpropClassifier, __version__

# The estimator parameters that each command sets from the option of the same
# name (--max-iter sets max_iter, --no-intercept sets fit_intercept): the
# commands pass these on to BackpropClassifier, and only these.
ESTIMATOR_OPTIONS = {
    "fit": (
        "hidden_size",
        "activation",
        "solver",
        "learning_rate",
        "max_iter",
        "loss",
        "batch_size",
        "momentum",
        "alpha",
        "fit_intercept",
        "init_scale",
        "tol",
        "early_stopping",
        "validation_fraction",
        "scoring",
        "diagnostics",
        "random_state",
    ),
    "grid": ("max_iter", "random_state"),
}
# The estimator draws fresh initial weights on each run (random_state=None);
# the command line seeds them, so that running a command twice gives the
# same result.
RANDOM_STATE = 0

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


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class Distinct(argparse.Action):
    """Store the values of an option that takes several, refusing repeats.

    A value given twice would be tried twice, and the results would hold two
    entries for one setting.
    """

    def __call__(self, parser, namespace, values, option_string=None):
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            listed = ", ".join(map(str, repeated))
            raise argparse.ArgumentError(
                self, f"{listed} given more than once; give each value once"
            )
        setattr(namespace, self.dest, values)


def build_parser():
    """Return the argument parser with its subcommands.

    Returns
    -------
    parser : Parser
        The parser of ``sklearn-backprop``; the name of the subcommand to
        run is its result's ``command``.
    """
    parser = Parser(
        prog="sklearn-backprop",
        description="Train, tune, apply and export a two-layer sigmoid network trained "
        "by backpropagation (BackpropClassifier).",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    defaults = BackpropClassifier().get_params()
    _add_fit(commands, defaults)
    _add_grid(commands, defaults)
    _add_predict(commands)
    _add_export(commands)
    return parser


def _add_fit(commands, defaults):
    fit = _add_command(
        commands,
        "fit",
        FIT_EXAMPLES,
        "train on a CSV file (iris by default) and report train and test accuracy",
    )
    _add_data_arguments(fit)
    fit.add_argument(
        "--hidden-size",
        type=_auto_or(_positive_int, "a positive integer"),
        default=defaults["hidden_size"],
        help="number of hidden units, or auto: 50, or 100 from 1000 training rows "
        "on (default: %(default)s)",
    )
    fit.add_argument(
        "--activation",
        choices=_choices("activation"),
        default=defaults["activation"],
        help="the hidden units' function; logistic is the sigmoid "
        "(default: %(default)s)",
    )
    fit.add_argument(
        "--solver",
        choices=_choices("solver"),
        default=defaults["solver"],
        help="sgd: gradient descent with --momentum; adam: steps scaled by "
        "running gradient moments; lbfgs: quasi-Newton on all rows; auto: lbfgs "
        "up to 10000 training rows, adam above (default: %(default)s)",
    )
    fit.add_argument(
        "--learning-rate",
        type=_positive_float,
        default=defaults["learning_rate"],
        help="step size of sgd and adam; lbfgs, which --solver auto takes up to "
        "10000 training rows, has none (default: %(default)s)",
    )
    fit.add_argument(
        "--max-iter",
        type=_positive_int,
        default=defaults["max_iter"],
        help="most iterations (epochs) to train (default: %(default)s)",
    )
    fit.add_argument(
        "--loss",
        choices=_choices("loss"),
        default=defaults["loss"],
        help="log_loss: softmax and cross-entropy; squared_error: sigmoid "
        "outputs and the tutorial's mean squared error (default: %(default)s)",
    )
    fit.add_argument(
        "--batch-size",
        type=_batch_size,
        default=defaults["batch_size"],
        help="rows per gradient step: a number, auto for min(200, rows) or full "
        "for all rows (full-batch descent) (default: %(default)s)",
    )
    fit.add_argument(
        "--momentum",
        type=float,
        default=defaults["momentum"],
        help="fraction of the previous step added to each sgd step, in [0, 1) "
        "(default: %(default)s)",
    )
    fit.add_argument(
        "--alpha",
        type=_auto_or(float, "a number"),
        default=defaults["alpha"],
        help="strength of the L2 penalty on the weights, or auto: 1 / the training "
        "rows' total weight (default: %(default)s)",
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
        default=defaults["init_scale"],
        help='standard deviation of the initial weights, or "auto" for Glorot '
        "initialisation (default: %(default)s)",
    )
    fit.add_argument(
        "--tol",
        type=float,
        default=defaults["tol"],
        help="stop when the loss has not improved by this much for "
        f"{defaults['n_iter_no_change']} iterations (default: %(default)s)",
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
        help="hold out --validation-fraction of the training rows, stop when their "
        "loss stops improving and keep the best weights (default: off)",
    )
    fit.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=defaults["validation_fraction"],
        help="fraction of the training rows that --early-stopping holds out, "
        "between 0 and 1 (default: %(default)s)",
    )
    fit.add_argument(
        "--scoring",
        type=_scoring,
        default=defaults["scoring"],
        metavar="NAME",
        help="a scikit-learn scorer (f1_macro, balanced_accuracy, ...) to record "
        "on the validation rows as history.csv's val_score column, and for "
        "--early-stopping to stop on instead of the loss (default: the loss)",
    )
    fit.add_argument(
        "--diagnostics",
        action="store_true",
        help="record gradient and weight norms, update ratios and saturated "
        "hidden units in history.csv, drawn in history.png (default: off)",
    )
    fit.add_argument(
        "--random-state",
        type=int,
        default=RANDOM_STATE,
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


def _add_grid(commands, defaults):
    grid = _add_command(
        commands,
        "grid",
        GRID_EXAMPLES,
        "cross-validate every hidden size x learning rate pair",
    )
    _add_data_arguments(grid)
    grid.add_argument(
        "--hidden-size",
        type=_positive_int,
        nargs="+",
        action=Distinct,
        required=True,
        metavar="N",
        help="hidden sizes to try (required)",
    )
    grid.add_argument(
        "--learning-rate",
        type=_positive_float,
        nargs="+",
        action=Distinct,
        required=True,
        metavar="RATE",
        help="learning rates to try, as Adam's steps: the search trains with "
        "solver adam (required)",
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
        type=_positive_int,
        default=defaults["max_iter"],
        help="most iterations (epochs) of each fit (default: %(default)s)",
    )
    grid.add_argument(
        "--random-state",
        type=int,
        default=RANDOM_STATE,
        help="seed of the initial weights (default: %(default)s)",
    )
    _add_output_arguments(grid, "grid.csv and grid.png")


def _add_predict(commands):
    predict = _add_command(
        commands,
        "predict",
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


def _add_export(commands):
    export = _add_command(
        commands,
        "export",
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


def _add_command(commands, name, examples, summary):
    return commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


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


def _choices(name):
    """The strings BackpropClassifier accepts for parameter ``name``, sorted."""
    constraints = BackpropClassifier._parameter_constraints[name]
    options = set()
    for constraint in constraints:
        if isinstance(constraint, StrOptions):
            options |= constraint.options
    # Sorted: a set of strings iterates in an order that changes from one run
    # to the next (hash randomisation), and --help would change with it.
    return sorted(options)


def _number(text, convert, accepted, what):
    """The number ``text`` names (``convert``: int or float), refused with
    ``what`` it should be unless ``accepted(value)``."""
    try:
        value = convert(text)
    except ValueError:
        value = math.nan
    if not accepted(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def _positive_int(text):
    """The whole number ``text`` names, refused unless above 0."""
    return _number(text, int, lambda value: value >= 1, "a positive integer")


def _positive_float(text):
    """The number ``text`` names, refused unless finite and above 0."""
    return _number(
        text,
        float,
        lambda value: math.isfinite(value) and value > 0,
        "a positive number",
    )


def _fraction(text):
    """The number ``text`` names, refused unless strictly between 0 and 1."""
    return _number(
        text, float, lambda value: 0 < value < 1, "a fraction between 0 and 1"
    )


def _auto_or(convert, what):
    """An argument type: ``auto``, or what ``convert`` makes of the text."""

    def auto_or(text):
        if text == "auto":
            return text
        try:
            return convert(text)
        except (argparse.ArgumentTypeError, ValueError):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {what} or auto"
            ) from None

    return auto_or


def _init_scale(text):
    if text == "auto":
        return text
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive number or auto"
        ) from None


def _batch_size(text):
    if text in ("auto", "full"):
        return None if text == "full" else text
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive integer, auto or full"
        ) from None


def _scoring(text):
    if text not in get_scorer_names():
        raise argparse.ArgumentTypeError(
            f"unknown scorer {text!r}; sklearn.metrics.get_scorer_names() lists "
            "the names"
        )
    return text


def _test_size(text):
    """A fraction of the rows, below 1, or a whole number of rows."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if 0 < value < 1:
        return value
    if value >= 1 and value.is_integer():
        return int(value)
    raise argparse.ArgumentTypeError(
        f"{text!r} is neither a fraction between 0 and 1 nor a whole number of rows"
    )
