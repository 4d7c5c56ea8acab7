"""CSV tables for the command line: reading them, checking their columns, and
the preparation that turns any mix of columns into the numbers a network needs.

Numeric columns are filled with their median and standardised; string, boolean
and categorical columns are filled with their most frequent value and one-hot
encoded. The preparation is a ColumnTransformer, saved in the model file with
the classifier, so that ``predict`` prepares new rows exactly as ``fit`` did.
Every problem is a :class:`TableError` whose message is one line naming the
file, and the column and row where that applies (rows count from 1, below the
header).
"""

import copy

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.multiclass import type_of_target

# The names of the preparation's two branches in the ColumnTransformer.
NUMERIC, CATEGORICAL = "numeric", "categorical"


class TableError(ValueError):
    """A problem with a data file, told in one line."""


def read_csv(path):
    """Read a CSV file with a header row and at least one row of data."""
    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise TableError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise TableError(f"{path} is a directory, not a CSV file") from None
    except PermissionError:
        raise TableError(f"cannot read {path}: permission denied") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path} has no rows") from None
    except UnicodeDecodeError as exc:
        raise TableError(
            f"cannot read {path} as CSV: byte {exc.start} is not {exc.encoding} text"
        ) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        raise TableError(f"cannot read {path} as CSV: {reason}") from None
    if len(table) == 0:
        raise TableError(f"{path} has no rows")
    return table


def training_table(path, target, drop=()):
    """Return the features, the target and notices of what was left out.

    A leading unnamed column of distinct integers is a saved index and is
    dropped, as are the ``drop`` columns, feature columns without any value and
    rows without a target value; each of these gives a one-line notice.
    """
    table = read_csv(path)
    _check_columns(table, path, [target])
    _check_columns(table, path, drop, " to --drop")
    if target in drop:
        raise TableError(f"--drop names the column to predict, {target!r}")
    notices = []
    index = saved_index(table)
    if index is not None and index != target and index not in drop:
        drop = [index, *drop]
        notices.append(
            f"dropped column {index!r} of {path}: an unnamed column of row "
            "numbers (a saved index) is no feature"
        )
    missing_target = table[target].isna()
    if missing_target.all():
        raise TableError(f"column {target!r} of {path} has no values to learn from")
    if missing_target.any():
        table = table[~missing_target]
        notices.append(
            f"dropped {int(missing_target.sum())} rows of {path} without a value "
            f"in column {target!r}"
        )
    features = table.drop(columns=[target, *drop])
    empty = [name for name in features.columns if features[name].isna().all()]
    if empty:
        features = features.drop(columns=empty)
        notices.append(f"dropped columns of {path} without any value: {_names(empty)}")
    if features.shape[1] == 0:
        raise TableError(f"{path} has no feature columns besides {target!r}")
    _check_target(table[target], target, path)
    return typed_features(features, path), class_labels(table[target]), notices


def class_labels(column):
    """Return the target column, whole numbers as integers.

    A gap in a column of integer labels makes pandas read it as floats; once
    the rows without a target are gone, the labels are integers again, so
    that ``predict`` writes 2, not 2.0.
    """
    if pd.api.types.is_float_dtype(column) and (column == column.round()).all():
        return column.astype(np.int64)
    return column


def saved_index(table):
    """Return the name of a leading saved-index column, or None.

    pandas names a column without a header ``Unnamed: 0``; written by
    ``DataFrame.to_csv`` with its index, it holds distinct integers (0..n-1,
    or the row labels left after filtering and shuffling).
    """
    first = table.columns[0]
    column = table[first]
    if not str(first).startswith("Unnamed: "):
        return None
    if not pd.api.types.is_integer_dtype(column) or not column.is_unique:
        return None
    return first


def _check_columns(table, path, names, purpose=""):
    missing = [name for name in names if name not in table.columns]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        raise TableError(
            f"{path} has no {noun} {_names(missing)}{purpose}; its columns are "
            f"{', '.join(map(str, table.columns))}"
        )


def _check_target(column, target, path):
    if type_of_target(column.to_numpy()) == "continuous":
        raise TableError(
            f"column {target!r} of {path} holds continuous numbers; the column to "
            "predict must hold class labels"
        )


