"""Per-iteration training records, kept as plain lists and shown as a DataFrame."""

import math

import pandas as pd


class History:
    """Training metrics, one value per column for each iteration.

    The records are plain Python floats in one list per column, so a fitted
    estimator pickles and serialises without pandas objects inside it;
    :meth:`to_frame` builds the DataFrame users see as ``history_``. A column
    that appears only in later rows (validation metrics in a warm-started fit,
    say) reads NaN in the rows before it.
    """

    def __init__(self):
        self.columns = {}

    def __len__(self):
        return len(next(iter(self.columns.values()), []))

    def copy(self):
        """Return an independent copy."""
        new = History()
        new.columns = {name: list(values) for name, values in self.columns.items()}
        return new

    def record(self, values):
        """Append one row, given as a dict of column name to number."""
        if values.keys() != self.columns.keys():
            self._align(values)
        for name, value in values.items():
            self.columns[name].append(float(value))

    def amend(self, values):
        """Replace values of the last row, given as a dict of column to number."""
        for name, value in values.items():
            self.columns[name][-1] = float(value)

    def _align(self, values):
        """Add the row's new columns, NaN so far; give missing ones NaN."""
        n_rows = len(self)
        for name in values:
            self.columns.setdefault(name, [math.nan] * n_rows)
        for name, column in self.columns.items():
            if name not in values:
                column.append(math.nan)

    def loss_curve(self):
        """The training loss of each iteration, penalty included."""
        return list(self.columns.get("loss", []))

    def last(self, name, default=0.0):
        """Return the last value of a column, or ``default`` when there is none."""
        column = self.columns.get(name)
        return column[-1] if column else default

    def to_frame(self):
        """Return the records as a DataFrame indexed by ``iteration`` from 0."""
        index = pd.RangeIndex(len(self), name="iteration")
        return pd.DataFrame(self.columns, index=index)
