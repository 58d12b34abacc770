"""``arena``: people vote on two anonymous models' answers; the votes become human judgments.

A *battle* is one question and two models that both answered it, in random order (shown as A
and B). The voter sees turn 1, votes (A, B, tie, both bad), may go on to turn 2 and vote again;
the models are named only once the battle is over (after the last turn's vote, or when the voter
stops). Each vote is appended, whole and fsynced, to ``results/<bench>/votes/arena.jsonl`` as a
:class:`~judgebench.records.HumanVote` (MT-Bench's human-judgment format; ``judge`` is
``arena-<voter id>``), which ``report --votes`` and ``agreement --votes`` read.

The browser never names a model: a vote names a battle (an unguessable id the server issued to
that voter), a turn and a verdict, and the server maps A/B to models. So a vote for an unknown
battle (e.g. issued before a restart), by another voter, for a turn not yet shown, twice for one
turn, or after the names were shown is refused (:class:`ArenaError`) and nothing is written.
Battles live in memory (at most :data:`MAX_OPEN_BATTLES`, the oldest dropped first); votes live
on disk and survive restarts.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any, Literal

from judgebench.errors import ArenaError, UsageError
from judgebench.records import HumanVote, Question
from judgebench.storage import (
    DEFAULT_QUESTION_SET,
    HoldsAppender,
    JsonlAppender,
    load_answers,
    load_votes,
    resolve_bench,
)

__all__ = ["MAX_OPEN_BATTLES", "VOTER_PATTERN", "Arena", "ArenaJob", "votes_path"]

MAX_OPEN_BATTLES = 10_000
VOTER_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHOICES: dict[str, Literal["model_a", "model_b", "tie", "tie (bothbad)"]] = {
    "A": "model_a",
    "B": "model_b",
    "tie": "tie",
    "bothbad": "tie (bothbad)",
}


@dataclass(frozen=True)
class ArenaJob:
    """What the arena serves: a bench's answers, and where its votes go."""

    questions: str = DEFAULT_QUESTION_SET
    results_dir: Path = Path("results")
    models: tuple[str, ...] = ()
    seed: int | None = None


@dataclass
class _Battle:
    question: Question
    model_a: str
    model_b: str
    voter: str
    shown: int = 1
    voted: set[int] = field(default_factory=set)
    revealed: bool = False


def votes_path(results_dir: Path, bench: str) -> Path:
    """Where the arena's votes of a bench are appended."""
    return results_dir / bench / "votes" / "arena.jsonl"


