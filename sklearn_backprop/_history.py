"""Per-iteration training records, kept as plain lists and shown as a DataFrame."""

import pandas as pd


class History:
    """Training metrics, one value per column for each iteration.

    The records are plain Python floats in one list per column, so a fitted
    estimator pickles and serialises without pandas objects inside it;
    :meth:`to_frame` builds the DataFrame users see as ``history_``.

    Parameters
    ----------
    columns : iterable of str
        The names of the recorded metrics, in display order.
    """

    def __init__(self, columns):
        self.columns = {name: [] for name in columns}

    def __len__(self):
        return len(next(iter(self.columns.values()), []))

    def record(self, **values):
        """Append one iteration's values; every column must be given."""
        if values.keys() != self.columns.keys():
            raise KeyError(
                f"expected values for {list(self.columns)}, got {list(values)}"
            )
        for name, value in values.items():
            self.columns[name].append(float(value))

    def to_frame(self):
        """Return the records as a DataFrame indexed by ``iteration`` from 0."""
        index = pd.RangeIndex(len(self), name="iteration")
        return pd.DataFrame(self.columns, index=index)
