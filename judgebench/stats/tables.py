"""Score tables: single grades per model, turn and category; pairwise win/loss/tie.

Pure: no I/O, no clock. On FastChat's files both tables give exactly the numbers
of FastChat's ``show_result.py``:

- **single**: rows that are not ``ok`` (FastChat's ``score: -1``) are left out
  and counted; ``turn1``/``turn2`` are the mean grade of each turn;
  ``overall`` is the mean over *all* of the model's graded rows, both turns
  pooled (not the mean of the two turn means; they differ when a turn lost
  rows); ``total`` is their sum (the Vicuna release's "total score").
- **pairwise**: a comparison is the two position-swapped games of one
  (question, turn, model_1, model_2, judge, prompt). A comparison with a game
  missing or not ``ok`` (FastChat's ``"error"``) is excluded and counted. Of
  the rest, a model wins only when both games name it; a tie in game 1 or two
  games that disagree count as a tie for both. ``win_rate = win/n``,
  ``loss_rate = loss/n``, ``win_rate_adjusted = (win + tie/2)/n`` with
  ``n = win + loss + tie``. With a ``baseline``, only comparisons involving it
  count and its own line is dropped.

Judgment files are append-only, so a retried call leaves two lines: the last
record of each key wins (see :func:`latest_judgments`). A comparison is one
(question, turn, *unordered* pair, judge, prompt): a game recorded with the
pair named the other way round (``--baseline`` names it (model, baseline),
``--all-pairs`` in sorted order) is the same game and is counted once
(:func:`latest_games`). FastChat's files hold no such repeats, so this never
changes FastChat's numbers.

Pass one judge's records: the tables do not separate judges (FastChat's files
are one per judge); :attr:`SingleTable.judges` says which were mixed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from judgebench.records import Judgment, PairGame, QuestionId
from judgebench.records.columns import WINNERS

if TYPE_CHECKING:
    from judgebench.stats.games import JoinedGames

__all__ = [
    "FASTCHAT_ERROR",
    "PairKey",
    "PairwiseTable",
    "SingleTable",
    "latest_games",
    "latest_judgments",
    "pair_key",
    "pair_rows_from_games",
    "pairwise_table",
    "single_table",
    "to_records",
]

FASTCHAT_ERROR = "error"
"""FastChat's winner value for a game without a verdict."""

PairKey = tuple[str, int, str, str, str, str]
"""``(str(question_id), turn, model_1, model_2, judge, prompt)``: one comparison."""

SCORE_COLUMNS = ("overall", "total", "n", "n_unparsed", "n_failed")
PAIR_COLUMNS = ("win", "loss", "tie", "n", "win_rate", "loss_rate", "win_rate_adjusted", "n_excluded")


def latest_judgments(judgments: Iterable[Judgment]) -> list[Judgment]:
    """Keep the last record of each (question, model, turn, judge, prompt), in first-seen order.

    >>> a = Judgment(question_id=1, model="m", turn=1, judge="j", prompt="p", status="failed")
    >>> b = Judgment(question_id=1, model="m", turn=1, judge="j", prompt="p", score=7.0)
    >>> [j.score for j in latest_judgments([a, b])]
    [7.0]
    """
    latest: dict[tuple[str, str, int, str, str], Judgment] = {}
    for j in judgments:
        latest[(str(j.question_id), j.model, j.turn, j.judge, j.prompt)] = j
    return list(latest.values())


def _flipped(game: PairGame) -> PairGame:
    """The same game with the pair named the other way round."""
    winner = {"model_1": "model_2", "model_2": "model_1"}.get(game.winner or "", game.winner)
    return replace(
        game,
        model_1=game.model_2,
        model_2=game.model_1,
        game=2 if game.game == 1 else 1,
        winner=winner,  # type: ignore[arg-type]
    )


def latest_games(games: Iterable[PairGame]) -> list[PairGame]:
    """Each game once: the pair named as its comparison was first seen, the last record of each game winning.

    A game is who was shown as A and who as B, so game 1 of (a, b) and game 2
    of (b, a) are one game; the later record is turned to the first-seen
    naming. Order: first-seen.

    >>> g = dict(question_id=1, turn=1, judge="j", prompt="p")
    >>> games = [PairGame(model_1="a", model_2="b", game=1, winner="model_1", **g),
    ...          PairGame(model_1="a", model_2="b", game=2, winner="model_1", **g),
    ...          PairGame(model_1="b", model_2="a", game=1, winner="model_2", **g),
    ...          PairGame(model_1="b", model_2="a", game=2, winner="tie", **g)]
    >>> [(x.model_1, x.game, x.winner) for x in latest_games(games)]
    [('a', 1, 'tie'), ('a', 2, 'model_1')]
    """
    naming: dict[tuple[str, int, frozenset[str], str, str], tuple[str, str]] = {}
    latest: dict[tuple[PairKey, int], PairGame] = {}
    for record in games:
        pair = (record.model_1, record.model_2)
        comparison = (str(record.question_id), record.turn, frozenset(pair), record.judge, record.prompt)
        game = record if naming.setdefault(comparison, pair) == pair else _flipped(record)
        latest[(pair_key(game), game.game)] = game
    return list(latest.values())


