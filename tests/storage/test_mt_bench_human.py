"""The MT-Bench human-judgment release turned into vote, answer and question files (``build_mt_bench_human``).

The splits are small parquet files written here with the release's columns; the whole pull is driven end to
end in ``tests/pipeline/test_datasets.py``. These cases read the files the build writes, and check that a split
it cannot read names the file (and row) and changes no file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from builders import human_vote_row

from judgebench.errors import DataError
from judgebench.storage.mt_bench_human import build_mt_bench_human


def release(folder: Path, human: list[dict[str, object]], gpt4: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(human).to_parquet(folder / "human.parquet")
    pd.DataFrame(gpt4).to_parquet(folder / "gpt4_pair.parquet")
    (folder / "mt_bench").mkdir(exist_ok=True)
    questions = [{"question_id": q, "category": "writing", "turns": [f"asked {q}", f"then {q}"]} for q in (81, 82)]
    (folder / "mt_bench" / "question.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_writes_votes_answers_and_the_questions_the_voters_saw(tmp_path: Path) -> None:
    release(
        tmp_path,
        [
            human_vote_row(81, "gpt-4", "llama-13b", "model_a", "expert_0"),
            human_vote_row(82, "claude-v1", "gpt-4", "tie", "author_2"),
        ],
        [human_vote_row(82, "claude-v1", "gpt-4", "model_b", "gpt4_pair", b_says="differently on")],
    )
    written, notes = build_mt_bench_human(tmp_path)
    assert written == [
        "votes/human.jsonl",
        "votes/gpt4_pair.jsonl",
        "model_answer/claude-v1.jsonl",
        "model_answer/gpt-4.jsonl",
        "model_answer/llama-13b.jsonl",
        "question.jsonl",
    ]
    assert notes == ["1 row(s) showed answers differently from an earlier row; the first row's version was kept"]
    assert [(v["question_id"], v["winner"], v["judge"]) for v in lines(tmp_path / "votes" / "human.jsonl")] == [
        (81, "model_a", "expert_0"),
        (82, "tie", "author_2"),
    ]
    gpt4 = lines(tmp_path / "model_answer" / "gpt-4.jsonl")
    assert [(a["question_id"], a["choices"][0]["turns"]) for a in gpt4] == [
        (81, ["gpt-4 on 81", "gpt-4 again on 81"]),
        (82, ["gpt-4 on 82", "gpt-4 again on 82"]),
    ]
    assert [q["turns"] for q in lines(tmp_path / "question.jsonl")] == [["Q81", "Q81b"], ["Q82", "Q82b"]]


def without_judge(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "judge"}


def half_a_message(row: dict[str, Any]) -> dict[str, Any]:
    return row | {"conversation_a": [{"role": "user"}]}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(without_judge, ": no column judge — pull it again with --force", id="missing-column"),
        pytest.param(
            half_a_message,
            ":1: a conversation message is not {role, content} — pull it again with --force",
            id="bad-message",
        ),
    ],
)
def test_a_split_it_cannot_read_is_named_and_changes_no_file(
    tmp_path: Path, damage: Callable[[dict[str, Any]], dict[str, Any]], message: str
) -> None:
    good = human_vote_row(81, "gpt-4", "llama-13b", "model_a", "expert_0")
    release(tmp_path, [good], [damage(human_vote_row(81, "gpt-4", "llama-13b", "model_a", "gpt4_pair"))])
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(DataError) as info:
        build_mt_bench_human(tmp_path)
    assert str(info.value) == f"{tmp_path / 'gpt4_pair.parquet'}{message}"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
