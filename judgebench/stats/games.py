"""Pair games as columns: the latest record of each game, and games joined into comparisons, vectorised.

The statistics of pairwise judgments read a *game table*
(:mod:`judgebench.records.columns`): one row per game line, in file order. The
rules are those of :func:`~judgebench.stats.latest_games` and
:func:`~judgebench.stats.pair_rows_from_games`, on arrays:

- a game is one (question, turn, *unordered* pair, judge, prompt, who was
  shown as A): game 1 of (a, b) and game 2 of (b, a) are one game. Each
  comparison keeps the naming it was first seen with; a record naming it the
  other way round is turned (models, game number, winner and answer hashes
  swapped); the last record of each game wins; rows come in first-seen order;
- a comparison joins its two games; a game missing or not ``ok`` is
  FastChat's ``"error"`` (code ``-1`` here);
- :func:`comparisons` reconciles each joined pair into one outcome (1, 0 or
  0.5 for ``model_1``), the :class:`Comparisons` that the bootstrap, ratings,
  length control, bias and agreement read.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from judgebench.records import PairGame
from judgebench.records.columns import WINNERS, game_frame
from judgebench.stats.arrays import FloatArray, IntArray

__all__ = [
    "ERROR_CODE",
    "Comparisons",
    "JoinedGames",
    "as_game_table",
    "comparisons",
    "concat_game_tables",
    "join_games",
    "latest_game_table",
    "model_codes",
]

ERROR_CODE = -1
"""A comparison's game that is missing or not ``ok`` (FastChat's ``"error"``)."""

_MODEL_1, _MODEL_2 = WINNERS.index("model_1"), WINNERS.index("model_2")


def as_game_table(games: Sequence[PairGame] | pd.DataFrame) -> pd.DataFrame:
    """A game table as it is, or the game table of records."""
    return games if isinstance(games, pd.DataFrame) else game_frame(games)


def concat_game_tables(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Game tables one after the other, as one (categoricals kept: categories joined, sorted)."""
    if not tables:
        return game_frame([])
    if len(tables) == 1:
        return tables[0]
    union: dict[str, list[str]] = {}
    models = sorted({m for t in tables for c in ("model_1", "model_2") for m in t[c].cat.categories})
    for column in ("qid", "judge", "prompt"):
        union[column] = sorted({v for t in tables for v in t[column].cat.categories})
    union["model_1"] = union["model_2"] = models
    joined = [
        t.assign(**{c: t[c].cat.set_categories(pd.Index(names, dtype=object)) for c, names in union.items()})
        for t in tables
    ]
    return pd.concat(joined, ignore_index=True)


def _codes(column: pd.Series) -> IntArray:
    return np.asarray(column.cat.codes, dtype=np.int64)


def model_codes(frame: pd.DataFrame) -> tuple[IntArray, IntArray, list[str]]:
    """``model_1`` and ``model_2`` as codes into one sorted list of model names (not all need occur)."""
    first, second = frame["model_1"].cat, frame["model_2"].cat
    if not (first.categories.equals(second.categories) and first.categories.is_monotonic_increasing):
        names = sorted(set(first.categories) | set(second.categories))
        first = frame["model_1"].cat.set_categories(names).cat
        second = frame["model_2"].cat.set_categories(names).cat
    return (
        np.asarray(first.codes, dtype=np.int64),
        np.asarray(second.codes, dtype=np.int64),
        [str(m) for m in first.categories],
    )


def _group_ids(*columns: IntArray) -> IntArray:
    """Dense ids of the rows' tuples of codes, numbered in order of first appearance.

    >>> _group_ids(np.array([5, 5, 1, 5]), np.array([0, 1, 0, 0])).tolist()
    [0, 1, 2, 0]
    """
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        width = int(column.max(initial=0)) + 2  # codes from -1
        key, _ = pd.factorize(key * width + (column + 1), sort=False)
        key = key.astype(np.int64)
    return key


