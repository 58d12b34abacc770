"""Pairwise votes by people (or imported from elsewhere): MT-Bench's human-judgment format.

The public MT-Bench human judgments (``lmsys/mt_bench_human_judgments``) hold
one vote a row: ``question_id``, ``model_a``, ``model_b``, ``winner``
(``model_a``, ``model_b``, ``tie``, ``tie (bothbad)``, or for GPT-4's
position-inconsistent verdicts ``tie (inconsistent)``), ``judge`` (e.g.
``author_0``, ``expert_12``, or ``gpt4_pair`` for GPT-4's verdicts) and
``turn``; other fields (the conversations) are ignored. A vote has no second,
position-swapped game: it is one verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from judgebench import __version__
from judgebench.records.answers import QuestionId, RecordError, _require

__all__ = ["HUMAN_VOTE_SCHEMA", "VOTE_WINNERS", "HumanVote", "VoteWinner"]

HUMAN_VOTE_SCHEMA = "judgebench.human_vote/1"

VoteWinner = Literal["model_a", "model_b", "tie", "tie (bothbad)", "tie (inconsistent)"]
VOTE_WINNERS: tuple[str, ...] = ("model_a", "model_b", "tie", "tie (bothbad)", "tie (inconsistent)")
"""Every label the MT-Bench human-judgment release uses; ``tie (inconsistent)`` marks GPT-4
verdicts that changed with the answers' order (its ``gpt4_pair`` split)."""


@dataclass(frozen=True)
class HumanVote:
    """One person's (or one imported judge's) verdict on two models' answers to one turn.

    Attributes:
        question_id: the question.
        model_a: the model shown as A.
        model_b: the model shown as B.
        winner: ``model_a``, ``model_b``, ``tie``, ``tie (bothbad)`` (both
            poor) or ``tie (inconsistent)`` (a judge whose verdict flipped
            with the order); the three ties count the same in every statistic.
        judge: who voted (``author_0``, ``expert_3``, ``gpt4_pair``…).
        turn: 1-based turn compared.
    """

    question_id: QuestionId
    model_a: str
    model_b: str
    winner: VoteWinner
    judge: str
    turn: int = 1

    @property
    def is_tie(self) -> bool:
        """Whether the vote is a tie (of either kind)."""
        return self.winner.startswith("tie")

    def to_dict(self) -> dict[str, Any]:
        """The wire dict: the MT-Bench human-judgment fields plus ``schema`` and version."""
        return {
            "question_id": self.question_id,
            "model_a": self.model_a,
            "model_b": self.model_b,
            "winner": self.winner,
            "judge": self.judge,
            "turn": self.turn,
            "schema": HUMAN_VOTE_SCHEMA,
            "judgebench_version": __version__,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HumanVote:
        """Read a vote; numbers written as text (as in CSV) are accepted for ``question_id`` and ``turn``.

        >>> HumanVote.from_dict({"question_id": "81", "model_a": "x", "model_b": "y", "winner": "tie",
        ...                      "judge": "expert_0", "turn": "2"}).turn
        2
        """
        qid = _require(d, "question_id", (int, str), "the question voted on")
        if isinstance(qid, str) and qid.strip().isdigit():
            qid = int(qid)
        judge = _require(d, "judge", (str, list), "who voted, e.g. author_0")
        if isinstance(judge, list):  # FastChat writes GPT-4's as [model, prompt]
            if not judge or not isinstance(judge[0], str):
                raise RecordError("field 'judge' must be a name or [model, prompt]")
            judge = judge[0]
        winner = _require(d, "winner", str, "model_a, model_b, tie, tie (bothbad) or tie (inconsistent)")
        if winner not in VOTE_WINNERS:
            raise RecordError(f"field 'winner' must be one of {', '.join(VOTE_WINNERS)}, got {winner!r}")
        raw_turn = d.get("turn", 1)
        if isinstance(raw_turn, str) and raw_turn.strip().isdigit():
            raw_turn = int(raw_turn)
        if isinstance(raw_turn, bool) or not isinstance(raw_turn, int) or raw_turn < 1:
            raise RecordError(f"field 'turn' must be 1 or more, got {raw_turn!r}")
        model_a = _require(d, "model_a", str, "the model shown as A")
        model_b = _require(d, "model_b", str, "the model shown as B")
        if not model_a or not model_b or model_a == model_b:
            raise RecordError(f"model_a and model_b must be two different names, got {model_a!r} and {model_b!r}")
        return cls(
            question_id=qid,
            model_a=model_a,
            model_b=model_b,
            winner=winner,
            judge=judge,
            turn=raw_turn,
        )
