"""Question-clustered bootstrap intervals for every score and rate in a report.

**Method.** The resampling unit is the *question*: a replicate draws the
benchmark's ``Q`` questions with replacement (``Q`` draws), and every record of
a drawn question — both turns, both position-swapped games, every model's rows
— enters the replicate as many times as its question was drawn. This keeps
whatever correlates within a question (a hard question lowers every model's
grade; the two turns share a topic; the two games share the answers) inside
the resampled unit, so the intervals are not too narrow the way a row-level
bootstrap's would be. A replicate is therefore a vector of question
multiplicities ``w`` (``Q`` non-negative integers summing to ``Q``), and any
statistic that is a ratio of per-question sums — a mean grade, a win rate, a
consistency rate — is ``(w @ numerator) / (w @ denominator)``: all replicates
at once are one matrix product, which is why 100,000 records × 1,000
replicates take well under a second.

**Intervals** are percentile intervals: the ``(1-level)/2`` and
``(1+level)/2`` quantiles of the replicate values (95 % by default). A
replicate in which a statistic is undefined (its model has no row on the drawn
questions) is left out of that statistic's quantiles.

**Seeding.** :func:`question_weights` draws from
``numpy.random.default_rng(seed)``; the same ``(seed, Q, replicates)`` give the
same multiplicities, so every section of one report resamples the same
questions and reruns reproduce to the last digit.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from judgebench.records import Judgment, PairGame
from judgebench.stats.arrays import FloatArray, IntArray
from judgebench.stats.games import Comparisons, comparisons
from judgebench.stats.tables import latest_judgments

__all__ = [
    "DEFAULT_BOOTSTRAP",
    "Bootstrap",
    "pairwise_intervals",
    "percentile_interval",
    "question_codes",
    "question_weights",
    "ratio_interval",
    "single_intervals",
]


@dataclass(frozen=True)
class Bootstrap:
    """How intervals are drawn.

    Attributes:
        replicates: resamples of the questions (0: no intervals).
        seed: seed of the ``numpy.random.Generator``.
        level: coverage of the percentile interval.
    """

    replicates: int = 1000
    seed: int = 0
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.replicates < 0:
            raise ValueError(f"replicates must be ≥ 0, got {self.replicates}")
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level}")

    def weights(self, n_questions: int) -> FloatArray:
        """This seed's :func:`question_weights` of ``n_questions``: ``replicates × n_questions``."""
        return question_weights(n_questions, self.replicates, self.seed)

    def interval(self, samples: FloatArray) -> tuple[FloatArray, FloatArray]:
        """:func:`percentile_interval` of ``samples`` (replicates × statistics) at this level."""
        return percentile_interval(samples, self.level)


DEFAULT_BOOTSTRAP = Bootstrap()
"""1,000 replicates, seed 0, 95 %."""


def question_codes(question_ids: Iterable[object]) -> tuple[IntArray, list[str]]:
    """Code each record's question as ``0..Q-1`` (questions in sorted order of ``str(id)``).

    >>> question_codes([3, "1", 3, 2])
    (array([2, 0, 2, 1]), ['1', '2', '3'])
    """
    keys = [str(q) for q in question_ids]
    names = sorted(set(keys))
    index = {k: i for i, k in enumerate(names)}
    return np.array([index[k] for k in keys], dtype=np.int64), names


def question_weights(n_questions: int, replicates: int, seed: int) -> FloatArray:
    """Multiplicities of each question in each replicate: a ``replicates × n_questions`` matrix.

    Each row sums to ``n_questions`` (a draw of that many questions with replacement).

    >>> w = question_weights(5, 3, seed=0)
    >>> w.shape, w.sum(axis=1).tolist()
    ((3, 5), [5.0, 5.0, 5.0])
    >>> bool((question_weights(5, 3, seed=0) == w).all())
    True
    """
    if n_questions == 0 or replicates == 0:
        return np.zeros((replicates, n_questions))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_questions, size=(replicates, n_questions))
    flat = draws + n_questions * np.arange(replicates)[:, None]
    counts = np.bincount(flat.ravel(), minlength=replicates * n_questions).reshape(replicates, n_questions)
    return counts.astype(np.float64)