def _first_rows(ids: IntArray) -> IntArray:
    """The first row of each id (ids dense, ``0..k-1``)."""
    _, first = np.unique(ids, return_index=True)
    return np.asarray(first, dtype=np.int64)


def latest_game_table(games: Sequence[PairGame] | pd.DataFrame) -> pd.DataFrame:
    """Each game once, the last record winning, turned to the naming its comparison was first seen with.

    The columnar :func:`~judgebench.stats.latest_games` (same rows, same order).

    >>> g = dict(question_id=1, turn=1, judge="j", prompt="p")
    >>> games = [PairGame(model_1="a", model_2="b", game=1, winner="model_1", **g),
    ...          PairGame(model_1="a", model_2="b", game=2, winner="model_1", **g),
    ...          PairGame(model_1="b", model_2="a", game=1, winner="model_2", **g),
    ...          PairGame(model_1="b", model_2="a", game=2, winner="tie", **g)]
    >>> t = latest_game_table(games)
    >>> list(zip(t["model_1"], t["game"].tolist(), t["winner"]))
    [('a', 1, 'tie'), ('a', 2, 'model_1')]
    """
    frame = as_game_table(games)
    n = len(frame)
    if n == 0:
        return frame
    m1, m2, names = model_codes(frame)
    game = frame["game"].to_numpy(dtype=np.int64)
    qid, turn = _codes(frame["qid"]), frame["turn"].to_numpy(dtype=np.int64)
    judge, prompt = _codes(frame["judge"]), _codes(frame["prompt"])
    comparison = _group_ids(qid, turn, np.minimum(m1, m2), np.maximum(m1, m2), judge, prompt)
    flip = m1 != m1[_first_rows(comparison)][comparison]
    if flip.any():
        frame = frame.copy()
        m1, m2 = np.where(flip, m2, m1), np.where(flip, m1, m2)
        categories = pd.Index(names, dtype=object)
        frame["model_1"] = pd.Categorical.from_codes(m1, categories=categories)
        frame["model_2"] = pd.Categorical.from_codes(m2, categories=categories)
        game = np.where(flip, 3 - game, game)
        frame["game"] = game
        winner = _codes(frame["winner"])
        swapped = np.where(winner == _MODEL_1, _MODEL_2, np.where(winner == _MODEL_2, _MODEL_1, winner))
        frame["winner"] = pd.Categorical.from_codes(
            np.where(flip, swapped, winner), categories=pd.Index(list(WINNERS), dtype=object)
        )
        h1, h2 = frame["hash_1"].to_numpy(dtype=object), frame["hash_2"].to_numpy(dtype=object)
        frame["hash_1"] = pd.Series(np.where(flip, h2, h1), index=frame.index, dtype=object)
        frame["hash_2"] = pd.Series(np.where(flip, h1, h2), index=frame.index, dtype=object)
    key = comparison * 2 + (game - 1)
    _, first = np.unique(key, return_index=True)
    _, from_end = np.unique(key[::-1], return_index=True)
    last = (n - 1) - from_end
    rows = last[np.argsort(first, kind="stable")]
    if len(rows) == n and bool((rows == np.arange(n)).all()):
        return frame
    return frame.iloc[rows].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class JoinedGames:
    """Comparisons (the two games of each joined), one entry each, in first-seen order.

    Attributes:
        qid: question codes into ``questions`` (the table's ``qid`` categories).
        turn: the turn compared.
        model_1, model_2: codes into ``models`` (sorted; not all need occur).
        judge, prompt: codes into ``judges`` and ``prompts``.
        g1, g2: each game's winner as a code into
            :data:`~judgebench.records.columns.WINNERS`, or :data:`ERROR_CODE`.
        strong: either game is ``ok`` with a strong verdict (``[[A>>B]]``).
    """

    qid: IntArray
    questions: list[str]
    turn: IntArray
    model_1: IntArray
    model_2: IntArray
    models: list[str]
    judge: IntArray
    judges: list[str]
    prompt: IntArray
    prompts: list[str]
    g1: IntArray
    g2: IntArray
    strong: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.g1)


