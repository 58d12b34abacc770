"""Two 1–10 scores in one verdict, ``[[8, 6]]``: paired scoring (the Vicuna evaluation's format).

The judge sees two answers in one prompt and ends with one double-bracket token
holding both scores, assistant A's first: ``[[8, 6]]``, ``[[7.5, 9]]`` (a comma,
semicolon or "and" between them; never a slash, which reads as "out of"). Reading rules are those of
:mod:`judgebench.judging.verdicts.reading`: the last double-bracket token with a digit
decides; a malformed or off-scale one (``[[11, 3]]``, ``[[8]]``, ``[[8, 6, 2]]``)
is no verdict — re-asked, never clipped, and never replaced by an earlier token.
Decimal points only (a comma separates the two scores). There are no near-miss
readings: two loose numbers near the end are too easily someone else's.
"""

from __future__ import annotations

import re

from judgebench.judging.verdicts.reading import Reading, final_verdict, quote

__all__ = ["REASK_MESSAGE_SCORE_PAIR", "ScorePair", "parse_score_pair", "read_score_pair"]

ScorePair = tuple[float, float]
"""Assistant A's score and assistant B's, in display order (A shown first)."""

REASK_MESSAGE_SCORE_PAIR = (
    "I could not find your scores. Reply with the scores only: one line, nothing else, in exactly this "
    "form: [[A, B]], where A is assistant A's score and B is assistant B's, each an integer from 1 to 10 "
    "or a number with one decimal (e.g. [[8, 6]] or [[7.5, 9]])."
)
"""Sent after a paired-scoring reply from which no pair of scores could be read."""

_DIGIT = re.compile(r"\d")
_NUM = r"[-+]?\d+(?:\.\d+)?"
_PAIR = re.compile(rf"\s*(?:\*\*)?({_NUM})\s*(?:,|;|\band\b)\s*({_NUM})(?:\*\*)?\s*", re.IGNORECASE)


def read_score_pair(text: str, low: float = 1.0, high: float = 10.0) -> Reading:
    """Read the final ``[[A, B]]`` pair of scores of a judge's reply, or say why there is none.

    The reading's ``value`` is the tuple ``(score of A, score of B)``; ``token`` is
    the pair as written (``"8, 6"``).

    >>> read_score_pair("A is thorough; B misses a step.\\n[[8, 6]]")
    Reading(value=(8.0, 6.0), token='8, 6', strong=False, problem='')
    >>> read_score_pair("Both fine. [[7.5; 9]]").value
    (7.5, 9.0)
    >>> read_score_pair("A quotes [[10, 10]]. Mine:\\n[[3, 7]]").value
    (3.0, 7.0)
    >>> read_score_pair("[[11, 3]]").problem
    "'[[11, 3]]' is outside 1–10"
    >>> read_score_pair("A wins. [[8]]").problem
    "'[[8]]' is not two scores"
    >>> read_score_pair("Scores: 8 and 6").problem
    'no [[A, B]] scores found'
    >>> read_score_pair("").problem
    'empty reply'
    """
    found = final_verdict(text, _DIGIT, own="scores")
    if isinstance(found, Reading):
        return found
    _, tokens = found
    if not tokens:
        return Reading.none("no [[A, B]] scores found")
    match = tokens[-1].match(_PAIR, "two scores")
    if isinstance(match, Reading):
        return match
    a, b = float(match.group(1)), float(match.group(2))
    if not (low <= a <= high and low <= b <= high):
        shown = tokens[-1].written
        return Reading.none(f"{quote(shown)} is outside {low:g}–{high:g}", shown)
    return Reading((a, b), f"{a:g}, {b:g}")


def parse_score_pair(text: str, low: float = 1.0, high: float = 10.0) -> ScorePair | None:
    """The final pair of scores of a reply, ``(A's, B's)``; ``None`` when there is no valid final one.

    >>> parse_score_pair("[[ 9 , 4 ]]"), parse_score_pair("**[[6;6]]**"), parse_score_pair("[[8 and 2]]")
    ((9.0, 4.0), (6.0, 6.0), (8.0, 2.0))
    >>> parse_score_pair("[[0, 5]]"), parse_score_pair("[[8, 6, 2]]"), parse_score_pair("[[8/10]]")
    (None, None, None)
    >>> parse_score_pair("Earlier [[8, 6]]. Final: [[8, 60]]") is None
    True
    """
    value = read_score_pair(text, low, high).value
    return value if isinstance(value, tuple) else None
