"""Questions, answers and the field helpers every record shares.

Each record is a frozen dataclass with ``to_dict()``/``from_dict()``. Files on
disk are JSON Lines of those dicts. Field names follow FastChat's ``llm_judge``
layout wherever one exists (``question_id``, ``category``, ``turns``,
``reference``, ``answer_id``, ``model_id``, ``choices``, ``tstamp``) so that
FastChat tools read our files and we read theirs; our own fields are added
beside them and every record we write carries ``schema`` and
``judgebench_version``.

``from_dict`` raises :class:`RecordError` (a ``ValueError``) naming the field at
fault; the storage layer adds the ``file:line``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from judgebench import __version__
from judgebench.errors import RecordError

__all__ = [
    "ANSWER_SCHEMA",
    "Answer",
    "AnswerStatus",
    "Choice",
    "Message",
    "Question",
    "QuestionId",
    "RecordError",
    "Usage",
    "content_hash",
]

ANSWER_SCHEMA = "judgebench.answer/1"

QuestionId = int | str
"""FastChat's MT-Bench uses integers; other sets use strings. Both are kept as given."""

AnswerStatus = Literal["ok", "failed"]


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
"""What ``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`` builds on every
call, built once (a report hashes one answer cell per model, question and turn: 5,760 at 36 × 80 × 2)."""


