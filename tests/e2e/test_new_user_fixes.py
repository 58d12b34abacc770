"""Small faults new users met: `run --preset`, plurals, prices of local models, empty files, partial coverage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from builders import MTBENCH, write_questions
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer


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


def test_counts_in_cli_output_agree_with_their_number(tmp_path: Path) -> None:
    questions = tmp_path / "one.jsonl"
    questions.write_text(json.dumps({"question_id": 1, "category": "writing", "turns": ["Hi?"]}) + "\n")
    dry = judgebench("gen-answers", "-m", "fake/a", "-q", str(questions), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: 1 question to answer, 0 already done" in dry.stdout
    made = judgebench("gen-answers", "-m", "fake/a", "-q", str(questions), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "1 question: 1 answered now, 0 already done, 0 failed" in made.stdout
    judged = judgebench("judge", "-j", "fake/judge", "-q", str(questions), cwd=tmp_path)
    assert judged.returncode == 0, judged.stderr
    assert "1 judge call bought" in judged.stdout and "1 judge calls" not in judged.stdout


def test_a_base_url_model_named_like_a_vendor_model_is_not_priced_as_the_vendor(
    tmp_path: Path, llm_server: LLMServer
) -> None:
    llm_server.reply = lambda body: "Fine.\n[[7]]"
    questions = write_questions(tmp_path / "q.jsonl", n=1)
    assert judgebench("gen-answers", "-m", "fake/a", "-q", str(questions), cwd=tmp_path).returncode == 0
    args = ("judge", "-j", "openai/gpt-4", "--base-url", llm_server.base_url, "-q", str(questions))
    local = judgebench(*args, cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test"})
    assert local.returncode == 0, local.stderr
    assert "cost unknown (no price for this model)" in local.stdout and "$" not in local.stdout
    (manifest,) = [json.loads(p.read_text()) for p in (tmp_path / "results" / "q" / "runs").glob("*judge*.json")]
    assert manifest["cost_usd"] is None  # not OpenAI's $30/$60 per 1M tokens
    capped = judgebench(*args, "--max-cost", "1", cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test"})
    assert_one_line_error(capped, 2, "--max-cost: no price known for openai/gpt-4", "--prices FILE")
    # The user's own price for their server still applies.
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"openai/gpt-4": {"input": 1.0, "output": 2.0}}))
    (tmp_path / "results" / "q" / "judgments" / "openai__gpt-4_single.jsonl").unlink()
    priced = judgebench(*args, "--prices", str(prices), cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test"})
    assert priced.returncode == 0, priced.stderr
    assert ", cost $0.0" in priced.stdout


def test_a_run_against_a_dead_server_leaves_no_empty_results_file(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    questions = write_questions(tmp_path / "q.jsonl", n=1)
    assert judgebench("gen-answers", "-m", "fake/a", "-q", str(questions), cwd=tmp_path).returncode == 0
    dead = f"http://127.0.0.1:{port}/v1"
    proc = judgebench(
        "judge", "-j", "openai/j", "--base-url", dead, "-q", str(questions), cwd=tmp_path, env={"OPENAI_API_KEY": "x"}
    )
    assert_one_line_error(proc, 7, "is the server running?")
    judgments = tmp_path / "results" / "q" / "judgments"
    assert sorted(p.name for p in judgments.iterdir() if not p.name.endswith(".lock")) == []


def test_an_appender_that_wrote_nothing_removes_only_the_file_it_made(tmp_path: Path) -> None:
    from judgebench.storage import JsonlAppender

    made = tmp_path / "made.jsonl"
    with JsonlAppender(made):
        assert made.is_file()
    assert not made.exists()
    kept = tmp_path / "kept.jsonl"
    kept.write_text("")
    with JsonlAppender(kept):
        pass
    assert kept.is_file()  # not this appender's to remove
    with JsonlAppender(made) as out:
        out.append({"a": 1})
    assert made.read_text() == '{"a":1}\n'


def test_report_flags_models_judged_on_fewer_questions(tmp_path: Path) -> None:
    questions = write_questions(tmp_path / "q.jsonl", n=4)
    for model, limit in (("fake/a", "4"), ("fake/b", "2")):
        made = judgebench("gen-answers", "-m", model, "-q", str(questions), "--limit", limit, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
    assert judgebench("judge", "-j", "fake/judge", "-q", str(questions), cwd=tmp_path).returncode == 0
    pair = ("judge", "-j", "fake/judge", "-q", str(questions), "--mode", "pairwise", "--all-pairs")
    assert judgebench(*pair, cwd=tmp_path).returncode == 0
    shown = judgebench("report", "-q", str(questions), "--bootstrap", "0", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert (
        "partial coverage: fake/b graded on 2 questions, the others on 4 — its figures stand on fewer questions; "
        "judge the missing ones for a like-for-like table" in text
    )
    data = json.loads(judgebench("report", "-q", str(questions), "-f", "json", cwd=tmp_path).stdout)
    (judge,) = data["judges"]
    assert set(judge["coverage"]) == {"single"}  # every pair game has both models: nothing partial there


def test_report_flags_models_compared_on_fewer_questions(tmp_path: Path) -> None:
    questions = write_questions(tmp_path / "q.jsonl", n=4)
    for model, limit in (("fake/a", "4"), ("fake/b", "4"), ("fake/c", "2")):
        made = judgebench("gen-answers", "-m", model, "-q", str(questions), "--limit", limit, cwd=tmp_path)
        assert made.returncode == 0, made.stderr
    pair = ("judge", "-j", "fake/judge", "-q", str(questions), "--mode", "pairwise", "--all-pairs")
    assert judgebench(*pair, cwd=tmp_path).returncode == 0
    data = json.loads(judgebench("report", "-q", str(questions), "-f", "json", "--bootstrap", "0", cwd=tmp_path).stdout)
    (judge,) = data["judges"]
    assert judge["coverage"] == {
        "pairwise": "partial coverage: fake/c compared on 2 questions, the others on 4 — its figures stand on "
        "fewer questions; judge the missing ones for a like-for-like table"
    }
