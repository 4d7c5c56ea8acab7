"""The commands ``fit``, ``grid`` and ``predict``: data in, a model, results out.

Each fits or applies a Pipeline of the data preparation and a
:class:`BackpropClassifier`, prints its results on stdout and writes the
files asked for.
"""

import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from .. import BackpropClassifier, HistoryDisplay
from .._messages import first_line
from .._model_files import save_model, written_atomically
from .._tables import describe, prediction_table, preparation
from ._figures import heatmap, use_file_backend
from ._files import CommandError, load_prepared_model, load_training_data, output_paths
from ._parser import ESTIMATOR_OPTIONS
from ._terminal import TrainingReport, in_command_line_terms, note, progress_shown

# The exit status of a program ended by Ctrl-C (128 + SIGINT), as shells report.
INTERRUPTED = 130


def command_estimator(args):
    """The BackpropClassifier that the options of ``args.command`` describe."""
    options = ESTIMATOR_OPTIONS[args.command]
    return BackpropClassifier(**{name: getattr(args, name) for name in options})


def prepared_model(X, estimator, scale):
    """The Pipeline that ``fit`` trains and saves: preparation, then estimator."""
    return make_pipeline(preparation(X, scale), estimator)


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
    clf = command_estimator(args)
    model = prepared_model(X_train, clf, args.scale)
    report = TrainingReport()
    with progress_shown(model), report.watch():
        trained(model, X_train, y_train, args)

    history = clf.history_
    rows = [
        ("iterations", f"{clf.n_iter_}"),
        ("training loss", f"{clf.loss_curve_[-1]:.4f}"),
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
        # The plot shows the training loss that the table reports.
        metrics = ["loss", "accuracy"]
        kind = "all" if clf.diagnostics else "metrics"
        display = HistoryDisplay.from_estimator(clf, metrics=metrics, kind=kind)
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
    # The learning rates searched are Adam's steps: solver="auto" would take
    # L-BFGS, which has none, on data of up to 10000 rows.
    estimator = command_estimator(args).set_params(solver="adam")
    model = prepared_model(X, estimator, args.scale)
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
