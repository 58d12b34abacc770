"""Unreadable verdicts: paid once, counted once, asked again only with --retry-unparsed, and never a silent success."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from builders import write_questions
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer, last_user_text

ENV = {"OPENAI_API_KEY": "sk-test"}


class Judge:
    """A grading judge whose replies hold a verdict only for the questions in ``readable``."""

    def __init__(self) -> None:
        self.readable: set[int] = set()

    def __call__(self, body: dict[str, Any]) -> str:
        text = last_user_text(body)
        if len(body["messages"]) > 2:  # a re-ask: answer it the same way as the first question
            text = body["messages"][1]["content"]
        if any(f"Question {q}," in text or f"Question {q}:" in text for q in self.readable):
            return "Good.\n[[7]]"
        return "I would rather not say."


def _setup(tmp_path: Path, llm_server: LLMServer) -> tuple[Judge, list[str]]:
    judge = Judge()
    llm_server.reply = judge
    qfile = write_questions(tmp_path / "mini.jsonl", n=2)
    for name in ("alpha", "beta"):
        proc = judgebench("gen-answers", "-m", f"fake/{name}", "--name", name, "-q", str(qfile), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    return judge, ["judge", "-j", "openai/judge", "--base-url", llm_server.base_url, "-q", str(qfile)]


def _rows(tmp_path: Path) -> dict[str, dict[str, Any]]:
    proc = judgebench("report", "-q", str(tmp_path / "mini.jsonl"), "-f", "json", "--bootstrap", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (judge,) = json.loads(proc.stdout)["judges"]
    return {row["model"]: row for row in judge["single"]}


def test_unreadable_verdicts_are_asked_again_only_with_retry_unparsed(tmp_path: Path, llm_server: LLMServer) -> None:
    judge, args = _setup(tmp_path, llm_server)
    records = tmp_path / "results" / "mini" / "judgments" / "openai__judge_single.jsonl"

    # Every reply unreadable: 8 judgments (2 models x 2 questions x 2 turns), each asked and re-asked twice.
    first = judgebench(*args, cwd=tmp_path, env=ENV)
    assert_one_line_error(first, 1, "all 8 judgments could not be read", "--retry-unparsed")
    assert len(llm_server.requests) == 24
    assert "8 judge calls bought + 16 re-asks for a missing verdict = 24 requests" in first.stdout
    assert "8 verdicts unreadable — rerun with --retry-unparsed or change the verdict format" in first.stderr
    assert len(records.read_text().splitlines()) == 8

    # A plain rerun pays for nothing, and still says what to do (and still fails).
    again = judgebench(*args, cwd=tmp_path, env=ENV)
    assert_one_line_error(again, 1, "all 8 judgments could not be read", "--retry-unparsed")
    assert len(llm_server.requests) == 24
    assert "0 judged now" in again.stdout and "0 judge calls bought" in again.stdout

    dry = judgebench(*args, "--retry-unparsed", "--dry-run", cwd=tmp_path, env=ENV)
    assert dry.returncode == 0, dry.stderr
    assert "would make 8 judge calls (8 judgments asked again: unreadable before)" in dry.stdout
    assert len(llm_server.requests) == 24

    # The judge now answers question 1: the 8 are asked again; question 2's 4 stay unreadable (re-asked twice each).
    judge.readable = {1}
    retried = judgebench(*args, "--retry-unparsed", cwd=tmp_path, env=ENV)
    assert retried.returncode == 0, retried.stderr
    assert len(llm_server.requests) == 24 + 4 + 4 * 3
    assert "8 judged now: 4 with a verdict, 4 without a readable verdict" in retried.stdout
    assert (
        "8 judge calls bought (8 judgments asked again: unreadable before) + 8 re-asks for a missing verdict "
        "= 16 requests" in retried.stdout
    )
    assert "4 verdicts unreadable — rerun with --retry-unparsed" in retried.stderr
    rows = _rows(tmp_path)  # the superseded records are not counted again
    assert {m: (r["n"], r["n_unparsed"]) for m, r in rows.items()} == {"alpha": (2, 2), "beta": (2, 2)}

    # Without the flag nothing is bought again; with it, only the 4 still unreadable.
    plain = judgebench(*args, cwd=tmp_path, env=ENV)
    assert plain.returncode == 0, plain.stderr
    assert len(llm_server.requests) == 40
    assert "4 verdicts unreadable" in plain.stderr
    judge.readable = {1, 2}
    last = judgebench(*args, "--retry-unparsed", cwd=tmp_path, env=ENV)
    assert last.returncode == 0, last.stderr
    assert len(llm_server.requests) == 44
    assert "4 judge calls bought (4 judgments asked again: unreadable before)" in last.stdout
    assert "unreadable —" not in last.stderr
    rows = _rows(tmp_path)
    assert {m: (r["n"], r["n_unparsed"]) for m, r in rows.items()} == {"alpha": (4, 0), "beta": (4, 0)}
    assert len(records.read_text().splitlines()) == 8 + 8 + 4  # append-only: the old records stay, superseded
    done = judgebench(*args, "--retry-unparsed", cwd=tmp_path, env=ENV)
    assert done.returncode == 0 and len(llm_server.requests) == 44  # nothing left to ask again