class Arena(HoldsAppender):
    """Battles in memory, votes on disk. Use as a context manager (it holds the votes file's lock)."""

    def __init__(self, job: ArenaJob) -> None:
        bench, qset = resolve_bench(job.questions, job.results_dir)
        if qset is None:
            raise UsageError(f"{job.questions}: no questions for this bench — pass --questions FILE")
        self.bench = bench
        self.path = votes_path(job.results_dir, bench)
        self._rng = Random(job.seed) if job.seed is not None else Random(secrets.randbits(64))
        self._questions = {str(q.question_id): q for q in qset.questions}
        wanted = set(job.models)
        self._answers: dict[str, dict[str, tuple[str, ...]]] = {}  # question id -> model -> turns
        for path in sorted((job.results_dir / bench / "answers").glob("*.jsonl")):
            for qid, answer in load_answers(path).items():
                if answer.status == "ok" and answer.choices and (not wanted or answer.model_id in wanted):
                    question = self._questions.get(str(qid))
                    if question is not None and len(answer.choices[0].turns) >= len(question.turns):
                        self._answers.setdefault(str(qid), {})[answer.model_id] = answer.choices[0].turns
        self._playable = sorted(qid for qid, by_model in self._answers.items() if len(by_model) >= 2)
        if not self._playable:
            raise UsageError(
                f"no question of {bench} has answers by two models — run 'judgebench gen-answers' for two models"
            )
        self.models = tuple(sorted({m for by_model in self._answers.values() for m in by_model}))
        self.votes = len(load_votes(self.path)) if self.path.is_file() and self.path.stat().st_size else 0
        self._battles: OrderedDict[str, _Battle] = OrderedDict()
        self._lock = threading.Lock()
        self._appender = JsonlAppender(self.path)

    @staticmethod
    def check_voter(voter: Any) -> str:
        """The voter id if well formed (letters, digits, ``_``, ``-``; 1–64), else a 400."""
        if not isinstance(voter, str) or not VOTER_PATTERN.fullmatch(voter):
            raise ArenaError(400, "voter must be 1-64 letters, digits, '_' or '-'")
        return voter

    def _battle(self, battle_id: Any, voter: str) -> _Battle:
        battle = self._battles.get(battle_id) if isinstance(battle_id, str) else None
        if battle is None:
            raise ArenaError(404, "unknown battle (it may predate a restart) — start a new one")
        if battle.voter != voter:
            raise ArenaError(403, "this battle was given to another voter")
        return battle

    def _view(self, battle_id: str, battle: _Battle, turn: int) -> dict[str, Any]:
        q = battle.question
        answers = self._answers[str(q.question_id)]
        return {
            "battle": battle_id,
            "question_id": q.question_id,
            "category": q.category,
            "turn": turn,
            "turns": len(q.turns),
            "prompt": q.turns[turn - 1],
            "answer_a": answers[battle.model_a][turn - 1],
            "answer_b": answers[battle.model_b][turn - 1],
        }

    def new_battle(self, voter: Any) -> dict[str, Any]:
        """A random question and two random models that answered it, in random order; turn 1 shown."""
        voter = self.check_voter(voter)
        with self._lock:
            qid = self._rng.choice(self._playable)
            model_a, model_b = self._rng.sample(sorted(self._answers[qid]), 2)
            battle_id = secrets.token_urlsafe(18)
            self._battles[battle_id] = _Battle(self._questions[qid], model_a, model_b, voter)
            while len(self._battles) > MAX_OPEN_BATTLES:
                self._battles.popitem(last=False)
            return self._view(battle_id, self._battles[battle_id], 1)

    def next_turn(self, battle_id: Any, voter: Any) -> dict[str, Any]:
        """Show the next turn of a battle whose shown turns are all voted on."""
        voter = self.check_voter(voter)
        with self._lock:
            battle = self._battle(battle_id, voter)
            if battle.revealed:
                raise ArenaError(409, "this battle is over — start a new one")
            if battle.shown not in battle.voted:
                raise ArenaError(409, f"vote on turn {battle.shown} first")
            if battle.shown >= len(battle.question.turns):
                raise ArenaError(409, "this question has no further turn")
            battle.shown += 1
            return self._view(battle_id, battle, battle.shown)

    def vote(self, battle_id: Any, voter: Any, turn: Any, choice: Any) -> dict[str, Any]:
        """Record a vote on the turn shown; after the last turn the models are named."""
        voter = self.check_voter(voter)
        if choice not in _CHOICES:
            raise ArenaError(400, "winner must be A, B, tie or bothbad")
        if isinstance(turn, bool) or not isinstance(turn, int):
            raise ArenaError(400, "turn must be a whole number")
        with self._lock:
            battle = self._battle(battle_id, voter)
            if battle.revealed:
                raise ArenaError(409, "this battle is over — start a new one")
            if turn != battle.shown:
                raise ArenaError(409, f"turn {turn} is not the turn shown (turn {battle.shown})")
            if turn in battle.voted:
                raise ArenaError(409, f"turn {turn} already has your vote")
            vote = HumanVote(
                question_id=battle.question.question_id,
                model_a=battle.model_a,
                model_b=battle.model_b,
                winner=_CHOICES[choice],
                judge=f"arena-{voter}",
                turn=turn,
            )
            self._appender.append(vote.to_dict())
            battle.voted.add(turn)
            self.votes += 1
            more = turn < len(battle.question.turns)
            out: dict[str, Any] = {"recorded": True, "turn": turn, "next_turn": turn + 1 if more else None}
            if not more:
                out |= self._reveal(battle)
            return out

    def reveal(self, battle_id: Any, voter: Any) -> dict[str, Any]:
        """End a battle (after at least one vote) and name its models."""
        voter = self.check_voter(voter)
        with self._lock:
            battle = self._battle(battle_id, voter)
            if not battle.voted:
                raise ArenaError(409, "vote first; the models are named after your vote")
            return self._reveal(battle)

    @staticmethod
    def _reveal(battle: _Battle) -> dict[str, Any]:
        battle.revealed = True
        return {"model_a": battle.model_a, "model_b": battle.model_b}
