"""A pair-game file read straight into a game table by pyarrow's C++ JSON reader.

This is the fast path of :func:`judgebench.storage.game_table.load_game_table` (a report's first
read of a new file): :func:`pyarrow.json.read_json` parses the whole file into typed columns, on
all cores, without one Python object per line, and the columns are checked in bulk against what
:meth:`judgebench.records.PairGame.from_dict` accepts. It gives the table only for a file that is
plainly valid — every line an object whose fields have the types ``from_dict`` reads without
converting (the rules of :func:`judgebench.records.columns.game_columns`) — and ``None`` for
anything else (a bad or torn line, a string ``judge``, re-asks, a JSON ``null`` where a missing key
would mean something else), which the caller then reads chunk by chunk with its exact
``file:line`` errors. A ``None`` costs one wasted parse, never a wrong table.

pyarrow, pandas and numpy are imported inside the function: ``judgebench --help`` never loads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from judgebench.records.columns import GAME_COLUMNS, PAIR_GAME_FIELDS, WINNERS
from judgebench.records.judge_calls import STATUSES
from judgebench.storage.arrow_columns import arrow_categorical, arrow_codes, object_column, sorted_strings

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

__all__ = ["BLOCK_SIZE", "read_game_frame"]

BLOCK_SIZE = 4 << 20
"""Bytes pyarrow parses at a time (one chunk of each column); blocks are parsed on all cores."""

# An explicit JSON null where a missing key means something else to from_dict (a default, or an
# error): the Arrow column cannot tell the two apart, so such files take the record path.
_NULL_INSIDE = {
    "status": re.compile(rb'"status"\s*:\s*null'),
    "usage": re.compile(rb'"usage"\s*:\s*\{[^{}]*:\s*null'),
    "answer_hashes": re.compile(rb'"answer_hashes"\s*:\s*\{[^{}]*:\s*null'),
}
# Any null but the one every line of ours has: a literal search for "null", then a look back (a tenth
# of the time of the patterns above, which stop at every line's "usage" and "answer_hashes").
_OTHER_NULL = re.compile(rb'null(?<!"error":null)')


_READ = (
    *(f.name for f in PAIR_GAME_FIELDS),
    *("judge", "winner", "status", "attempts", "tstamp", "reasks", "usage", "answer_hashes"),
)
"""The columns checked or kept (``answer_hashes`` last: it is read chunk by chunk); the others (judge
replies, prompts, call keys) are parsed but never copied."""


def _arrow_type(types: tuple[type, ...], question_id: pa.DataType) -> pa.DataType | None:
    import pyarrow as pa

    if set(types) == {int, str}:
        return question_id
    simple: dict[tuple[type, ...], pa.DataType] = {(str,): pa.string(), (int,): pa.int64(), (bool,): pa.bool_()}
    return simple.get(types)


def _schema(question_id: pa.DataType) -> pa.Schema | None:
    import pyarrow as pa

    fields = []
    for f in PAIR_GAME_FIELDS:
        kind = _arrow_type(f.types, question_id)
        if kind is None:
            return None
        fields.append((f.name, kind))
    fields += [
        ("judge", pa.list_(pa.string())),
        ("winner", pa.string()),
        ("status", pa.string()),
        ("attempts", pa.int64()),
        ("tstamp", pa.float64()),
    ]
    return pa.schema(fields)


def _memory_pool() -> pa.MemoryPool:
    """jemalloc where this pyarrow has it, else pyarrow's default pool.

    Parsing 111 MB builds ~250 MB of short-lived buffers; with the default mimalloc pool the kernel
    spent 0.4–0.5 s more (system CPU: page faults) on a first 100k report than with jemalloc.
    """
    import pyarrow as pa

    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc (e.g. some macOS or conda builds)
        return pa.default_memory_pool()


def _read(data: bytes) -> pa.Table | None:
    """Parse the bytes (question ids as integers, else as strings); ``None`` if pyarrow refuses."""
    import pyarrow as pa
    import pyarrow.json as pj

    for question_id in (pa.int64(), pa.string()):
        schema = _schema(question_id)
        if schema is None:
            return None
        try:
            return pj.read_json(
                pa.BufferReader(data),
                read_options=pj.ReadOptions(block_size=BLOCK_SIZE),
                parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer"),
                memory_pool=_memory_pool(),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError) as exc:
            if "question_id" not in str(exc):
                return None
    return None


class _Source:
    """A file's bytes, and whether they hold a JSON ``null`` other than ``"error":null`` (searched once)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._other_nulls: bool | None = None

    def other_nulls(self) -> bool:
        """Whether any ``null`` in the bytes is not our writer's ``"error":null`` (one scan, then remembered)."""
        if self._other_nulls is None:
            self._other_nulls = _OTHER_NULL.search(self.data) is not None
        return self._other_nulls