def percentile_interval(samples: FloatArray, level: float = 0.95) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of each column of ``samples`` (replicates × statistics), NaNs left out.

    >>> lo, hi = percentile_interval(np.arange(101.0)[:, None], 0.9)
    >>> round(float(lo[0]), 9), round(float(hi[0]), 9)
    (5.0, 95.0)
    """
    if samples.shape[0] == 0:
        nan = np.full(samples.shape[1:], np.nan)
        return nan, nan.copy()
    tail = (1.0 - level) / 2.0 * 100.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a statistic undefined in every replicate
        if np.isnan(samples).any():
            lo, hi = np.nanpercentile(samples, [tail, 100.0 - tail], axis=0)
        else:
            lo, hi = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def ratio_replicates(numerator: FloatArray, denominator: FloatArray, weights: FloatArray) -> FloatArray:
    """``(w @ numerator) / (w @ denominator)`` for every replicate (NaN where the denominator is 0)."""
    num = weights @ numerator
    den = weights @ denominator
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def ratio_interval(
    numerator: FloatArray, denominator: FloatArray, weights: FloatArray, level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Interval of ``sum(numerator) / sum(denominator)`` under question resampling.

    Args:
        numerator: per-question sums, ``Q × K`` (``K`` statistics at once).
        denominator: per-question counts, ``Q × K``.
        weights: :func:`question_weights`, ``R × Q``.
        level: interval coverage.
    """
    return percentile_interval(ratio_replicates(numerator, denominator, weights), level)


def _per_question(codes: IntArray, column: IntArray, width: int, n_questions: int, values: FloatArray) -> FloatArray:
    """Sum ``values`` into a ``Q × width`` matrix at ``(codes, column)``."""
    flat = codes * width + column
    sums = np.bincount(flat, weights=values, minlength=n_questions * width)
    return sums.reshape(n_questions, width).astype(np.float64)


def _frame(index: Sequence[str], columns: Mapping[str, tuple[FloatArray, FloatArray]]) -> pd.DataFrame:
    data: dict[str, FloatArray] = {}
    for name, (lo, hi) in columns.items():
        data[f"{name}_lo"], data[f"{name}_hi"] = lo, hi
    return pd.DataFrame(data, index=pd.Index(list(index), name="model", dtype=object))


def single_intervals(
    judgments: Sequence[Judgment], categories: Mapping[str, str] | None = None, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP
) -> pd.DataFrame:
    """Intervals of every grade of :func:`~judgebench.stats.single_table`.

    Returns one row per model with a graded row (index ``model``) and columns
    ``turn<k>_lo``/``_hi``, ``overall_lo``/``_hi`` and
    ``category:<name>_lo``/``_hi``. Rows follow the table's rules (last record
    per key, only ``ok`` grades). Empty when ``bootstrap.replicates`` is 0.

    >>> js = [Judgment(question_id=q, model="m", turn=1, judge="j", prompt="p", score=float(q)) for q in range(1, 11)]
    >>> iv = single_intervals(js, bootstrap=Bootstrap(200, seed=1))
    >>> bool(3.0 < iv.loc["m", "overall_lo"] < 5.5 < iv.loc["m", "overall_hi"] < 8.0)
    True
    """
    rows = [j for j in latest_judgments(judgments) if j.status == "ok" and j.score is not None]
    if bootstrap.replicates == 0 or not rows:
        return pd.DataFrame(index=pd.Index([], name="model", dtype=object))
    cats = categories or {}
    codes, questions = question_codes(j.question_id for j in rows)
    models = sorted({j.model for j in rows})
    lookup = {m: i for i, m in enumerate(models)}
    model_code = np.array([lookup[j.model] for j in rows], dtype=np.int64)
    turns = sorted({1, 2} | {j.turn for j in rows})
    turn_code = np.array([turns.index(j.turn) for j in rows], dtype=np.int64)
    scores = np.array([j.score for j in rows], dtype=np.float64)
    ones = np.ones_like(scores)
    n_q, n_m, n_t = len(questions), len(models), len(turns)
    weights = question_weights(n_q, bootstrap.replicates, bootstrap.seed)

    cell = model_code * n_t + turn_code
    sums = _per_question(codes, cell, n_m * n_t, n_q, scores)
    counts = _per_question(codes, cell, n_m * n_t, n_q, ones)
    # Columns: per (model, turn), then per model pooled over turns.
    pooled_sums = sums.reshape(n_q, n_m, n_t).sum(axis=2)
    pooled_counts = counts.reshape(n_q, n_m, n_t).sum(axis=2)
    lo, hi = ratio_interval(
        np.hstack([sums, pooled_sums]), np.hstack([counts, pooled_counts]), weights, bootstrap.level
    )
    columns: dict[str, tuple[FloatArray, FloatArray]] = {}
    for t, turn in enumerate(turns):
        columns[f"turn{turn}"] = (lo[t : n_m * n_t : n_t], hi[t : n_m * n_t : n_t])
    columns["overall"] = (lo[n_m * n_t :], hi[n_m * n_t :])

    row_cats = [cats.get(str(j.question_id)) or j.category or None for j in rows]
    names = sorted({c for c in row_cats if c})
    if names:
        has = np.array([c is not None for c in row_cats])
        cat_code = np.array([names.index(c) if c else 0 for c in row_cats], dtype=np.int64)
        width = n_m * len(names)
        cell = model_code[has] * len(names) + cat_code[has]
        c_sums = _per_question(codes[has], cell, width, n_q, scores[has])
        c_counts = _per_question(codes[has], cell, width, n_q, ones[has])
        c_lo, c_hi = ratio_interval(c_sums, c_counts, weights, bootstrap.level)
        for k, name in enumerate(names):
            columns[f"category:{name}"] = (c_lo[k :: len(names)], c_hi[k :: len(names)])
    return _frame(models, columns)


