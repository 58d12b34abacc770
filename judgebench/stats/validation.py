"""Does a judge agree with human experts as often as a reference judge (GPT-4) did?

Both judges are compared with the same human votes on the same items
(question, model pair, turn): the *agreement with ties* of
:func:`~judgebench.stats.agreement.agreement` (the share of (judge vote, human
vote) pairs with the same verdict, ties included). The question is answered
by the **difference** ``d = rate(judge) − rate(reference)`` and its paired,
question-clustered percentile bootstrap interval ``[lo, hi]`` (the same
resampled questions for both judges), against a stated margin ``δ``
(default 0.05, five points of agreement):

- ``yes`` when ``lo ≥ −δ``: the judge is at worst ``δ`` below the reference;
- ``no`` when ``hi < −δ``: the judge is surely more than ``δ`` below;
- ``can't tell`` otherwise (too few items to decide), and always when fewer than
  :data:`MIN_QUESTIONS` questions hold vote pairs: a bootstrap over a handful of
  questions collapses to a point and would give a firm answer from noise.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, Literal

import numpy as np

from judgebench.records import HumanVote
from judgebench.stats.agreement import _vote_pairs
from judgebench.stats.bootstrap import (
    DEFAULT_BOOTSTRAP,
    Bootstrap,
    question_codes,
)

__all__ = ["DEFAULT_MARGIN", "MIN_QUESTIONS", "Item", "Verdict", "as_good_as", "item_of", "on_items"]

DEFAULT_MARGIN = 0.05
"""How far below the reference's agreement still counts as "as often" (a share, 0.05 = 5 points)."""

MIN_QUESTIONS = 10
"""Fewest questions (the bootstrap's clusters) with vote pairs for a ``yes`` or ``no``."""

Item = tuple[str, int, str, str]
"""``(question id as text, turn, model, model)``, the two models sorted."""

Verdict = Literal["yes", "no", "can't tell"]


def item_of(v: HumanVote) -> Item:
    """The item a vote is on, whichever model was shown first.

    >>> item_of(HumanVote(81, "b", "a", "tie", "expert_0", 2))
    ('81', 2, 'a', 'b')
    """
    first, second = sorted((v.model_a, v.model_b))
    return str(v.question_id), v.turn, first, second


def on_items(votes: Iterable[HumanVote], items: Collection[Item]) -> list[HumanVote]:
    """The votes on ``items``."""
    return [v for v in votes if item_of(v) in items]


def _per_question(
    votes: Sequence[HumanVote], humans: Sequence[HumanVote], index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Agreeing vote pairs and vote pairs (with ties) per question code."""
    agree, total = np.zeros(len(index)), np.zeros(len(index))
    for question, _turn, _item, va, vb in _vote_pairs(votes, humans):
        total[index[question]] += 1
        agree[index[question]] += va == vb
    return agree, total


def as_good_as(
    judge: Sequence[HumanVote],
    reference: Sequence[HumanVote],
    humans: Sequence[HumanVote],
    *,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    margin: float = DEFAULT_MARGIN,
) -> dict[str, Any]:
    """Whether ``judge`` agrees with ``humans`` as often as ``reference`` does (module docs give the rule).

    Pass the three on the same items (:func:`on_items`) for a like-for-like answer.

    Returns:
        ``judge_rate``, ``reference_rate``, ``difference`` with ``difference_lo``/``_hi``,
        ``n_pairs_judge``, ``n_pairs_reference``, ``n_questions``, ``margin`` and
        ``verdict`` (``yes``, ``no`` or ``can't tell``; ``can't tell`` without intervals
        or without vote pairs).

    >>> h = [HumanVote(q, "a", "b", "model_a", "expert_0") for q in range(1, 41)]
    >>> ref = [HumanVote(q, "a", "b", "model_a", "gpt4_pair") for q in range(1, 41)]
    >>> bad = [HumanVote(q, "a", "b", "model_b", "judge") for q in range(1, 41)]
    >>> as_good_as(ref, ref, h)["verdict"], as_good_as(bad, ref, h)["verdict"]
    ('yes', 'no')
    >>> as_good_as(bad[:1] + ref[1:2], ref[:2], h[:2])["verdict"]
    "can't tell"
    >>> as_good_as(bad[:5], ref[:5], h[:5])["verdict"]  # 5 questions: too few for a firm answer
    "can't tell"
    """
    _, names = question_codes(v.question_id for v in humans)
    index = {name: i for i, name in enumerate(names)}
    j_agree, j_total = _per_question(judge, humans, index)
    r_agree, r_total = _per_question(reference, humans, index)
    out: dict[str, Any] = {
        "judge_rate": float(j_agree.sum() / j_total.sum()) if j_total.sum() else None,
        "reference_rate": float(r_agree.sum() / r_total.sum()) if r_total.sum() else None,
        "difference": None,
        "difference_lo": None,
        "difference_hi": None,
        "n_pairs_judge": int(j_total.sum()),
        "n_pairs_reference": int(r_total.sum()),
        "n_questions": int(((j_total > 0) | (r_total > 0)).sum()),
        "margin": margin,
        "verdict": "can't tell",
    }
    if out["judge_rate"] is None or out["reference_rate"] is None:
        return out
    out["difference"] = out["judge_rate"] - out["reference_rate"]
    if not bootstrap.replicates:
        return out
    weights = bootstrap.weights(len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = (weights @ j_agree) / (weights @ j_total) - (weights @ r_agree) / (weights @ r_total)
    lo, hi = bootstrap.interval(diff[:, None])
    out["difference_lo"], out["difference_hi"] = float(lo[0]), float(hi[0])
    if out["n_questions"] < MIN_QUESTIONS:
        return out
    if lo[0] >= -margin:
        out["verdict"] = "yes"
    elif hi[0] < -margin:
        out["verdict"] = "no"
    return out