def _plain_nulls(source: _Source, name: str, column: pa.Array | pa.ChunkedArray) -> bool:
    """Whether ``column``'s nulls may all be missing keys (no explicit ``null`` under ``name`` in the bytes).

    One scan for any ``null`` besides ``"error":null`` usually settles it for every column; only
    when there is one (or the object has an ``"error"`` key of its own) is the field's own pattern searched.
    """
    import pyarrow as pa

    keys: set[str] = set()
    if pa.types.is_struct(column.type):
        chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
        nulls = sum(child.null_count for chunk in chunks for child in chunk.flatten())
        keys = {column.type.field(i).name for i in range(column.type.num_fields)}
    else:
        nulls = column.null_count
    if nulls == 0:
        return True
    if "error" not in keys and not source.other_nulls():
        return True
    return _NULL_INSIDE[name].search(source.data) is None


def _plain_extras(cols: dict[str, Any], source: _Source) -> bool:
    """Whether the fields reports do not read are as :func:`~judgebench.records.columns.game_columns` accepts them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for name in ("attempts", "tstamp"):  # from_dict cannot read a null, and a missing key reads as null here
        if cols[name].null_count:
            return False
    if "reasks" in cols:  # re-asks are read by from_dict (rare; they have their own checks)
        reasks = cols["reasks"]
        if not pa.types.is_null(reasks.type) and (
            not pa.types.is_list(reasks.type) or pc.any(pc.greater(pc.list_value_length(reasks), 0)).as_py()
        ):
            return False
    if "usage" in cols:
        usage = cols["usage"]
        if not pa.types.is_null(usage.type):
            if not pa.types.is_struct(usage.type):
                return False
            kinds = {usage.type.field(i).type for i in range(usage.type.num_fields)}
            if not kinds <= {pa.int64(), pa.bool_()} or not _plain_nulls(source, "usage", usage):
                return False
    return True


def _verdicts(cols: dict[str, Any], source: _Source) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
    """Codes of ``winner`` (:data:`WINNERS`; -1 unless ok) and ``status`` (``STATUSES``), as from_dict reads them."""
    import numpy as np

    status_col = cols["status"]
    if status_col.null_count and not _plain_nulls(source, "status", status_col):
        return None
    winner = arrow_codes(cols["winner"], list(WINNERS))
    status = arrow_codes(status_col, list(STATUSES))
    if winner is None or status is None:
        return None
    status = np.where(status == -1, np.where(winner == -1, STATUSES.index("unparsed"), STATUSES.index("ok")), status)
    ok = status == STATUSES.index("ok")
    if np.any(ok & (winner == -1)):
        return None
    return np.where(ok, winner, -1).astype(np.int32), status.astype(np.int32)


def _frame(
    cols: dict[str, Any],
    models: list[str],
    sides: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
    verdicts: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
    judges: tuple[pa.Array, pa.Array],
    hashes: tuple[np.ndarray[Any, Any], ...],
) -> pd.DataFrame:
    """The game table of checked columns."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    (m1, m2), (winner, status), (judge, prompt) = sides, verdicts, judges
    ok = status == STATUSES.index("ok")
    out: dict[str, Any] = {}
    for f in PAIR_GAME_FIELDS:
        if f.name == "question_id":
            continue
        col = cols[f.name]
        if f.name in ("model_1", "model_2"):
            out[f.name] = arrow_categorical(m1 if f.name == "model_1" else m2, models)
        elif f.dtype == "category":
            names = sorted_strings(col)
            codes = arrow_codes(col, names)
            assert codes is not None
            out[f.name] = arrow_categorical(codes, names)
        elif f.dtype == "int64":
            out[f.name] = col.to_numpy(zero_copy_only=False).astype(np.int64)
        elif f.dtype == "bool":
            out[f.name] = col.to_numpy(zero_copy_only=False).astype(np.bool_)
        else:
            out[f.name] = pd.Series(col.to_pylist(), dtype=object)
    if "strong" in out:
        out["strong"] = out["strong"] & ok  # from_dict keeps a strong verdict only in an ok game
    qid = cols["question_id"]
    qnames = sorted_strings(qid)
    qcodes = arrow_codes(qid.cast(pa.string()), qnames)
    assert qcodes is not None
    out["qid"] = arrow_categorical(qcodes, qnames)
    for name, values in (("judge", judge), ("prompt", prompt)):
        names = sorted_strings(values)
        codes = arrow_codes(values, names)
        assert codes is not None
        out[name] = arrow_categorical(codes, names)
    out["winner"] = arrow_categorical(winner, list(WINNERS))
    out["status"] = arrow_categorical(status, list(STATUSES))
    for name, values in zip(("hash_1", "hash_2", "hash_other"), hashes, strict=True):
        out[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(out, columns=list(GAME_COLUMNS))


def read_game_frame(data: bytes, *, while_parsing: Callable[[], object] | None = None) -> pd.DataFrame | None:
    """The game table of a pair-game file's bytes, or ``None`` when it needs the record-by-record reader.

    Args:
        data: the whole JSONL file, UTF-8.
        while_parsing: work for the calling thread while pyarrow parses on its own threads (the
            parse holds no GIL: a caller imports pandas there); run exactly once in any case.

    Returns:
        The table :func:`judgebench.records.columns.game_frame` gives for the records
        :meth:`~judgebench.records.PairGame.from_dict` reads from the same lines (one row a line,
        in file order), or ``None``: an empty file, or any line pyarrow refuses or that is not
        plainly valid (the caller's record path then reads it, with its ``file:line`` errors).
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.compute as pc
    import pyarrow.json  # noqa: F401 (imported here, not on the parsing thread)

    if data.isspace() or not data:  # isspace stops at the first other byte
        if while_parsing is not None:
            while_parsing()
        return None
    source = _Source(data)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="judgebench-parse") as pool:
        parsing = pool.submit(_read, data)
        source.other_nulls()  # the null scan, ahead of need, while the parse holds no GIL
        if while_parsing is not None:
            while_parsing()
        table = parsing.result()
    if table is None or table.num_rows == 0:
        return None
    n = table.num_rows
    cols = {name: table.column(name).combine_chunks() for name in _READ[:-1] if name in table.column_names}
    for f in PAIR_GAME_FIELDS:
        col = cols[f.name]
        if f.required and col.null_count:
            return None
        if not f.required and col.null_count:
            col = col.fill_null(f.default)
        if f.values is not None and not set(pc.unique(col).to_pylist()) <= f.values:
            return None
        if f.minimum is not None and pc.min(col).as_py() < f.minimum:
            return None
        cols[f.name] = col
    judges = cols["judge"]
    if judges.null_count or pc.any(pc.not_equal(pc.list_value_length(judges), 2)).as_py():
        return None
    flat = judges.flatten()
    if flat.null_count:
        return None
    judge, prompt = pc.list_element(judges, 0), pc.list_element(judges, 1)
    if not _plain_extras(cols, source):
        return None
    verdicts = _verdicts(cols, source)
    if verdicts is None:
        return None
    winner, status = verdicts
    models = sorted(set(sorted_strings(cols["model_1"])) | set(sorted_strings(cols["model_2"])))
    m1, m2 = arrow_codes(cols["model_1"], models), arrow_codes(cols["model_2"], models)
    assert m1 is not None
    assert m2 is not None
    hashes = _split_hashes(
        table.column("answer_hashes") if "answer_hashes" in table.column_names else None, source, models, m1, m2, n
    )
    if hashes is None:
        return None
    return _frame(cols, models, (m1, m2), (winner, status), (judge, prompt), hashes)


def _split_hashes(
    column: pa.ChunkedArray | None,
    source: _Source,
    models: list[str],
    m1: np.ndarray[Any, Any],
    m2: np.ndarray[Any, Any],
    n: int,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]] | None:
    """``answer_hashes`` as each side's entry and any other entries, as :func:`columns._split_hashes` splits them.

    Chunk by chunk, as parsed (a struct of one child per model named anywhere in the file is not
    copied into one): each side's entry is picked in bulk (:func:`pyarrow.compute.choose`: row ``i``
    takes the child of its model); only rows with entries of other models are read one by one.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    h1 = np.full(n, None, dtype=object)
    h2 = np.full(n, None, dtype=object)
    other = np.full(n, None, dtype=object)
    if column is None or pa.types.is_null(column.type):
        return h1, h2, other
    if not pa.types.is_struct(column.type):
        return None
    names = [column.type.field(i).name for i in range(column.type.num_fields)]
    if any(column.type.field(i).type != pa.string() for i in range(len(names))):
        return None
    if not _plain_nulls(source, "answer_hashes", column):
        return None
    chunks = [chunk.flatten() for chunk in column.chunks]  # parent nulls merged into each child
    position = {name: i for i, name in enumerate(names)}
    lookup = np.array([position.get(name, len(names)) for name in models], dtype=np.int32)  # no entry: all-null
    start = 0
    for chunk, children in zip(column.chunks, chunks, strict=True):
        stop = start + len(chunk)
        pool = [*children, pa.nulls(len(chunk), pa.string())]
        for side, target in ((m1, h1), (m2, h2)):
            target[start:stop] = object_column(pc.choose(pa.array(lookup[side[start:stop]]), *pool))
        start = stop
    matched = (h1 != None).astype(np.int64) + ((h2 != None) & (m1 != m2))  # noqa: E711 (elementwise)
    entries = sum(len(child) - child.null_count for children in chunks for child in children)
    if entries > matched.sum():  # each row has at least its matched entries: equal totals, no other entries
        flat = column.combine_chunks().flatten()
        valid = np.zeros(n, dtype=np.int64)
        for child in flat:
            valid += child.is_valid().to_numpy(zero_copy_only=False)
        for row in np.flatnonzero(valid > matched).tolist():
            sides = (models[m1[row]], models[m2[row]])
            other[row] = {
                name: child[row].as_py()
                for name, child in zip(names, flat, strict=True)
                if child[row].is_valid and name not in sides
            }
    return h1, h2, other