def pair_key(game: PairGame) -> PairKey:
    """The comparison a game belongs to (both of its games share it)."""
    return (str(game.question_id), game.turn, game.model_1, game.model_2, game.judge, game.prompt)


def _fastchat_winner(game: PairGame | None) -> str:
    if game is None or game.status != "ok" or game.winner is None:
        return FASTCHAT_ERROR
    return game.winner


def pair_rows_from_games(games: Iterable[PairGame]) -> list[dict[str, Any]]:
    """Join the two games of each comparison into FastChat's one-row pairwise layout.

    Rows come in the order their comparison first appears; a game repeated
    (a retried call, or the pair named the other way round) counts once, its
    last record winning (:func:`latest_games`). A game missing or not
    ``ok`` has winner ``"error"`` (with empty texts when missing), as FastChat
    writes it. ``tstamp`` is the later of the two games'.

    >>> g = dict(question_id=81, model_1="a", model_2="b", turn=1, judge="gpt-4", prompt="pair-v2")
    >>> rows = pair_rows_from_games([PairGame(game=1, winner="model_1", **g), PairGame(game=2, winner="tie", **g)])
    >>> [(r["g1_winner"], r["g2_winner"], r["judge"]) for r in rows]
    [('model_1', 'tie', ['gpt-4', 'pair-v2'])]
    >>> pair_rows_from_games([PairGame(game=2, winner="model_2", **g)])[0]["g1_winner"]
    'error'
    """
    groups: dict[PairKey, dict[int, PairGame]] = {}
    for game in latest_games(games):
        groups.setdefault(pair_key(game), {})[game.game] = game
    rows: list[dict[str, Any]] = []
    for (_, turn, model_1, model_2, judge, prompt), pair in groups.items():
        g1, g2 = pair.get(1), pair.get(2)
        question_id: QuestionId = next(iter(pair.values())).question_id
        rows.append(
            {
                "question_id": question_id,
                "model_1": model_1,
                "model_2": model_2,
                "g1_winner": _fastchat_winner(g1),
                "g2_winner": _fastchat_winner(g2),
                "judge": [judge, prompt],
                "g1_user_prompt": g1.user_prompt if g1 else "",
                "g1_judgment": g1.judgment if g1 else "",
                "g2_user_prompt": g2.user_prompt if g2 else "",
                "g2_judgment": g2.judgment if g2 else "",
                "turn": turn,
                "tstamp": max(g.tstamp for g in pair.values()),
            }
        )
    return rows


@dataclass(frozen=True, eq=False)
class SingleTable:
    """Single-grade results.

    Attributes:
        scores: one row per model (index ``model``), best ``overall`` first
            (NaN last, then by name); columns ``turn1``, ``turn2`` (and
            ``turn3``… when present; NaN when a turn has no graded row),
            ``overall``, ``total``, ``n`` (graded rows), ``n_unparsed``,
            ``n_failed``.
        category_means: mean grade per model (rows, same order) and category
            (columns, sorted), both turns pooled; empty without categories.
        category_counts: graded rows behind each mean.
        judges: the judge ids found in the input.
    """

    scores: pd.DataFrame
    category_means: pd.DataFrame
    category_counts: pd.DataFrame
    judges: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class PairwiseTable:
    """Pairwise results (FastChat counting).

    Attributes:
        models: one row per model (index ``model``), best
            ``win_rate_adjusted`` first; columns ``win``, ``loss``, ``tie``,
            ``n``, ``win_rate``, ``loss_rate``, ``win_rate_adjusted`` (NaN when
            ``n`` is 0) and ``n_excluded`` (its comparisons left out).
        consistency: one row per judge id: ``consistent`` (comparisons whose
            two games name the same winner, tie included), ``n`` (included
            comparisons) and ``rate``.
        baseline: the baseline model, ``None`` for all pairs.
        n_comparisons: comparisons counted (after the baseline filter).
        n_excluded: comparisons left out for a game missing or not ``ok``.
    """

    models: pd.DataFrame
    consistency: pd.DataFrame
    baseline: str | None
    n_comparisons: int
    n_excluded: int


