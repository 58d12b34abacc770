"""Pair games read straight into a game table (columns, not records): the fast path of every report.

:func:`load_game_table` reads what :func:`judgebench.storage.loaders.load_pair_games` reads, with the
same checks and ``file:line`` errors, an order of magnitude faster (pyarrow or orjson, a column cache).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgebench.errors import DataError
from judgebench.records import PairGame, RecordError
from judgebench.records.columns import game_columns, game_frame, record_columns
from judgebench.storage.arrow_games import read_game_frame
from judgebench.storage.columns_cache import has_column_cache, read_column_cache, write_column_cache
from judgebench.storage.jsonl import Warn, _ignore, parse_lines, read_bytes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMN_CACHE_MIN_ROWS", "GAME_TABLE_CHUNK", "gc_paused", "load_game_table"]


COLUMN_CACHE_MIN_ROWS = 20_000
"""Files with fewer game lines parse in well under a second and get no column cache."""

GAME_TABLE_CHUNK = 50_000
"""Lines parsed at a time by :func:`load_game_table` (bounds the memory of parsed dicts)."""


def load_game_table(
    path: Path, *, warn: Warn = _ignore, while_parsing: Callable[[], object] | None = None
) -> pd.DataFrame:
    """Read our pairwise game records straight into a game table (:mod:`judgebench.records.columns`).

    The same records, checks and ``file:line`` errors as :func:`load_pair_games`,
    an order of magnitude faster. A plainly valid file is parsed whole by pyarrow's
    C++ JSON reader and checked column by column
    (:func:`judgebench.storage.arrow_games.read_game_frame`); any other file is
    parsed with orjson a chunk at a time and validated column by column, and a
    chunk that is not plainly valid (a bad line, a torn last line, a valid but
    unusual record) is read line by line as :func:`load_pair_games` reads it.
    A file of :data:`COLUMN_CACHE_MIN_ROWS` lines or more leaves its columns in a
    cache beside it (:mod:`judgebench.storage.columns_cache`) for the next report.

    Args:
        path: the ``*_pair.jsonl`` file.
        warn: called with a line about a torn last line.
        while_parsing: the caller's work (imports) for this thread while pyarrow parses on its
            own threads; run exactly once, beside the parse or, without one, before returning.

    Returns:
        One row per game line, in file order.

    Raises:
        DataError: the file is unreadable, or a line is not a pair game, citing ``file:line``.
    """
    import orjson

    if has_column_cache(path) and (cached := _cached(path)) is not None:
        if while_parsing is not None:
            while_parsing()
        return cached
    data = read_bytes(path)
    size = len(data)
    table, digest = _read_arrow(data, while_parsing)
    if table is not None:
        if len(table) >= COLUMN_CACHE_MIN_ROWS:
            write_column_cache(path, size, digest, table)
        return table
    lines = data.split(b"\n")
    del data
    warned: list[str] = []

    def note(message: str) -> None:
        warned.append(message)
        warn(message)

    parts: list[Mapping[str, Sequence[Any]]] = []
    for start in range(0, len(lines), GAME_TABLE_CHUNK):
        chunk = lines[start : start + GAME_TABLE_CHUNK]
        cols = None
        with gc_paused():
            try:
                dicts = list(map(orjson.loads, filter(None, chunk)))
            except orjson.JSONDecodeError:
                pass
            else:
                if set(map(type, dicts)) <= {dict}:
                    cols = game_columns(dicts)
                del dicts
        if cols is None:
            games = []
            for number, obj in parse_lines(path, chunk, start + 1, len(lines), warn=note, torn_tail_ok=True):
                try:
                    games.append(PairGame.from_dict(obj))
                except RecordError as exc:
                    raise DataError(path, number, str(exc), "fix or delete this line") from None
            cols = record_columns(games)
        parts.append(cols)
    del lines
    if len(parts) == 1:
        table = game_frame(parts[0])
    else:
        keys = parts[0].keys() if parts else record_columns([]).keys()
        table = game_frame({key: list(chain.from_iterable(part[key] for part in parts)) for key in keys})
    if not warned and len(table) >= COLUMN_CACHE_MIN_ROWS:  # a file that warns (a torn last line) warns every time
        write_column_cache(path, size, digest, table)
    return table


def _cached(path: Path) -> pd.DataFrame | None:
    """The cached table when the cache matches the file's size and SHA-256, else ``None``.

    The file is hashed as it is read, a quarter megabyte at a time: a cached report never holds
    its bytes (111 MB for 100k comparisons). Unreadable: ``None`` (the caller's read says why).
    """
    try:
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
            size = f.tell()
    except OSError:
        return None
    return read_column_cache(path, size, digest)


def _read_arrow(data: bytes, also: Callable[[], object] | None) -> tuple[pd.DataFrame | None, str]:
    """:func:`read_game_frame` of ``data``, and its SHA-256.

    While pyarrow parses on its own threads, this one hashes the bytes (hashlib holds no GIL
    either), loads pandas, which a first report would otherwise load before the parse, and
    does the caller's work ``also``.
    """
    digests: list[str] = []

    def meanwhile() -> None:
        import pandas  # noqa: F401 (the table's; ~0.25 s of a first report, now beside the parse)

        digests.append(hashlib.sha256(data).hexdigest())
        if also is not None:
            also()

    table = read_game_frame(data, while_parsing=meanwhile)
    return table, digests[0]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (and restore it as it was) while many objects that all stay alive are built.

    Each collection would walk every object made so far: with it on, parsing
    200,000 lines takes four times as long. Reference counting still frees what is not a cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
