"""The identity of a judge run's records and calls: what a record is about, what a call costs.

**Identity model.** Two keys, for two different things:

- A **call** is keyed by its content (:func:`call_key`): the judge id, the
  rendered messages (so prompt, question, answers and references) and the
  decoding settings. Equal keys are the same purchase: a run buys each
  distinct call once however many records need it, and never buys a call
  whose verdict is already on disk — the verdict is copied into the new record,
  which is marked ``reused`` (with ``attempts`` 0 and no usage).
- A **record** is keyed by what it is about (:func:`record_id`): the bench
  (its folder), question, turn, judge, prompt, and the judged model — or, for
  a pair game, the model shown as assistant A and the one shown as B (which
  fixes both the unordered pair and the game order). Every model gets its own
  record even when its answer's text equals another model's; one pair game
  serves every mode that needs it (``--baseline``, ``--all-pairs``, a later
  baseline), whichever way round that mode names the pair.

A record is finished when a record with its identity and its current call key
is on disk (a failed call is not finished: the next run retries it). When an
answer is regenerated, the call key changes, so its records are judged again.

**Unreadable verdicts.** A call the judge answered without a readable verdict
(after ``reasks`` follow-ups) is stored as ``unparsed`` (``truncated`` when cut
off at the token limit): it was paid for, so a plain rerun does not buy it again
and the run's summary counts it, naming the fix. ``--retry-unparsed``
(:attr:`JudgeJob.retry_unparsed`) asks exactly those records again — the
latest record of each identity and call that is unreadable, nothing else — as
new calls, counted as re-asks (``JudgeRun.retried``) in the calls bought; the
new record is appended and supersedes the old one, since statistics keep the
last record of each identity (:func:`judgebench.stats.latest_judgments`,
:func:`judgebench.stats.latest_games`), so no verdict is counted twice. An
unreadable reply is never copied to another record while retrying. A run whose
every judgment is unreadable exits non-zero with that advice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from judgebench.providers import Decoding
from judgebench.records import (
    JudgePrompt,
    Judgment,
    Message,
    PairGame,
    PairScore,
    Question,
    content_hash,
)

__all__ = ["JudgePlan", "JudgeWork", "RecordId", "Verdict", "answer_hash", "call_key", "judgment_key", "record_id"]


Verdict = float | Literal["A", "B", "tie"]
"""A parsed verdict: a score, or the display slot that won."""


RecordId = tuple[str | int, ...]
"""What a record is about: ``("single", question_id, turn, model, judge, prompt)``,
``("pair", question_id, turn, model shown as A, model shown as B, judge, prompt)`` or the
same with ``"pairscore"`` for a paired-scoring game."""


def record_id(record: Judgment | PairGame | PairScore) -> RecordId:
    """The identity of a judgment record on disk (see the module docs).

    A pair game is named by who was shown where, so game 1 of (a, b) and game 2
    of (b, a) are the same record:

    >>> g = dict(question_id=1, turn=1, judge="j", prompt="p")
    >>> record_id(PairGame(model_1="a", model_2="b", game=1, **g)) == record_id(
    ...     PairGame(model_1="b", model_2="a", game=2, **g))
    True
    >>> record_id(Judgment(model="a", **g))
    ('single', '1', 1, 'a', 'j', 'p')
    >>> record_id(PairScore(model_1="a", model_2="b", game=2, **g))
    ('pairscore', '1', 1, 'b', 'a', 'j', 'p')
    """
    if isinstance(record, Judgment):
        return ("single", str(record.question_id), record.turn, record.model, record.judge, record.prompt)
    shown = (record.model_1, record.model_2) if record.game == 1 else (record.model_2, record.model_1)
    tag = "pairscore" if isinstance(record, PairScore) else "pair"
    return (tag, str(record.question_id), record.turn, *shown, record.judge, record.prompt)


def answer_hash(turns: Sequence[str]) -> str:
    """Hash of an answer's turns up to the judged one (what a judgment's ``answer_hashes`` holds)."""
    return _content_hash(list(turns))


def _content_hash(value: object) -> str:
    """:func:`~judgebench.records.content_hash` of ``value``, the same value, about 4× faster on prompts.

    Planning MT-Bench's 4,960 judgments hashes ~10,000 rendered prompts and answers (each a few
    kB), ~0.4 s of ``judge``'s start-up with the standard library's encoder. orjson with sorted keys
    writes the very bytes ``content_hash`` hashes (compact, UTF-8, the same string escapes) for
    strings, integers, booleans, ``None``, lists and string-keyed dicts; a float is taken only where
    orjson spells it as ``repr`` does (not ``1e-05``, NaN or infinities), and anything else goes to
    ``content_hash`` itself. ``tests/pipeline/test_judge_identity_hash.py`` holds them equal.

    >>> v = {"b": [1, "x\\n\\u00e9"], "a": 0.7, "c": None}
    >>> _content_hash(v) == content_hash(v), _content_hash({"t": 1e-05}) == content_hash({"t": 1e-05})
    (True, True)
    """
    import orjson

    if _orjson_spells_as_json(value):
        try:
            return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
        except orjson.JSONEncodeError:  # a lone surrogate: content_hash says what it says of it
            pass
    return content_hash(value)


def _orjson_spells_as_json(value: object) -> bool:
    """Whether orjson writes ``value`` byte for byte as :func:`~judgebench.records.content_hash`'s ``json.dumps``.

    Exact types only (a subclass goes to ``content_hash``), strings tested first: they are most of
    what is hashed, and this runs for every prompt planned.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is list or kind is tuple:
        return all(type(v) is str or _orjson_spells_as_json(v) for v in value)  # type: ignore[attr-defined]
    if kind is dict:
        return all(
            type(k) is str and (type(v) is str or _orjson_spells_as_json(v))
            for k, v in value.items()  # type: ignore[attr-defined]
        )
    if kind is int:
        return -(2**63) <= value < 2**64  # type: ignore[operator]
    if kind is float:
        import orjson

        return orjson.dumps(value).decode() == repr(value)
    return False


