"""ONNX export: teaches skl2onnx to convert a fitted BackpropClassifier.

The graph is the network's prediction, written in ONNX operators:
``H = f(X W1 + b1)``, ``Z2 = H W2 + b2``, then the probabilities ``P`` as
:meth:`BackpropClassifier.predict_proba` computes them and the labels as
:meth:`~BackpropClassifier.predict` picks them. skl2onnx and onnx are imported
only when :func:`register_onnx_converter` is called, so that importing the
package does not pay for them.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._array_api import to_numpy
from ._classifier import BackpropClassifier

# The name skl2onnx knows the estimator by in its registries.
ALIAS = "SklearnBackpropClassifier"

# ONNX operators of the hidden activations, by the estimator's names.
HIDDEN_OPERATORS = {"logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}


def register_onnx_converter():
    """Let skl2onnx convert :class:`BackpropClassifier`, alone or in a Pipeline.

    Call it once before :func:`skl2onnx.to_onnx` or
    :func:`skl2onnx.convert_sklearn`; calling it again changes nothing. The
    converted model has the two outputs of skl2onnx's classifiers: the labels
    of :meth:`~BackpropClassifier.predict` and the probabilities of
    :meth:`~BackpropClassifier.predict_proba`, computed in float32 unless the
    input is double. skl2onnx's options ``zipmap`` (probabilities as a list of
    dictionaries by default, ``False`` for a matrix) and ``nocl`` (class
    indices instead of labels) apply.

    Converting an unfitted estimator raises scikit-learn's
    :class:`~sklearn.exceptions.NotFittedError`, as its ``predict`` does.

    Raises
    ------
    ImportError
        If skl2onnx is not installed: ``pip install "sklearn-backprop[onnx]"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_backprop import BackpropClassifier, register_onnx_converter
    >>> X, y = load_iris(return_X_y=True)
    >>> model = BackpropClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> register_onnx_converter()
    >>> onx = to_onnx(model, X[:1].astype(np.float32),
    ...               options={"zipmap": False})
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:
        raise ImportError(
            "ONNX export needs skl2onnx: pip install 'sklearn-backprop[onnx]'"
        ) from exc
    update_registered_converter(
        BackpropClassifier,
        ALIAS,
        output_shapes,
        convert,
        parser=parse,
        options={"zipmap": [True, False, "columns"], "nocl": [False, True]},
    )


def parse(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parser: the outputs of skl2onnx's classifiers, for a fitted model.

    skl2onnx calls it first, before it reads anything of the model.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    """
    from skl2onnx._parse import _parse_sklearn_classifier

    check_is_fitted(model)
    return _parse_sklearn_classifier(
        scope, model, inputs, custom_parsers=custom_parsers
    )


def output_shapes(operator):
    """skl2onnx's shape calculator: the types and shapes of the two outputs."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator,
        good_input_types=[DoubleTensorType, FloatTensorType, Int64TensorType],
    )
    model = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    n_outputs = model.n_outputs_
    label_shape = [n_rows, n_outputs] if model.spec_.multilabel else [n_rows]
    labels = _onnx_labels(model, _options(operator))
    label_type = StringTensorType if labels.dtype.kind == "S" else Int64TensorType
    proba_type = (
        DoubleTensorType
        if isinstance(operator.inputs[0].type, DoubleTensorType)
        else FloatTensorType
    )
    operator.outputs[0].type = label_type(shape=label_shape)
    operator.outputs[1].type = proba_type(shape=[n_rows, n_outputs])


def convert(scope, operator, container):
    """skl2onnx's converter: the graph from the input to labels and probabilities."""
    from skl2onnx.common.data_types import DoubleTensorType
    from skl2onnx.proto import onnx_proto

    model = operator.raw_operator
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    graph = _Graph(
        scope,
        container,
        onnx_proto.TensorProto.DOUBLE if double else onnx_proto.TensorProto.FLOAT,
        np.float64 if double else np.float32,
    )
    X = graph.node("Cast", [operator.inputs[0].full_name], to=graph.proto_dtype)
    proba = _probabilities(graph, model, X, operator.outputs[1].full_name)
    _labels(graph, model, proba, operator.outputs[0].full_name, _options(operator))


