"""Paired scoring (the Vicuna evaluation): both answers scored 1–10 in one prompt, summed per pair.

**Source.** The Vicuna release (LMSYS, March 2023) showed a question's two answers
to GPT-4 in one prompt, took a score out of 10 for each, summed the scores of a
(baseline, model) pair over the questions ("Vicuna-13B 638 vs ChatGPT 693, 92 %
of ChatGPT's total"), and counted which answer scored higher (win / tie / loss).

**What differs here.** Every comparison is scored in **both orders** (game 1
shows the model as assistant A, game 2 shows the baseline as A), and each
answer's two scores are averaged; a comparison counts only when both games gave
both scores (otherwise it is *excluded*, and counted). How much the order moved
the scores is reported: ``first_position_bonus`` is the mean over answers of
(score when shown first − score when shown second), ``order_shift`` the mean of
its absolute value.

**Per (baseline, model) pair**: the two totals of averaged scores, the model's
total as a percentage of the baseline's, and win / tie / loss by the averaged
scores — a *tie* when they differ by at most ``tie_threshold`` points.
Intervals are question-clustered percentile bootstrap intervals
(:mod:`judgebench.stats.bootstrap`; :mod:`judgebench.stats.relative` for the
percentage).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from judgebench.stats.bootstrap import DEFAULT_BOOTSTRAP, Bootstrap, ratio_interval
from judgebench.stats.relative import relative_total

__all__ = ["ScoredGame", "paired_table"]


@dataclass(frozen=True)
class ScoredGame:
    """One game of a paired-scoring comparison: both answers' scores, as the judge gave them.

    Attributes:
        question_id: the question.
        turn: the turn compared (1-based).
        baseline: the baseline model.
        model: the model compared with it.
        game: 1 (the model shown as assistant A) or 2 (the baseline shown as A).
        model_score: the model's 1–10 score (``None``: no verdict).
        baseline_score: the baseline's 1–10 score (``None``: no verdict).
    """

    question_id: str | int
    turn: int
    baseline: str
    model: str
    game: Literal[1, 2]
    model_score: float | None
    baseline_score: float | None


def _rate_interval(
    questions: list[str], rows: list[tuple[str, float]], total: dict[str, float], boot: Bootstrap
) -> tuple[float | None, float | None]:
    if boot.replicates == 0 or not questions:
        return None, None
    index = {q: i for i, q in enumerate(questions)}
    num = np.zeros((len(questions), 1))
    den = np.zeros((len(questions), 1))
    for q, value in rows:
        num[index[q], 0] += value
    for q, count in total.items():
        den[index[q], 0] += count
    lo, hi = ratio_interval(num, den, boot.weights(len(questions)), boot.level)
    return (None if np.isnan(lo[0]) else float(lo[0])), (None if np.isnan(hi[0]) else float(hi[0]))


def paired_table(
    games: Sequence[ScoredGame], tie_threshold: float = 0.0, bootstrap: Bootstrap = DEFAULT_BOOTSTRAP
) -> list[dict[str, Any]]:
    """The Vicuna table: one row per (baseline, model) pair, sorted by baseline then model.

    The last game of each (question, turn, baseline, model, game) counts.

    Args:
        games: the paired-scoring games (both orders).
        tie_threshold: averaged scores at most this many points apart are a tie (≥ 0).
        bootstrap: interval settings (0 replicates: no ``_lo``/``_hi`` columns).

    Returns:
        Rows with ``baseline``, ``model``, ``n`` (comparisons counted), ``excluded``,
        ``model_total``, ``baseline_total``, ``relative_pct`` (model total as % of
        the baseline's), ``wins``, ``ties``, ``losses``, ``win_rate``, ``tie_rate``,
        ``loss_rate``, ``first_position_bonus`` and ``order_shift`` (points), with
        ``relative_pct_lo``/``_hi``, ``win_rate_…``/``tie_rate_…``/``loss_rate_…`` and
        ``first_position_bonus_…`` intervals (the bonus's: the bootstrap of the mean
        over answers, questions resampled).

    Raises:
        ValueError: a negative ``tie_threshold``.
    """
    if tie_threshold < 0:
        raise ValueError(f"tie_threshold must be ≥ 0, got {tie_threshold}")
    latest: dict[tuple[str, int, str, str], dict[int, ScoredGame]] = {}
    for g in games:
        latest.setdefault((str(g.question_id), g.turn, g.baseline, g.model), {})[g.game] = g
    pairs = sorted({(k[2], k[3]) for k in latest})
    questions = sorted({k[0] for k in latest})
    rows = []
    for baseline, model in pairs:
        mine = {k: v for k, v in latest.items() if (k[2], k[3]) == (baseline, model)}
        avg_model: dict[tuple[str, int], float] = {}
        avg_base: dict[tuple[str, int], float] = {}
        shifts: list[tuple[str, float]] = []
        excluded = 0
        for (q, turn, _, _), by_game in sorted(mine.items()):
            g1, g2 = by_game.get(1), by_game.get(2)
            scores = [s for g in (g1, g2) if g is not None for s in (g.model_score, g.baseline_score)]
            if g1 is None or g2 is None or any(s is None for s in scores):
                excluded += 1
                continue
            m1, b1, m2, b2 = (float(s) for s in scores if s is not None)
            avg_model[(q, turn)], avg_base[(q, turn)] = (m1 + m2) / 2, (b1 + b2) / 2
            shifts += [(q, m1 - m2), (q, b2 - b1)]  # each answer: shown first minus shown second
        rel = relative_total(avg_model, avg_base, bootstrap, questions)
        diffs = [(k[0], avg_model[k] - avg_base[k]) for k in sorted(avg_model)]
        wins = [(q, float(d > tie_threshold)) for q, d in diffs]
        ties = [(q, float(abs(d) <= tie_threshold)) for q, d in diffs]
        losses = [(q, float(d < -tie_threshold)) for q, d in diffs]
        n = len(diffs)
        per_question: dict[str, float] = {}
        for q, _ in diffs:
            per_question[q] = per_question.get(q, 0.0) + 1.0
        n_wins, n_losses = int(sum(w for _, w in wins)), int(sum(v for _, v in losses))
        row: dict[str, Any] = {
            "baseline": baseline,
            "model": model,
            "n": n,
            "excluded": excluded,
            "model_total": rel.total,
            "baseline_total": rel.reference_total,
            "relative_pct": rel.pct,
        }
        if bootstrap.replicates:
            row |= {"relative_pct_lo": rel.pct_lo, "relative_pct_hi": rel.pct_hi}
        row |= {"wins": n_wins, "ties": n - n_wins - n_losses, "losses": n_losses}
        for name, hits in (("win_rate", wins), ("tie_rate", ties), ("loss_rate", losses)):
            count = int(sum(h for _, h in hits))
            row[name] = count / n if n else None
            if bootstrap.replicates:
                row[f"{name}_lo"], row[f"{name}_hi"] = _rate_interval(questions, hits, per_question, bootstrap)
        row["first_position_bonus"] = sum(v for _, v in shifts) / len(shifts) if shifts else None
        if bootstrap.replicates:
            answers = {q: 2 * c for q, c in per_question.items()}  # two answers per comparison
            lo, hi = _rate_interval(questions, shifts, answers, bootstrap)
            row["first_position_bonus_lo"], row["first_position_bonus_hi"] = lo, hi
        row["order_shift"] = sum(abs(v) for _, v in shifts) / len(shifts) if shifts else None
        rows.append(row)
    return rows
