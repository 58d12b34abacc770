"""What every judge-call record shares: its status, its provenance, its identity fields and their wire form.

A judge-call record (:class:`~judgebench.records.Judgment`,
:class:`~judgebench.records.PairGame`, :class:`~judgebench.records.PairScore`) is
one judge call's outcome for one turn of one question. The fields all of them
carry are declared once here (:class:`JudgeCall`, and :class:`PairCall` for the
two pair kinds), with their one wire form (:meth:`JudgeCall.wire`,
:func:`call_fields`); each kind adds its verdict fields. The key order of the
wire dicts is fixed: records written by any version re-serialise byte for byte.

A judgment's ``status`` is a value, never a sentinel score:

- ``ok``: a verdict was parsed (``score`` / ``winner`` / ``score_1``, ``score_2`` set);
- ``unparsed``: the judge answered but no verdict could be read, even after
  re-asking; the raw text is kept, the row is excluded from statistics and
  counted in reports; a rerun does not pay for it again;
- ``truncated``: the judge's last reply stopped at its token limit
  (``finish_reason`` ``length``, ``stop_reason`` ``max_tokens``) even after
  re-asking with a larger limit; kept, excluded and counted like ``unparsed``;
- ``failed``: the call itself failed (reason in ``error``); a rerun retries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from judgebench import __version__
from judgebench.records.answers import QuestionId, RecordError, Usage, _require

N = TypeVar("N", int, float)

__all__ = [
    "STATUSES",
    "UNREADABLE",
    "UNREADABLE_FIX",
    "JudgeCall",
    "JudgmentStatus",
    "PairCall",
    "Reask",
    "call_fields",
    "pair_fields",
    "read_status",
]

JudgmentStatus = Literal["ok", "unparsed", "truncated", "failed"]
UNREADABLE = frozenset({"unparsed", "truncated"})
"""Statuses of a judgment whose call was answered but whose verdict could not be read."""
UNREADABLE_FIX = "rerun with --retry-unparsed or change the verdict format (--prompts)"
"""What to do about unreadable judgments: ask them again (``judge --retry-unparsed``), or use a prompt
whose verdict format the judge follows."""
STATUSES: tuple[JudgmentStatus, ...] = ("ok", "unparsed", "truncated", "failed")
"""Every judgment status, in report order."""


def _judge_pair(d: Mapping[str, Any]) -> tuple[str, str]:
    judge = _require(d, "judge", (list, str), "[judge model, prompt name]")
    if isinstance(judge, str):
        return judge, str(d.get("prompt", ""))
    if len(judge) != 2 or not all(isinstance(x, str) for x in judge):
        raise RecordError("field 'judge' must be [judge model, prompt name]")
    return judge[0], judge[1]


def read_status(d: Mapping[str, Any], default: JudgmentStatus) -> JudgmentStatus:
    """``d['status']`` (``default`` when absent: older and FastChat's records carry none).

    Raises:
        RecordError: a status other than those of :data:`STATUSES`.
    """
    status = d.get("status", default)
    if status not in STATUSES:
        raise RecordError(f"field 'status' must be one of {', '.join(STATUSES)}, got {status!r}")
    return status  # type: ignore[no-any-return]


def _turn(d: Mapping[str, Any]) -> int:
    turn = _require(d, "turn", int, "1 for the first turn, 2 for the second…")
    if turn < 1:
        raise RecordError(f"field 'turn' must be 1 or more, got {turn}")
    return int(turn)


@dataclass(frozen=True)
class Reask:
    """A judge reply that held no readable verdict, and why the judge was asked again.

    Attributes:
        reply: the judge's reply, verbatim.
        reason: why it was no verdict (``"'Rating: 4 out of 5' is a grade out of 5, not 1–10"``,
            ``"cut off at 2048 tokens (finish_reason 'length')"``).
        finish_reason: the API's finish reason for that reply, if it gave one.
    """

    reply: str
    reason: str
    finish_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire dict."""
        return {"reply": self.reply, "reason": self.reason, "finish_reason": self.finish_reason}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Reask:
        """Read one re-ask entry."""
        if not isinstance(d, Mapping):
            raise RecordError("field 'reasks' must hold objects with 'reply' and 'reason'")
        reason = d.get("finish_reason")
        return cls(str(d.get("reply", "")), str(d.get("reason", "")), None if reason is None else str(reason))


@dataclass(frozen=True, kw_only=True)
class JudgeCall:
    """Fields every judge-call record carries: what was judged, by whom, how it went, and its provenance.

    Attributes:
        question_id: the question.
        turn: 1-based turn judged.
        judge: the judge's model id.
        prompt: the judge prompt's name.
        status: ``ok``, ``unparsed``, ``truncated`` or ``failed`` (see module docs).
        judgment: the judge's full reply (the last one, if re-asked).
        user_prompt: the rendered message the judge saw.
    """

    question_id: QuestionId
    turn: int
    judge: str
    prompt: str
    status: JudgmentStatus = "ok"
    judgment: str = ""
    user_prompt: str = ""
    key: str = ""
    """Call key: hash of what the judge was sent — judge id, rendered messages, decoding.

    Pair games written before the identity model keyed them by these *and* the
    game number; both forms are read (see :func:`judgebench.pipeline.judge_plan.call_key`)."""
    error: str | None = None
    attempts: int = 1
    """Judge calls made for this verdict (1 + re-asks after unparsable replies; 0 when ``reused``)."""
    reasks: tuple[Reask, ...] = ()
    """The replies that were re-asked, oldest first, each with the reason (written only when any)."""
    finish_reason: str | None = None
    """The API's finish reason for the last reply (written only when known)."""
    reused: bool = False
    """The verdict was copied from an earlier call with the same ``key`` (same prompt, same judge), not bought."""
    answer_hashes: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Judged model → hash of its answer's turns up to the judged one, as the judge saw them;
    a report leaves out a verdict whose answer has changed since (stale). Empty in older records."""
    category: str = ""
    usage: Usage = field(default_factory=Usage)
    tstamp: float = 0.0
    judgebench_version: str = __version__

    def wire(
        self,
        schema: str,
        about: Mapping[str, Any],
        verdict: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The wire dict: ``question_id``, ``about`` (who was judged), the call, ``verdict``, ``extra``, provenance.

        ``verdict`` goes after ``judgment`` (FastChat's place for ``score``), ``extra``
        after ``status``; the key order is the one every version has written.
        """
        d: dict[str, Any] = {
            "question_id": self.question_id,
            **about,
            "judge": [self.judge, self.prompt],
            "user_prompt": self.user_prompt,
            "judgment": self.judgment,
            **(verdict or {}),
            "turn": self.turn,
            "tstamp": self.tstamp,
            "schema": schema,
            "status": self.status,
            **(extra or {}),
        }
        extra_provenance: dict[str, Any] = {"reused": True} if self.reused else {}
        if self.answer_hashes:
            extra_provenance["answer_hashes"] = dict(self.answer_hashes)
        d.update(
            {
                "key": self.key,
                **extra_provenance,
                "error": self.error,
                "attempts": self.attempts,
                "category": self.category,
                "usage": self.usage.to_dict(),
                "judgebench_version": self.judgebench_version,
            }
        )
        if self.reasks:
            d["reasks"] = [r.to_dict() for r in self.reasks]
        if self.finish_reason is not None:
            d["finish_reason"] = self.finish_reason
        return d


def call_fields(d: Mapping[str, Any], status: JudgmentStatus) -> dict[str, Any]:
    """The :class:`JudgeCall` fields read from wire dict ``d`` (``status`` already decided by the kind).

    Raises:
        RecordError: a missing or malformed field.
    """
    judge, prompt = _judge_pair(d)
    reasks = d.get("reasks") or []
    if not isinstance(reasks, list):
        raise RecordError("field 'reasks' must be a list of {reply, reason}")
    finish = d.get("finish_reason")
    return {
        "question_id": _require(d, "question_id", (int, str), "the question judged"),
        "turn": _turn(d),
        "judge": judge,
        "prompt": prompt,
        "status": status,
        "judgment": str(d.get("judgment") or ""),
        "user_prompt": str(d.get("user_prompt") or ""),
        "key": str(d.get("key", "")),
        "error": d.get("error"),
        "attempts": _number(d, "attempts", int, 1),
        "reasks": tuple(Reask.from_dict(r) for r in reasks),
        "finish_reason": None if finish is None else str(finish),
        "reused": bool(d.get("reused", False)),
        "answer_hashes": _answer_hashes(d.get("answer_hashes")),
        "category": str(d.get("category", "")),
        "usage": Usage.from_dict(d.get("usage") or {}),
        "tstamp": _number(d, "tstamp", float, 0.0),
        "judgebench_version": str(d.get("judgebench_version", "")),
    }


def _number(d: Mapping[str, Any], key: str, kind: type[N], default: N) -> N:
    """``kind(d[key])`` (``default`` when absent); a value it cannot read is a :class:`RecordError`."""
    try:
        return kind(d.get(key, default))
    except (TypeError, ValueError):
        raise RecordError(f"field {key!r} must be a number ({kind.__name__}), got {d.get(key)!r}") from None


def _answer_hashes(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise RecordError("field 'answer_hashes' must map model names to answer hashes")
    return dict(raw)


@dataclass(frozen=True, kw_only=True)
class PairCall(JudgeCall):
    """A judge call about a pair of answers, one game of two (positions swapped).

    Attributes:
        model_1: the pair's first model (shown as A in game 1).
        model_2: the pair's second model (shown as A in game 2).
        game: 1 (``model_1`` as A) or 2 (``model_2`` as A).
    """

    model_1: str
    model_2: str
    game: Literal[1, 2]

    def pair_wire(
        self, schema: str, verdict: Mapping[str, Any], extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The wire dict: the pair and game, then ``verdict`` (before the call's fields), ``extra`` after ``status``."""
        about = {"model_1": self.model_1, "model_2": self.model_2, "game": self.game, **verdict}
        return self.wire(schema, about, extra=extra)


def pair_fields(d: Mapping[str, Any], status: JudgmentStatus, first: str, second: str) -> dict[str, Any]:
    """The :class:`PairCall` fields read from ``d`` (``first``/``second``: what ``model_1``/``model_2`` name).

    Raises:
        RecordError: a missing or malformed field; a game other than 1 or 2.
    """
    game = _require(d, "game", int, "1 or 2")
    if game not in (1, 2):
        raise RecordError(f"field 'game' must be 1 or 2, got {game}")
    return {
        **call_fields(d, status),
        "model_1": _require(d, "model_1", str, first),
        "model_2": _require(d, "model_2", str, second),
        "game": game,
    }
