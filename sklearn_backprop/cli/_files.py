"""The files the commands read and write: training data, model files, outputs.

Problems with them, as with any other input, are a :class:`CommandError`: one
line on stderr and exit status 2.
"""

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
