"""Result tables: rows with named columns, as numpy arrays or (if pandas is installed) DataFrames."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


#: one row of an output table: numbers and strings, "" for a missing value
Row = list[Any]


class SummaryDict(dict[str, Any]):
    """The content of summary.json.  Calling it returns itself: ``res.summary()`` and ``res.summary[...]`` agree."""

    def __call__(self) -> SummaryDict:
        return self


@dataclass
class Table:
    """Rows of one output table (projects.csv, stages.csv) with their column names."""

    columns: list[str]
    rows: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            yield dict(zip(self.columns, row))

    def column(self, name: str) -> np.ndarray:
        """One column as a numpy array: float (empty cells as NaN) when every cell is numeric, else object."""
        j = self.columns.index(name)
        values = [r[j] for r in self.rows]
        if all(isinstance(v, (int, float)) or v == "" for v in values):
            return np.array([np.nan if v == "" else v for v in values], dtype=float)
        return np.array(values, dtype=object)

    def to_numpy(self) -> dict[str, np.ndarray]:
        """Every column as a numpy array, by name."""
        return {c: self.column(c) for c in self.columns}

    def to_dataframe(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (pandas is optional: ``pip install pandas``)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError(
                "to_dataframe() needs pandas: pip install pandas (or use .to_numpy(), which needs nothing more)"
            ) from e
        return pd.DataFrame(self.to_numpy())
