"""Model files: how ``fit`` saves a model and how ``predict`` loads one.

A model file is a skops zip. Loading one builds the objects its
``schema.json`` names, so a file from anyone else can only be trusted as far
as the types it names: scikit-learn alone offers enough to do harm, such as a
``FunctionTransformer`` that calls ``sklearn.datasets.dump_svmlight_file`` to
write a file of its author's choosing when the model transforms data. skops
trusts some of these types by default, so its own list of untrusted types is
not enough. :func:`load_model` therefore reads the schema as plain JSON first
and refuses, before anything in the file is loaded, any file that names a type
outside :data:`TRUSTED_TYPES`, the types that ``fit`` writes.
"""

import io
import json
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sklearn.compose._column_transformer
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ._classifier import BackpropClassifier
from ._history import History
from ._messages import first_line
from ._spec import NetworkSpec

__all__ = [
    "TRUSTED_TYPES",
    "ModelFileError",
    "load_model",
    "save_model",
    "stored_types",
    "written_atomically",
]


def _type_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


_TRUSTED_CLASSES = [
    # The pipeline fit builds: preparation, then the classifier.
    Pipeline,
    ColumnTransformer,
    SimpleImputer,
    StandardScaler,
    OneHotEncoder,
    BackpropClassifier,
    History,
    NetworkSpec,
    # Fitted attributes: arrays and their dtypes, the classifier's generator,
    # and numpy scalars. Seen in files: float64 and int64 (n_samples_seen_,
    # by scikit-learn version) and str_ (categories read from numpy strings).
    # int32 is numpy's default integer on some platforms; float32 and bool_
    # are as harmless, for a statistic of float32 data or a flag.
    np.random.RandomState,
    np.ndarray,
    np.dtype,
    np.float64,
    np.float32,
    np.int64,
    np.int32,
    np.bool_,
    np.str_,
    # Containers and JSON values; slices are ColumnTransformer.output_indices_.
    dict,
    list,
    tuple,
    str,
    int,
    float,
    bool,
    type(None),
    slice,
]
# Some scikit-learn versions (1.6 among them) keep the remainder's columns in
# this private list subclass; where it does not exist there is none to trust.
_REMAINDER_COLS_LIST = getattr(
    sklearn.compose._column_transformer, "_RemainderColsList", None
)
if _REMAINDER_COLS_LIST is not None:
    _TRUSTED_CLASSES.append(_REMAINDER_COLS_LIST)

#: The fully qualified names of the types a model file written by ``fit`` may
#: hold; :func:`load_model` refuses a file that holds any other.
TRUSTED_TYPES = frozenset(_type_name(cls) for cls in _TRUSTED_CLASSES)

# The skops loaders that rebuild a value of the type a node names from data.
# Others call or fetch something given by name (FunctionNode, MethodNode,
# PartialNode, ReduceNode, ConstructorFromReduceNode, ...), and a MethodNode,
# for one, names the class of the object whose method it fetches, so a trusted
# name is no reason to trust those. CachedNode refers to a node seen earlier.
_SAFE_LOADERS = frozenset(
    {
        "ObjectNode",
        "DictNode",
        "ListNode",
        "TupleNode",
        "JsonNode",
        "NdArrayNode",
        "DTypeNode",
        "TypeNode",
        "SliceNode",
        "RandomStateNode",
        "CachedNode",
    }
)
# The keys that make a dict of the schema a node, for skops as for us.
_NODE_KEYS = ("__class__", "__module__", "__loader__")
# A message lists this many refused types at most, to stay one readable line.
_MAX_LISTED = 8


class ModelFileError(ValueError):
    """A file that is not a model file written by ``fit``, told in one line."""


def save_model(model, path):
    """Save a model to a skops file, replacing ``path`` only once it is whole.

    The file is written beside ``path`` under a temporary name and then moved
    into place, so an interruption leaves either the earlier file or none,
    never a half-written one.

    Parameters
    ----------
    model : object
        The fitted model, usually the Pipeline that ``fit`` trains.

    path : str or path-like
        The model file to write.
    """
    import skops.io

    # Serialise first: a model skops cannot save fails before any file exists.
    data = skops.io.dumps(model)
    with written_atomically(path) as temporary, open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        # On disk before the rename, so a crash cannot leave the new name
        # pointing at data that was never written.
        os.fsync(file.fileno())


