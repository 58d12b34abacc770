"""The `judgebench` command: help, exit codes, one-line errors, answers end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench, judgebench_process
from llm_server import Behaviour, LLMServer


@pytest.mark.parametrize("command", [[], ["gen-answers"], ["datasets"], ["datasets", "pull"], ["datasets", "list"]])
def test_help_on_every_command(tmp_path: Path, command: list[str]) -> None:
    proc = judgebench(*command, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout


@pytest.mark.parametrize(
    ("command", "job_module"),
    [
        ("gen-answers", "judgebench.pipeline.answer_job"),
        ("run", "judgebench.pipeline.judge_job"),
        ("report", "judgebench.pipeline.report_rows"),
        ("agreement", "judgebench.pipeline.agreement"),
    ],
)
def test_help_imports_no_heavy_dependency(tmp_path: Path, command: str, job_module: str) -> None:
    """The job dataclasses the options take their defaults from load with the CLI: nothing heavy comes with them."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "judgebench", command, "--help"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert job_module in imported
    heavy = {
        "openai",
        "anthropic",
        "torch",
        "transformers",
        "numpy",
        "pandas",
        "pyarrow",
        "scipy",
        "httpx",
        "httpx2",
        "aiohttp",
        "uvloop",
        "ray",
        "vllm",
    }
    assert sorted(imported & heavy) == []
    assert "judgebench.storage.game_table" not in imported  # the reports' reader loads on first use


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("4", "4")])
def test_the_cli_asks_for_one_blas_thread_unless_told(tmp_path: Path, given: str | None, expected: str) -> None:
    """Set before numpy loads (the CLI imports none), so that the statistics' small products run on one thread."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = "import os, sys, judgebench.cli; print(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [expected, "False"]


def test_as_a_real_process(tmp_path: Path) -> None:
    """`python -m judgebench` exits with our codes and prints no traceback."""
    qfile = write_questions(tmp_path / "mini.jsonl", n=2)
    ok = judgebench_process("gen-answers", "-m", "fake/x", "-q", str(qfile), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "2 answered now" in ok.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question_id": 1, "category": "math", "turns": []}\n')
    assert_one_line_error(
        judgebench_process("gen-answers", "-m", "fake/x", "-q", str(bad), cwd=tmp_path), 1, "bad.jsonl:1", "empty list"
    )
    assert_one_line_error(judgebench_process("gen-answers", "-m", "gpt4o", cwd=tmp_path), 2, "provider/model", "gpt-4o")


def test_version(tmp_path: Path) -> None:
    from judgebench import __version__

    proc = judgebench("--version", cwd=tmp_path)
    assert proc.stdout.strip() == f"judgebench {__version__}"


def test_gen_answers_then_resume(tmp_path: Path) -> None:
    qfile = write_questions(tmp_path / "mini.jsonl", n=4)
    first = judgebench("gen-answers", "--model", "fake/demo", "--questions", str(qfile), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "4 answered now, 0 already done, 0 failed" in first.stdout
    assert "calls: 8" in first.stdout
    path = tmp_path / "results" / "mini" / "answers" / "fake__demo.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["question_id"] for r in sorted(records, key=lambda r: r["question_id"])] == [1, 2, 3, 4]
    second = judgebench("gen-answers", "--model", "fake/demo", "--questions", str(qfile), cwd=tmp_path)
    assert "0 answered now, 4 already done" in second.stdout
    assert "calls: 0" in second.stdout


def test_bundled_question_set_is_the_default(tmp_path: Path) -> None:
    proc = judgebench("gen-answers", "-m", "fake/demo", "--limit", "3", "--results-dir", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "jb-80" / "answers" / "fake__demo.jsonl").is_file()


@pytest.mark.parametrize(
    ("content", "code", "needles"),
    [
        (
            '{"question_id": 1, "category": "math", "turns": ["a"]}\n{"question_id": 1',
            1,
            ["q.jsonl:2", "invalid JSON"],
        ),
        ('{"question_id": 1, "turns": ["a"]}\n', 1, ["q.jsonl:1", "missing field 'category'"]),
        (
            '{"question_id": 1, "category": "m", "turns": ["a"]}\n'
            '{"question_id": 1, "category": "m", "turns": ["b"]}\n',
            1,
            ["q.jsonl:2", "duplicate question_id 1"],
        ),
        ("", 1, ["q.jsonl", "no questions"]),
        ('{"question_id": 1, "category": "m", "turns": ["caf\xe9"]}\n', 1, ["q.jsonl:1", "not UTF-8"]),
    ],
)
def test_bad_question_files(tmp_path: Path, content: str, code: int, needles: list[str]) -> None:
    qfile = tmp_path / "q.jsonl"
    qfile.write_bytes(content.encode("latin-1"))
    proc = judgebench("gen-answers", "-m", "fake/x", "-q", str(qfile), cwd=tmp_path)
    assert_one_line_error(proc, code, *needles)
    assert not (tmp_path / "results").exists()


def test_bad_options(tmp_path: Path) -> None:
    assert_one_line_error(judgebench("gen-answers", "-m", "nope/x", cwd=tmp_path), 2, "unknown provider 'nope'")
    assert_one_line_error(
        judgebench("gen-answers", "-m", "vicuna13b", cwd=tmp_path), 2, "close matches: vicuna-13b", "provider/model"
    )
    assert_one_line_error(
        judgebench("gen-answers", "-m", "fake/x", "-q", "no-such-set", cwd=tmp_path),
        2,
        "no-such-set",
        "bundled: jb-80",
    )
    assert_one_line_error(judgebench("gen-answers", "-m", "fake/x", "--parallel", "0", cwd=tmp_path), 2, "--parallel 0")
    assert not (tmp_path / "results").exists()


def test_missing_api_keys(tmp_path: Path) -> None:
    assert_one_line_error(judgebench("gen-answers", "-m", "openai/gpt-4o", cwd=tmp_path), 1, "OPENAI_API_KEY")
    assert_one_line_error(
        judgebench("gen-answers", "-m", "anthropic/claude-sonnet-4-5", cwd=tmp_path), 1, "ANTHROPIC_API_KEY"
    )
    assert_one_line_error(
        judgebench("gen-answers", "-m", "openai/x", "--api-key-env", "MY_KEY", cwd=tmp_path), 1, "MY_KEY"
    )
    assert not (tmp_path / "results").exists()


def test_datasets_list_shows_bundled_and_public(tmp_path: Path) -> None:
    proc = judgebench("datasets", "list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "jb-80" in proc.stdout
    assert "mt-bench" in proc.stdout
    assert_one_line_error(judgebench("datasets", "pull", "nope", cwd=tmp_path), 2, "unknown dataset 'nope'")


def test_openai_compatible_server_end_to_end_and_key_never_written(tmp_path: Path, llm_server: LLMServer) -> None:
    secret = "sk-judgebench-test-SECRET-0123456789abcdef"
    qfile = write_questions(tmp_path / "mini.jsonl", n=5)
    # One 429 with Retry-After and one 500 on the way: retried, not failed.
    llm_server.script(Behaviour(status=429, headers={"Retry-After": "0"}), Behaviour(status=500))
    proc = judgebench(
        "gen-answers",
        "--model",
        "openai/served-model",
        "--base-url",
        llm_server.base_url,
        "--questions",
        str(qfile),
        "--parallel",
        "4",
        "-v",
        cwd=tmp_path,
        env={"OPENAI_API_KEY": secret},
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 answered now" in proc.stdout
    assert proc.stderr.count("retrying in") == 2  # -v: one line per retry
    assert "retries: 2 (429: 1, 5xx: 1); 1 waited as the server asked (Retry-After)" in proc.stderr
    bodies = [r.json for r in llm_server.requests if r.json is not None]
    assert {b["model"] for b in bodies} == {"served-model"}
    assert all(r.headers["authorization"] == f"Bearer {secret}" for r in llm_server.requests)
    answers = tmp_path / "results" / "mini" / "answers" / "openai__served-model.jsonl"
    records = [json.loads(line) for line in answers.read_text().splitlines()]
    assert len(records) == 5
    assert all(r["status"] == "ok" and r["choices"][0]["turns"][1].startswith("echo: ") for r in records)
    assert sum(r["usage"]["calls"] for r in records) == 10
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 3
    for path in written:
        assert secret.encode() not in path.read_bytes(), path
    assert secret not in proc.stdout + proc.stderr


def test_server_echoing_the_key_in_errors_never_leaks_it(tmp_path: Path, llm_server: LLMServer) -> None:
    secret = "sk-judgebench-test-SECRET-fedcba9876543210"
    qfile = write_questions(tmp_path / "mini.jsonl", n=1)
    llm_server.script(Behaviour(status=400, echo_key=True))
    proc = judgebench(
        "gen-answers",
        "-m",
        "openai/x",
        "--base-url",
        llm_server.base_url,
        "-q",
        str(qfile),
        cwd=tmp_path,
        env={"OPENAI_API_KEY": secret},
    )
    assert_one_line_error(proc, 1, "1 answer failed", "rerun the same command")
    record = json.loads((tmp_path / "results" / "mini" / "answers" / "openai__x.jsonl").read_text())
    assert record["status"] == "failed"
    assert "not retryable, after 1 attempt" in record["error"]
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        assert secret.encode() not in path.read_bytes(), path
    assert secret not in proc.stdout + proc.stderr
