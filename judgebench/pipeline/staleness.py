"""Which verdicts judge the answers a bench holds now, and which judge answers regenerated since.

A judgment records, in ``answer_hashes``, a hash of each judged answer's turns up
to the judged one (:func:`judgebench.pipeline.judge_plan.answer_hash`). When a
model's answers are regenerated after judging, its current answer no longer has
that hash: the verdict is *stale*. Reports leave stale verdicts out and count
them; ``judge`` re-judges them (their call key changed with the answer).

Records written before ``answer_hashes`` existed, and verdicts of models with no
answers file in the bench (e.g. imported judgments alone), cannot be checked and
count as current.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from judgebench.pipeline.judge_plan import answer_hash, shown_turns
from judgebench.records import Judgment, PairGame, PairScore
from judgebench.storage import Warn, load_answers

__all__ = ["CurrentAnswers", "current_answers", "drop_stale"]


@dataclass(frozen=True)
class CurrentAnswers:
    """The turns of each model's current answers: ``model → str(question_id) → turns`` (``()`` if not ok)."""

    turns: Mapping[str, Mapping[str, tuple[str, ...]]]

    def is_stale(self, record: Judgment | PairGame | PairScore) -> bool:
        """Whether ``record`` judged an answer that has changed since.

        >>> now = CurrentAnswers({"m": {"1": ("new",)}})
        >>> j = Judgment(question_id=1, model="m", turn=1, judge="j", prompt="p", score=5.0,
        ...              answer_hashes={"m": answer_hash(["old"])})
        >>> now.is_stale(j), now.is_stale(Judgment(question_id=1, model="m", turn=1, judge="j", prompt="p"))
        (True, False)
        """
        for model, judged in record.answer_hashes.items():
            answers = self.turns.get(model)
            if answers is None:
                continue  # no answers file for this model: nothing to check against
            turns = answers.get(str(record.question_id), ())
            if len(turns) < record.turn or answer_hash(turns[: record.turn]) != judged:
                return True
        return False


def current_answers(folder: Path, warn: Warn | None = None) -> CurrentAnswers:
    """Read every answers file of ``results/<bench>/answers`` (missing folder: no answers).

    Raises:
        DataError: a bad answer line (``file:line``).
    """
    turns: dict[str, dict[str, tuple[str, ...]]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for qid, answer in (load_answers(path, warn=warn) if warn else load_answers(path)).items():
            ok = answer.status == "ok" and answer.choices
            turns.setdefault(answer.model_id, {})[qid] = shown_turns(answer) if ok else ()
    return CurrentAnswers(turns)


R = TypeVar("R", Judgment, PairGame)


def drop_stale(records: Sequence[R], answers: CurrentAnswers) -> tuple[list[R], int]:
    """``records`` without the stale ones, and how many were dropped."""
    kept = [r for r in records if not answers.is_stale(r)]
    return kept, len(records) - len(kept)