def is_numeric(column):
    """Whether a column holds numbers (booleans are categories here)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(
        column
    )


def typed_features(features, path, numeric=None):
    """Return the features as float and category (object) columns.

    ``numeric`` names the columns that must be numeric (those of a fitted
    preparation); None decides by the columns' types, refusing a text column
    whose values are mostly numbers, since one stray word in a numeric column
    would otherwise turn every number into a category.
    """
    columns = {}
    for name in features.columns:
        column = features[name]
        if numeric is None:
            wanted = is_numeric(column) or _mostly_numbers(column)
        else:
            wanted = name in numeric
        columns[name] = (
            _numbers(column, name, path) if wanted else as_categories(column)
        )
    return pd.DataFrame(columns, index=features.index)


def _mostly_numbers(column):
    if pd.api.types.is_bool_dtype(column):
        return False
    # As text, so that True and False (in a column with gaps) are no numbers.
    values = column.dropna().astype(str)
    numbers = pd.to_numeric(values, errors="coerce").notna()
    return len(values) > 0 and numbers.sum() >= len(values) / 2


def _numbers(column, name, path):
    """Return the column as floats, refusing text and infinite values."""
    values = pd.to_numeric(column, errors="coerce").astype(float)
    text = values.isna() & column.notna()
    if text.any():
        row = _row_number(column, text)
        raise TableError(
            f"column {name!r} of {path} holds numbers, but row {row} holds "
            f"{column[text].iloc[0]!r}; correct it, leave it empty or --drop the "
            "column"
        )
    infinite = np.isinf(values)
    if infinite.any():
        raise TableError(
            f"column {name!r} of {path} holds an infinite value in row "
            f"{_row_number(column, infinite)}"
        )
    return values


def _row_number(column, mask):
    """The row of the file (from 1) where ``mask`` is first true.

    The index is the one ``read_csv`` gave, so rows dropped since (those
    without a target) do not shift the count.
    """
    return int(column.index[mask.to_numpy()][0]) + 1


def as_categories(column):
    """Return a column as text categories, missing values left missing.

    Text, booleans and numbers read from a file all become strings, so that
    training and prediction see the same categories whatever the type pandas
    inferred for each file (``True`` from a boolean column, ``"True"`` from a
    text one).
    """
    return column.map(str, na_action="ignore").astype(object)


def preparation(features, scale=True):
    """Return an unfitted ColumnTransformer for the typed feature columns."""
    numeric = [name for name in features.columns if is_numeric(features[name])]
    categorical = [name for name in features.columns if name not in numeric]
    numeric_steps = [SimpleImputer(strategy="median")]
    if scale:
        numeric_steps.append(StandardScaler())
    branches = []
    if numeric:
        branches.append((NUMERIC, make_pipeline(*numeric_steps), numeric))
    if categorical:
        categories = make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore"),
        )
        branches.append((CATEGORICAL, categories, categorical))
    return ColumnTransformer(branches)


def branch_columns(transformer, branch):
    """Return the columns a fitted preparation sends to ``branch``."""
    for name, _, columns in transformer.transformers_:
        if name == branch:
            return list(columns)
    return []


def empty_means_missing(transformer):
    """Return a copy of a fitted preparation that takes the empty string, rather
    than NaN, for a missing category.

    String tensors, as in ONNX, have no NaN; the filling values learnt in
    training stay the same.
    """
    transformer = copy.deepcopy(transformer)
    for name, branch, _ in transformer.transformers_:
        if name == CATEGORICAL:
            branch[0].missing_values = ""
    return transformer


def describe(features, transformer, scale=True):
    """One line saying how the feature columns were prepared."""
    numeric = branch_columns(transformer, NUMERIC)
    categorical = branch_columns(transformer, CATEGORICAL)
    filled = int(features.isna().to_numpy().sum())
    steps = "median-filled, standardised" if scale else "median-filled"
    parts = [
        f"{len(numeric)} numeric" + (f" ({steps})" if numeric else ""),
        f"{len(categorical)} categorical"
        + (" (most-frequent-filled, one-hot)" if categorical else ""),
    ]
    return f"{', '.join(parts)}; {filled} missing values filled"


def prediction_table(path, transformer):
    """Return the feature columns of a CSV file as a fitted preparation reads
    them; other columns, such as the target, are left out."""
    table = read_csv(path)
    names = list(transformer.feature_names_in_)
    _check_columns(table, path, names, ", a feature of the model")
    numeric = branch_columns(transformer, NUMERIC)
    return typed_features(table[names], path, numeric=numeric)


def _names(names):
    return ", ".join(repr(name) for name in names)
