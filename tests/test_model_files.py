"""Model files: what fit saves loads back, and nothing else is loaded at all."""

import fractions
import importlib
import json
import os
import re
import zipfile

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets
import sklearn.utils
import skops.io
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from sklearn_backprop import BackpropClassifier
from sklearn_backprop._model_files import (
    TRUSTED_TYPES,
    ModelFileError,
    load_model,
    save_model,
    stored_types,
)

NUMERIC = ["length", "width"]
CATEGORICAL = ["colour", "shape"]


def table(seed=0, n=60):
    """Float and string columns with gaps, and string labels that depend on both."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "length": rng.normal(size=n),
            "width": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], size=n),
            "shape": rng.choice(["round", "square"], size=n),
        }
    )
    X.loc[::7, "length"] = np.nan
    X.loc[::5, "colour"] = np.nan
    # Object columns, as fit hands its categorical columns to the pipeline.
    X[CATEGORICAL] = X[CATEGORICAL].astype(object)
    y = np.where(X["width"] + (X["shape"] == "round") > 0.5, "yes", "no")
    return X, y


def fit_model(numeric=NUMERIC, categorical=CATEGORICAL, scale=True, labels=None):
    """The Pipeline that fit trains and saves, fitted on :func:`table`."""
    numeric_steps = [SimpleImputer(strategy="median")]
    if scale:
        numeric_steps.append(StandardScaler())
    branches = []
    if numeric:
        branches.append(("numeric", make_pipeline(*numeric_steps), numeric))
    if categorical:
        categories = make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore"),
        )
        branches.append(("categorical", categories, categorical))
    X, y = table()
    X = X[numeric + categorical]
    # tol=None runs all iterations without a convergence warning.
    clf = BackpropClassifier(max_iter=30, tol=None, random_state=0)
    model = make_pipeline(ColumnTransformer(branches), clf)
    return model.fit(X, y if labels is None else labels), X


def fit_bare():
    X, y = table()
    X = X[NUMERIC].fillna(0.0).to_numpy()
    return BackpropClassifier(max_iter=30, tol=None, random_state=0).fit(X, y), X


def rewrite(source, target, change=None, drop=()):
    """Copy a skops zip, passing its schema through ``change`` and leaving out
    the members named in ``drop``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name in drop:
                continue
            data = old.read(name)
            if name == "schema.json" and change is not None:
                schema = json.loads(data)
                change(schema)
                data = json.dumps(schema)
            new.writestr(name, data)
    return target


def nodes(schema):
    """Every node dict of a schema."""
    if isinstance(schema, dict):
        if "__class__" in schema:
            yield schema
        for value in schema.values():
            yield from nodes(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from nodes(value)


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: fit_model(), id="numeric-and-categorical"),
        pytest.param(lambda: fit_model(categorical=[]), id="numeric-only"),
        pytest.param(lambda: fit_model(numeric=[]), id="categorical-only"),
        pytest.param(lambda: fit_model(scale=False), id="no-scaling"),
        pytest.param(
            lambda: fit_model(labels=np.arange(60) % 3), id="integer-labels-3-classes"
        ),
        pytest.param(fit_bare, id="bare-classifier"),
    ],
)
def test_round_trip_predicts_the_same(tmp_path, make):
    model, X = make()
    path = tmp_path / "model.skops"
    save_model(model, path)

    loaded = load_model(path)

    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    names = stored_types(path)
    assert set(names) <= TRUSTED_TYPES
    # The schema walk sees at least every type skops itself would ask about.
    assert set(skops.io.get_untrusted_types(file=path)) <= set(names)


def test_trusted_types_are_classes_named_exactly():
    # No prefixes and no functions: every name imports as a class.
    for name in TRUSTED_TYPES - {"builtins.NoneType"}:  # not named in builtins
        module, _, attribute = name.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), attribute), type)
    assert "sklearn_backprop._classifier.BackpropClassifier" in TRUSTED_TYPES
    assert "sklearn.pipeline.Pipeline" in TRUSTED_TYPES
    assert not any(name.endswith("FunctionTransformer") for name in TRUSTED_TYPES)


