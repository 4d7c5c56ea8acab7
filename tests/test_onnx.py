"""ONNX export: onnxruntime's labels and probabilities against the estimator's.

These tests need the ``onnx`` extra (skl2onnx and onnxruntime) and skip without
it; CI installs it and sets SKLEARN_BACKPROP_REQUIRE_ONNX=1, so that a missing
package fails here instead of skipping them silently.
"""

import os
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_backprop import BackpropClassifier, register_onnx_converter
from sklearn_backprop._array_api import to_numpy
from sklearn_backprop.cli import main
from sklearn_backprop.cli._export import onnx_pipeline

if os.environ.get("SKLEARN_BACKPROP_REQUIRE_ONNX") == "1":
    import onnxruntime as ort
    import skl2onnx
else:
    skl2onnx = pytest.importorskip("skl2onnx")
    ort = pytest.importorskip("onnxruntime")
from skl2onnx.common.data_types import (  # noqa: E402
    FloatTensorType,
    StringTensorType,
)

# Probabilities in float32: a few units in the last place of each product.
FLOAT32_TOLERANCE = 1e-5
# Relative differences of the probabilities, by the precision of the input.
RELATIVE_TOLERANCE = {np.float32: 1e-4, np.float64: 1e-6}
# Float32 probabilities far below 1 carry the rounding of the logits (about
# 1e-7 of 1) as a larger relative error.
ABSOLUTE_TOLERANCE = {np.float32: 1e-6, np.float64: 0.0}


@pytest.fixture(autouse=True)
def registered():
    register_onnx_converter()


def session(onnx_model):
    return ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def run_onnx(model, X, dtype=np.float32, **options):
    """Convert ``model`` for inputs like ``X``; return onnxruntime's outputs."""
    X = np.asarray(X, dtype=dtype)
    onnx_model = skl2onnx.to_onnx(model, X[:1], options=options or None)
    return session(onnx_model).run(None, {"X": X})


def assert_same_labels(labels, expected, proba):
    """Labels agree wherever the two most probable classes are not a near tie,
    which float32 rounding could break either way."""
    top = np.sort(proba, axis=1)
    clear = top[:, -1] - top[:, -2] > 1e-4
    assert clear.mean() > 0.9
    assert_array_equal(labels[clear], expected[clear])


def make_target(kind, X, y):
    """A target of ``kind`` from the iris features ``X`` and labels ``y``."""
    if kind == "binary":
        return (y == 2).astype(int)
    if kind == "multilabel":
        return np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int)
    return y


def assert_same_indicators(labels, expected, proba):
    """Label indicators agree wherever the probability is not near 1/2."""
    clear = np.abs(proba - 0.5) > 1e-4
    assert_array_equal(labels[clear], expected[clear])


@pytest.mark.filterwarnings("ignore:BackpropClassifier reached max_iter")
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_labels_and_probabilities_match_the_estimator(
    iris, activation, loss, target, fit_intercept, dtype
):
    # Every network the estimator fits loads in onnxruntime, in both precisions.
    X, y = iris
    model = BackpropClassifier(
        activation=activation,
        loss=loss,
        fit_intercept=fit_intercept,
        max_iter=20,
        random_state=0,
    ).fit(X, make_target(target, X, y))
    labels, proba = run_onnx(model, X, dtype=dtype, zipmap=False)
    expected = model.predict_proba(X)
    assert proba.dtype == dtype
    assert_allclose(
        proba, expected, rtol=RELATIVE_TOLERANCE[dtype], atol=ABSOLUTE_TOLERANCE[dtype]
    )
    if model.spec_.multilabel:
        assert_same_indicators(labels, model.predict(X), expected)
    else:
        assert_same_labels(labels, model.predict(X), expected)


def test_zero_biases_add_no_node(iris):
    X, y = iris
    with_biases = BackpropClassifier(max_iter=5, random_state=0).fit(X, y)
    without = BackpropClassifier(fit_intercept=False, max_iter=5, random_state=0)
    without.fit(X, y)
    X32 = X[:1].astype(np.float32)
    count = [
        sum(node.op_type == "Add" for node in skl2onnx.to_onnx(m, X32).graph.node)
        for m in (with_biases, without)
    ]
    assert count == [2, 0]


def test_double_inputs_are_computed_in_double(iris):
    X, y = iris
    model = BackpropClassifier(max_iter=30, random_state=0).fit(X, y)
    labels, proba = run_onnx(model, X, dtype=np.float64, zipmap=False)
    assert proba.dtype == np.float64
    assert_allclose(proba, model.predict_proba(X), rtol=1e-12, atol=1e-15)
    assert_array_equal(labels, model.predict(X))


def test_float32_model(iris):
    X, y = iris
    model = BackpropClassifier(max_iter=30, random_state=0)
    model.fit(X.astype(np.float32), y)
    labels, proba = run_onnx(model, X, zipmap=False)
    assert_allclose(proba, model.predict_proba(X), atol=FLOAT32_TOLERANCE)


