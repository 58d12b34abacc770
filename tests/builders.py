"""Small builders of test inputs shared by several test files."""

from __future__ import annotations

import json
from pathlib import Path


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


STEFANSTUD = MTBENCH / "third_party" / "Stefanstud_FastChat"
"""A real FastChat results folder (two models' answers, GPT-4 single and pairwise judgments)."""


def fastchat_copy(tmp_path: Path) -> Path:
    """A writable copy of :data:`STEFANSTUD` with MT-Bench's questions, as ``tmp_path/mt_bench``.

    Skips the test when ``../shared/mtbench`` is not beside the repo.
    """
    import shutil

    import pytest

    if not STEFANSTUD.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    src = tmp_path / "mt_bench"
    shutil.copytree(STEFANSTUD, src)
    shutil.copy(MTBENCH / "question.jsonl", src / "question.jsonl")
    return src


def same_load_error(path: Path) -> str:
    """The ``DataError`` both pair-game readers raise on ``path`` (asserted identical), as text."""
    import pytest

    from judgebench.errors import DataError
    from judgebench.storage.loaders import load_game_table, load_pair_games

    with pytest.raises(DataError) as by_records:
        load_pair_games(path)
    with pytest.raises(DataError) as by_table:
        load_game_table(path)
    assert str(by_table.value) == str(by_records.value)
    return str(by_table.value)
