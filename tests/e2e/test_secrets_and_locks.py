"""A recognizable fake key never lands in anything we write; two processes never share a file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from builders import write_questions
from clirun import assert_one_line_error, judgebench
from llm_server import Behaviour, LLMServer, echo_reply

from tests.e2e.test_resilience import deterministic_reply

SECRET = "sk-proj-JUDGEBENCH-CANARY-7f3a9c1e5b2d4f6a8c0e"


def test_the_key_is_in_no_file_log_or_output(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = deterministic_reply
    # Errors whose bodies quote the key, on the way: they are retried or recorded, never with the key.
    llm_server.script(Behaviour(status=500, echo_key=True), Behaviour(status=429, echo_key=True))
    qfile = write_questions(tmp_path / "q.jsonl", n=6)
    env = {"OPENAI_API_KEY": SECRET}
    server = ["--base-url", llm_server.base_url, "-q", str(qfile)]
    outputs = [
        judgebench("gen-answers", "-m", "openai/a", *server, cwd=tmp_path, env=env),
        judgebench("gen-answers", "-m", "openai/b", *server, cwd=tmp_path, env=env),
        judgebench("judge", "-j", "openai/judge", *server, cwd=tmp_path, env=env),
        judgebench("judge", "-j", "openai/judge", *server, "--mode", "pairwise", "--all-pairs", cwd=tmp_path, env=env),
    ]
    for fmt in ("table", "json", "markdown", "csv"):
        outputs.append(judgebench("report", "-q", str(qfile), "-f", fmt, cwd=tmp_path, env=env))
    outputs.append(
        judgebench("report", "-q", str(qfile), "--html", "report.html", "--plots", "plots", cwd=tmp_path, env=env)
    )
    outputs.append(judgebench("export", "fastchat", "exported", "-q", str(qfile), cwd=tmp_path, env=env))
    # A judge call that fails for good, with the key echoed in the error body, is stored as a value.
    llm_server.script(*[Behaviour(status=400, echo_key=True)] * 3)
    outputs.append(judgebench("judge", "-j", "openai/judge2", *server, "-n", "1", cwd=tmp_path, env=env))
    assert [p.returncode for p in outputs] == [0] * 10 + [1]
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert any(SECRET in (r.headers.get("authorization") or "") for r in llm_server.requests)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 10
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    for proc in outputs:
        assert SECRET not in proc.stdout + proc.stderr


def test_a_second_process_on_the_same_file_refuses_cleanly(tmp_path: Path) -> None:
    qfile = write_questions(tmp_path / "q.jsonl", n=40)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"OPENAI_API_KEY": "sk-test", "COLUMNS": "200"})
    # The first process's replies wait until the other two have run: it holds the file however slow
    # the machine (no latency guess), and finishes once released.
    release = threading.Event()

    def held_reply(body: dict[str, Any]) -> str:
        release.wait()
        return echo_reply(body)

    with LLMServer(reply=held_reply) as server:
        args = [sys.executable, "-m", "judgebench", "gen-answers", "-m", "openai/slow", "-q", str(qfile)]
        first = subprocess.Popen(
            [*args, "--base-url", server.base_url, "--parallel", "2"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        while not server.requests:  # it has the file open once it asks (pytest-timeout ends a hang)
            assert first.poll() is None, "the first process exited before asking anything"
            time.sleep(0.01)
        second = judgebench(
            "gen-answers", "-m", "openai/slow", "-q", str(qfile), "--base-url", server.base_url, cwd=tmp_path,
            env={"OPENAI_API_KEY": "sk-test"},
        )  # fmt: skip
        assert_one_line_error(second, 1, "being written by another judgebench process", "--results-dir")
        # Another model in the same results dir is a different file: that one proceeds.
        other = judgebench("gen-answers", "-m", "fake/other", "-q", str(qfile), "-n", "2", cwd=tmp_path)
        assert other.returncode == 0, other.stderr
        release.set()
        assert first.wait() == 0
        assert first.stderr is not None
        first.stderr.close()
    again = judgebench("gen-answers", "-m", "openai/slow", "-q", str(qfile), cwd=tmp_path, env={"OPENAI_API_KEY": "x"})
    assert "0 answered now, 40 already done" in again.stdout
