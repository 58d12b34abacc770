"""Paired-scoring records (the Vicuna evaluation): one game, both answers scored 1–10 in one prompt.

Each comparison is judged in two games, positions swapped (game 1 shows ``model_1``
as assistant A, game 2 shows ``model_2`` as A). The judge's two scores are stored
mapped back to the pair: ``score_1`` is always ``model_1``'s, ``score_2`` ``model_2``'s,
whatever the order shown. Files: ``results/<bench>/judgments/<judge>_pairscore.jsonl``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from judgebench.records.answers import RecordError
from judgebench.records.judge_calls import PairCall, pair_fields, read_status

__all__ = ["PAIR_SCORE_SCHEMA", "PairScore"]

PAIR_SCORE_SCHEMA = "judgebench.pair_score/1"


def _score(d: Mapping[str, Any], key: str) -> float | None:
    raw = d.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 1 <= raw <= 10:
        raise RecordError(f"field {key!r} must be a number from 1 to 10 or null, got {raw!r}")
    return float(raw)


@dataclass(frozen=True, kw_only=True)
class PairScore(PairCall):
    """One game of a paired-scoring comparison (fields of :class:`~judgebench.records.judge_calls.PairCall` too).

    ``model_1`` is the model shown as A in game 1 (with ``judge --baseline``: the
    baseline, as for pair games), ``model_2`` the one shown as A in game 2.

    Attributes:
        score_1: ``model_1``'s 1–10 score; ``None`` unless ``status`` is ``ok``.
        score_2: ``model_2``'s 1–10 score; ``None`` unless ``status`` is ``ok``.
    """

    score_1: float | None = None
    score_2: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire dict (``schema`` ``judgebench.pair_score/1``)."""
        return self.pair_wire(PAIR_SCORE_SCHEMA, {"score_1": self.score_1, "score_2": self.score_2})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PairScore:
        """Read a paired-scoring record.

        Raises:
            RecordError: a missing or malformed field; an ``ok`` record without both scores.

        >>> r = PairScore.from_dict({"question_id": 1, "model_1": "a", "model_2": "b", "turn": 1, "game": 2,
        ...                          "judge": ["j", "p"], "score_1": 7, "score_2": 9})
        >>> (r.score_1, r.score_2, r.status), PairScore.from_dict(r.to_dict()) == r
        ((7.0, 9.0, 'ok'), True)
        """
        s1, s2 = _score(d, "score_1"), _score(d, "score_2")
        status = read_status(d, "ok" if s1 is not None and s2 is not None else "unparsed")
        if status == "ok" and (s1 is None or s2 is None):
            raise RecordError("an 'ok' pair score needs both 'score_1' and 'score_2'")
        ok = status == "ok"
        return cls(
            score_1=s1 if ok else None,
            score_2=s2 if ok else None,
            **pair_fields(d, status, "the model shown as A in game 1", "the model shown as A in game 2"),
        )
