"""What every verdict reader shares: the :class:`Reading` it returns and how a final verdict is found.

Rules every text format follows (the corpus in ``tests/judging/test_verdict_corpus.py`` holds them to it):

1. Only the final answer is read: a reasoning block (``<think>…</think>``) is cut off
   first (:func:`judgebench.reasoning.split_reasoning`), so formats restated while
   thinking are never verdicts, and a reply cut off inside its reasoning has none.
2. Only the *final* verdict counts. The last double-bracket token decides (earlier
   ones may be quoted from an answer); if it is malformed or off the scale there is
   no verdict and the judge is re-asked — an earlier token is never taken instead.
3. A final list of alternatives (``[[A]], [[B]] or [[C]]``, ``e.g. [[7]] or [[4.5]]``)
   is the format restated, not a verdict.
4. Near-misses (``[8]``, ``Rating: 8/10``) count only without any double-bracket
   token, and only in the reply's last 200 characters; the last one decides, and it
   too must be well formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from judgebench.reasoning import split_reasoning

__all__ = ["TAIL", "Reading", "Slot", "Token", "final_answer", "final_tokens", "final_verdict", "quote"]

Slot = Literal["A", "B", "tie"]
"""A pairwise verdict by display slot (A shown first); see :func:`judgebench.judging.to_pair_winner`."""

TAIL = 200
"""Characters at the end of a reply searched for near-miss verdicts."""

_DOUBLE = re.compile(r"\[\[([^\[\]\n]{0,40})\]\]")
_JOINER = re.compile(r"\s*(?:,|/|\||or|and|oder|ou|o|或)?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What a verdict reader made of one reply.

    Attributes:
        value: the grade (``float``), the winning display slot (``"A"``, ``"B"``,
            ``"tie"``) or a pair of scores (``(A's, B's)``, paired scoring); ``None``
            when the reply holds no readable final verdict.
        token: the verdict as written (``"8.5"``, ``"A>>B"``), or the offending text.
        strong: a pairwise verdict of the strong kind (``[[A>>B]]``); weighted in
            win rates and ratings when the report asks for it.
        problem: why there is no verdict (stored with the re-ask), ``""`` when there is one.
    """

    value: float | Slot | tuple[float, float] | None
    token: str = ""
    strong: bool = False
    problem: str = ""

    @classmethod
    def none(cls, problem: str, token: str = "") -> Reading:
        """No verdict, and why.

        >>> Reading.none("no verdict found")
        Reading(value=None, token='', strong=False, problem='no verdict found')
        """
        return cls(None, token, False, problem)


@dataclass(frozen=True)
class Token:
    """A double-bracket token of a reply's final answer: its inner text and where it ends."""

    inner: str
    start: int
    end: int

    @property
    def written(self) -> str:
        """The token as the reply wrote it, brackets included (shown in problems).

        >>> Token("8, 6", 0, 8).written
        '[[8, 6]]'
        """
        return f"[[{self.inner}]]"

    def match(self, pattern: re.Pattern[str], what: str) -> re.Match[str] | Reading:
        """``pattern`` matched against the whole inner text, or the :class:`Reading` saying it is not ``what``.

        >>> Token("8", 0, 5).match(re.compile(r"\\d+"), "a grade").group(0)
        '8'
        >>> Token("A/B", 0, 7).match(re.compile(r"[ABC]"), "one of [[A]], [[B]], [[C]]").problem
        "'[[A/B]]' is not one of [[A]], [[B]], [[C]]"
        """
        found = pattern.fullmatch(self.inner)
        if found is None:
            return Reading.none(f"{quote(self.written)} is not {what}", self.written)
        return found


def final_answer(text: str) -> str:
    """The part of a reply that verdicts are read from: what follows any reasoning block.

    >>> final_answer("<think>e.g. [[7]]</think>\\nGood. [[8]]")
    'Good. [[8]]'
    """
    return split_reasoning(text).answer


def final_tokens(answer: str, is_candidate: re.Pattern[str] | None = None) -> tuple[list[Token], bool]:
    """The final group of double-bracket tokens, and whether it is a restated format.

    Tokens whose inner text does not match ``is_candidate`` (a template placeholder
    such as ``[[rating]]``) are skipped. The final group is the last token and the
    ones right before it joined only by commas, slashes or "or"; more than one distinct
    token there (``[[A]], [[B]] or [[C]]``) is the format restated, not a verdict.

    >>> [t.inner for t in final_tokens("Quoted [[10]]. Mine: [[3]]")[0]]
    ['3']
    >>> tokens, restated = final_tokens("e.g. [[7]] or [[4.5]]")
    >>> [t.inner for t in tokens], restated
    (['7', '4.5'], True)
    >>> final_tokens("no tokens")
    ([], False)
    >>> [t.inner for t in final_tokens("**Verdict:** [[B]]\\n\\n[[B]]")[0]]
    ['B']
    """
    tokens = [
        Token(m.group(1), m.start(), m.end())
        for m in _DOUBLE.finditer(answer)
        if is_candidate is None or is_candidate.search(m.group(1))
    ]
    if not tokens:
        return [], False
    group = [tokens[-1]]
    for token in reversed(tokens[:-1]):
        between = answer[token.end : group[0].start]
        if not _JOINER.fullmatch(between) or len(between) > 8:
            break
        group.insert(0, token)
    distinct = {re.sub(r"\s+", "", t.inner).lower() for t in group}
    if len(distinct) == 1:
        return [group[-1]], False  # the same verdict said twice is still that verdict
    return group, True


def final_verdict(
    text: str, is_candidate: re.Pattern[str] | None = None, *, own: str = "verdict"
) -> tuple[str, list[Token]] | Reading:
    """A reply's final answer and its final double-bracket tokens, or the :class:`Reading` saying there is none.

    Rules 1 and 3 above, shared by every reader: an empty reply, a reply cut off inside
    its reasoning, and a restated format (``own`` names what the judge owed: "grade",
    "scores", "verdict") are no verdict. ``is_candidate`` is passed to :func:`final_tokens`.

    >>> final_verdict("Fine. [[8]]")
    ('Fine. [[8]]', [Token(inner='8', start=6, end=11)])
    >>> final_verdict("<think>e.g. [[7]]").problem
    'no final answer after the reasoning block (cut off while reasoning?)'
    >>> final_verdict("e.g. [[7]] or [[4.5]]", own="grade").problem
    "'[[7]] or [[4.5]]' restates the format; no grade of its own"
    """
    answer = final_answer(text)
    if not answer.strip():
        if text.strip():
            return Reading.none("no final answer after the reasoning block (cut off while reasoning?)")
        return Reading.none("empty reply")
    tokens, restated = final_tokens(answer, is_candidate)
    if restated:
        shown = answer[tokens[0].start : tokens[-1].end]
        return Reading.none(f"{quote(shown)} restates the format; no {own} of its own", shown)
    return answer, tokens


def quote(text: str, limit: int = 60) -> str:
    """Text as shown in a problem description: one line, at most ``limit`` characters.

    >>> quote("Rating:\\n 4 out of 5")
    "'Rating: 4 out of 5'"
    """
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")
