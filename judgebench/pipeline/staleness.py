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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from judgebench.pipeline.judge_plan import answer_hash, shown_turns
from judgebench.records import Answer, Judgment, PairGame, PairScore
from judgebench.storage import Warn, load_answers

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

__all__ = ["CurrentAnswers", "answers_now", "current_answers", "drop_stale", "drop_stale_games", "read_answers"]


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
        return self._any_stale(record.answer_hashes, str(record.question_id), record.turn)

    def _any_stale(self, hashes: Mapping[str, str], qid: str, turn: int) -> bool:
        for model, judged in hashes.items():
            if model in self.turns and self.expected_hash(model, qid, turn) != judged:
                return True
        return False

    def expected_hash(self, model: str, qid: str, turn: int) -> str | None:
        """The answer hash a current verdict on ``model``'s answer to ``qid`` up to ``turn`` records.

        ``None`` when the model has no such answer now (no verdict on it is current).
        """
        turns = self.turns.get(model, {}).get(qid, ())
        return answer_hash(turns[:turn]) if len(turns) >= turn else None

    def stale_games(self, table: pd.DataFrame) -> npt.NDArray[np.bool_]:
        """Which rows of a game table (:mod:`judgebench.records.columns`) judged answers that have changed since.

        The same test as :meth:`is_stale`, each distinct answer hashed once.
        """
        import numpy as np
        import pandas as pd

        from judgebench.stats.games import model_codes

        stale = np.zeros(len(table), dtype=bool)
        if not self.turns or not len(table):
            return stale
        hashed: dict[int, str | None] = {}  # each answer cell hashed once, for both sides
        m1, m2, names = model_codes(table)
        qid = np.asarray(table["qid"].cat.codes, dtype=np.int64)
        questions = [str(q) for q in table["qid"].cat.categories]
        turn = table["turn"].to_numpy(dtype=np.int64)
        answered = np.array([name in self.turns for name in names], dtype=bool)
        width = int(turn.max()) + 1
        for codes, column in ((m1, "hash_1"), (m2, "hash_2")):
            judged = table[column].to_numpy(dtype=object)
            checked = answered[codes] & pd.notna(judged)
            if not checked.any():
                continue
            cell = (codes * len(questions) + qid) * width + turn
            cells, inverse = np.unique(cell[checked], return_inverse=True)
            for c in cells.tolist():
                if c not in hashed:
                    model, question = names[c // width // len(questions)], questions[c // width % len(questions)]
                    hashed[c] = self.expected_hash(model, question, c % width)
            expected = np.array([hashed[c] for c in cells.tolist()], dtype=object)
            stale[checked] |= expected[inverse] != judged[checked]
        others = table["hash_other"].to_numpy(dtype=object)
        for row in np.flatnonzero(pd.notna(others)).tolist():
            stale[row] |= self._any_stale(others[row], questions[qid[row]], int(turn[row]))
        return stale


def current_answers(folder: Path, warn: Warn | None = None) -> CurrentAnswers:
    """Read every answers file of ``results/<bench>/answers`` (missing folder: no answers).

    Raises:
        DataError: a bad answer line (``file:line``).
    """
    return answers_now(read_answers(folder, warn))


def read_answers(folder: Path, warn: Warn | None = None) -> list[Answer]:
    """Every answer of every answers file in ``folder``, files in name order (missing folder: none).

    Raises:
        DataError: a bad answer line (``file:line``).
    """
    return [
        answer
        for path in sorted(folder.glob("*.jsonl"))
        for answer in (load_answers(path, warn=warn) if warn else load_answers(path)).values()
    ]


def answers_now(answers: Iterable[Answer]) -> CurrentAnswers:
    """:class:`CurrentAnswers` of answers already read (``current_answers`` without the reading)."""
    turns: dict[str, dict[str, tuple[str, ...]]] = {}
    for answer in answers:
        ok = answer.status == "ok" and answer.choices
        turns.setdefault(answer.model_id, {})[str(answer.question_id)] = shown_turns(answer) if ok else ()
    return CurrentAnswers(turns)


R = TypeVar("R", Judgment, PairGame)


def drop_stale(records: Sequence[R], answers: CurrentAnswers) -> tuple[list[R], int]:
    """``records`` without the stale ones, and how many were dropped."""
    kept = [r for r in records if not answers.is_stale(r)]
    return kept, len(records) - len(kept)


def drop_stale_games(table: pd.DataFrame, answers: CurrentAnswers) -> tuple[pd.DataFrame, int]:
    """A game table without its stale rows, and how many were dropped."""
    stale = answers.stale_games(table)
    count = int(stale.sum())
    return (table[~stale].reset_index(drop=True) if count else table), count
