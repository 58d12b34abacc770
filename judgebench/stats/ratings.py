"""Bradley–Terry ratings on the Elo scale, with question-bootstrap intervals and a rank table.

**Model.** Each model ``i`` has a strength ``β_i``; a comparison of ``i`` with
``j`` goes to ``i`` with probability ``σ(β_i − β_j)`` (``σ`` the logistic
function). It is a logistic regression without intercept whose features are
``+1`` for the first model, ``−1`` for the second, and ``0`` elsewhere; the
anchor model's column is dropped, fixing ``β_anchor = 0``. A tie counts as
half a win for each side (Chatbot Arena's convention), so a comparison adds
``y·log σ(β_i−β_j) + (1−y)·log σ(β_j−β_i)`` with ``y ∈ {1, ½, 0}``. The fit is
unpenalised maximum likelihood (:func:`~judgebench.stats.logistic.fit_logistic`,
``scipy.optimize``).

**Elo scale.** ``rating_i = anchor_rating + 400/ln(10) · β_i``, so a 400-point
gap means 10:1 odds, and the anchor (default: the baseline, else the model in
most comparisons) sits at ``anchor_rating`` (default 1000).

**Designs.** Any connected design works: each model against one baseline,
all pairs, or the scattered pairs of human votes. The maximum-likelihood
estimate exists only when the "won at least half a comparison against" graph
is strongly connected (Zermelo's condition): a model that won, or lost, every
comparison with no tie has an infinite rating. Then no ratings are given and
:attr:`Ratings.note` says why.

**Intervals** resample questions (see :mod:`judgebench.stats.bootstrap`) and
refit every replicate (:func:`~judgebench.stats.logistic.newton_replicates`).
A replicate in which the estimate does not exist is left out and counted in
:attr:`Ratings.n_unidentified`. Rank intervals are percentiles of each
model's rank (1 = best) across replicates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from judgebench.records import HumanVote
from judgebench.stats.arrays import FloatArray, IntArray
from judgebench.stats.bootstrap import DEFAULT_BOOTSTRAP, Bootstrap, question_codes
from judgebench.stats.games import Comparisons
from judgebench.stats.logistic import fit_logistic, newton_replicates

__all__ = [
    "ELO_SCALE",
    "Outcomes",
    "Ratings",
    "bradley_terry",
    "outcomes_from_comparisons",
    "outcomes_from_votes",
    "strongly_connected",
]

ELO_SCALE = 400.0 / math.log(10.0)
"""Rating points per unit of log-odds."""


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Pairwise outcomes: ``model_a`` scored ``score`` (1 win, ½ tie, 0 loss) against ``model_b``.

    Attributes:
        question: question code per outcome (into ``questions``).
        questions: question ids as strings.
        model_a, model_b: model codes (into ``models``).
        models: model names.
        score: the first model's result.
    """

    question: IntArray
    questions: list[str]
    model_a: IntArray
    model_b: IntArray
    models: list[str]
    score: FloatArray


def outcomes_from_comparisons(comp: Comparisons) -> Outcomes:
    """Our judge's reconciled comparisons (``model_1`` first)."""
    return Outcomes(comp.question, comp.questions, comp.model_1, comp.model_2, comp.models, comp.outcome)


def outcomes_from_votes(votes: Sequence[HumanVote]) -> Outcomes:
    """Human (or imported) votes; ``tie``, ``tie (bothbad)`` and ``tie (inconsistent)`` are all ties.

    >>> v = HumanVote(question_id=81, model_a="x", model_b="y", winner="tie (bothbad)", judge="author_0", turn=1)
    >>> outcomes_from_votes([v]).score.tolist()
    [0.5]
    """
    codes, questions = question_codes(v.question_id for v in votes)
    models = sorted({v.model_a for v in votes} | {v.model_b for v in votes})
    lookup = {m: i for i, m in enumerate(models)}
    value = {"model_a": 1.0, "model_b": 0.0}
    return Outcomes(
        question=codes,
        questions=questions,
        model_a=np.array([lookup[v.model_a] for v in votes], dtype=np.int64),
        model_b=np.array([lookup[v.model_b] for v in votes], dtype=np.int64),
        models=models,
        score=np.array([value.get(v.winner, 0.5) for v in votes], dtype=np.float64),
    )


@dataclass(frozen=True, eq=False)
class Ratings:
    """Bradley–Terry ratings.

    Attributes:
        table: one row per model (index ``model``), best first: ``rating``,
            ``rating_lo``, ``rating_hi``, ``rank`` (1 + models rated higher),
            ``rank_lo``, ``rank_hi``, ``n`` (its comparisons). Ratings are NaN
            when the estimate does not exist.
        anchor: the model fixed at ``anchor_rating``.
        anchor_rating: the anchor's rating.
        n_comparisons: outcomes used.
        n_questions: questions they come from (the bootstrap's clusters).
        replicates: bootstrap replicates drawn.
        n_unidentified: replicates left out (no finite estimate).
        note: why there are no ratings, if there are none.
    """

    table: pd.DataFrame
    anchor: str
    anchor_rating: float
    n_comparisons: int
    n_questions: int
    replicates: int
    n_unidentified: int
    note: str = ""