def _sorted(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Best first by ``by`` (NaN last), then by model name."""
    flat = frame.reset_index()
    flat = flat.sort_values(by=[by, "model"], ascending=[False, True], na_position="last", kind="stable")
    return flat.set_index("model")


def single_table(judgments: Sequence[Judgment], categories: Mapping[str, str] | None = None) -> SingleTable:
    """Mean grades per model, turn and category (FastChat's ``show_result.py --mode single``).

    Args:
        judgments: one judge's single-grade records.
        categories: ``str(question_id)`` → category; a judgment whose question
            is not in it falls back to its own ``category`` field, if set.

    >>> js = [Judgment(question_id=q, model="m", turn=t, judge="j", prompt="p", score=s, category="math")
    ...       for q, t, s in [(1, 1, 8.0), (1, 2, 4.0), (2, 1, 9.0)]]
    >>> js.append(Judgment(question_id=2, model="m", turn=2, judge="j", prompt="p", status="unparsed"))
    >>> to_records(single_table(js))
    [{'model': 'm', 'turn1': 8.5, 'turn2': 4.0, 'overall': 7.0, 'total': 21.0, 'n': 3, 'n_unparsed': 1, \
'n_failed': 0, 'category:math': 7.0}]
    """
    rows = latest_judgments(judgments)
    cats = categories or {}
    frame = pd.DataFrame(
        {
            "model": pd.Series([j.model for j in rows], dtype=object),
            "turn": pd.Series([j.turn for j in rows], dtype="int64"),
            "status": pd.Series([j.status for j in rows], dtype=object),
            "score": pd.Series([j.score if j.status == "ok" else math.nan for j in rows], dtype="float64"),
            "category": pd.Series([cats.get(str(j.question_id)) or j.category or None for j in rows], dtype=object),
        }
    )
    models = pd.Index(sorted(set(frame["model"])), name="model", dtype=object)
    graded = frame[frame["status"] == "ok"]
    scores = pd.DataFrame(index=models)
    for turn in sorted({1, 2} | {int(t) for t in graded["turn"]}):
        scores[f"turn{turn}"] = graded[graded["turn"] == turn].groupby("model")["score"].mean()
    by_model = graded.groupby("model")["score"]
    scores["overall"] = by_model.mean()
    scores["total"] = by_model.sum().reindex(models, fill_value=0.0)
    # A reply still cut off at its token limit after re-asking ("truncated") has no verdict: counted as unparsed.
    for column, statuses in (("n", ("ok",)), ("n_unparsed", ("unparsed", "truncated")), ("n_failed", ("failed",))):
        sizes = frame[frame["status"].isin(statuses)].groupby("model").size()
        scores[column] = sizes.reindex(models, fill_value=0).astype("int64")
    scores = _sorted(scores, "overall")

    with_category = graded[graded["category"].notna()]
    by_category = with_category.groupby(["model", "category"])["score"]
    means = by_category.mean().unstack("category").reindex(scores.index)
    counts = by_category.size().unstack("category", fill_value=0).reindex(scores.index, fill_value=0)
    means.columns.name = counts.columns.name = None
    return SingleTable(
        scores=scores,
        category_means=means.sort_index(axis=1),
        category_counts=counts.sort_index(axis=1).astype("int64"),
        judges=tuple(sorted({j.judge for j in rows})),
    )


def pairwise_table(
    games: Sequence[PairGame] | pd.DataFrame | JoinedGames, baseline: str | None = None, strong_weight: int = 1
) -> PairwiseTable:
    """Win/loss/tie per model (FastChat's ``show_result.py --mode pairwise-*``).

    Args:
        games: one judge's pair games (both games of each comparison), as
            records, as a game table (:mod:`judgebench.records.columns`) or joined
            (:func:`~judgebench.stats.games.join_games`).
        baseline: count only comparisons against this model and drop its
            line (``pairwise-baseline``); ``None`` counts every pair.
        strong_weight: a win whose games hold a strong verdict (``[[A>>B]]``)
            counts this many times in ``win``/``loss``/``n`` and the rates, as
            Arena-Hard weights them (it uses 3); 1 counts every comparison once.
            Consistency is never weighted.

    >>> g = dict(question_id=1, model_1="a", model_2="b", turn=1, judge="j", prompt="p")
    >>> t = pairwise_table([PairGame(game=1, winner="model_1", **g), PairGame(game=2, winner="tie", **g)])
    >>> [(r["model"], r["tie"], r["win_rate_adjusted"]) for r in to_records(t)]
    [('a', 1, 0.5), ('b', 1, 0.5)]
    >>> to_records(t.consistency)
    [{'judge': 'j', 'consistent': 0, 'n': 1, 'rate': 0.0}]
    """
    from judgebench.stats.games import ERROR_CODE, join_games

    if strong_weight < 1:
        raise ValueError(f"strong_weight must be at least 1, got {strong_weight}")
    joined = join_games(games)
    keep = np.ones(len(joined), dtype=bool)
    if baseline is not None:
        code = joined.models.index(baseline) if baseline in joined.models else -2
        keep = (joined.model_1 == code) | (joined.model_2 == code)
    # Codes throughout (one bincount per figure); a code -1 (no model, no judge) reads as "".
    models_ = np.asarray([*joined.models, ""], dtype=object)
    judges = np.asarray([*joined.judges, ""], dtype=object)
    m1, m2 = joined.model_1[keep] % len(models_), joined.model_2[keep] % len(models_)
    g1, g2, strong = joined.g1[keep], joined.g2[keep], joined.strong[keep]
    excluded = (g1 == ERROR_CODE) | (g2 == ERROR_CODE)
    counted = ~excluded
    decisive = counted & (g1 == g2) & (g1 != WINNERS.index("tie"))
    weight = np.where(decisive & strong, strong_weight, 1)
    first_won = (decisive & (g1 == WINNERS.index("model_1"))) * weight
    second_won = (decisive & (g1 == WINNERS.index("model_2"))) * weight

    def per_model(first: npt.NDArray[Any], second: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """Sum of ``first`` over each model's comparisons as model_1 plus ``second`` over those as model_2."""
        size = len(models_)
        total = np.bincount(m1, weights=first, minlength=size) + np.bincount(m2, weights=second, minlength=size)
        return total.astype(np.int64)

    ties = counted & ~decisive
    outcomes = pd.DataFrame(
        {
            "win": per_model(first_won, second_won),
            "loss": per_model(second_won, first_won),
            "tie": per_model(ties, ties),
        },
        index=pd.Index(models_, name="model", dtype=object),
    )
    present = np.unique(np.concatenate([m1, m2]))
    names = sorted({str(models_[c]) for c in present.tolist()} - {baseline})
    models = outcomes.loc[pd.Index(names, name="model", dtype=object)].astype("int64")
    models["n"] = models["win"] + models["loss"] + models["tie"]
    n = models["n"].astype("float64").replace(0.0, np.nan)
    models["win_rate"] = models["win"] / n
    models["loss_rate"] = models["loss"] / n
    models["win_rate_adjusted"] = (models["win"] + 0.5 * models["tie"]) / n
    dropped = pd.Series(per_model(excluded, excluded), index=outcomes.index)
    models["n_excluded"] = dropped.loc[models.index].astype("int64")

    same = pd.Series((g1 == g2)[counted].astype("int64"))
    judge = pd.Series(judges[joined.judge[keep][counted]], dtype=object)
    consistency = same.groupby(judge).agg(["sum", "size"]).rename(columns={"sum": "consistent", "size": "n"})
    consistency["rate"] = consistency["consistent"] / consistency["n"]
    consistency.index.name = "judge"
    return PairwiseTable(
        models=_sorted(models, "win_rate_adjusted"),
        consistency=consistency.astype({"consistent": "int64", "n": "int64"}),
        baseline=baseline,
        n_comparisons=int(keep.sum()),
        n_excluded=int(excluded.sum()),
    )


def _plain(value: Any) -> Any:
    """A JSON-able Python value: numpy scalars unwrapped, NaN → ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_records(table: SingleTable | PairwiseTable | pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-able dicts (NaN → ``None``), in the table's order.

    A :class:`SingleTable` row carries its category means as
    ``category:<name>`` keys; a :class:`PairwiseTable` gives its model rows
    (pass ``table.consistency`` for the judges'); any other frame gives its
    index as the first key(s).
    """
    if isinstance(table, SingleTable):
        frame = table.scores.join(table.category_means.add_prefix("category:"))
    elif isinstance(table, PairwiseTable):
        frame = table.models
    else:
        frame = table
    flat = frame.reset_index() if frame.index.name is not None else frame
    return [{str(k): _plain(v) for k, v in row.items()} for row in flat.to_dict(orient="records")]
