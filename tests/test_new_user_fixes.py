"""Small faults new users met: `run --preset`, plurals, prices of local models, empty files, partial coverage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from clirun import assert_one_line_error, judgebench

MTBENCH = Path(__file__).resolve().parents[2] / "shared" / "mtbench"


def test_run_takes_the_mt_bench_preset(tmp_path: Path) -> None:
    refused = judgebench("run", "--preset", "mt-bench", "-m", "fake/a", "--limit", "1", cwd=tmp_path)
    assert_one_line_error(refused, 2, "--preset mt-bench", "datasets pull mt-bench")
    assert not (tmp_path / "results").exists()  # refused before any answer was bought
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    pulled = tmp_path / "data" / "datasets" / "mt-bench"
    (pulled / "reference_answer").mkdir(parents=True)
    for name in ("question.jsonl", "judge_prompts.jsonl", "reference_answer/gpt-4.jsonl"):
        shutil.copy(MTBENCH / name, pulled / name)
    args = ("run", "--preset", "mt-bench", "-m", "fake/a", "-m", "fake/b", "-j", "fake/judge", "--limit", "2")
    proc = judgebench(*args, "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "results" / "mt-bench" / "judgments" / "fake__judge_single.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 8  # 2 models x the first 2 MT-Bench questions x 2 turns
    assert {r["judge"][1] for r in records} == {"single-v1", "single-v1-multi-turn"}  # FastChat's own prompts
    assert {r["question_id"] for r in records} == {81, 82}