def _probabilities(graph, model, X, output):
    """Add the forward pass from ``X`` to ``predict_proba``'s output, named
    ``output``; return that name."""
    coefs = [to_numpy(coef) for coef in model.coefs_]
    intercepts = [to_numpy(intercept) for intercept in model.intercepts_]
    hidden = graph.dense(X, coefs[0], intercepts[0])
    H = graph.node(HIDDEN_OPERATORS[model.spec_.activation], [hidden])
    Z2 = graph.dense(H, coefs[1], intercepts[1])
    if model.spec_.output == "softmax":
        return graph.node("Softmax", [Z2], output, axis=1)
    if model.spec_.multilabel:
        return graph.node("Sigmoid", [Z2], output)
    # Sigmoid outputs of one-label problems, normalised as predict_proba does:
    # the softmax of the log-sigmoids, finite where every s_j underflows to zero.
    return graph.node("Softmax", [_log_sigmoid(graph, Z2)], output, axis=1)


def _log_sigmoid(graph, Z):
    """Add ``log(sigmoid(z)) = min(z, 0) - log(1 + exp(-|z|))``; return its name.

    Finite for every finite z, and made of operators that onnxruntime computes
    in double as in float, which its ``Softplus`` is not.
    """
    zero = graph.constant(np.array(0, dtype=graph.dtype))
    one = graph.constant(np.array(1, dtype=graph.dtype))
    decay = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [Z])])])
    log_term = graph.node("Log", [graph.node("Add", [decay, one])])
    return graph.node("Sub", [graph.node("Min", [Z, zero]), log_term])


def _labels(graph, model, proba, output, options):
    """Add ``predict``'s labels, from the probabilities, named ``output``."""
    from skl2onnx.proto import onnx_proto

    if model.spec_.multilabel:
        # The indicator matrix of labels whose probability exceeds 1/2.
        half = graph.constant(np.array(0.5, dtype=graph.dtype))
        above = graph.node("Greater", [proba, half])
        graph.node("Cast", [above], output, to=onnx_proto.TensorProto.INT64)
        return
    index = graph.node("ArgMax", [proba], axis=1, keepdims=0)
    labels = graph.constant(_onnx_labels(model, options))
    graph.node("Gather", [labels, index], output, axis=0)


def _options(operator):
    return operator.scope_inst.get_options(
        operator.raw_operator, dict(zipmap=True, nocl=False)
    )


def _onnx_labels(model, options):
    """The labels ``predict`` returns, as ONNX classifiers give them.

    ONNX classifiers give int64 or string labels: booleans become 0 and 1,
    and float labels, integers since the estimator accepts no other floats, too;
    ``nocl`` and multilabel models give class indices.
    """
    classes = np.asarray(model.classes_)
    if options["nocl"] or model.spec_.multilabel:
        return np.arange(len(classes), dtype=np.int64)
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return np.array([str(label).encode("utf-8") for label in classes])


class _Graph:
    """Adds nodes and constants to skl2onnx's container, with unique names."""

    def __init__(self, scope, container, proto_dtype, dtype):
        self.scope = scope
        self.container = container
        self.proto_dtype = proto_dtype
        self.dtype = dtype

    def node(self, op_type, inputs, output=None, **attributes):
        """Add an ``op_type`` node; return the name of its output."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def constant(self, array):
        """Add ``array`` as an initializer; return its name."""
        from skl2onnx.proto import onnx_proto

        name = self.scope.get_unique_variable_name("constant")
        if array.dtype.kind == "S":
            proto_dtype = onnx_proto.TensorProto.STRING
        elif array.dtype.kind == "i":
            proto_dtype = onnx_proto.TensorProto.INT64
        else:
            proto_dtype = self.proto_dtype
        self.container.add_initializer(
            name, proto_dtype, list(array.shape), array.ravel().tolist()
        )
        return name

    def dense(self, inputs, weights, biases):
        """Add ``inputs @ weights + biases``; return the name of the result."""
        product = self.node(
            "MatMul", [inputs, self.constant(weights.astype(self.dtype))]
        )
        # Models fitted without intercepts have zero biases: adding them
        # would change nothing.
        if not np.any(biases):
            return product
        return self.node("Add", [product, self.constant(biases.astype(self.dtype))])
