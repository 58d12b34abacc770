"""Pair games as columns: the form reports read, built in bulk from wire dicts or from records.

A *game table* is a ``pandas.DataFrame`` with one row per game line, in file
order, and the columns :data:`GAME_COLUMNS`:

- ``qid``: ``str(question_id)``; ``model_1``, ``model_2``, ``judge``, ``prompt``:
  these five are categoricals (the categories may include values no row has:
  use the codes of the rows);
- ``turn``, ``game``: int64; ``strong``: bool (a strong verdict in an ``ok`` game);
- ``winner``: categorical of ``model_1``/``model_2``/``tie``, missing unless ``status`` is ``ok``;
- ``status``: categorical of the statuses;
- ``hash_1``, ``hash_2``: the ``answer_hashes`` entry of ``model_1`` and of
  ``model_2`` (``None`` when not recorded); ``hash_other``: any other entries
  as a dict, else ``None``;
- one column per entry of :data:`PAIR_GAME_FIELDS` not named above (fields copied as they are).

:func:`game_columns` validates a batch of wire dicts *in bulk*: it accepts the
batch only when every dict is a plain valid record — every value of a type
:meth:`PairGame.from_dict` reads without converting — so the table it gives
equals :func:`game_frame` of the records ``from_dict`` would build. Any other
batch (a mistake, or a valid but unusual line such as FastChat's string
``judge``) gives ``None`` and the caller reads it record by record, with
``from_dict``'s exact ``file:line`` errors.

pandas and numpy are imported inside the functions: ``judgebench --help`` never loads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import eq, itemgetter, methodcaller
from typing import TYPE_CHECKING, Any

from judgebench.records.judge_calls import STATUSES
from judgebench.records.judgments import PairGame

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "GAME_COLUMNS",
    "PAIR_GAME_FIELDS",
    "WINNERS",
    "Field",
    "game_columns",
    "game_frame",
    "games_from_frame",
    "record_columns",
]


class _Missing:
    """A key absent from a wire dict (its own type, so type checks see it; false, as absent)."""

    def __bool__(self) -> bool:
        return False


_MISSING = _Missing()


@dataclass(frozen=True)
class Field:
    """A :class:`PairGame` field kept as a column.

    Attributes:
        name: the wire key, the attribute and the column name.
        types: the types its value may have in a wire dict on the bulk path.
        required: a missing key sends the batch to ``from_dict`` (which names it).
        default: the value of a missing key (when not ``required``).
        values: when set, the only values allowed on the bulk path.
        minimum: when set, the least value allowed on the bulk path.
        dtype: the column's dtype: ``category``, ``int64``, ``bool`` or ``object``.
    """

    name: str
    types: tuple[type, ...]
    required: bool = True
    default: Any = None
    values: frozenset[Any] | None = None
    minimum: int | None = None
    dtype: str = "object"


PAIR_GAME_FIELDS: tuple[Field, ...] = (
    Field("question_id", (int, str)),
    Field("model_1", (str,), dtype="category"),
    Field("model_2", (str,), dtype="category"),
    Field("turn", (int,), minimum=1, dtype="int64"),
    Field("game", (int,), values=frozenset({1, 2}), dtype="int64"),
    Field("strong", (bool,), required=False, default=False, dtype="bool"),
)
"""Fields read as they are. A new :class:`PairGame` field that reports read is one more line here."""

WINNERS = ("model_1", "model_2", "tie")
"""The ``winner`` column's categories, in code order."""

# Fields from_dict converts (int(), float(), Usage.from_dict) but reports do not read:
# the bulk path checks their types so that a value from_dict would refuse goes to from_dict.
_CONVERTED: tuple[tuple[str, frozenset[type]], ...] = (
    ("attempts", frozenset({int, bool, _Missing})),
    ("tstamp", frozenset({int, float, _Missing})),
    ("usage", frozenset({dict, type(None), _Missing})),
)
_SPECIAL = ("judge", "winner", "status", "answer_hashes")
_DERIVED = ("qid", "judge", "prompt", "winner", "status", "hash_1", "hash_2", "hash_other")

GAME_COLUMNS: tuple[str, ...] = (*(f.name for f in PAIR_GAME_FIELDS if f.name != "question_id"), *_DERIVED)


def _types(column: Iterable[Any]) -> set[type]:
    return set(map(type, column))


