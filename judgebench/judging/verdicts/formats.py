"""Verdict formats: each one object saying how a judge writes its verdict and how it is read.

A judge prompt names its format in ``output_format``; :func:`verdict_format` looks the
format up by that name and the prompt's kind. A :class:`VerdictFormat` holds the reader
(text → :class:`~judgebench.judging.verdicts.reading.Reading`), the values it yields, the message
that re-asks for a verdict, the JSON schema an API can enforce (structured formats) and
the tokens a probability verdict is read over (formats that support ``--verdict logprobs``).
How readings map to outcomes: a grade is the judgment's ``score``; a pairwise slot maps
to the pair by :func:`judgebench.judging.to_pair_winner`, a strong one marked ``strong``.

Adding a format is one module with its reader (and doctests) plus one entry in :data:`FORMATS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from judgebench.judging.verdicts.grades import read_grade
from judgebench.judging.verdicts.pairs import FIVE_LEVELS, read_five_level, read_winner
from judgebench.judging.verdicts.probabilities import SCORE_VALUES, WINNER_VALUES
from judgebench.judging.verdicts.reading import Reading
from judgebench.judging.verdicts.score_pairs import REASK_MESSAGE_SCORE_PAIR, read_score_pair
from judgebench.judging.verdicts.structured import (
    GRADE_SCHEMA,
    WINNER_SCHEMA,
    VerdictSchema,
    read_json_grade,
    read_json_winner,
)

__all__ = [
    "FIVE_LEVEL",
    "FORMATS",
    "GRADE_10",
    "JSON_GRADE",
    "JSON_WINNER",
    "REASK_MESSAGE_PAIR",
    "REASK_MESSAGE_SINGLE",
    "SCORE_PAIR",
    "TRUNCATED_PREFIX",
    "WINNER_ABC",
    "JudgeKind",
    "VerdictFormat",
    "verdict_format",
]

JudgeKind = Literal["single", "pairwise", "pair-score"]
"""Grade one answer, pick the better of two, or score two answers 1–10 each in one prompt."""

REASK_MESSAGE_SINGLE = (
    "I could not find your grade. Reply with the grade only: one line, nothing else, in exactly this "
    "form: [[N]], where N is an integer from 1 to 10 or a number with one decimal (e.g. [[7]] or [[6.5]])."
)
"""Sent after a single-grade reply from which no grade could be read."""

REASK_MESSAGE_PAIR = (
    "I could not find your verdict. Reply with the verdict only: one line, nothing else, exactly one of "
    "[[A]] (A's reply is better), [[B]] (B's reply is better) or [[C]] (tie)."
)
"""Sent after a pairwise reply from which no verdict could be read."""

REASK_MESSAGE_FIVE = (
    "I could not find your verdict. Reply with the verdict only: one line, nothing else, exactly one of "
    "[[A>>B]] (A is significantly better), [[A>B]] (A is slightly better), [[A=B]] (tie), "
    "[[B>A]] (B is slightly better) or [[B>>A]] (B is significantly better)."
)
REASK_MESSAGE_JSON_GRADE = (
    "I could not find your grade. Reply with the JSON object only, nothing else: "
    '{"reasoning": "<one sentence>", "verdict": N}, where N is a number from 1 to 10.'
)
REASK_MESSAGE_JSON_WINNER = (
    "I could not find your verdict. Reply with the JSON object only, nothing else: "
    '{"reasoning": "<one sentence>", "verdict": "A"}, with "A" or "B" for the better reply, "C" for a tie.'
)
TRUNCATED_PREFIX = "Your reply was cut off by its length limit before the verdict. "
"""Put before the re-ask message when the reply stopped for length."""


@dataclass(frozen=True)
class VerdictFormat:
    """How a judge writes its verdict, and how it is read.

    Attributes:
        name: short name (``grade-10``, ``abc``, ``five-level``, ``json``).
        kind: ``single`` (a grade), ``pairwise`` (a preference) or ``pair-score``
            (two grades, one per answer, in one verdict).
        output_format: what judge prompts write in their ``output_format`` field to use it.
        read: reply text → :class:`~judgebench.judging.verdicts.reading.Reading`.
        values: the verdicts it yields, as written (a grade format: its scale's ends).
        reask: the message that asks for the verdict alone after a reply without one.
        schema: a JSON schema the API enforces (structured output), else ``None``.
        probability_values: the tokens after ``[[`` a probability verdict is read over;
            empty when the format has no probability reading.
    """

    name: str
    kind: JudgeKind
    output_format: str
    read: Callable[[str], Reading]
    values: tuple[str, ...]
    reask: str
    schema: VerdictSchema | None = None
    probability_values: tuple[str, ...] = ()


GRADE_10 = VerdictFormat(
    "grade-10", "single", "[[rating]]", read_grade, ("1", "10"), REASK_MESSAGE_SINGLE, None, SCORE_VALUES
)
"""MT-Bench's 1–10 grade: ``[[8]]``, ``[[8.5]]``, ``[[8,5]]``."""
WINNER_ABC = VerdictFormat(
    "abc", "pairwise", "[[A]]", read_winner, ("A", "B", "C"), REASK_MESSAGE_PAIR, None, WINNER_VALUES
)
"""MT-Bench's pairwise ``[[A]]``/``[[B]]``/``[[C]]`` (tie)."""
FIVE_LEVEL = VerdictFormat("five-level", "pairwise", "[[A>>B]]", read_five_level, FIVE_LEVELS, REASK_MESSAGE_FIVE)
"""Arena-Hard's ``[[A>>B]]`` … ``[[B>>A]]``."""
JSON_GRADE = VerdictFormat(
    "json", "single", "json", read_json_grade, ("1", "10"), REASK_MESSAGE_JSON_GRADE, GRADE_SCHEMA
)
"""``{"reasoning", "verdict": N}``, enforced as structured output where the API can."""
JSON_WINNER = VerdictFormat(
    "json", "pairwise", "json", read_json_winner, ("A", "B", "C"), REASK_MESSAGE_JSON_WINNER, WINNER_SCHEMA
)
"""``{"reasoning", "verdict": "A" | "B" | "C"}``, enforced as structured output where the API can."""

SCORE_PAIR = VerdictFormat(
    "score-pair", "pair-score", "[[A, B]]", read_score_pair, ("1", "10"), REASK_MESSAGE_SCORE_PAIR
)
"""Paired scoring's ``[[8, 6]]``: assistant A's 1–10 score, then B's (no probability reading)."""

FORMATS: tuple[VerdictFormat, ...] = (GRADE_10, WINNER_ABC, FIVE_LEVEL, JSON_GRADE, JSON_WINNER, SCORE_PAIR)
"""Every shipped format."""

_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "[[N]]": "[[rating]]",
        "[[score]]": "[[rating]]",
        "[[A]]/[[B]]/[[C]]": "[[A]]",
        "[[A]], [[B]] or [[C]]": "[[A]]",
        "[[A>B]]": "[[A>>B]]",
        "{reasoning, verdict}": "json",
        "[[8, 6]]": "[[A, B]]",
    }
)


def verdict_format(output_format: str, kind: JudgeKind) -> VerdictFormat:
    """The format a judge prompt's ``output_format`` names, for a prompt of ``kind``.

    Raises:
        KeyError: no shipped format of that kind has that name; the message lists those that do.

    >>> verdict_format("[[rating]]", "single").name, verdict_format("[[A]]", "pairwise").name
    ('grade-10', 'abc')
    >>> verdict_format("json", "pairwise").schema.name
    'pairwise_verdict'
    >>> verdict_format("[[A>>B]]", "single")
    Traceback (most recent call last):
    ...
    KeyError: "output_format '[[A>>B]]' is not a single verdict format; use one of: '[[rating]]', 'json'"
    """
    wanted = _ALIASES.get(output_format.strip(), output_format.strip())
    for fmt in FORMATS:
        if fmt.kind == kind and fmt.output_format == wanted:
            return fmt
    known = ", ".join(repr(f.output_format) for f in FORMATS if f.kind == kind)
    raise KeyError(f"output_format {output_format!r} is not a {kind} verdict format; use one of: {known}")
