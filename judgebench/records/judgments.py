"""The verdicts judges return: single grades (:class:`Judgment`) and pairwise games (:class:`PairGame`).

On disk (``results/<bench>/judgments/<judge-slug>_single.jsonl`` and
``…_pair.jsonl``) every line is one judge call's outcome, so a crash loses at
most the calls in flight. Single grades use FastChat's single-judgment fields;
a pairwise comparison is two :class:`PairGame` lines (game 1: ``model_1``
shown as assistant A; game 2: positions swapped), which FastChat's one-row
``g1_*``/``g2_*`` layout is built from on export. The fields every judge-call
record shares, and what its ``status`` means, are in :mod:`judgebench.records.judge_calls`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from judgebench.records.answers import RecordError, _require
from judgebench.records.judge_calls import (
    UNREADABLE,
    UNREADABLE_FIX,
    JudgeCall,
    JudgmentStatus,
    PairCall,
    Reask,
    call_fields,
    pair_fields,
    read_status,
)
from judgebench.records.judge_prompts import JUDGE_PROMPT_SCHEMA, JudgePrompt

__all__ = [
    "JUDGE_PROMPT_SCHEMA",
    "JUDGMENT_SCHEMA",
    "PAIR_GAME_SCHEMA",
    "UNREADABLE",
    "UNREADABLE_FIX",
    "JudgePrompt",
    "Judgment",
    "JudgmentStatus",
    "PairGame",
    "Reask",
    "Winner",
]

JUDGMENT_SCHEMA = "judgebench.judgment/1"
PAIR_GAME_SCHEMA = "judgebench.pair_game/1"

Winner = Literal["model_1", "model_2", "tie"]
"""Who won, named by position in the pair (never by display slot A/B)."""


@dataclass(frozen=True, kw_only=True)
class Judgment(JudgeCall):
    """A judge's 1–10 grade of one model's answer to one turn of one question (fields of :class:`JudgeCall` too).

    Attributes:
        model: the judged model's name (its answers file's ``model_id``).
        score: the grade, ``None`` unless ``status`` is ``ok``.
    """

    model: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """FastChat's single-judgment fields (``score`` null, not -1, when unscored) plus ours."""
        return self.wire(JUDGMENT_SCHEMA, {"model": self.model}, {"score": self.score})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Judgment:
        """Read ours or FastChat's (whose ``score: -1`` marks a parse failure)."""
        raw = d.get("score")
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int | float)):
            raise RecordError(f"field 'score' must be a number or null, got {type(raw).__name__}")
        score = None if raw is None or raw == -1 else float(raw)
        status = read_status(d, "ok" if score is not None else "unparsed")
        if status == "ok" and score is None:
            raise RecordError("an 'ok' judgment needs a score")
        return cls(
            model=_require(d, "model", str, "the judged model's name"),
            score=score if status == "ok" else None,
            **call_fields(d, status),
        )


@dataclass(frozen=True, kw_only=True)
class PairGame(PairCall):
    """One game of a pairwise comparison (each pair judged twice, positions swapped; fields of :class:`PairCall` too).

    Attributes:
        winner: the verdict mapped back to the pair, ``None`` unless ``ok``.
        verdict: the verdict as the judge wrote it, by display slot (``"A"``, ``"A>>B"``);
            written only when set.
        strong: a strong verdict (``[[A>>B]]``, ``[[B>>A]]``), which reports may weight
            (``--strong-weight``); written only when true.
    """

    winner: Winner | None = None
    verdict: str | None = None
    strong: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Our pair-game wire dict."""
        extra: dict[str, Any] = {}
        if self.verdict is not None:
            extra["verdict"] = self.verdict
        if self.strong:
            extra["strong"] = True
        return self.pair_wire(PAIR_GAME_SCHEMA, {"winner": self.winner}, extra)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PairGame:
        """Read a pair-game record (FastChat rows are split into games on import)."""
        winner = d.get("winner")
        if winner not in (None, "model_1", "model_2", "tie"):
            raise RecordError(f"field 'winner' must be model_1, model_2, tie or null, got {winner!r}")
        status = read_status(d, "ok" if winner is not None else "unparsed")
        if status == "ok" and winner is None:
            raise RecordError("an 'ok' game needs a winner")
        return cls(
            winner=winner if status == "ok" else None,
            verdict=None if d.get("verdict") is None else str(d["verdict"]),
            strong=bool(d.get("strong", False)) and status == "ok",
            **pair_fields(d, status, "the pair's first model", "the pair's second model"),
        )
