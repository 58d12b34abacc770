"""Verdicts: the formats judges write them in, how each is read, and verdicts read from token probabilities.

Pure and doctested. Modules:

- :mod:`~judgebench.judging.verdicts.reading`: :class:`Reading` and the rules every text format follows
  (only the final answer, only its final verdict, restated formats are not verdicts);
- :mod:`~judgebench.judging.verdicts.grades`: 1–10 grades (``[[8]]``, ``[[8.5]]``, ``[[7,5]]``);
- :mod:`~judgebench.judging.verdicts.pairs`: ``[[A]]``/``[[B]]``/``[[C]]`` and Arena-Hard's five levels;
- :mod:`~judgebench.judging.verdicts.score_pairs`: paired scoring's two grades in one verdict (``[[8, 6]]``);
- :mod:`~judgebench.judging.verdicts.structured`: ``{"reasoning", "verdict"}`` JSON (structured output);
- :mod:`~judgebench.judging.verdicts.probabilities`: verdicts from the judge's token distribution;
- :mod:`~judgebench.judging.verdicts.formats`: :class:`VerdictFormat`, one object per format, looked up by
  a judge prompt's ``output_format``.

:mod:`judgebench.judging` re-exports what the pipeline uses.
"""

from __future__ import annotations

from judgebench.judging.verdicts.formats import (
    FIVE_LEVEL,
    FORMATS,
    GRADE_10,
    JSON_GRADE,
    JSON_WINNER,
    REASK_MESSAGE_PAIR,
    REASK_MESSAGE_SINGLE,
    SCORE_PAIR,
    TRUNCATED_PREFIX,
    WINNER_ABC,
    JudgeKind,
    VerdictFormat,
    verdict_format,
)
from judgebench.judging.verdicts.grades import parse_score, read_grade
from judgebench.judging.verdicts.pairs import FIVE_LEVELS, parse_winner, read_five_level, read_winner
from judgebench.judging.verdicts.probabilities import (
    SCORE_VALUES,
    VERDICT_CLOSER,
    VERDICT_OPENER,
    WINNER_VALUES,
    score_from_logprobs,
    verdict_only,
    winner_from_logprobs,
)
from judgebench.judging.verdicts.reading import Reading, Slot
from judgebench.judging.verdicts.score_pairs import ScorePair, parse_score_pair, read_score_pair
from judgebench.judging.verdicts.structured import GRADE_SCHEMA, WINNER_SCHEMA, VerdictSchema

Verdict = Slot
"""A pairwise verdict by display slot (A shown first); see :func:`judgebench.judging.to_pair_winner`."""

__all__ = [
    "FIVE_LEVEL",
    "FIVE_LEVELS",
    "FORMATS",
    "GRADE_10",
    "GRADE_SCHEMA",
    "JSON_GRADE",
    "JSON_WINNER",
    "REASK_MESSAGE_PAIR",
    "REASK_MESSAGE_SINGLE",
    "SCORE_PAIR",
    "SCORE_VALUES",
    "TRUNCATED_PREFIX",
    "VERDICT_CLOSER",
    "VERDICT_OPENER",
    "WINNER_ABC",
    "WINNER_SCHEMA",
    "WINNER_VALUES",
    "JudgeKind",
    "Reading",
    "ScorePair",
    "Slot",
    "Verdict",
    "VerdictFormat",
    "VerdictSchema",
    "parse_score",
    "parse_score_pair",
    "parse_winner",
    "read_five_level",
    "read_grade",
    "read_score_pair",
    "read_winner",
    "score_from_logprobs",
    "verdict_format",
    "verdict_only",
    "winner_from_logprobs",
]
