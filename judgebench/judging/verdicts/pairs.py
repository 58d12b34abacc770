"""Pairwise verdicts: ``[[A]]``/``[[B]]``/``[[C]]`` (MT-Bench) and Arena-Hard's five levels.

Both read the final double-bracket token of the final answer (rules in
:mod:`judgebench.judging.verdicts.reading`). The five-level format says how much better:
``[[A>>B]]`` (A is significantly better), ``[[A>B]]`` (slightly better), ``[[A=B]]``
(tie), ``[[B>A]]``, ``[[B>>A]]``; a strong verdict is marked ``strong`` so that win
rates and ratings can weight it (Arena-Hard counts it three times).
"""

from __future__ import annotations

import re

from judgebench.judging.verdicts.reading import TAIL, Reading, Slot, final_verdict, quote

__all__ = ["FIVE_LEVELS", "parse_winner", "read_five_level", "read_winner"]

FIVE_LEVELS: tuple[str, ...] = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
"""Arena-Hard's verdicts, best for A first."""

_WINNER_INNER = re.compile(r"\s*(?:\*\*)?\s*(A|B|C|tie)\s*(?:\*\*)?\s*", re.IGNORECASE)
_WINNER_NEAR = (
    re.compile(r"(?<!\[)\[\s*(A|B|C|(?i:tie))\s*\](?!\])"),
    re.compile(r"(?i)\"(?:verdict|winner)\"\s*:\s*\"(A|B|C|tie)\""),
)
_WINNER_CANDIDATE = re.compile(r"^[^\d]{1,16}$")
_FIVE_CANDIDATE = re.compile(r"[<>=]")
_FIVE: dict[str, tuple[Slot, bool]] = {
    "A>>B": ("A", True), "A>B": ("A", False), "A=B": ("tie", False), "B>A": ("B", False), "B>>A": ("B", True),
    "B<<A": ("A", True), "B<A": ("A", False), "B=A": ("tie", False), "A<B": ("B", False), "A<<B": ("B", True),
    "A==B": ("tie", False),
}  # fmt: skip


def _slot(token: str) -> Slot:
    token = token.upper()
    return "A" if token == "A" else "B" if token == "B" else "tie"


def read_winner(text: str) -> Reading:
    """Read the final ``[[A]]``, ``[[B]]`` or ``[[C]]`` (tie) of a judge's reply, or say why there is none.

    >>> read_winner("B is concrete, A generic.\\n[[B]]").value
    'B'
    >>> read_winner("<think>\\nI have to finish with exactly one of [[A]], [[B]] or [[C]]. The").problem
    'no final answer after the reasoning block (cut off while reasoning?)'
    >>> read_winner("Reply with [[A]], [[B]] or [[C]].").problem
    "'[[A]], [[B]] or [[C]]' restates the format; no verdict of its own"
    """
    found = final_verdict(text, _WINNER_CANDIDATE)
    if isinstance(found, Reading):
        return found
    answer, tokens = found
    if tokens:
        match = tokens[-1].match(_WINNER_INNER, "one of [[A]], [[B]], [[C]]")
        if isinstance(match, Reading):
            return match
        return Reading(_slot(match.group(1)), match.group(1).upper())
    tail = answer[-TAIL:]
    near = [m for pattern in _WINNER_NEAR for m in pattern.finditer(tail)]
    if not near:
        return Reading.none("no verdict found")
    token = max(near, key=lambda m: m.end()).group(1)
    return Reading(_slot(token), token.upper())


def parse_winner(text: str) -> Slot | None:
    """Read a pairwise verdict (``[[C]]`` is a tie); ``None`` when there is no valid final one.

    The last double-bracket verdict of the final answer decides:

    >>> parse_winner("B wrote '[[A]]' to trick you. A is wrong.\\n[[B]]")
    'B'
    >>> parse_winner("[[C]]"), parse_winner("[[Tie]]"), parse_winner("Final verdict: **[[A]]**")
    ('tie', 'tie', 'A')

    A malformed final verdict, or the format restated, is no verdict:

    >>> parse_winner("[[A]] at first; finally [[D]]"), parse_winner("Pick [[A]], [[B]] or [[C]]")
    (None, None)

    Only without one, single brackets in the last 200 characters:

    >>> parse_winner("A is better. [A]"), parse_winner("[B]"), parse_winner("Even. [C]")
    ('A', 'B', 'tie')
    >>> parse_winner("Both are fine."), parse_winner("[[A/B]]")
    (None, None)
    """
    value = read_winner(text).value
    return value if isinstance(value, str) else None


def read_five_level(text: str) -> Reading:
    """Read Arena-Hard's final ``[[A>>B]]`` … ``[[B>>A]]`` verdict, or say why there is none.

    >>> r = read_five_level("My final verdict is: [[B>>A]]")
    >>> r.value, r.token, r.strong
    ('B', 'B>>A', True)
    >>> read_five_level("Assistant A is slightly better: [[A>B]]").strong
    False
    >>> read_five_level("[[A=B]]").value
    'tie'
    >>> read_five_level("Use one of [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]].").value is None
    True
    >>> read_five_level("[[A>B]] hmm, final: [[A]]").problem
    "no five-level verdict found ('[[A]]' is not one)"
    """
    found = final_verdict(text)
    if isinstance(found, Reading):
        return found
    _, tokens = found
    if not tokens:
        return Reading.none("no verdict found")
    inner = tokens[-1].inner
    if not _FIVE_CANDIDATE.search(inner):
        return Reading.none(f"no five-level verdict found ({quote(tokens[-1].written)} is not one)", inner)
    key = re.sub(r"\s+", "", inner).upper()
    if key not in _FIVE:
        return Reading.none(f"{quote(tokens[-1].written)} is not one of {', '.join(FIVE_LEVELS)}", inner)
    slot, strong = _FIVE[key]
    label = {("A", True): "A>>B", ("A", False): "A>B", ("tie", False): "A=B", ("B", False): "B>A"}
    return Reading(slot, label.get((slot, strong), "B>>A"), strong)
