"""The ``export`` command: a model file, preparation included, as one ONNX graph."""

from pathlib import Path

from sklearn.pipeline import Pipeline

from .. import BackpropClassifier, register_onnx_converter
from .._model_files import written_atomically
from .._tables import NUMERIC, branch_columns, empty_means_missing
from ._files import CommandError, load_prepared_model, output_paths


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
