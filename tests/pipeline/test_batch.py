"""judge --batch through the OpenAI Batch API and Anthropic Message Batches, against a local fake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer

from tests.e2e.test_resilience import deterministic_reply

ENV = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}


def answered(root: Path) -> Path:
    qfile = write_questions(root / "q.jsonl", n=4)
    for name in ("a", "b"):
        assert judgebench("gen-answers", "-m", f"fake/{name}", "-q", str(qfile), cwd=root).returncode == 0
    return qfile


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize(("judge", "url"), [("openai/gpt-4o", "base_url"), ("anthropic/claude-judge", "url")])
def test_batch_judging_matches_direct_judging(tmp_path: Path, llm_server: LLMServer, judge: str, url: str) -> None:
    llm_server.reply = deterministic_reply
    qfile = answered(tmp_path)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({judge: {"input": 3.0, "output": 15.0}}))
    server = ["--base-url", getattr(llm_server, url), "--prices", str(prices), "-q", str(qfile), "--batch-poll", "0.01"]
    proc = judgebench("judge", "-j", judge, *server, "--batch", cwd=tmp_path, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert "16 judged now: 16 with a verdict" in proc.stdout
    batches = llm_server._batches
    assert len(batches.batches) == 1
    assert len(batches.items) == 16  # every judge call went through the batch...
    assert not [r for r in llm_server.requests if r.path.endswith(("/chat/completions", "/messages"))]  # ...none direct
    slug = judge.replace("/", "__")
    batched = {r["key"]: r["score"] for r in lines(tmp_path / "results" / "q" / "judgments" / f"{slug}_single.jsonl")}
    # The same judge asked directly gives the same verdicts: the batch path stores what a direct run would.
    direct_root = tmp_path / "direct"
    direct_root.mkdir()
    answered(direct_root)
    assert judgebench("judge", "-j", judge, *server[:4], "-q", "q.jsonl", cwd=direct_root, env=ENV).returncode == 0
    direct = {r["key"]: r["score"] for r in lines(direct_root / "results" / "q" / "judgments" / f"{slug}_single.jsonl")}
    assert batched == direct
    # Half price is what the run manifest charges.
    runs = [json.loads(p.read_text()) for p in (tmp_path / "results" / "q" / "runs").glob("*judge*.json")]
    direct_runs = [json.loads(p.read_text()) for p in (direct_root / "results" / "q" / "runs").glob("*judge*.json")]
    assert runs[0]["cost_usd"] == pytest.approx(direct_runs[0]["cost_usd"] / 2)
    assert runs[0]["options"]["batch"] is True


def test_a_batch_left_running_is_collected_later_never_resubmitted(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = deterministic_reply
    llm_server._batches.polls_before_done = 3
    qfile = answered(tmp_path)
    args = ["judge", "-j", "openai/gpt-4o", "--base-url", llm_server.base_url, "-q", str(qfile), "--batch"]
    first = judgebench(*args, "--batch-wait", "0", cwd=tmp_path, env=ENV)
    assert_one_line_error(first, 6, "is still in_progress", "rerun the same command later")
    journal = lines(tmp_path / "results" / "q" / "batches" / "openai__gpt-4o_single.jsonl")
    assert [e["event"] for e in journal] == ["submitted"]
    second = judgebench(*args, "--batch-poll", "0.01", cwd=tmp_path, env=ENV)
    assert second.returncode == 0, second.stderr
    assert "collecting batch" in second.stderr
    assert len(llm_server._batches.batches) == 1  # collected, not submitted again
    assert len(llm_server._batches.items) == 16
    third = judgebench(*args, cwd=tmp_path, env=ENV)
    assert "0 judged now" in third.stdout
    assert len(llm_server._batches.batches) == 1


def test_batch_needs_a_provider_with_a_batch_api(tmp_path: Path) -> None:
    qfile = answered(tmp_path)
    assert_one_line_error(
        judgebench("judge", "-j", "fake/judge", "-q", str(qfile), "--batch", cwd=tmp_path), 2, "--batch: fake/judge"
    )
