"""Judge prompts and the verdicts judges return.

On disk (``results/<bench>/judgments/<judge-slug>_single.jsonl`` and
``…_pair.jsonl``) every line is one judge call's outcome, so a crash loses at
most the calls in flight. Single grades use FastChat's single-judgment fields;
a pairwise comparison is two :class:`PairGame` lines (game 1: ``model_1``
shown as assistant A; game 2: positions swapped), which FastChat's one-row
``g1_*``/``g2_*`` layout is built from on export.

A judgment's ``status`` is a value, never a sentinel score:

- ``ok``: a verdict was parsed (``score`` / ``winner`` set);
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

JUDGE_PROMPT_SCHEMA = "judgebench.judge_prompt/1"
JUDGMENT_SCHEMA = "judgebench.judgment/1"
PAIR_GAME_SCHEMA = "judgebench.pair_game/1"

JudgmentStatus = Literal["ok", "unparsed", "truncated", "failed"]
UNREADABLE = frozenset({"unparsed", "truncated"})
"""Statuses of a judgment whose call was answered but whose verdict could not be read."""
UNREADABLE_FIX = "rerun with --retry-unparsed or change the verdict format (--prompts)"
"""What to do about unreadable judgments: ask them again (``judge --retry-unparsed``), or use a prompt
whose verdict format the judge follows."""
Winner = Literal["model_1", "model_2", "tie"]
"""Who won, named by position in the pair (never by display slot A/B)."""

_STATUSES = ("ok", "unparsed", "truncated", "failed")


@dataclass(frozen=True)
class JudgePrompt:
    """A judge prompt: how to ask a judge for a grade or a preference.

    Attributes:
        name: unique name, stored in every judgment it produced.
        kind: ``single`` (grade one answer 1–10), ``pairwise`` (A, B or tie) or
            ``pair-score`` (two answers in one prompt, a 1–10 score for each).
        multi_turn: shows the whole dialogue and asks about the last turn.
        reference: shows a reference answer; used for questions that have one
            in the categories judged against references.
        system_prompt: the judge's instructions.
        template: the user message, a ``str.format`` template (fields:
            ``question``, ``answer``, ``answer_a``, ``answer_b``, ``reference``,
            ``conversation`` … see :mod:`judgebench.judging`).
        output_format: the verdict format, looked up by
            :func:`judgebench.judging.verdicts.verdict_format`: ``[[rating]]`` (1–10 grades),
            ``[[A]]`` (A/B/C), ``[[A>>B]]`` (five levels), ``json`` (structured) or
            ``[[A, B]]`` (paired scoring's two scores).
        description: what it is for.
        style: ``judgebench`` (our templates: marked, neutralised blocks) or
            ``fastchat`` (a record of FastChat's ``judge_prompts.jsonl``: its
            own field names, text filled in verbatim, selected by FastChat's
            prompt names). A record with FastChat's ``category`` field and
            without ``multi_turn`` and ``reference`` is FastChat's; those two
            flags are then read off its template (``{question_2}``,
            ``{ref_answer_1}``).
    """

    name: str
    kind: Literal["single", "pairwise", "pair-score"]
    multi_turn: bool
    reference: bool
    system_prompt: str
    template: str
    output_format: str
    description: str = ""
    style: Literal["judgebench", "fastchat"] = "judgebench"

    def to_dict(self) -> dict[str, Any]:
        """Return the wire dict (FastChat's ``type``/``prompt_template`` names plus ours; ``style`` when not ours)."""
        d: dict[str, Any] = {
            "schema": JUDGE_PROMPT_SCHEMA,
            "name": self.name,
            "type": self.kind,
            "multi_turn": self.multi_turn,
            "reference": self.reference,
            "system_prompt": self.system_prompt,
            "prompt_template": self.template,
            "output_format": self.output_format,
            "description": self.description,
        }
        if self.style != "judgebench":
            d["style"] = self.style
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JudgePrompt:
        """Read a judge prompt record (ours, or FastChat's ``judge_prompts.jsonl``), checking every field."""
        kind = _require(d, "type", str, "'single', 'pairwise' or 'pair-score'")
        if kind not in ("single", "pairwise", "pair-score"):
            raise RecordError(f"field 'type' must be 'single', 'pairwise' or 'pair-score', got {kind!r}")
        template = _require(d, "prompt_template", str, "the user message template")
        fastchat_record = "category" in d and "multi_turn" not in d and "reference" not in d
        style = d.get("style", "fastchat" if fastchat_record else "judgebench")
        if style not in ("judgebench", "fastchat"):
            raise RecordError(f"field 'style' must be 'judgebench' or 'fastchat', got {style!r}")
        fastchat = style == "fastchat"
        return cls(
            name=_require(d, "name", str, "the prompt's unique name"),
            kind=kind,
            multi_turn=bool(d.get("multi_turn", "{question_2}" in template if fastchat else False)),
            reference=bool(d.get("reference", "{ref_answer_1}" in template if fastchat else False)),
            system_prompt=_require(d, "system_prompt", str, "the judge's instructions"),
            template=template,
            output_format=_require(d, "output_format", str, "e.g. '[[rating]]' or '[[A]]'"),
            description=str(d.get("description", "")),
            style=style,
        )


def _judge_pair(d: Mapping[str, Any]) -> tuple[str, str]:
    judge = _require(d, "judge", (list, str), "[judge model, prompt name]")
    if isinstance(judge, str):
        return judge, str(d.get("prompt", ""))
    if len(judge) != 2 or not all(isinstance(x, str) for x in judge):
        raise RecordError("field 'judge' must be [judge model, prompt name]")
    return judge[0], judge[1]


def _status(d: Mapping[str, Any], default: JudgmentStatus) -> JudgmentStatus:
    status = d.get("status", default)
    if status not in _STATUSES:
        raise RecordError(f"field 'status' must be one of {', '.join(_STATUSES)}, got {status!r}")
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
class _Provenance:
    """Fields every judge-call record carries besides its verdict."""

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


def _provenance(d: Mapping[str, Any]) -> dict[str, Any]:
    reasks = d.get("reasks") or []
    if not isinstance(reasks, list):
        raise RecordError("field 'reasks' must be a list of {reply, reason}")
    finish = d.get("finish_reason")
    return {
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


def _provenance_dict(p: _Provenance) -> dict[str, Any]:
    extra: dict[str, Any] = {"reused": True} if p.reused else {}
    if p.answer_hashes:
        extra["answer_hashes"] = dict(p.answer_hashes)
    d: dict[str, Any] = {
        "key": p.key,
        **extra,
        "error": p.error,
        "attempts": p.attempts,
        "category": p.category,
        "usage": p.usage.to_dict(),
        "judgebench_version": p.judgebench_version,
    }
    if p.reasks:
        d["reasks"] = [r.to_dict() for r in p.reasks]
    if p.finish_reason is not None:
        d["finish_reason"] = p.finish_reason
    return d


@dataclass(frozen=True, kw_only=True)
class Judgment(_Provenance):
    """A judge's 1–10 grade of one model's answer to one turn of one question.

    Attributes:
        question_id: the question.
        model: the judged model's name (its answers file's ``model_id``).
        turn: 1-based turn graded.
        judge: the judge's model id.
        prompt: the judge prompt's name.
        score: the grade, ``None`` unless ``status`` is ``ok``.
        status: ``ok``, ``unparsed``, ``truncated`` or ``failed`` (see module docs).
        judgment: the judge's full reply (the last one, if re-asked).
        user_prompt: the rendered message the judge saw.
    """

    question_id: QuestionId
    model: str
    turn: int
    judge: str
    prompt: str
    score: float | None = None
    status: JudgmentStatus = "ok"
    judgment: str = ""
    user_prompt: str = ""

    def to_dict(self) -> dict[str, Any]:
        """FastChat's single-judgment fields (``score`` null, not -1, when unscored) plus ours."""
        return {
            "question_id": self.question_id,
            "model": self.model,
            "judge": [self.judge, self.prompt],
            "user_prompt": self.user_prompt,
            "judgment": self.judgment,
            "score": self.score,
            "turn": self.turn,
            "tstamp": self.tstamp,
            "schema": JUDGMENT_SCHEMA,
            "status": self.status,
            **_provenance_dict(self),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Judgment:
        """Read ours or FastChat's (whose ``score: -1`` marks a parse failure)."""
        judge, prompt = _judge_pair(d)
        raw = d.get("score")
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int | float)):
            raise RecordError(f"field 'score' must be a number or null, got {type(raw).__name__}")
        score = None if raw is None or raw == -1 else float(raw)
        status = _status(d, "ok" if score is not None else "unparsed")
        if status == "ok" and score is None:
            raise RecordError("an 'ok' judgment needs a score")
        return cls(
            question_id=_require(d, "question_id", (int, str), "the question judged"),
            model=_require(d, "model", str, "the judged model's name"),
            turn=_turn(d),
            judge=judge,
            prompt=prompt,
            score=score if status == "ok" else None,
            status=status,
            judgment=str(d.get("judgment") or ""),
            user_prompt=str(d.get("user_prompt") or ""),
            **_provenance(d),
        )


@dataclass(frozen=True, kw_only=True)
class PairGame(_Provenance):
    """One game of a pairwise comparison (each pair is judged twice, positions swapped).

    Attributes:
        question_id: the question.
        model_1: the first model of the pair (shown as A in game 1).
        model_2: the second model (shown as A in game 2).
        turn: 1-based turn compared.
        judge: the judge's model id.
        prompt: the judge prompt's name.
        game: 1 (``model_1`` as A) or 2 (``model_2`` as A).
        winner: the verdict mapped back to the pair, ``None`` unless ``ok``.
        status: ``ok``, ``unparsed``, ``truncated`` or ``failed``.
        verdict: the verdict as the judge wrote it, by display slot (``"A"``, ``"A>>B"``);
            written only when set.
        strong: a strong verdict (``[[A>>B]]``, ``[[B>>A]]``), which reports may weight
            (``--strong-weight``); written only when true.
        judgment: the judge's full reply.
        user_prompt: the rendered message the judge saw.
    """

    question_id: QuestionId
    model_1: str
    model_2: str
    turn: int
    judge: str
    prompt: str
    game: Literal[1, 2]
    winner: Winner | None = None
    status: JudgmentStatus = "ok"
    judgment: str = ""
    user_prompt: str = ""
    verdict: str | None = None
    strong: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Our pair-game wire dict."""
        extra: dict[str, Any] = {}
        if self.verdict is not None:
            extra["verdict"] = self.verdict
        if self.strong:
            extra["strong"] = True
        return {
            "question_id": self.question_id,
            "model_1": self.model_1,
            "model_2": self.model_2,
            "game": self.game,
            "winner": self.winner,
            "judge": [self.judge, self.prompt],
            "user_prompt": self.user_prompt,
            "judgment": self.judgment,
            "turn": self.turn,
            "tstamp": self.tstamp,
            "schema": PAIR_GAME_SCHEMA,
            "status": self.status,
            **extra,
            **_provenance_dict(self),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PairGame:
        """Read a pair-game record (FastChat rows are split into games on import)."""
        judge, prompt = _judge_pair(d)
        game = _require(d, "game", int, "1 or 2")
        if game not in (1, 2):
            raise RecordError(f"field 'game' must be 1 or 2, got {game}")
        winner = d.get("winner")
        if winner not in (None, "model_1", "model_2", "tie"):
            raise RecordError(f"field 'winner' must be model_1, model_2, tie or null, got {winner!r}")
        status = _status(d, "ok" if winner is not None else "unparsed")
        if status == "ok" and winner is None:
            raise RecordError("an 'ok' game needs a winner")
        return cls(
            question_id=_require(d, "question_id", (int, str), "the question judged"),
            model_1=_require(d, "model_1", str, "the pair's first model"),
            model_2=_require(d, "model_2", str, "the pair's second model"),
            turn=_turn(d),
            judge=judge,
            prompt=prompt,
            game=game,
            winner=winner if status == "ok" else None,
            status=status,
            judgment=str(d.get("judgment") or ""),
            user_prompt=str(d.get("user_prompt") or ""),
            verdict=None if d.get("verdict") is None else str(d["verdict"]),
            strong=bool(d.get("strong", False)) and status == "ok",
            **_provenance(d),
        )
