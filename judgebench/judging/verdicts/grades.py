"""1–10 grades written as ``[[8]]``, ``[[8.5]]`` or ``[[7,5]]`` (MT-Bench's single-answer grading).

Reading rules are those of :mod:`judgebench.judging.verdicts.reading`; on top of them a grade
must be on the judge's scale: ``[[8/10]]`` is 8, but ``[[4/5]]`` and ``Rating: 4 out
of 5`` are grades on another scale and are no verdict (re-asked, never rescaled), and
a value outside 1–10 is no verdict, never clipped. A decimal comma is a decimal point
(``7,5`` is 7.5, never 7).
"""

from __future__ import annotations

import re

from judgebench.judging.verdicts.reading import TAIL, Reading, final_verdict, quote

__all__ = ["parse_score", "read_grade"]

_NUM = r"[-+]?\d+(?:[.,]\d+)?"
_SCALE = rf"(?:\s*(?:/|\bout\s+of\b|\bof\b|\bsur\b|\bvon\b|\bde\b)\s*({_NUM}))?"
_DIGIT = re.compile(r"\d")
_INNER = re.compile(rf"\s*(?:\*\*)?({_NUM}){_SCALE}(?:\*\*)?\s*")
_KEYWORDS = (
    r"(?<![a-z])(?:rating|score|grade|verdict|bewertung|punteggio|voto|puntuaci[oó]n|calificaci[oó]n|оценка)"
    r"(?![a-z])|评分|得分|分数|評価"
)
_NEAR = (
    re.compile(rf"(?<!\[)\[\s*({_NUM}){_SCALE}\s*\](?!\])"),  # [8]
    re.compile(rf"(?i)(?:{_KEYWORDS})[\s*:=_\"'：]*(?:is\s+|of\s+)?({_NUM}){_SCALE}"),  # Rating: 8, "score": 7.5
    re.compile(rf"({_NUM})\s*(?:/|\bout\s+of\b|\bsur\b|\bvon\b|\bde\b)\s*({_NUM})[\s.!*)`]*$"),  # … 8/10 at the end
)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _on_scale(value_text: str, scale_text: str | None, shown: str, low: float, high: float) -> Reading:
    value = _number(value_text)
    if scale_text is not None and _number(scale_text) != high:
        return Reading.none(f"{quote(shown)} is a grade out of {scale_text}, not {low:g}–{high:g}", shown)
    if not low <= value <= high:
        return Reading.none(f"{quote(shown)} is outside {low:g}–{high:g}", shown)
    return Reading(value, f"{value:g}")


def read_grade(text: str, low: float = 1.0, high: float = 10.0) -> Reading:
    """Read the final grade of a judge's reply, or say why there is none.

    >>> read_grade("Accurate, a little plain.\\nRating: 7,5")
    Reading(value=7.5, token='7.5', strong=False, problem='')
    >>> read_grade("Vivid and correct.\\nRating: 4 out of 5").problem
    "'Rating: 4 out of 5' is a grade out of 5, not 1–10"
    >>> read_grade("<think>I must end with [[N]], e.g. [[7]] or [[4.5]]. It").problem
    'no final answer after the reasoning block (cut off while reasoning?)'
    """
    found = final_verdict(text, _DIGIT, own="grade")
    if isinstance(found, Reading):
        return found
    answer, tokens = found
    offset = max(0, len(answer) - TAIL)
    near = [m for pattern in _NEAR for m in pattern.finditer(answer, offset)]
    last = max(near, key=lambda m: m.end()) if near else None
    if tokens:
        match = tokens[-1].match(_INNER, "a grade")
        if isinstance(match, Reading):
            return match
        reading = _on_scale(match.group(1), match.group(2), tokens[-1].written, low, high)
        if last is not None and last.start() >= tokens[-1].end:
            # A grade after the last [[N]] that is off the scale is the judge's real final verdict:
            # the [[N]] before it may be quoted, so it is not taken instead.
            after = _on_scale(last.group(1), last.group(2), last.group(0), low, high)
            if after.value is None:
                return after
        return reading
    if last is None:
        return Reading.none("no grade found")
    return _on_scale(last.group(1), last.group(2), last.group(0), low, high)


def parse_score(text: str, low: float = 1.0, high: float = 10.0) -> float | None:
    """Read a grade from a judge's reply; ``None`` when there is no valid final one.

    The last ``[[N]]`` of the final answer decides (a quoted answer's fake verdict comes earlier):

    >>> parse_score("The answer claims [[10]]; it is wrong.\\nRating: [[3]]")
    3.0
    >>> parse_score("Good but verbose. [[7.5]]"), parse_score("Gut. [[7,5]]")
    (7.5, 7.5)
    >>> parse_score("[[ 8 ]]"), parse_score("[[8/10]]"), parse_score("**[[8]]**")
    (8.0, 8.0, 8.0)

    Out of range, another scale or not a number is ``None``, never clipped or rescaled:

    >>> parse_score("[[11]]"), parse_score("[[0]]"), parse_score("[[-1]]"), parse_score("[[4/5]]")
    (None, None, None, None)

    A malformed final verdict is never replaced by an earlier one:

    >>> parse_score("Earlier I thought [[8]]. Final: [[8 out of 5]]") is None
    True
    >>> parse_score("The reply claims [[9]].\\nRating: 4 out of 5") is None
    True

    Only without any ``[[N]]``, near-misses in the last 200 characters (the last one wins):

    >>> parse_score("Solid answer. [8]"), parse_score("Rating: 8/10"), parse_score("**Rating:** 9")
    (8.0, 8.0, 9.0)
    >>> parse_score("Rating: 7,5"), parse_score("Rating: 4 out of 5"), parse_score("All told, 8/10.")
    (7.5, None, 8.0)
    >>> parse_score("Rating: 8" + " filler" * 40) is None  # too far from the end
    True
    >>> parse_score("I cannot rate this."), parse_score("")
    (None, None)
    """
    value = read_grade(text, low, high).value
    return value if isinstance(value, float) else None
