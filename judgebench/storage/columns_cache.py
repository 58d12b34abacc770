"""A cache of a pair-game file's parsed columns, beside it: ``<file>.columns.npz``.

Parsing is most of what a big report costs; the columns of an unchanged file are read back
instead. The cache is keyed by its format version (:data:`_LAYOUT`), the file's size and the
SHA-256 of its bytes, so any append or edit, or a change of columns, invalidates it. It holds
plain arrays only (NumPy's ``.npz``, loaded with ``allow_pickle=False``): a cache file planted
in a results folder can never run code. A cache that is missing, stale, unreadable or of another
layout is ignored (and rewritten); one that cannot be written (a read-only folder) is skipped
silently.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgebench.records.columns import GAME_COLUMNS, PAIR_GAME_FIELDS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["CACHE_SUFFIX", "has_column_cache", "read_column_cache", "write_column_cache"]

CACHE_SUFFIX = ".columns.npz"
_LAYOUT = "judgebench.game_columns/3"
"""The cache format's version: bumped whenever the layout changes (2: ``strong``; 3: text columns as codes into
their distinct values), so an older cache is rebuilt."""
_CATEGORICAL = ("model_1", "model_2", "qid", "judge", "prompt", "winner", "status")
_OBJECT = ("hash_1", "hash_2", "hash_other")


def _cache_path(path: Path) -> Path:
    return path.with_name(path.name + CACHE_SUFFIX)


def _key(size: int, digest: str) -> str:
    fields = [f"{f.name}:{f.dtype}" for f in PAIR_GAME_FIELDS]
    return json.dumps([_LAYOUT, size, digest, list(GAME_COLUMNS), fields])


def _string_codes(values: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any] | None, list[str]]:
    """Codes of an object column into its distinct values (-1: ``None``) when they are all strings, else ``None``.

    The distinct values are factorised first and only they are type-checked (a column of dicts
    cannot be factorised at all), rather than every one of 200,000 values.
    """
    import pandas as pd

    try:
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable: dicts
        return None, []
    names = list(distinct)
    if not all(type(v) is str for v in names):
        return None, []
    return codes, names


def write_column_cache(path: Path, size: int, digest: str, table: pd.DataFrame) -> None:
    """Save ``table`` (the game table of ``path``'s ``size`` bytes with SHA-256 ``digest``) beside it."""
    import numpy as np

    arrays: dict[str, Any] = {"key": np.array(_key(size, digest))}
    for name in GAME_COLUMNS:
        column = table[name]
        if name in _CATEGORICAL or isinstance(column.dtype, type(table["qid"].dtype)):
            arrays[f"{name}.codes"] = np.asarray(column.cat.codes, dtype=np.int32)
            arrays[f"{name}.names"] = np.array([json.dumps(v) for v in column.cat.categories], dtype=str)
        elif column.dtype == np.int64:
            arrays[name] = column.to_numpy(dtype=np.int64)
        elif column.dtype == np.bool_:
            arrays[name] = column.to_numpy(dtype=np.bool_)
        else:
            values = column.to_numpy(dtype=object)
            codes, distinct = _string_codes(values)
            if codes is not None:
                # strings or None: codes into the distinct strings (-1: None). An answer hash recurs in
                # every game of its answer, so this is a fraction of a text array's size and write time.
                arrays[f"{name}.code"] = codes.astype(np.int32)
                arrays[f"{name}.str"] = np.array(distinct, dtype=str)
            else:  # dicts or None: the rows that have one, as JSON
                rows = [i for i, v in enumerate(values) if v is not None]
                arrays[f"{name}.rows"] = np.array(rows, dtype=np.int64)
                arrays[f"{name}.json"] = np.array([json.dumps(values[i]) for i in rows], dtype=str)
    target = _cache_path(path)
    partial = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        with partial.open("wb") as f:
            np.savez(f, **arrays)
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()


def has_column_cache(path: Path) -> bool:
    """Whether a cache file lies beside ``path`` (current or not: :func:`read_column_cache` tells)."""
    return _cache_path(path).is_file()


def read_column_cache(path: Path, size: int, digest: str) -> pd.DataFrame | None:
    """The cached game table of ``path`` when the cache matches its ``size`` and ``digest``, else ``None``."""
    target = _cache_path(path)
    if not target.is_file():
        return None
    import numpy as np
    import pandas as pd

    try:
        with np.load(target, allow_pickle=False) as saved:
            if "key" not in saved.files or str(saved["key"]) != _key(size, digest):
                return None
            data: dict[str, Any] = {}
            for name in GAME_COLUMNS:
                if f"{name}.codes" in saved.files:
                    names = [json.loads(v) for v in saved[f"{name}.names"].tolist()]
                    categories = pd.Index(names, dtype=object)
                    data[name] = pd.Categorical.from_codes(saved[f"{name}.codes"], categories=categories)
                elif name in saved.files:
                    data[name] = saved[name]
                elif f"{name}.str" in saved.files:
                    distinct = np.array([*saved[f"{name}.str"].tolist(), None], dtype=object)  # code -1: None
                    data[name] = pd.Series(distinct[saved[f"{name}.code"]], dtype=object)
                else:
                    column = np.full(len(data["turn"]), None, dtype=object)
                    for row, text in zip(saved[f"{name}.rows"].tolist(), saved[f"{name}.json"].tolist(), strict=True):
                        column[row] = json.loads(text)
                    data[name] = pd.Series(column, dtype=object)
    except (OSError, ValueError, KeyError):
        return None
    return pd.DataFrame(data, columns=list(GAME_COLUMNS))