# --------------------------------------------------------------------- saving


def test_save_replaces_the_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(b"an earlier model")
    model, X = fit_bare()

    save_model(model, path)

    assert os.listdir(tmp_path) == ["model.skops"]
    np.testing.assert_array_equal(load_model(path).predict(X), model.predict(X))


class Unsaveable:
    def __getstate__(self):
        raise RuntimeError("cannot be saved")


def test_failed_save_keeps_the_earlier_file(tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(b"an earlier model")

    with pytest.raises(RuntimeError, match="cannot be saved"):
        save_model({"part": Unsaveable()}, path)

    assert path.read_bytes() == b"an earlier model"
    assert os.listdir(tmp_path) == ["model.skops"]


def test_interrupted_save_keeps_the_earlier_file(tmp_path, monkeypatch):
    path = tmp_path / "model.skops"
    path.write_bytes(b"an earlier model")

    def interrupt(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_model(fit_bare()[0], path)

    assert path.read_bytes() == b"an earlier model"
    assert os.listdir(tmp_path) == ["model.skops"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_has_the_permissions_of_any_new_file(tmp_path):
    path = tmp_path / "model.skops"
    previous = os.umask(0o022)
    try:
        save_model(fit_bare()[0], path)
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------- refusals


def test_refuses_function_transformers_that_write_a_file(tmp_path):
    planted = tmp_path / "planted.txt"
    X = np.arange(12.0).reshape(4, 3)
    hostile = make_pipeline(
        FunctionTransformer(sklearn.utils.resample),
        FunctionTransformer(
            sklearn.datasets.dump_svmlight_file,
            kw_args={"y": np.zeros(len(X)), "f": str(planted)},
        ),
    )
    path = tmp_path / "model.skops"
    skops.io.dump(hostile, path)

    # skops trusts FunctionTransformer by default and asks only about the two
    # functions, both named sklearn.*: a check of its list by prefix passes.
    untrusted = skops.io.get_untrusted_types(file=path)
    assert not any("FunctionTransformer" in name for name in untrusted)
    assert all(name.startswith("sklearn.") for name in untrusted)
    # Loaded that way and used, the file does write where its author chose.
    skops.io.load(path, trusted=untrusted).transform(X)
    assert planted.exists()
    planted.unlink()

    with pytest.raises(ModelFileError) as refused:
        load_model(path)

    message = str(refused.value)
    assert re.fullmatch(
        re.escape(f"{path} is not a model file written by fit: it holds the types ")
        + r"sklearn\.datasets\.[\w.]*dump_svmlight_file, "
        r"sklearn\.preprocessing\.[\w.]*FunctionTransformer, "
        r"sklearn\.utils\.[\w.]*resample",
        message,
    )
    assert not planted.exists()


@pytest.mark.parametrize(
    "foreign",
    [
        pytest.param(fractions.Fraction(1, 3), id="instance"),
        pytest.param(fractions.Fraction, id="type"),
    ],
)
def test_refuses_a_dict_holding_a_foreign_class(tmp_path, foreign):
    path = tmp_path / "model.skops"
    skops.io.dump({"model": fit_bare()[0], "extra": foreign}, path)

    with pytest.raises(
        ModelFileError,
        match=r"model\.skops is not a model file written by fit: it holds the "
        r"types fractions\.Fraction$",
    ):
        load_model(path)


def test_refuses_a_trusted_name_on_a_node_that_fetches_a_method(tmp_path):
    # skops writes a bound method as a MethodNode, named (in recent versions)
    # after the class of its object: a trusted name must not let it through.
    source = tmp_path / "method.skops"
    skops.io.dump({"fit": StandardScaler().fit}, source)

    def name_it_after_the_scaler(schema):
        for node in nodes(schema):
            if node["__loader__"] == "MethodNode":
                node["__class__"] = "StandardScaler"
                node["__module__"] = StandardScaler.__module__

    path = rewrite(source, tmp_path / "model.skops", name_it_after_the_scaler)

    with pytest.raises(
        ModelFileError,
        match=r"it holds the types sklearn\.preprocessing\.\w+\.StandardScaler "
        r"\(as MethodNode\)$",
    ):
        load_model(path)


def test_refuses_a_foreign_node_anywhere_in_the_schema(tmp_path):
    # Hidden under a key no skops loader reads, it would do nothing; but the
    # check does not rely on knowing where each loader looks.
    source = tmp_path / "fitted.skops"
    save_model(fit_model()[0], source)
    foreign = {
        "__class__": "system",
        "__module__": "os",
        "__loader__": "FunctionNode",
    }

    def hide_foreign(schema):
        leaf = [node for node in nodes(schema) if node["__loader__"] == "JsonNode"]
        leaf[-1]["unread"] = [{"deeper": foreign}]

    path = rewrite(source, tmp_path / "model.skops", hide_foreign)

    with pytest.raises(ModelFileError, match=r"it holds the types os\.system$"):
        load_model(path)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda node: node.update(__class__=None), id="class-not-text"),
        pytest.param(lambda node: node.pop("__module__"), id="no-module"),
        pytest.param(
            # Joined, the parts read sklearn.pipeline.Pipeline, a trusted name.
            lambda node: node.update(
                __module__="sklearn", __class__="pipeline.Pipeline"
            ),
            id="dotted-class",
        ),
    ],
)
def test_refuses_a_malformed_node(tmp_path, change):
    source = tmp_path / "fitted.skops"
    save_model(fit_model()[0], source)
    path = rewrite(source, tmp_path / "model.skops", change)

    with pytest.raises(
        ModelFileError,
        match=r"model\.skops is not a model file written by fit: its schema\.json "
        r"holds a malformed node$",
    ):
        load_model(path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"length,width\n1.0,2.0\n", id="csv"),
        pytest.param(b"PK\x03\x04 but then nothing of a zip", id="zip-magic-only"),
    ],
)
def test_refuses_a_file_that_is_no_zip(tmp_path, content):
    path = tmp_path / "model.skops"
    path.write_bytes(content)

    with pytest.raises(
        ModelFileError,
        match=r"model\.skops is not a model file written by fit: it is not a skops "
        r"zip file$",
    ):
        load_model(path)