@dataclass(frozen=True)
class JudgeWork:
    """One record to write, with the call that gives its verdict.

    Attributes:
        key: the call key (:func:`call_key`); records sharing it share one call.
        messages: what the judge is sent.
        prompt: the judge prompt used.
        question: the question judged.
        turn: 1-based turn judged.
        model: single: the judged model.
        pair: pairwise and pair-score: ``(model_1, model_2)``.
        game: 0 (single), 1 (``model_1`` shown as A) or 2 (``model_2`` as A).
        judge: the judge's id.
        answer_hashes: judged model → :func:`answer_hash` of the turns the judge saw.
        legacy_keys: keys older records may carry for the same call (pair games
            were keyed with their game number).
    """

    key: str
    messages: tuple[Message, ...]
    prompt: JudgePrompt
    question: Question
    turn: int
    model: str = ""
    pair: tuple[str, str] = ("", "")
    game: Literal[0, 1, 2] = 0
    judge: str = ""
    answer_hashes: Mapping[str, str] = field(default_factory=dict, hash=False)
    legacy_keys: tuple[str, ...] = ()

    @property
    def identity(self) -> RecordId:
        """What the record is about (:func:`record_id` of the record it becomes)."""
        qid = str(self.question.question_id)
        if self.game == 0:
            return ("single", qid, self.turn, self.model, self.judge, self.prompt.name)
        shown = self.pair if self.game == 1 else (self.pair[1], self.pair[0])
        tag = "pairscore" if self.scored else "pair"
        return (tag, qid, self.turn, *shown, self.judge, self.prompt.name)

    @property
    def scored(self) -> bool:
        """A paired-scoring game (a 1–10 score for each answer), not a pairwise preference."""
        return self.prompt.kind == "pair-score"


@dataclass
class JudgePlan:
    """The records a judge job needs, and the answer turns it cannot judge.

    Attributes:
        work: every record the job needs (finished or not), rendered and keyed.
        missing: answer turns that exist but cannot be judged: failed, too
            short, or made for a question edited since (stale).
        unanswered: answer turns of questions a model has no answer for at all
            (e.g. after ``gen-answers --limit``).
    """

    work: list[JudgeWork]
    missing: int = 0
    unanswered: int = 0


def call_key(judge: str, messages: Sequence[Message], decoding: Decoding) -> str:
    """Key of one judge call: its content — judge id, rendered messages, decoding settings.

    The hash keeps the ``game: 0`` member every key had before records got
    their own identity, so single-grade records already on disk keep their key.

    >>> m = [Message("user", "grade this")]
    >>> d = Decoding(temperature=0.0, max_tokens=10)
    >>> call_key("openai/x", m, d) == judgment_key("openai/x", m, d, 0)
    True
    >>> call_key("openai/x", m, d) == call_key("openai/y", m, d)
    False
    """
    return judgment_key(judge, messages, decoding, 0)


def judgment_key(judge: str, messages: Sequence[Message], decoding: Decoding, game: int) -> str:
    """The key records were given before :func:`call_key`: the call's content and the game number.

    Pair games written by earlier versions carry ``judgment_key(…, game)``;
    :class:`JudgeWork` lists those forms in ``legacy_keys`` so they still count.

    >>> m = [Message("user", "grade this")]
    >>> d = Decoding(temperature=0.0, max_tokens=10)
    >>> judgment_key("openai/x", m, d, 1) == judgment_key("openai/x", m, d, 1)
    True
    >>> judgment_key("openai/x", m, d, 1) == judgment_key("openai/x", m, d, 2)
    False
    """
    return _content_hash(
        {
            "judge": judge,
            "messages": [msg.to_dict() for msg in messages],
            "decoding": [decoding.temperature, decoding.max_tokens, decoding.seed, list(decoding.stop)],
            "game": game,
            # Only when set, so that keys made before the option existed stay valid.
            **({"reasoning_effort": decoding.reasoning_effort} if decoding.reasoning_effort else {}),
        }
    )