def _get_all(dicts: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> dict[str, list[Any]]:
    """Each key's values (``_MISSING`` where absent), in one pass when every dict has every key."""
    try:
        rows = list(map(itemgetter(*keys), dicts))
    except KeyError:
        return {key: list(map(methodcaller("get", key, _MISSING), dicts)) for key in keys}
    if not rows:
        return {key: [] for key in keys}
    return {key: list(col) for key, col in zip(keys, zip(*rows, strict=True), strict=True)}


def game_columns(dicts: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]] | None:
    """Columns of a batch of pair-game wire dicts, or ``None`` when any needs :meth:`PairGame.from_dict`.

    >>> d = {"question_id": 81, "model_1": "a", "model_2": "b", "turn": 1, "game": 2,
    ...      "judge": ["gpt-4", "pair-v2"], "winner": "tie", "answer_hashes": {"a": "h1"}}
    >>> cols = game_columns([d])
    >>> cols["judge"], cols["status"], cols["hash_1"], cols["hash_2"]
    (['gpt-4'], ['ok'], ['h1'], [None])
    >>> game_columns([d | {"judge": "gpt-4"}]) is None  # valid, but read by from_dict
    True
    """
    keys = [f.name for f in PAIR_GAME_FIELDS] + list(_SPECIAL) + [key for key, _ in _CONVERTED] + ["reasks"]
    raw = _get_all(dicts, keys)
    cols: dict[str, list[Any]] = {}
    for f in PAIR_GAME_FIELDS:
        col = raw[f.name]
        if not f.required and _MISSING in col:
            col = [f.default if v is _MISSING else v for v in col]
        if not _types(col) <= set(f.types):
            return None
        if f.values is not None and not set(col) <= f.values:
            return None
        if f.minimum is not None and col and min(col) < f.minimum:
            return None
        cols[f.name] = col
    judges = raw["judge"]
    if _types(judges) != {list} or set(map(len, judges)) != {2}:
        return None
    judge, prompt = list(map(itemgetter(0), judges)), list(map(itemgetter(1), judges))
    if not _types(judge) | _types(prompt) <= {str}:
        return None
    winners, statuses = raw["winner"], raw["status"]
    if _MISSING in winners:
        winners = [None if w is _MISSING else w for w in winners]
    if not _types(winners) <= {str, type(None)} or not set(winners) <= {None, *WINNERS}:
        return None
    if not _types(statuses) <= {str, _Missing} or not set(statuses) <= {*STATUSES, _MISSING}:
        return None
    if _MISSING in statuses:
        statuses = [
            ("ok" if w is not None else "unparsed") if s is _MISSING else s
            for s, w in zip(statuses, winners, strict=True)
        ]
    if None in winners and any(s == "ok" and w is None for s, w in zip(statuses, winners, strict=True)):
        return None
    if set(statuses) != {"ok"}:
        winners = [w if s == "ok" else None for s, w in zip(statuses, winners, strict=True)]
        # from_dict keeps a strong verdict only in an ok game
        cols["strong"] = [g and s == "ok" for g, s in zip(cols["strong"], statuses, strict=True)]
    for key, allowed in _CONVERTED:
        col = raw[key]
        if not _types(col) <= allowed:
            return None
        if key == "usage" and not _types(chain.from_iterable(map(dict.values, filter(None, col)))) <= {int, bool}:
            return None
    if any(raw["reasks"]):  # re-asks (rare) have their own checks: from_dict reads them
        return None
    hashes = raw["answer_hashes"]
    kinds = _types(hashes)
    if not kinds <= {dict, type(None), _Missing}:
        return None
    if kinds != {dict}:
        hashes = [h if type(h) is dict else {} for h in hashes]
    if not _types(chain.from_iterable(map(dict.values, hashes))) <= {str}:
        return None
    cols["judge"], cols["prompt"], cols["winner"], cols["status"] = judge, prompt, winners, statuses
    cols["hash_1"], cols["hash_2"], cols["hash_other"] = _split_hashes(hashes, cols["model_1"], cols["model_2"])
    return cols


def _split_hashes(
    hashes: Sequence[Mapping[str, str]], model_1: Sequence[str], model_2: Sequence[str]
) -> tuple[list[str | None], list[str | None], list[dict[str, str] | None]]:
    """``answer_hashes`` as the entry of each side, and any other entries (``None`` when there are none)."""
    h1: list[str | None] = list(map(dict.get, hashes, model_1))  # type: ignore[arg-type]
    h2: list[str | None] = list(map(dict.get, hashes, model_2))  # type: ignore[arg-type]
    other: list[dict[str, str] | None] = [None] * len(hashes)
    sizes = list(map(len, hashes))
    matched = 2 * len(hashes) - h1.count(None) - h2.count(None)
    # Each row has size >= its matched entries, so equal totals mean no row has others (barring a self-pair).
    if sum(sizes) != matched or any(map(eq, model_1, model_2)):
        for i, size in enumerate(sizes):
            if size > (h1[i] is not None) + (h2[i] is not None and model_2[i] != model_1[i]):
                other[i] = {k: v for k, v in hashes[i].items() if k not in (model_1[i], model_2[i])}
    return h1, h2, other