def test_refuses_a_zip_without_schema(tmp_path):
    path = tmp_path / "model.skops"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "no schema here")

    with pytest.raises(ModelFileError, match=r"the zip file has no schema\.json$"):
        load_model(path)


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        pytest.param(b"{not json", r"its schema\.json is not JSON", id="not-json"),
        pytest.param(b"\xff\xfe\x00", r"its schema\.json is not JSON", id="not-text"),
        pytest.param(b"[1, 2]", r"its schema\.json holds no object", id="a-list"),
    ],
)
def test_refuses_a_schema_that_is_no_skops_schema(tmp_path, schema, reason):
    path = tmp_path / "model.skops"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.json", schema)

    with pytest.raises(ModelFileError, match=reason + "$"):
        load_model(path)


def test_damaged_file_of_trusted_types_fails_as_model_file_error(tmp_path):
    source = tmp_path / "fitted.skops"
    save_model(fit_model()[0], source)
    with zipfile.ZipFile(source) as archive:
        arrays = [name for name in archive.namelist() if name.endswith(".npy")]
    path = rewrite(source, tmp_path / "model.skops", drop=arrays[:1])

    with pytest.raises(
        ModelFileError,
        match=r"^cannot load .*model\.skops: it is damaged or not a model file "
        r"written by fit \(KeyError: ",
    ):
        load_model(path)


def test_missing_file(tmp_path):
    path = tmp_path / "missing.skops"

    with pytest.raises(ModelFileError, match=f"^no such file: {re.escape(str(path))}$"):
        load_model(path)


def test_directory(tmp_path):
    with pytest.raises(ModelFileError, match="is a directory, not a model file$"):
        load_model(tmp_path)


def test_messages_are_one_line_without_errno(tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(b"\x00" * 10)
    for target in (path, tmp_path / "missing.skops", tmp_path):
        with pytest.raises(ModelFileError) as refused:
            load_model(target)
        message = str(refused.value)
        assert "\n" not in message
        assert "Errno" not in message
