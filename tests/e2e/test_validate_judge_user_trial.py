"""validate-judge as a new user met it, following only the README: the faults found, each pinned.

From a folder the release was not pulled in, the voted answers are filed there from the pull:
``datasets pull mt-bench-human`` files the voted answers under the results dir it ran with (README: "once");
a later ``validate-judge`` in another project folder, or with another ``--results-dir``, used to stop with
"no answers for claude-v1, gpt-4, llama-13b … run gen-answers first", a fix that cannot work for these models.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer

from tests.e2e.test_validate_judge_e2e import ENV, JUDGE, pull_release, strong_wins


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return pull_release(tmp_path, monkeypatch)


def test_validate_judge_in_another_folder_files_the_voted_answers(release: Path, llm_server: LLMServer) -> None:
    llm_server.reply = strong_wins
    elsewhere = release / "elsewhere"
    elsewhere.mkdir()
    env = {**ENV, "JUDGEBENCH_DATA_DIR": str(release / "data")}  # the one data dir the release was pulled into
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "50")
    dry = judgebench(*args, "--dry-run", cwd=elsewhere, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would make 24 judge calls" in dry.stdout and len(llm_server.requests) == 0  # 12 voted items × 2 orders
    assert "answers filed from the pulled release in results/mt-bench-human/answers: " in dry.stderr
    assert "claude-v1 (3), gpt-4 (3), llama-13b (3)" in dry.stderr
    assert sorted(p.name for p in (elsewhere / "results" / "mt-bench-human" / "answers").glob("*.jsonl")) == [
        "claude-v1.jsonl", "gpt-4.jsonl", "llama-13b.jsonl"
    ]  # fmt: skip
    full = judgebench(*args, "-f", "json", cwd=elsewhere, env=env)
    assert full.returncode == 0, full.stderr
    assert len(llm_server.requests) == 24 and "answers filed" not in full.stderr  # filed once, by the dry run
    data = json.loads(full.stdout)
    assert (data["items"], data["questions"]) == (12, 3)
    table = judgebench(*args, cwd=elsewhere, env=env)  # the table's note used to end mid-phrase: "κ: Cohen's"
    assert table.returncode == 0 and len(llm_server.requests) == 24, table.stderr
    assert "κ: Cohen's κ (humans with each other: both marginals pooled" in table.stdout
    # a --results-dir of its own gets them too; the folder the pull ran in keeps its own (nothing refiled)
    other = judgebench(*args, "--results-dir", "other", "--limit", "1", "-f", "json", cwd=release, env=env)
    assert other.returncode == 0, other.stderr
    assert "answers filed from the pulled release in other/mt-bench-human/answers" in other.stderr
    assert len(llm_server.requests) == 24 + 8  # question 81: 4 items × 2 orders
    again = judgebench(*args, "--limit", "1", "--dry-run", cwd=release, env=env)
    assert again.returncode == 0 and "answers filed" not in again.stderr


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_a_limit_below_one_is_refused_before_any_call(release: Path, llm_server: LLMServer, limit: str) -> None:
    """--limit 0 took the first 0 voted questions as no filter at all: its dry run planned, and a run bought,
    every voted item (24 calls here); --limit -1 every question but the last."""
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--limit", limit)
    for extra in (("--dry-run",), ()):
        proc = judgebench(*args, *extra, cwd=release, env=ENV)
        assert_one_line_error(proc, 2, f"--limit {limit}: give 1 or more voted questions")
        assert "would make" not in proc.stdout
    assert len(llm_server.requests) == 0
    assert not (release / "results" / "mt-bench-human" / "judgments").exists()


def test_the_pull_points_at_validate_judge(release: Path) -> None:
    """The pull's closing hint named only the two-step judge + agreement route, not the one command for it."""
    proc = judgebench("datasets", "pull", "mt-bench-human", "--from", "upstream", "--no-verify", cwd=release)
    assert proc.returncode == 0, proc.stderr
    assert "validate a judge against these votes in one step: judgebench validate-judge -j … --dry-run" in proc.stdout
    assert "or step by step: judgebench judge -q mt-bench-human --mode pairwise --pairs-from " in proc.stdout


def test_votes_on_a_model_without_answers_name_the_votes_file(release: Path, llm_server: LLMServer) -> None:
    """--votes naming a model the release has no answers for said 'no answers for vicuna-13b in this bench',
    naming neither the votes file that asked for it nor a fix."""
    vote = {"question_id": 81, "model_a": "gpt-4", "model_b": "vicuna-13b", "winner": "model_a", "judge": "expert_9"}
    (release / "mine.jsonl").write_text(json.dumps({**vote, "turn": 1}) + "\n")
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--votes", "mine.jsonl")
    for extra in (("--dry-run",), ()):
        assert_one_line_error(
            judgebench(*args, *extra, cwd=release, env=ENV), 2,
            "mine.jsonl: votes on vicuna-13b, which has no answers in this bench (have: claude-v1, gpt-4, llama-13b)",
            "answer with gen-answers first, or leave those votes out",
        )  # fmt: skip
    assert len(llm_server.requests) == 0


def test_the_verdict_pairs_the_judge_with_gpt4_on_the_items_both_judged(release: Path, llm_server: LLMServer) -> None:
    """A --reference without some of the judge's items: the verdict compared the judge's rate on all 12 items with
    GPT-4's on its 4, unpaired; now both are on the 4 items they share, and the line says so."""
    llm_server.reply = strong_wins
    pulled = release / "data" / "datasets" / "mt-bench-human" / "votes" / "gpt4_pair.jsonl"
    kept = [line for line in pulled.read_text().splitlines() if json.loads(line)["question_id"] == 81]
    (release / "gpt4_81.jsonl").write_text("\n".join(kept) + "\n")
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "50")
    proc = judgebench(*args, "--reference", "gpt4_81.jsonl", "-f", "json", cwd=release, env=ENV)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["items"], data["questions"]) == (12, 3)  # the table: every item the judge has a verdict on
    verdict = data["verdict"]
    assert (verdict["items"], verdict["questions"]) == (4, 1)
    assert (verdict["n_pairs_judge"], verdict["n_pairs_reference"]) == (8, 8)  # 4 items × 2 experts, each side
    assert (verdict["judge_rate"], verdict["reference_rate"], verdict["difference"]) == (0.75, 0.75, 0.0)
    assert "— on the 4 items (1 question) GPT-4 also has a verdict on, agreement with ties 0.750" in verdict["line"]
    full = judgebench(*args, "-f", "json", cwd=release, env=ENV)  # the whole release: every item shared, as before
    assert len(llm_server.requests) == 24
    assert json.loads(full.stdout)["verdict"]["items"] == 12
    assert "also has a verdict on" not in json.loads(full.stdout)["verdict"]["line"]