def join_games(games: Sequence[PairGame] | pd.DataFrame | JoinedGames, *, latest: bool = False) -> JoinedGames:
    """Join each comparison's latest two games (the columnar :func:`~judgebench.stats.pair_rows_from_games`).

    Games joined already come back as they are: a report joins a judge's games once for both
    :func:`~judgebench.stats.pairwise_table` and :func:`~judgebench.stats.comparisons`.
    ``latest``: ``games`` is a :func:`latest_game_table` (or rows of one), which that function
    would give back unchanged; it is not run again.

    >>> g = dict(question_id=81, model_1="a", model_2="b", turn=1, judge="gpt-4", prompt="pair-v2")
    >>> j = join_games([PairGame(game=2, winner="model_2", **g)])
    >>> j.models, j.g1.tolist(), j.g2.tolist()
    (['a', 'b'], [-1], [1])
    >>> join_games([PairGame(game=1, winner="model_1", strong=True, **g),
    ...             PairGame(game=2, winner="model_1", **g)]).strong.tolist()
    [True]
    """
    if isinstance(games, JoinedGames):
        return games
    frame = games if latest and isinstance(games, pd.DataFrame) else latest_game_table(games)
    m1, m2, models = model_codes(frame)
    qid, turn = _codes(frame["qid"]), frame["turn"].to_numpy(dtype=np.int64)
    judge, prompt = _codes(frame["judge"]), _codes(frame["prompt"])
    game = frame["game"].to_numpy(dtype=np.int64)
    comparison = _group_ids(qid, turn, m1, m2, judge, prompt) if len(frame) else np.zeros(0, dtype=np.int64)
    first = _first_rows(comparison)
    winner = np.where(frame["status"].to_numpy(dtype=object) == "ok", _codes(frame["winner"]), ERROR_CODE)
    winner = np.where(winner < 0, ERROR_CODE, winner)
    g1 = np.full(len(first), ERROR_CODE, dtype=np.int64)
    g2 = np.full(len(first), ERROR_CODE, dtype=np.int64)
    g1[comparison[game == 1]] = winner[game == 1]
    g2[comparison[game == 2]] = winner[game == 2]
    strong = np.zeros(len(first), dtype=np.bool_)
    if "strong" in frame:  # a strong verdict counts only in a game that is ok (as a report reads it)
        strong[comparison[(winner != ERROR_CODE) & frame["strong"].to_numpy(dtype=np.bool_)]] = True
    return JoinedGames(
        qid=qid[first],
        questions=[str(q) for q in frame["qid"].cat.categories],
        turn=turn[first],
        model_1=m1[first],
        model_2=m2[first],
        models=models,
        judge=judge[first],
        judges=[str(j) for j in frame["judge"].cat.categories],
        prompt=prompt[first],
        prompts=[str(p) for p in frame["prompt"].cat.categories],
        g1=g1,
        g2=g2,
        strong=strong,
    )


