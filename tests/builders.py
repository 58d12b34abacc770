"""Small builders of test inputs shared by several test files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest


def _repo_root() -> Path:
    """The checkout's root: the nearest folder above this file holding ``pyproject.toml``."""
    here = Path(__file__).resolve().parent
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    raise RuntimeError(f"no pyproject.toml above {here}")


REPO = _repo_root()
"""The repository root (``judge_prompts/``, ``questions/``, ``README.md``, ``bench/``), at any test depth."""
TEST_DATA = REPO / "tests" / "data"
"""Committed test fixtures (``tests/data``)."""
MTBENCH = REPO.parent / "shared" / "mtbench"
"""The real public MT-Bench files in FastChat's layout (``../shared/mtbench``); tests skip when it is absent."""
STEFANSTUD = MTBENCH / "third_party" / "Stefanstud_FastChat"
"""Stefanstud's phi-3 MT-Bench run in FastChat's layout: answers, GPT-4 grades and pair games."""


def stefanstud_bench(folder: Path) -> Path:
    """Copy Stefanstud's bench, with MT-Bench's ``question.jsonl``, to ``folder/mt_bench``; skip the test without it."""
    if not STEFANSTUD.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    src = folder / "mt_bench"
    shutil.copytree(STEFANSTUD, src)
    shutil.copy(MTBENCH / "question.jsonl", src / "question.jsonl")
    return src


def write_questions(path: Path, n: int = 6) -> Path:
    categories = ["writing", "math", "coding", "roleplay", "stem", "reasoning"]
    with path.open("w", encoding="utf-8") as f:
        for i in range(1, n + 1):
            q = {
                "question_id": i,
                "category": categories[(i - 1) % len(categories)],
                "turns": [f"Question {i}, first turn?", f"Question {i}: now refine that."],
            }
            f.write(json.dumps(q) + "\n")
    return path


def same_error_both_ways(path: Path) -> str:
    """The message with which both pair-game readers (records, and the game table) refuse ``path``; they must agree."""
    from judgebench.errors import DataError
    from judgebench.storage import load_game_table, load_pair_games

    with pytest.raises(DataError) as by_records:
        load_pair_games(path)
    with pytest.raises(DataError) as by_table:
        load_game_table(path)
    assert str(by_table.value) == str(by_records.value)
    return str(by_table.value)


def answered_bench(qfile: Path, rows: Sequence[Mapping[str, Any]], models: Sequence[str]) -> Path:
    """Write question ``rows`` to ``qfile`` and answer them with a fake model per name (``fake/<name>``).

    Answers go under ``qfile``'s folder's ``results/``, named ``<name>``; returns ``qfile``.
    """
    from judgebench.pipeline import AnswerJob, gen_answers
    from judgebench.providers.fake import FakeProvider

    qfile.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name in models:
        job = AnswerJob(model=f"fake/{name}", questions=str(qfile), results_dir=qfile.parent / "results", name=name)
        gen_answers(job, provider=FakeProvider(name))
    return qfile


def edit_answer(path: Path, question_id: int, turn: int, text: str) -> None:
    """Rewrite turn ``turn`` (1-based) of the first choice of ``question_id``'s answer in answers file ``path``."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for record in lines:
        if record["question_id"] == question_id:
            record["choices"][0]["turns"][turn - 1] = text
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))


def human_vote_row(
    qid: int, a: str, b: str, winner: str, judge: str, turn: int = 1, b_says: str = "on"
) -> dict[str, object]:
    """One row of the MT-Bench human-judgment release's parquet splits: the vote and the two-turn conversations
    the voter saw (``Q<qid>``, ``Q<qid>b``; model A says ``<a> on <qid>``, then ``<a> again on <qid>``)."""

    def conversation(answer: str, answer_2: str) -> list[dict[str, str]]:
        return [
            {"role": "user", "content": f"Q{qid}"},
            {"role": "assistant", "content": answer},
            {"role": "user", "content": f"Q{qid}b"},
            {"role": "assistant", "content": answer_2},
        ]

    return {
        "question_id": qid,
        "model_a": a,
        "model_b": b,
        "winner": winner,
        "judge": judge,
        "conversation_a": conversation(f"{a} on {qid}", f"{a} again on {qid}"),
        "conversation_b": conversation(f"{b} {b_says} {qid}", f"{b} again on {qid}"),
        "turn": turn,
    }