def pairwise_intervals(
    games: Sequence[PairGame] | Comparisons, baseline: str | None = None, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Intervals of :func:`~judgebench.stats.pairwise_table`'s rates, and of each judge's consistency.

    Args:
        games: the judge's games, or their :func:`comparisons` made with the same ``baseline``.
        baseline: as for the table.
        bootstrap: interval settings.

    Returns:
        ``(models, consistency)``: per model (index ``model``, the baseline
        left out) ``win_rate_lo``/``_hi``, ``loss_rate_…`` and
        ``win_rate_adjusted_…``; per judge (index ``judge``) ``rate_lo``/``_hi``.
    """
    empty = pd.DataFrame(index=pd.Index([], name="model", dtype=object))
    comp = games if isinstance(games, Comparisons) else comparisons(games, baseline)
    if bootstrap.replicates == 0 or len(comp) == 0:
        return empty, pd.DataFrame(index=pd.Index([], name="judge", dtype=object))
    n_q, n_m = len(comp.questions), len(comp.models)
    weights = question_weights(n_q, bootstrap.replicates, bootstrap.seed)
    decisive = comp.outcome != 0.5
    tie = (~decisive).astype(np.float64)
    # Each comparison counts once for each of its two models.
    q = np.concatenate([comp.question, comp.question])
    m = np.concatenate([comp.model_1, comp.model_2])
    win = np.concatenate([decisive & (comp.outcome == 1.0), decisive & (comp.outcome == 0.0)]).astype(np.float64)
    loss = np.concatenate([decisive & (comp.outcome == 0.0), decisive & (comp.outcome == 1.0)]).astype(np.float64)
    ties = np.concatenate([tie, tie])
    n = _per_question(q, m, n_m, n_q, np.ones_like(win))
    wins = _per_question(q, m, n_m, n_q, win)
    losses = _per_question(q, m, n_m, n_q, loss)
    adjusted = wins + 0.5 * _per_question(q, m, n_m, n_q, ties)
    lo, hi = ratio_interval(np.hstack([wins, losses, adjusted]), np.hstack([n, n, n]), weights, bootstrap.level)
    models = _frame(
        comp.models,
        {
            "win_rate": (lo[:n_m], hi[:n_m]),
            "loss_rate": (lo[n_m : 2 * n_m], hi[n_m : 2 * n_m]),
            "win_rate_adjusted": (lo[2 * n_m :], hi[2 * n_m :]),
        },
    )
    if baseline is not None:
        models = models.drop(index=baseline, errors="ignore")
    judge_names, judge_code = np.unique(np.asarray(comp.judge, dtype=object), return_inverse=True)
    judges = [str(j) for j in judge_names.tolist()]
    judge_code = judge_code.astype(np.int64).reshape(-1)
    same = _per_question(comp.question, judge_code, len(judges), n_q, comp.consistent.astype(np.float64))
    total = _per_question(comp.question, judge_code, len(judges), n_q, np.ones(len(comp)))
    c_lo, c_hi = ratio_interval(same, total, weights, bootstrap.level)
    consistency = pd.DataFrame({"rate_lo": c_lo, "rate_hi": c_hi}, index=pd.Index(judges, name="judge", dtype=object))
    return models, consistency