@dataclass(frozen=True, eq=False)
class Comparisons:
    """Reconciled pairwise comparisons as arrays (one entry per comparison, excluded ones dropped).

    Attributes:
        question: question code per comparison (into ``questions``).
        questions: question ids as strings, sorted.
        turn: the turn compared.
        model_1, model_2: model codes (into ``models``).
        models: model names, sorted.
        outcome: 1.0 when ``model_1`` won both games, 0.0 when ``model_2``
            did, 0.5 for a tie (a tie in a game, or two games that disagree).
        consistent: both games named the same winner (tie included).
        judge: judge name per comparison.
        n_excluded: comparisons left out for a game missing or not ``ok``.
        strong: a decisive comparison with a strong verdict in either game
            (``[[A>>B]]``-style, see :func:`Comparisons.weighted`).
    """

    question: IntArray
    questions: list[str]
    turn: IntArray
    model_1: IntArray
    model_2: IntArray
    models: list[str]
    outcome: FloatArray
    consistent: npt.NDArray[np.bool_]
    judge: list[str]
    n_excluded: int
    strong: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))

    def __len__(self) -> int:
        return len(self.outcome)

    def weighted(self, strong_weight: int) -> Comparisons:
        """These comparisons with each strong one counted ``strong_weight`` times (Arena-Hard counts 3).

        Repeats keep their question, so the question bootstrap still moves them together.

        >>> g = dict(question_id=1, model_1="a", model_2="b", turn=1, judge="j", prompt="p")
        >>> strong = [PairGame(game=1, winner="model_1", strong=True, **g), PairGame(game=2, winner="model_1", **g)]
        >>> comparisons(strong).weighted(3).outcome.tolist()
        [1.0, 1.0, 1.0]
        """
        if strong_weight < 1:
            raise ValueError(f"strong_weight must be at least 1, got {strong_weight}")
        if strong_weight == 1 or not self.strong.any():
            return self
        take = np.repeat(np.arange(len(self)), np.where(self.strong, strong_weight, 1))
        return replace(
            self,
            question=self.question[take],
            turn=self.turn[take],
            model_1=self.model_1[take],
            model_2=self.model_2[take],
            outcome=self.outcome[take],
            consistent=self.consistent[take],
            judge=[self.judge[i] for i in take],
            strong=self.strong[take],
        )


def comparisons(games: Sequence[PairGame] | pd.DataFrame | JoinedGames, baseline: str | None = None) -> Comparisons:
    """Join games into comparisons and reconcile them as :func:`~judgebench.stats.pairwise_table` counts.

    Args:
        games: pair games, as records, as a game table (:mod:`judgebench.records.columns`) or joined.
        baseline: when set, only comparisons involving it are kept.

    >>> g = dict(question_id=1, model_1="a", model_2="b", turn=1, judge="j", prompt="p")
    >>> c = comparisons([PairGame(game=1, winner="model_2", **g), PairGame(game=2, winner="model_2", **g)])
    >>> c.models, c.outcome.tolist(), c.consistent.tolist()
    (['a', 'b'], [0.0], [True])
    """
    # The last record of each game wins, as in pair_rows_from_games; a game missing or not ok is FastChat's "error".
    joined = join_games(games)
    keys = np.ones(len(joined), dtype=bool)
    if baseline is not None:
        code = joined.models.index(baseline) if baseline in joined.models else -2
        keys = (joined.model_1 == code) | (joined.model_2 == code)
    kept = keys & (joined.g1 != ERROR_CODE) & (joined.g2 != ERROR_CODE)
    used_q = np.unique(joined.qid[kept])
    names = [joined.questions[q] for q in used_q]
    order = sorted(range(len(names)), key=names.__getitem__)
    q_lookup = np.full(len(joined.questions), -1, dtype=np.int64)
    q_lookup[used_q[order]] = np.arange(len(order))
    present = np.unique(np.concatenate([joined.model_1[keys], joined.model_2[keys]]))
    m_lookup = np.full(len(joined.models), -1, dtype=np.int64)
    m_lookup[present] = np.arange(len(present))  # joined.models is sorted, so present codes stay in name order
    g1, g2 = joined.g1[kept], joined.g2[kept]
    same = g1 == g2
    outcome = np.full(int(kept.sum()), 0.5)
    outcome[same & (g1 == WINNERS.index("model_1"))] = 1.0
    outcome[same & (g1 == WINNERS.index("model_2"))] = 0.0
    judges = np.asarray(joined.judges, dtype=object)
    return Comparisons(
        question=q_lookup[joined.qid[kept]],
        questions=[names[i] for i in order],
        turn=joined.turn[kept],
        model_1=m_lookup[joined.model_1[kept]],
        model_2=m_lookup[joined.model_2[kept]],
        models=[joined.models[m] for m in present],
        outcome=outcome,
        consistent=np.asarray(same, dtype=np.bool_),
        judge=list(judges[joined.judge[kept]]),
        n_excluded=int(keys.sum() - kept.sum()),
        strong=np.asarray(same & (outcome != 0.5), dtype=np.bool_) & joined.strong[kept],
    )