def test_string_labels_with_zipmap(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = BackpropClassifier(max_iter=30, random_state=0).fit(X, names)
    labels, proba = run_onnx(model, X)
    expected = model.predict_proba(X)
    # skl2onnx's default: one dictionary of probabilities per row.
    assert set(proba[0]) == set(model.classes_)
    table = np.array([[row[label] for label in model.classes_] for row in proba])
    assert_allclose(table, expected, atol=FLOAT32_TOLERANCE)
    assert_same_labels(labels, model.predict(X), expected)


@pytest.mark.parametrize(
    "labels", [np.array([3, 7]), np.array([False, True]), np.array([1.0, 2.0])]
)
def test_binary_integer_boolean_and_float_labels(labels):
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    model = BackpropClassifier(max_iter=30, random_state=0).fit(X, labels[y])
    onnx_labels, proba = run_onnx(model, X, zipmap=False)
    expected = model.predict_proba(X)
    assert proba.shape == (200, 2)
    assert_allclose(proba, expected, atol=FLOAT32_TOLERANCE)
    # ONNX classifiers give integers: False and True become 0 and 1.
    assert onnx_labels.dtype == np.int64
    assert_same_labels(onnx_labels, model.predict(X).astype(np.int64), expected)


def test_class_indices_with_nocl(iris):
    X, y = iris
    model = BackpropClassifier(max_iter=30, random_state=0).fit(X, y + 10)
    labels, proba = run_onnx(model, X, zipmap=False, nocl=True)
    expected = model.predict_proba(X)
    assert_same_labels(labels, np.argmax(expected, axis=1), expected)


def test_multilabel(iris):
    X, y = iris
    Y = np.column_stack([y == 0, y == 2, X[:, 0] > 0]).astype(int)
    model = BackpropClassifier(max_iter=50, random_state=0).fit(X, Y)
    labels, proba = run_onnx(model, X, zipmap=False)
    expected = model.predict_proba(X)
    assert_allclose(proba, expected, atol=FLOAT32_TOLERANCE)
    assert_same_indicators(labels, model.predict(X), expected)
    assert labels.shape == Y.shape


def test_saturated_sigmoid_outputs_stay_finite(iris):
    # Every sigmoid output underflows to zero: predict_proba normalises the
    # log-sigmoids, and so must the graph, or it would divide 0 by 0.
    X, y = iris
    model = BackpropClassifier(loss="squared_error", max_iter=5, random_state=0)
    model.fit(X, y)
    model.coefs_[1][:] = -500.0
    model.intercepts_[1][:] = [-500.0, -510.0, -520.0]
    labels, proba = run_onnx(model, X, zipmap=False)
    expected = model.predict_proba(X)
    assert np.isfinite(proba).all()
    assert_allclose(proba, expected, atol=1e-3)
    assert_array_equal(labels, model.predict(X))


def test_inside_a_pipeline_with_column_preparation(iris):
    X, y = iris
    table = pd.DataFrame(X, columns=list("abcd"))
    table["colour"] = np.where(y == 1, "red", "blue")
    preparation = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list("abcd")),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
        ]
    )
    pipeline = make_pipeline(
        preparation, BackpropClassifier(max_iter=30, random_state=0)
    ).fit(table, y)
    types = [(name, FloatTensorType([None, 1])) for name in "abcd"]
    types.append(("colour", StringTensorType([None, 1])))
    onnx_model = skl2onnx.to_onnx(
        pipeline,
        initial_types=types,
        options={BackpropClassifier: {"zipmap": False}},
    )
    feeds = {name: X[:, [i]].astype(np.float32) for i, name in enumerate("abcd")}
    feeds["colour"] = table[["colour"]].to_numpy().astype(str)
    labels, proba = session(onnx_model).run(None, feeds)
    expected = pipeline.predict_proba(table)
    assert_allclose(proba, expected, atol=FLOAT32_TOLERANCE)
    assert_same_labels(labels, pipeline.predict(table), expected)


@pytest.mark.parametrize(
    "options", [None, {"zipmap": False}, {"zipmap": "columns", "nocl": True}]
)
def test_unfitted_model_is_refused(options):
    # Refused as predict refuses it, before skl2onnx looks for its classes.
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(
            BackpropClassifier(),
            np.zeros((1, 4), dtype=np.float32),
            options=options,
        )


def test_unfitted_model_in_a_pipeline_is_refused(iris):
    X, _ = iris
    pipeline = make_pipeline(StandardScaler().fit(X), BackpropClassifier())
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(pipeline, X[:1].astype(np.float32))