def content_hash(value: object) -> str:
    """Return a short, stable sha256 of a JSON-able value.

    Keys are sorted, so dict order never changes the hash.

    >>> content_hash({"b": 1, "a": [1, 2]}) == content_hash({"a": [1, 2], "b": 1})
    True
    >>> len(content_hash("x"))
    16
    """
    blob = _CANONICAL.encode(value)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _require(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if key not in d:
        raise RecordError(f"missing field {key!r} ({what})")
    value = d[key]
    # bool is an int subclass; a boolean is never a valid id, count or text.
    if isinstance(value, bool) or not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RecordError(f"field {key!r} must be {names}, got {type(value).__name__}")
    return value


def _strings(d: Mapping[str, Any], key: str, what: str, *, allow_empty_items: bool) -> tuple[str, ...]:
    items = _require(d, key, list, what)
    if not items:
        raise RecordError(f"field {key!r} is an empty list ({what})")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise RecordError(f"{key}[{i}] must be a string, got {type(item).__name__}")
        if not allow_empty_items and not item.strip():
            raise RecordError(f"{key}[{i}] is empty ({what})")
    return tuple(items)


@dataclass(frozen=True)
class Message:
    """One chat message sent to a model."""

    role: Literal["system", "user", "assistant"]
    content: str

    def to_dict(self) -> dict[str, str]:
        """Return the OpenAI-style ``{"role", "content"}`` dict."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Question:
    """A multi-turn question.

    Attributes:
        question_id: unique within its set (int or str, kept as given).
        category: e.g. ``writing``, ``math``; decides default temperature and
            whether the judge is shown the reference.
        turns: the user's messages, in order; turn *k* is asked after the
            model's own answers to turns 1..k-1.
        reference: optional reference answers, one per turn, shown to the
            judge for categories judged against a reference.
    """

    question_id: QuestionId
    category: str
    turns: tuple[str, ...]
    reference: tuple[str, ...] | None = None

    @property
    def content_hash(self) -> str:
        """Hash of what the answering model sees; a changed question is re-answered."""
        return content_hash({"category": self.category, "turns": list(self.turns)})

    def to_dict(self) -> dict[str, Any]:
        """Return the FastChat-layout dict."""
        d: dict[str, Any] = {
            "question_id": self.question_id,
            "category": self.category,
            "turns": list(self.turns),
        }
        if self.reference is not None:
            d["reference"] = list(self.reference)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Question:
        """Build a question from its FastChat-layout dict, checking every field."""
        qid = _require(d, "question_id", (int, str), "the question's unique id")
        category = _require(d, "category", str, "e.g. 'writing' or 'math'")
        if not category.strip():
            raise RecordError("field 'category' is empty")
        turns = _strings(d, "turns", "the user's messages", allow_empty_items=False)
        reference = None
        if d.get("reference") is not None:
            reference = _strings(d, "reference", "one reference answer per turn", allow_empty_items=True)
        return cls(question_id=qid, category=category, turns=turns, reference=reference)


@dataclass(frozen=True)
class Usage:
    """Tokens and calls spent; counts the server did not report are zero.

    ``reasoning_tokens`` is the part of ``output_tokens`` a reasoning model spent
    thinking (OpenAI's ``completion_tokens_details.reasoning_tokens``); vendors bill
    it as output, so costs computed from ``output_tokens`` include it. It is written
    to records only when not zero.
    """

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.calls + other.calls,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        """Return the dict stored in records."""
        d = {"calls": self.calls, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens}
        if self.reasoning_tokens:
            d["reasoning_tokens"] = self.reasoning_tokens
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Usage:
        """Read a usage dict; missing counts are zero.

        Raises:
            RecordError: ``d`` is not a mapping, or a count is not a number (``null``, a list…).
        """
        if not isinstance(d, Mapping):
            raise RecordError(f"field 'usage' must be an object of token counts, got {type(d).__name__}")
        try:
            return cls(
                calls=int(d.get("calls", 0)),
                input_tokens=int(d.get("input_tokens", 0)),
                output_tokens=int(d.get("output_tokens", 0)),
                reasoning_tokens=int(d.get("reasoning_tokens", 0)),
            )
        except (TypeError, ValueError):
            raise RecordError(f"field 'usage' must hold whole-number token counts, got {dict(d)!r}") from None


@dataclass(frozen=True)
class Choice:
    """One sampled conversation: the model's answer to each turn, in order.

    Attributes:
        index: which sample (``--num-choices``).
        turns: the model's final answer to each turn: what judges are shown and what
            the model got back as its own earlier turns. A reasoning model's
            ``<think>…</think>`` block is not part of it (unless ``--keep-reasoning``).
        raw_turns: each reply exactly as the API returned its content; written only
            when some reply differs from its turn (a reasoning block was split off).
        reasoning: each turn's reasoning (``""`` when none), from a ``<think>`` block
            or sent apart by the API (``reasoning_content``, thinking blocks); written
            only when some turn has any.
    """

    index: int
    turns: tuple[str, ...]
    raw_turns: tuple[str, ...] = ()
    reasoning: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return FastChat's ``{"index", "turns"}`` dict, plus ``raw_turns``/``reasoning`` when they hold anything."""
        d: dict[str, Any] = {"index": self.index, "turns": list(self.turns)}
        if self.raw_turns and list(self.raw_turns) != list(self.turns):
            d["raw_turns"] = list(self.raw_turns)
        if any(self.reasoning):
            d["reasoning"] = list(self.reasoning)
        return d


@dataclass(frozen=True)
class Answer:
    """A model's answers to one question (one line of an answers file).

    Attributes:
        question_id: the question answered.
        model_id: the name results are filed under (FastChat's ``model_id``);
            ``--name``, else the model id.
        model: the ``provider/model`` id that produced the text.
        choices: one conversation per ``--num-choices``; when ``status`` is
            ``failed`` a choice may hold fewer turns than the question.
        status: ``ok`` or ``failed`` — a failure is a value, never a sentinel.
        error: why it failed (``None`` when ``ok``); a rerun retries it.
        question_hash: :attr:`Question.content_hash` of the question answered;
            if the question is edited the answer is stale and is redone.
        generation: decoding settings used (temperature, max_tokens, system…).
        usage: calls and tokens spent on this answer, cached turns excluded.
        answer_id: unique id of this record.
        tstamp: Unix time the record was written.
        judgebench_version: version that wrote it.
        fastchat_model_id: the ``model_id`` an imported FastChat record
            carried inside when it differs from its file's name (FastChat names
            a model by its answers file; ``export fastchat`` writes this back).
            ``None`` otherwise; stored only when set.
    """

    question_id: QuestionId
    model_id: str
    model: str
    choices: tuple[Choice, ...]
    status: AnswerStatus
    question_hash: str
    answer_id: str
    tstamp: float
    error: str | None = None
    generation: Mapping[str, Any] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    judgebench_version: str = __version__
    fastchat_model_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the wire dict: FastChat's answer layout plus our fields."""
        d: dict[str, Any] = {
            "question_id": self.question_id,
            "answer_id": self.answer_id,
            "model_id": self.model_id,
            "choices": [c.to_dict() for c in self.choices],
            "tstamp": self.tstamp,
            "schema": ANSWER_SCHEMA,
            "model": self.model,
            "status": self.status,
            "error": self.error,
            "question_hash": self.question_hash,
            "generation": dict(self.generation),
            "usage": self.usage.to_dict(),
            "judgebench_version": self.judgebench_version,
        }
        if self.fastchat_model_id is not None:
            d["fastchat_model_id"] = self.fastchat_model_id
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Answer:
        """Read an answer written by judgebench or by FastChat's ``gen_*_answer``.

        FastChat records lack our fields: they are read as ``ok`` answers of
        the model named by ``model_id``.
        """
        qid = _require(d, "question_id", (int, str), "the question answered")
        model_id = _require(d, "model_id", str, "the model's name")
        raw_choices = _require(d, "choices", list, "FastChat's list of {index, turns}")
        choices = []
        for i, c in enumerate(raw_choices):
            if not isinstance(c, Mapping):
                raise RecordError(f"choices[{i}] must be an object with 'index' and 'turns'")
            turns = _require(c, "turns", list, f"choices[{i}]: the answers")
            extra = {key: c.get(key) or [] for key in ("raw_turns", "reasoning")}
            for key, items in (("turns", turns), *extra.items()):
                if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
                    raise RecordError(f"choices[{i}].{key} must hold strings")
            choices.append(
                Choice(
                    index=int(c.get("index", i)),
                    turns=tuple(turns),
                    raw_turns=tuple(extra["raw_turns"]),
                    reasoning=tuple(extra["reasoning"]),
                )
            )
        status = d.get("status", "ok")
        if status not in ("ok", "failed"):
            raise RecordError(f"field 'status' must be 'ok' or 'failed', got {status!r}")
        if status == "ok" and not choices:
            raise RecordError("an 'ok' answer has no choices")
        return cls(
            question_id=qid,
            model_id=model_id,
            model=str(d.get("model", model_id)),
            choices=tuple(choices),
            status=status,
            question_hash=str(d.get("question_hash", "")),
            answer_id=str(d.get("answer_id", "")),
            tstamp=float(d.get("tstamp", 0.0)),
            error=d.get("error"),
            generation=dict(d.get("generation") or {}),
            usage=Usage.from_dict(d.get("usage") or {}),
            judgebench_version=str(d.get("judgebench_version", "")),
            fastchat_model_id=_optional_str(d, "fastchat_model_id"),
        )


def _optional_str(d: Mapping[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is not None and not isinstance(value, str):
        raise RecordError(f"field {key!r} must be a string, got {type(value).__name__}")
    return value
