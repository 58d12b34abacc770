"""The judge's records: which kind each mode writes, what a run finds on disk, and what is still needed.

A record is keyed by what it is about (:func:`~judgebench.pipeline.judge_identity.record_id`)
and by its call's content (``key``); :func:`still_needed` decides from the
records on disk which planned records a run must still buy and which can copy a
verdict already bought (the identity model is in :mod:`judgebench.pipeline.judge_identity`).
:func:`build_record` writes one reply as the record of its mode, and
:func:`reused_verdict` reads a verdict back from one, as its call gave it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from judgebench.judging import (
    Reading,
    to_pair_winner,
)
from judgebench.pipeline.judge_identity import JudgeWork, RecordId, record_id
from judgebench.records import (
    UNREADABLE,
    Judgment,
    JudgmentStatus,
    PairGame,
    PairScore,
    Reask,
    Usage,
)
from judgebench.storage import (
    JudgeMode,
    Warn,
    load_judgments,
    load_pair_games,
    load_pair_scores,
)

__all__ = [
    "FILE_MODES",
    "JudgeRecord",
    "JudgeReply",
    "build_record",
    "distinct_calls",
    "finished_records",
    "latest_statuses",
    "reused_verdict",
    "still_needed",
]


@dataclass(frozen=True)
class JudgeReply:
    """What asking the judge for one verdict came to (a direct call, a batch result or a copied verdict).

    Attributes:
        text: the last reply, verbatim (``""`` for a failed call).
        reading: the verdict read from it (a grade, a display slot, or scores as shown);
            ``None`` or a reading without a value: no verdict.
        attempts: judge calls made for it (1 + re-asks; 0 for a copied verdict).
        spent: tokens and requests paid for it.
        reasks: the replies re-asked, oldest first, each with its reason.
        finish_reason: the API's finish reason for the last reply.
        truncated: the last reply stopped at its token limit.
        error: why the call failed (the record is ``failed``); ``None`` when it was answered.
    """

    text: str
    reading: Reading | None
    attempts: int
    spent: Usage
    reasks: tuple[Reask, ...] = ()
    finish_reason: str | None = None
    truncated: bool = False
    error: str | None = None

    @classmethod
    def failed(cls, reason: str, attempts: int) -> JudgeReply:
        """A call that failed after ``attempts`` tries: no text, no verdict, nothing spent."""
        return cls("", None, attempts, Usage(), error=reason)

    def shared(self) -> JudgeReply:
        """This reply for another record of the same call: the same verdict, nothing bought or re-asked."""
        return replace(self, attempts=0, spent=Usage(), reasks=())

    @property
    def status(self) -> JudgmentStatus:
        """The status of a record of this reply: ``failed``, ``ok``, ``truncated`` or ``unparsed``."""
        if self.error:
            return "failed"
        if self.reading is not None and self.reading.value is not None:
            return "ok"
        return "truncated" if self.truncated else "unparsed"


def build_record(item: JudgeWork, judge: str, reply: JudgeReply, *, reused: bool) -> JudgeRecord:
    """``item``'s record of ``reply`` by judge ``judge``: a :class:`Judgment`, :class:`PairScore` or :class:`PairGame`.

    The reading is by display slot; a pair record maps it back to its own pair
    (``item.game`` 2 showed ``model_2`` as A). Stamped with the current time.
    """
    verdict = reply.reading
    value = None if verdict is None else verdict.value
    q = item.question
    common: dict[str, Any] = {
        "question_id": q.question_id,
        "turn": item.turn,
        "judge": judge,
        "prompt": item.prompt.name,
        "status": reply.status,
        "judgment": reply.text,
        "user_prompt": item.messages[-1].content,
        "key": item.key,
        "error": reply.error,
        "attempts": reply.attempts,
        "category": q.category,
        "usage": reply.spent,
        "tstamp": time.time(),
        "reused": reused,
        "answer_hashes": dict(item.answer_hashes),
        "reasks": reply.reasks,
        "finish_reason": reply.finish_reason,
    }
    if item.game == 0:
        return Judgment(model=item.model, score=value if isinstance(value, float) else None, **common)
    pair: dict[str, Any] = {"model_1": item.pair[0], "model_2": item.pair[1], "game": item.game}
    if item.scored:
        shown = value if isinstance(value, tuple) else None  # (A's score, B's score) as displayed
        scores = (None, None) if shown is None else shown if item.game == 1 else (shown[1], shown[0])
        return PairScore(score_1=scores[0], score_2=scores[1], **pair, **common)
    won = isinstance(value, str)
    return PairGame(
        winner=to_pair_winner(value, item.game) if isinstance(value, str) else None,
        verdict=verdict.token if verdict is not None and won else None,
        strong=verdict is not None and verdict.strong and won,
        **pair,
        **common,
    )


JudgeRecord = Judgment | PairGame | PairScore
"""A judge-call record of any mode."""

FILE_MODES: dict[str, JudgeMode] = {"single": "single", "pairwise": "pair", "pair-score": "pairscore"}
"""Judge mode → the judgments file it writes (``<judge>_<file mode>.jsonl``)."""


def finished_records(path: Path, mode: JudgeMode, warn: Warn) -> list[JudgeRecord]:
    """The records on disk whose call was answered: with a verdict or an unreadable reply (not ``failed``)."""
    if not path.exists():
        return []
    records: Sequence[JudgeRecord]
    if mode == "single":
        records = load_judgments(path, warn=warn)
    elif mode == "pair":
        records = load_pair_games(path, warn=warn)
    else:
        records = load_pair_scores(path, warn=warn)
    return [r for r in records if r.key and r.status != "failed"]


def latest_statuses(work: Sequence[JudgeWork], finished: Sequence[JudgeRecord]) -> dict[RecordId, str]:
    """Status of the latest record on disk of each planned record, for its current call (absent: none yet)."""
    latest: dict[tuple[RecordId, str], str] = {}
    for r in finished:
        latest[(record_id(r), r.key)] = r.status
    out: dict[RecordId, str] = {}
    for item in work:
        for k in (item.key, *item.legacy_keys):
            if (item.identity, k) in latest:
                out[item.identity] = latest[(item.identity, k)]
                break
    return out


def still_needed(
    work: Sequence[JudgeWork], finished: Sequence[JudgeRecord], *, retry_unparsed: bool = False
) -> tuple[list[JudgeWork], dict[str, JudgeRecord]]:
    """The records not yet on disk for their current call, and the finished calls they can copy.

    With ``retry_unparsed``, a record whose latest reply on disk has no readable
    verdict is not finished: it is asked again (a new call, whose record supersedes
    the old one), and an unreadable reply is never copied to another record.

    Returns:
        ``(todo, reuse)``: ``todo`` in plan order, each record once; ``reuse``
        maps the call key of a ``todo`` item to a finished record of the same call.
    """
    latest: dict[tuple[RecordId, str], JudgeRecord] = {}
    for r in finished:
        latest[(record_id(r), r.key)] = r
    done = {k for k, r in latest.items() if not (retry_unparsed and r.status in UNREADABLE)}
    by_call: dict[str, JudgeRecord] = {}
    for r in finished:  # the latest record of a call, a verdict before an unreadable reply
        if retry_unparsed and r.status != "ok":
            continue
        if r.status == "ok" or by_call.get(r.key, r).status != "ok":
            by_call[r.key] = r
    todo: list[JudgeWork] = []
    reuse: dict[str, JudgeRecord] = {}
    seen: set[RecordId] = set()
    for item in work:
        keys = (item.key, *item.legacy_keys)
        if item.identity in seen or any((item.identity, k) in done for k in keys):
            continue  # already on disk for this call (or planned twice)
        seen.add(item.identity)
        todo.append(item)
        source = next((by_call[k] for k in keys if k in by_call), None)
        if source is not None:
            reuse[item.key] = source
    return todo, reuse


def distinct_calls(items: Iterable[JudgeWork]) -> list[JudgeWork]:
    """One item per call key, the first of each, in order."""
    first: dict[str, JudgeWork] = {}
    for item in items:
        first.setdefault(item.key, item)
    return list(first.values())


def reused_verdict(source: JudgeRecord) -> Reading | None:
    """The verdict of ``source`` as its call gave it: a grade, the display slot (A/B) that won, or scores (A's, B's).

    >>> g = dict(question_id=1, turn=1, judge="j", prompt="p")
    >>> reused_verdict(PairGame(model_1="a", model_2="b", game=2, winner="model_1", **g)).value  # a was shown as B
    'B'
    >>> reused_verdict(PairScore(model_1="a", model_2="b", game=2, score_1=8, score_2=5, **g)).value  # b shown as A
    (5, 8)
    """
    if isinstance(source, Judgment):
        return None if source.score is None else Reading(source.score)
    if isinstance(source, PairScore):
        if source.score_1 is None or source.score_2 is None:
            return None
        shown = (source.score_1, source.score_2) if source.game == 1 else (source.score_2, source.score_1)
        return Reading(shown, f"{shown[0]:g}, {shown[1]:g}")
    if source.winner is None:
        return None
    if source.winner == "tie":
        return Reading("tie", source.verdict or "C")
    won = source.model_1 if source.winner == "model_1" else source.model_2
    shown_a = source.model_1 if source.game == 1 else source.model_2
    slot: Literal["A", "B"] = "A" if won == shown_a else "B"
    return Reading(slot, source.verdict or slot, source.strong)