def test_registering_again_changes_nothing(iris):
    from skl2onnx._parse import sklearn_parsers_map
    from skl2onnx.common._registration import _converter_pool, _shape_calculator_pool

    X, y = iris
    model = BackpropClassifier(max_iter=5, random_state=0).fit(X, y)
    sample = X[:1].astype(np.float32)
    before = skl2onnx.to_onnx(model, sample, options={"zipmap": False})
    alias = skl2onnx.get_model_alias(BackpropClassifier)

    def registration():
        converter = _converter_pool[alias]
        options = converter.get_allowed_options()
        parser = sklearn_parsers_map[BackpropClassifier]
        return converter._fct, options, _shape_calculator_pool[alias], parser

    before_registration = registration()
    register_onnx_converter()
    assert skl2onnx.get_model_alias(BackpropClassifier) == alias
    assert registration() == before_registration
    after = skl2onnx.to_onnx(model, sample, options={"zipmap": False})
    assert after.SerializeToString() == before.SerializeToString()


def test_missing_skl2onnx_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"sklearn-backprop\[onnx\]"):
        register_onnx_converter()


def test_array_api_model_converts(iris):
    torch = pytest.importorskip("torch")
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        pytest.skip("scikit-learn's array API dispatch needs SCIPY_ARRAY_API=1")
    X, y = iris
    X_t = torch.asarray(X)
    with sklearn.config_context(array_api_dispatch=True):
        model = BackpropClassifier(max_iter=5, random_state=0)
        model.fit(X_t, torch.asarray(y))
        expected = to_numpy(model.predict_proba(X_t))
    # The weights are tensors: the converter reads them through the tensor path.
    assert all(isinstance(coef, torch.Tensor) for coef in model.coefs_)
    labels, proba = run_onnx(model, X, dtype=np.float64, zipmap=False)
    assert_allclose(proba, expected, rtol=1e-12, atol=1e-15)
    assert_array_equal(labels, expected.argmax(axis=1))


# The command line: `sklearn-backprop export model.skops model.onnx`.


@pytest.fixture
def model_file(tmp_path):
    """A model written by fit from a CSV file with gaps and a text column."""
    iris = load_iris(as_frame=True)
    table = iris.data.copy()
    table["colour"] = np.where(iris.target % 2, "red", "blue")
    table.loc[3, "colour"] = None
    table.loc[5, "sepal width (cm)"] = np.nan
    table["species"] = iris.target_names[iris.target]
    data = tmp_path / "flowers.csv"
    table.to_csv(data, index=False)
    out = tmp_path / "out"
    argv = ["fit", str(data), "--target", "species", "--output-dir", str(out)]
    assert main(argv) == 0
    return out / "model.skops", data


def onnx_feeds(onnx_session, table, numeric):
    """One input per column: float32 numbers, strings with '' where missing."""
    feeds = {}
    for graph_input, column in zip(onnx_session.get_inputs(), table.columns):
        values = table[[column]]
        if column in numeric:
            feeds[graph_input.name] = values.to_numpy(dtype=np.float32)
        else:
            feeds[graph_input.name] = values.fillna("").to_numpy().astype(str)
    return feeds


def test_export_command_writes_a_model_that_predicts_alike(
    model_file, tmp_path, capsys
):
    from sklearn_backprop._model_files import load_model
    from sklearn_backprop._tables import NUMERIC, branch_columns, prediction_table

    path, data = model_file
    capsys.readouterr()
    output = tmp_path / "model.onnx"
    assert main(["export", str(path), str(output)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {output}" in out
    assert "sepal_width__cm_ (float, 'sepal width (cm)')" in out
    assert "colour (string)" in out
    assert "setosa, versicolor, virginica" in out

    model = load_model(path)
    table = prediction_table(data, model[0])
    onnx_session = ort.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    numeric = branch_columns(model[0], NUMERIC)
    labels, proba = onnx_session.run(None, onnx_feeds(onnx_session, table, numeric))
    expected = model.predict_proba(table)
    assert_allclose(proba, expected, atol=FLOAT32_TOLERANCE)
    assert_same_labels(labels, model.predict(table), expected)
    # The rows with a missing value are filled as predict fills them.
    assert_array_equal(labels[[3, 5]], model.predict(table.iloc[[3, 5]]))


def test_export_of_an_unfitted_classifier_is_refused(model_file):
    from sklearn_backprop._model_files import load_model

    path, _ = model_file
    model = load_model(path)
    unfitted = Pipeline([model.steps[0], ("classifier", BackpropClassifier())])
    with pytest.raises(NotFittedError):
        onnx_pipeline(unfitted)


def test_export_refuses_to_overwrite(model_file, tmp_path, capsys):
    path, _ = model_file
    output = tmp_path / "model.onnx"
    output.write_bytes(b"earlier")
    assert main(["export", str(path), str(output)]) == 2
    assert "use --force" in capsys.readouterr().err
    assert output.read_bytes() == b"earlier"
    assert main(["export", str(path), str(output), "--force"]) == 0
    assert output.read_bytes() != b"earlier"


def test_export_without_skl2onnx_says_what_to_install(
    model_file, tmp_path, capsys, monkeypatch
):
    path, _ = model_file
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    output = tmp_path / "model.onnx"
    assert main(["export", str(path), str(output)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'sklearn-backprop[onnx]'" in err
    assert not output.exists()