def record_columns(games: Iterable[PairGame]) -> dict[str, list[Any]]:
    """The columns of records, as :func:`game_columns` gives them for their wire dicts."""
    records = list(games)
    cols: dict[str, list[Any]] = {f.name: [getattr(g, f.name) for g in records] for f in PAIR_GAME_FIELDS}
    for name in ("judge", "prompt", "winner", "status"):
        cols[name] = [getattr(g, name) for g in records]
    cols["strong"] = [bool(g.strong) and g.status == "ok" for g in records]  # as from_dict reads it back
    hashes = [dict(g.answer_hashes) for g in records]
    cols["hash_1"], cols["hash_2"], cols["hash_other"] = _split_hashes(hashes, cols["model_1"], cols["model_2"])
    return cols


def _categorical(values: Sequence[Any], categories: Sequence[Any] | None = None) -> pd.Categorical:
    """A categorical of ``values`` (``None`` missing), categories sorted unless given."""
    import numpy as np
    import pandas as pd

    names = list(categories) if categories is not None else sorted(set(values) - {None})
    lookup: dict[Any, int] = {name: i for i, name in enumerate(names)}
    lookup[None] = -1
    codes = np.fromiter(map(lookup.__getitem__, values), dtype=np.int32, count=len(values))
    return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))


def game_frame(games: Iterable[PairGame] | Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """The game table of records, in order (or of columns from :func:`game_columns`/:func:`record_columns`).

    >>> g = PairGame(question_id=1, model_1="a", model_2="b", turn=1, judge="j", prompt="p", game=1, winner="tie")
    >>> row = game_frame([g]).iloc[0]
    >>> row["qid"], row["model_1"], row["game"], row["winner"], row["status"], row["hash_1"]
    ('1', 'a', np.int64(1), 'tie', 'ok', None)
    """
    import numpy as np
    import pandas as pd

    cols = games if isinstance(games, Mapping) else record_columns(games)
    n = len(cols["game"])
    models = sorted(set(cols["model_1"]) | set(cols["model_2"]))
    data: dict[str, Any] = {}
    for f in PAIR_GAME_FIELDS:
        if f.name == "question_id":
            continue
        if f.name in ("model_1", "model_2"):
            data[f.name] = _categorical(cols[f.name], models)
        elif f.dtype == "category":
            data[f.name] = _categorical(cols[f.name])
        elif f.dtype == "int64":
            data[f.name] = np.fromiter(cols[f.name], dtype=np.int64, count=n)
        elif f.dtype == "bool":
            data[f.name] = np.fromiter(cols[f.name], dtype=np.bool_, count=n)
        else:
            data[f.name] = pd.Series(cols[f.name], dtype=object)
    data["qid"] = _categorical(list(map(str, cols["question_id"])))
    data["judge"] = _categorical(cols["judge"])
    data["prompt"] = _categorical(cols["prompt"])
    data["winner"] = _categorical(cols["winner"], WINNERS)
    data["status"] = _categorical(cols["status"], STATUSES)
    for name in ("hash_1", "hash_2", "hash_other"):
        data[name] = pd.Series(cols[name], dtype=object)
    return pd.DataFrame(data, columns=list(GAME_COLUMNS))


def games_from_frame(frame: pd.DataFrame) -> list[PairGame]:
    """The records of a game table's rows (verdict fields only: no texts, usage or call keys).

    ``question_id`` comes back as a string: the table keeps ``str(question_id)``.
    """
    out = []
    for row in frame.to_dict(orient="records"):
        hashes = {
            **({row["model_1"]: row["hash_1"]} if row["hash_1"] is not None else {}),
            **({row["model_2"]: row["hash_2"]} if row["hash_2"] is not None else {}),
            **(row["hash_other"] or {}),
        }
        fields = {f.name: row[f.name] for f in PAIR_GAME_FIELDS if f.name != "question_id"}
        winner = row["winner"] if isinstance(row["winner"], str) else None
        out.append(
            PairGame(
                question_id=row["qid"],
                judge=row["judge"],
                prompt=row["prompt"],
                winner=winner,  # type: ignore[arg-type]
                status=row["status"],
                answer_hashes=hashes,
                **fields,
            )
        )
    return out
