"""Verdicts read from a judge's token probabilities instead of its text.

A judge that can report log-probabilities is asked for the verdict alone; the
distribution over the verdict tokens right after ``[[`` gives an expected
1–10 grade, or P(A), P(B), P(tie) — a verdict that never fails to parse.
Pure and doctested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

from judgebench.judging.verdicts.reading import Slot
from judgebench.records import Message

__all__ = [
    "SCORE_VALUES",
    "VERDICT_CLOSER",
    "VERDICT_OPENER",
    "WINNER_VALUES",
    "score_from_logprobs",
    "verdict_only",
    "winner_from_logprobs",
]

Verdict = Slot


# --- verdicts from token probabilities ---------------------------------------------------

VERDICT_OPENER = "[["
"""What a verdict starts with; the judge's next token after it is the verdict."""
VERDICT_CLOSER = "]]"
SCORE_VALUES: tuple[str, ...] = tuple(str(n) for n in range(1, 11))
"""The grades a judge's token distribution is read over (integers 1–10)."""
WINNER_VALUES: tuple[str, ...] = ("A", "B", "C")
"""Pairwise verdicts (``C``: tie)."""

_VERDICT_ONLY = {
    "single": "Reply with the grade only, at once and with nothing else: [[N]], N an integer from 1 to 10.",
    "pairwise": "Reply with the verdict only, at once and with nothing else: [[A]], [[B]] or [[C]] (tie).",
}


def verdict_only(messages: Sequence[Message], kind: Literal["single", "pairwise"]) -> list[Message]:
    """The judge messages, asking for the verdict alone (for verdicts read from probabilities).

    The request is appended to the last user message (some chat templates refuse two user
    turns in a row), so the reply starts with the verdict.

    >>> verdict_only([Message("system", "s"), Message("user", "grade this")], "single")[-1].content[:32]
    'grade this\\n\\nReply with the grade'
    """
    *head, last = messages
    return [*head, Message(last.role, f"{last.content}\n\n{_VERDICT_ONLY[kind]}")]


def _probabilities(logprobs: Mapping[str, float], values: Sequence[str]) -> dict[str, float]:
    """Renormalise ``exp(logprob)`` over ``values``; empty when none has any mass."""
    finite = {v: logprobs[v] for v in values if v in logprobs and math.isfinite(logprobs[v])}
    if not finite:
        return {}
    top = max(finite.values())
    weights = {v: math.exp(lp - top) for v, lp in finite.items()}
    total = sum(weights.values())
    return {v: weights.get(v, 0.0) / total for v in values}


def score_from_logprobs(logprobs: Mapping[str, float]) -> tuple[float, dict[str, float]] | None:
    """Expected grade under the judge's distribution over 1–10, and that distribution.

    The probabilities of the ten grades are renormalised to sum to one (mass on other
    tokens is ignored); ``None`` when the judge gave none of them any probability.

    >>> score, p = score_from_logprobs({"7": math.log(0.3), "8": math.log(0.3), "x": 0.0})
    >>> round(score, 6), round(p["7"], 6), p["1"]
    (7.5, 0.5, 0.0)
    >>> score_from_logprobs({"11": -0.1, "ten": -2.0}) is None
    True
    """
    p = _probabilities(logprobs, SCORE_VALUES)
    if not p:
        return None
    return sum(int(v) * q for v, q in p.items()), p


def winner_from_logprobs(logprobs: Mapping[str, float]) -> tuple[Verdict, dict[str, float]] | None:
    """The most probable pairwise verdict and P(A), P(B), P(C = tie), renormalised.

    An exact tie between A and B is a tie; ``None`` when no verdict has any probability.

    >>> verdict, p = winner_from_logprobs({"A": math.log(0.6), "B": math.log(0.2), "C": math.log(0.2)})
    >>> verdict, round(p["A"], 6)
    ('A', 0.6)
    >>> winner_from_logprobs({"B": -0.1})[0], winner_from_logprobs({"A": -1.0, "B": -1.0})[0]
    ('B', 'tie')
    >>> winner_from_logprobs({}) is None
    True
    """
    p = _probabilities(logprobs, WINNER_VALUES)
    if not p:
        return None
    best = max(p, key=lambda v: p[v])
    if best == "C" or p["A"] == p["B"] == p[best]:
        return "tie", p
    return ("A" if best == "A" else "B"), p