def strongly_connected(wins: FloatArray, losses: FloatArray, first: IntArray, second: IntArray, n: int) -> bool:
    """Whether every model reaches every other along "scored against" edges (Zermelo's condition).

    ``wins[p]``/``losses[p]`` are the first model's points for and against in pair ``p``.

    >>> strongly_connected(np.array([1.0]), np.array([0.0]), np.array([0]), np.array([1]), 2)
    False
    >>> strongly_connected(np.array([0.5]), np.array([0.5]), np.array([0]), np.array([1]), 2)
    True
    """
    reach = np.eye(n, dtype=bool)
    reach[first[wins > 0], second[wins > 0]] = True
    reach[second[losses > 0], first[losses > 0]] = True
    for _ in range(max(1, math.ceil(math.log2(max(n, 2)))) + 1):
        reach = (reach.astype(np.float64) @ reach.astype(np.float64)) > 0
    return bool(reach.all())


def _pairs(out: Outcomes) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Orient every outcome as (lower code, higher code) and code the pairs."""
    swap = out.model_a > out.model_b
    lo = np.where(swap, out.model_b, out.model_a)
    hi = np.where(swap, out.model_a, out.model_b)
    y = np.where(swap, 1.0 - out.score, out.score)
    n = len(out.models)
    pair_id, pair_code = np.unique(lo * n + hi, return_inverse=True)
    return pair_id // n, pair_id % n, pair_code.astype(np.int64), y


def bradley_terry(
    out: Outcomes,
    *,
    anchor: str | None = None,
    anchor_rating: float = 1000.0,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> Ratings:
    """Fit Bradley–Terry ratings with intervals and ranks (see the module docs).

    Args:
        out: the outcomes.
        anchor: the model rated ``anchor_rating``; default: the model in the
            most comparisons (a baseline design's baseline), then by name.
        anchor_rating: the anchor's rating.
        bootstrap: replicates, seed and level of the intervals.

    Raises:
        ValueError: ``anchor`` names no model of the outcomes.
    """
    models = out.models
    n_m = len(models)
    count = np.bincount(out.model_a, minlength=n_m) + np.bincount(out.model_b, minlength=n_m)
    if anchor is None:
        anchor = min(models, key=lambda m: (-count[models.index(m)], m)) if models else ""
    elif anchor not in models:
        raise ValueError(f"anchor {anchor!r} is not among the rated models: {', '.join(models)}")
    n_q, n_r = len(out.questions), bootstrap.replicates
    base = {"anchor": anchor, "anchor_rating": anchor_rating, "n_comparisons": len(out.score), "n_questions": n_q}

    def empty(note: str) -> Ratings:
        nan = np.full(n_m, np.nan)
        table = pd.DataFrame(
            {
                "rating": nan,
                "rating_lo": nan,
                "rating_hi": nan,
                "rank": nan,
                "rank_lo": nan,
                "rank_hi": nan,
                "n": count,
            },
            index=pd.Index(models, name="model", dtype=object),
        )
        return Ratings(table=table, replicates=n_r, n_unidentified=n_r, note=note, **base)  # type: ignore[arg-type]

    if n_m < 2:
        return empty("Bradley–Terry needs comparisons between at least two models")
    first, second, pair_code, y = _pairs(out)
    n_p = len(first)
    wins = np.bincount(pair_code, weights=y, minlength=n_p).astype(np.float64)
    trials = np.bincount(pair_code, minlength=n_p).astype(np.float64)
    if not strongly_connected(wins, trials - wins, first, second, n_m):
        return empty(
            "no finite ratings: some model won, or lost, every comparison it was in (without a tie) "
            "or the models fall into unconnected groups"
        )
    a = models.index(anchor)
    keep = [i for i in range(n_m) if i != a]
    design = np.zeros((n_p, n_m))
    design[np.arange(n_p), first] = 1.0
    design[np.arange(n_p), second] = -1.0
    features = design[:, keep]
    coef = fit_logistic(features, wins, trials)
    if coef is None:
        return empty("no finite ratings: the logistic fit did not converge")
    beta = np.zeros(n_m)
    beta[keep] = coef
    rating = anchor_rating + ELO_SCALE * beta

    lo = hi = np.full(n_m, np.nan)
    rank_lo = rank_hi = np.full(n_m, np.nan)
    unidentified = 0
    if n_r:
        weights = bootstrap.weights(n_q)
        flat = out.question * n_p + pair_code
        per_q_wins = np.bincount(flat, weights=y, minlength=n_q * n_p).reshape(n_q, n_p)
        per_q_trials = np.bincount(flat, minlength=n_q * n_p).reshape(n_q, n_p).astype(np.float64)
        rep = newton_replicates(features, weights @ per_q_wins, weights @ per_q_trials, coef)
        ok = np.isfinite(rep).all(axis=1)
        unidentified = int((~ok).sum())
        betas = np.zeros((int(ok.sum()), n_m))
        betas[:, keep] = rep[ok]
        samples = anchor_rating + ELO_SCALE * betas
        lo, hi = bootstrap.interval(samples)
        ranks = 1.0 + (samples[:, None, :] > samples[:, :, None]).sum(axis=2)
        rank_lo, rank_hi = bootstrap.interval(ranks)
    rank = 1 + (rating[None, :] > rating[:, None]).sum(axis=1)
    table = pd.DataFrame(
        {
            "rating": rating,
            "rating_lo": lo,
            "rating_hi": hi,
            "rank": rank.astype(np.float64),
            "rank_lo": rank_lo,
            "rank_hi": rank_hi,
            "n": count,
        },
        index=pd.Index(models, name="model", dtype=object),
    )
    table = table.reset_index().sort_values(["rating", "model"], ascending=[False, True], kind="stable")
    return Ratings(table=table.set_index("model"), replicates=n_r, n_unidentified=unidentified, **base)  # type: ignore[arg-type]