@contextmanager
def written_atomically(path):
    """Yield a new, empty file beside ``path``, moved onto it if the block ends
    without an error and removed otherwise.

    An interruption thus leaves either the earlier file or the whole new one,
    never a half-written file; the command line writes all its outputs so.
    """
    path = Path(path)
    temporary, handle = _create_beside(path)
    os.close(handle)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _create_beside(path):
    """Create and open an empty, new file in the folder of ``path``.

    Unlike ``tempfile.mkstemp``, which makes files only their owner may read,
    the file gets the permissions the umask gives any new file, and so does
    the model file it becomes.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue


def load_model(path):
    """Load a model written by ``fit``, refusing files that hold other types.

    The file is read once; its ``schema.json`` is checked as plain JSON, and
    only when every type it names is in :data:`TRUSTED_TYPES`, and every node
    is one that rebuilds a value rather than calling something, does skops
    load the same bytes.

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    model : object
        The model saved in the file.

    Raises
    ------
    ModelFileError
        If the file is missing or unreadable, is not a skops zip, holds a type
        or node outside those ``fit`` writes, or cannot be loaded.
    """
    import skops.io

    data = _read(path)
    schema = _schema(path, data)
    refused = _refused(schema, path)
    if refused:
        listed = refused[:_MAX_LISTED]
        if len(refused) > len(listed):
            listed.append(f"{len(refused) - len(listed)} more")
        raise ModelFileError(
            f"{path} is not a model file written by fit: it holds the types "
            f"{', '.join(listed)}"
        )
    try:
        # Every type is one of ours, so skops may trust whatever it does not
        # trust by default; it still audits the tree itself before building.
        untrusted = skops.io.get_untrusted_types(data=data)
        return skops.io.load(io.BytesIO(data), trusted=untrusted)
    except Exception as exc:  # a damaged file fails in many ways inside skops
        raise ModelFileError(
            f"cannot load {path}: it is damaged or not a model file written by "
            f"fit ({_one_line(exc)})"
        ) from exc


def stored_types(path):
    """Return the fully qualified names of the types a skops file names.

    Only the file's ``schema.json`` is read, as JSON; nothing is loaded.

    Parameters
    ----------
    path : str or path-like
        The skops file.

    Returns
    -------
    names : list of str
        The sorted, distinct ``module.class`` names of the schema's nodes.

    Raises
    ------
    ModelFileError
        If the file is missing or unreadable, or is not a skops zip.
    """
    schema = _schema(path, _read(path))
    return sorted({_node_name(node, path) for node in _nodes(schema)})


def _read(path):
    """Return the bytes of ``path``; read once, so what is checked is loaded."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a directory, not a model file") from None
    except PermissionError:
        raise ModelFileError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ModelFileError(f"cannot read {path}: {reason}") from None


def _schema(path, data):
    """Return the parsed ``schema.json`` of a skops zip given as bytes."""
    import zipfile

    not_ours = f"{path} is not a model file written by fit"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "schema.json" not in archive.namelist():
                raise ModelFileError(f"{not_ours}: the zip file has no schema.json")
            text = archive.read("schema.json")
    except ModelFileError:
        raise
    except zipfile.BadZipFile:
        raise ModelFileError(f"{not_ours}: it is not a skops zip file") from None
    except Exception as exc:  # zipfile and its decompressors raise many types
        raise ModelFileError(f"{not_ours}: {_one_line(exc)}") from None
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError):
        # ValueError covers text that is not UTF-8 as well as bad JSON.
        raise ModelFileError(f"{not_ours}: its schema.json is not JSON") from None
    if not isinstance(schema, dict):
        raise ModelFileError(f"{not_ours}: its schema.json holds no object")
    return schema


def _nodes(schema):
    """Yield every node of the schema: each dict with a skops node's keys.

    The walk covers all values, not only where each loader looks for its
    children, so no node can hide in a place we did not think of. It uses a
    stack rather than recursion, so that no depth of nesting breaks it.
    """
    stack = [schema]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if any(key in value for key in _NODE_KEYS):
                yield value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _node_name(node, path):
    """The ``module.class`` name of a node; refuse a node that is malformed."""
    module, name = node.get("__module__"), node.get("__class__")
    loader = node.get("__loader__")
    # skops imports the module and takes the class as one attribute of it, so
    # a dotted class name could make a trusted full name out of other parts.
    if not all(isinstance(part, str) for part in (module, name, loader)) or (
        "." in name
    ):
        raise ModelFileError(
            f"{path} is not a model file written by fit: its schema.json holds "
            "a malformed node"
        )
    return f"{module}.{name}"


def _refused(schema, path):
    """Return, sorted, what in the schema is outside what ``fit`` writes."""
    refused = set()
    for node in _nodes(schema):
        name = _node_name(node, path)
        if name not in TRUSTED_TYPES:
            refused.add(name)
        elif node["__loader__"] not in _SAFE_LOADERS:
            refused.add(f"{name} (as {node['__loader__']})")
    return sorted(refused)


def _one_line(exc):
    """An exception as ``Type: first line of its message``, or ``Type`` alone."""
    name = type(exc).__name__
    return f"{name}: {first_line(exc)}" if str(exc).strip() else name
