"""judge / report / run / import / export through the real command, against real files and a loopback judge."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from builders import fastchat_copy, write_questions
from clirun import assert_one_line_error, judgebench
from fastchat_figures import PRINTED, SHOW_RESULT_PAIR, SHOW_RESULT_SINGLE
from llm_server import LLMServer, last_user_text


def fastchat_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture
def fastchat_dir(tmp_path: Path) -> Path:
    return fastchat_copy(tmp_path)


def test_import_then_report_equals_fastchat_show_result(tmp_path: Path, fastchat_dir: Path) -> None:
    proc = judgebench("import", "fastchat", str(fastchat_dir), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = judgebench("report", "--questions", "mt_bench", "--format", "json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    (judge,) = data["judges"]
    assert judge["judge"] == "gpt-4"
    single = {row["model"]: row for row in judge["single"]}
    for model, printed in SHOW_RESULT_SINGLE["Stefanstud_FastChat"].items():  # what FastChat's show_result printed
        assert (single[model]["turn1"], single[model]["turn2"], single[model]["overall"]) == pytest.approx(
            printed, abs=PRINTED
        )
    # Categories come from the imported question.jsonl.
    categories = {k for k in single["phi-3-dpo"] if k.startswith("category:") and not k.endswith(("_lo", "_hi"))}
    assert categories == {
        f"category:{c}"
        for c in ("coding", "extraction", "humanities", "math", "reasoning", "roleplay", "stem", "writing")
    }
    pairwise = {row["model"]: row for row in judge["pairwise"]["models"]}
    for model, (win, loss, tie, *rates) in SHOW_RESULT_PAIR[("Stefanstud_FastChat", None)].items():
        assert (pairwise[model]["win"], pairwise[model]["loss"], pairwise[model]["tie"]) == (win, loss, tie)
        assert pairwise[model]["win_rate_adjusted"] == pytest.approx(rates[-1], abs=PRINTED)

    for fmt in ("markdown", "csv", "table"):
        shown = judgebench("report", "-q", "mt_bench", "-f", fmt, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert "phi-3-dpo" in shown.stdout

    exported = judgebench("export", "fastchat", str(tmp_path / "out"), "-q", "mt_bench", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    again = fastchat_rows(tmp_path / "out" / "model_judgment" / "gpt-4_single.jsonl")
    original = fastchat_rows(fastchat_dir / "model_judgment" / "gpt-4_single.jsonl")
    assert [(r["question_id"], r["model"], r["turn"], r["score"]) for r in again] == [
        (r["question_id"], r["model"], r["turn"], r["score"]) for r in original
    ]


def biased_judge(body: dict[str, Any]) -> str:
    """A judge that always prefers the first answer shown and mangles some grades."""
    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    text = last_user_text(body)
    if "[[C]]" in system:
        return "Assistant A is clearly better.\n[[A]]"
    if len(body["messages"]) > 2:  # a re-ask after a reply without a verdict
        return "[[6]]"
    digits = sum(map(ord, text)) % 3
    return ["Solid answer. Rating: 8/10", "Hard to say.", "Fine work.\n[[7]]"][digits]


def test_judge_over_http_with_a_position_biased_sloppy_judge(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = biased_judge
    qfile = write_questions(tmp_path / "mini.jsonl", n=4)
    env = {"OPENAI_API_KEY": "sk-test"}
    for name in ("alpha", "beta"):
        proc = judgebench("gen-answers", "-m", f"fake/{name}", "--name", name, "-q", str(qfile), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    judge_args = ["-j", "openai/judge", "--base-url", llm_server.base_url, "-q", str(qfile)]
    single = judgebench("judge", *judge_args, cwd=tmp_path, env=env)
    assert single.returncode == 0, single.stderr
    assert "16 judged now" in single.stdout
    pair = judgebench("judge", *judge_args, "--mode", "pairwise", "--baseline", "beta", cwd=tmp_path, env=env)
    assert pair.returncode == 0, pair.stderr
    assert "16 judged now: 16 with a verdict" in pair.stdout  # 4 questions x 2 turns x 2 games

    data = json.loads(judgebench("report", "-q", str(qfile), "-f", "json", "--baseline", "beta", cwd=tmp_path).stdout)
    (judge,) = data["judges"]
    assert {row["n"] + row["n_unparsed"] for row in judge["single"]} == {8}
    assert sum(row["n"] for row in judge["single"]) == 16  # every broken verdict was re-asked into a grade
    assert judge["pairwise"]["baseline"] == "beta"
    (alpha,) = judge["pairwise"]["models"]
    assert (alpha["win"], alpha["loss"], alpha["tie"]) == (0, 0, 8)  # position bias shows as ties...
    (consistency,) = judge["pairwise"]["consistency"]
    assert consistency["rate"] == 0.0  # ...and as zero position consistency

    again = judgebench("judge", *judge_args, cwd=tmp_path, env=env)
    assert "0 judged now" in again.stdout
    assert "calls: 0" in again.stdout


def test_run_is_the_whole_loop_and_dry_run_spends_nothing(tmp_path: Path) -> None:
    dry = judgebench("judge", "-j", "fake/judge", "--limit", "2", "--dry-run", cwd=tmp_path)
    assert_one_line_error(dry, 2, "no answers to judge")
    proc = judgebench("run", "-m", "fake/a", "-m", "fake/b", "-j", "fake/judge", "--limit", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"single grades by fake/judge", proc.stdout)
    dry = judgebench(
        "judge", "-j", "fake/judge", "--limit", "2", "--mode", "pairwise", "--all-pairs", "--dry-run", cwd=tmp_path
    )
    assert dry.returncode == 0, dry.stderr
    assert "would make 8 judge calls" in dry.stdout
    assert not (tmp_path / "results" / "jb-80" / "judgments" / "fake__judge_pair.jsonl").exists()


def test_judge_and_report_bad_input(tmp_path: Path) -> None:
    assert_one_line_error(
        judgebench("judge", "-j", "fake/j", "--mode", "pairwise", cwd=tmp_path), 2, "--baseline MODEL or --all-pairs"
    )
    assert_one_line_error(judgebench("report", cwd=tmp_path), 2, "no judgments in")
    bad = tmp_path / "results" / "jb-80" / "judgments" / "x_single.jsonl"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"question_id": 1, "model": "m", "judge": ["j", "p"], "turn": 1, "score": "high"}\n')
    assert_one_line_error(judgebench("report", cwd=tmp_path), 1, "x_single.jsonl:1", "'score' must be a number")


def test_a_torn_last_line_from_an_older_run_is_tolerated_and_reported(tmp_path: Path) -> None:
    proc = judgebench("run", "-m", "fake/a", "-j", "fake/judge", "--limit", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "results" / "jb-80" / "judgments" / "fake__judge_single.jsonl"
    with path.open("ab") as f:
        f.write(b'{"question_id": 3, "model": "fake/a", "judge": ["fake/j')  # cut short by a crash
    report = judgebench("report", "-f", "json", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "ignored a torn last line" in report.stderr
    assert json.loads(report.stdout)["judges"][0]["single"][0]["n"] == 4
    again = judgebench("judge", "-j", "fake/judge", "--limit", "2", cwd=tmp_path)
    assert "0 judged now" in again.stdout
    assert "cut off a torn last line" in again.stderr
    assert path.read_bytes().endswith(b"}\n")
