"""pyarrow columns as the numpy and pandas columns of a game table (helpers of :mod:`arrow_games`).

pyarrow, pandas and numpy are imported inside the functions: ``judgebench --help`` never loads them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

__all__ = ["arrow_categorical", "arrow_codes", "object_column", "sorted_strings"]


def arrow_codes(values: pa.Array, categories: list[Any]) -> np.ndarray[Any, Any] | None:
    """Codes of ``values`` in ``categories`` (-1 where null); ``None`` when a value is not a category."""
    import numpy as np
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    position = {name: i for i, name in enumerate(categories)}
    try:
        lookup = np.array([position[v] for v in encoded.dictionary.to_pylist()] + [-1], dtype=np.int32)
    except KeyError:
        return None
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    codes: np.ndarray[Any, Any] = lookup[indices]
    return codes


def arrow_categorical(codes: np.ndarray[Any, Any], categories: list[Any]) -> pd.Categorical:
    """A categorical of ``categories`` from their codes (-1: missing), categories kept as Python objects."""
    import pandas as pd

    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))


def sorted_strings(values: pa.Array) -> list[str]:
    """The distinct non-null values of a string array, sorted."""
    import pyarrow.compute as pc

    return sorted(str(v) for v in pc.unique(values).drop_null().to_pylist())


def object_column(values: pa.Array) -> np.ndarray[Any, Any]:
    """``values`` as an object array (``None`` where null), one Python string per distinct value.

    An answer hash recurs in every game of its answer: 200,000 cells hold a few thousand hashes.
    """
    import numpy as np
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    distinct = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)  # code -1: None
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    out: np.ndarray[Any, Any] = distinct[codes]
    return out
