"""The files the commands read and write: training data, model files, outputs.

Problems with them, as with any other input, are a :class:`CommandError`: one
line on stderr and exit status 2.
"""

import tempfile

from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.pipeline import Pipeline

from .._model_files import load_model
from .._tables import training_table, typed_features


class CommandError(Exception):
    """A problem with the user's input, reported as one line on stderr."""


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


def load_prepared_model(path):
    """Load a model file that ``fit`` wrote: its preparation, then the network."""
    model = load_model(path)
    if not (isinstance(model, Pipeline) and isinstance(model[0], ColumnTransformer)):
        raise CommandError(
            f"{path} holds no data preparation: it was written by an older "
            "version of fit; train it again with fit --output-dir"
        )
    return model


def output_paths(output_dir, names, force):
    """Return the output files, refusing to overwrite any without ``force``.

    The directory is made, and a file written into it and removed, before
    the command does its work: a directory that takes no files is refused
    then, not once the results are ready.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise CommandError(f"{output_dir} is a file, not a directory")
    paths = [output_dir / name for name in names]
    existing = [str(path) for path in paths if path.exists()]
    if existing and not force:
        raise CommandError(
            f"{', '.join(existing)} already exist; use --force to overwrite"
        )
    check_writable(output_dir)
    return paths


def check_writable(directory):
    """Make ``directory`` where missing, and refuse it unless it takes files.

    Permission bits do not tell (they do not bind root, and a read-only file
    system has its own): a file is written into it, and removed at once.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-"):
            pass
    except OSError as exc:
        raise CommandError(
            f"cannot write files into {directory}: {os_reason(exc)}"
        ) from None


def describe_os_error(exc):
    """An OSError in words, without its errno: ``PATH: permission denied``."""
    reason = os_reason(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def os_reason(exc):
    """What went wrong in an OSError, in words: ``permission denied``."""
    return (exc.strerror or type(exc).__name__).lower()
