"""The CI gate end to end: a degraded candidate fails (exit 3), an identical rerun passes with
zero calls (exit 0), a noisy small change is inconclusive (exit 4), a changed judge prompt pays
only for what it touches and is flagged as not comparable."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from builders import REPO, write_questions
from clirun import assert_one_line_error, judgebench

from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers.fake import FakeProvider
from judgebench.records import Message

QUESTIONS = 30


def product(messages: Sequence[Message]) -> str:
    """A fake product model whose answer quality depends on its system prompt."""
    system = messages[0].content if messages[0].role == "system" else ""
    qid = int(re.findall(r"Question (\d+)", messages[1].content)[0])
    if "lazy" in system:
        quality = 3 if qid % 5 else 8  # much worse on 4 questions in 5
    elif "noisy" in system:
        quality = 8 + (qid * 7) % 3 - 1  # 7, 8 or 9: no real change, some noise
    else:
        quality = 8
    return f"Here is my answer (quality={quality})."


def quality_judge(messages: Sequence[Message]) -> str:
    """A fake judge that grades the last answer shown by the quality it claims."""
    quality = re.findall(r"quality=(\d+)", messages[-1].content)[-1]
    return f"Judged.\n[[{quality}]]"


def run(root: Path, qfile: Path, system: str, prompts: str = "jb-v1") -> tuple[int, int]:
    """Answer and judge into ``root``; return the calls each step made."""
    answerer, judger = FakeProvider("product", reply=product), FakeProvider("judge", reply=quality_judge)
    gen_answers(
        AnswerJob(model="fake/product", questions=str(qfile), results_dir=root, system=system), provider=answerer
    )
    judge(JudgeJob(judge="fake/judge", questions=str(qfile), results_dir=root, prompts=prompts), provider=judger)
    return len(answerer.requests), len(judger.requests)


@pytest.fixture
def base(tmp_path: Path) -> tuple[Path, Path]:
    qfile = write_questions(tmp_path / "bench.jsonl", n=QUESTIONS)
    root = tmp_path / "base"
    assert run(root, qfile, "You are our helpful product.") == (2 * QUESTIONS, 2 * QUESTIONS)
    return root, qfile


def candidate_from(base: Path, name: str) -> Path:
    """A PR's results dir starts as a copy of the cached base results, as in the example workflow."""
    return Path(shutil.copytree(base, base.parent / name))


def test_identical_rerun_costs_nothing_and_passes(tmp_path: Path, base: tuple[Path, Path]) -> None:
    root, qfile = base
    cand = candidate_from(root, "same")
    assert run(cand, qfile, "You are our helpful product.") == (0, 0)
    proc = judgebench("compare", str(root), str(cand), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pass" in proc.stdout
    assert "made 0 calls" in proc.stdout


def test_degraded_candidate_fails_the_gate(tmp_path: Path, base: tuple[Path, Path]) -> None:
    root, qfile = base
    cand = candidate_from(root, "lazy")
    # Every answer is redone (new system prompt); the 6 answers that came out identical need no new judgment.
    assert run(cand, qfile, "You are our product. Be lazy.") == (2 * QUESTIONS, 2 * (QUESTIONS - 6))
    proc = judgebench("compare", str(root), str(cand), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    result = json.loads(proc.stdout)
    (metric,) = result["metrics"]
    assert metric["verdict"] == "regression"
    assert metric["delta"] == pytest.approx(-4.0)  # 24 of 30 questions drop from 8 to 3
    assert metric["hi"] < 0
    assert metric["n"] == QUESTIONS
    assert metric["worst"][0]["base"] == 8.0
    assert metric["worst"][0]["candidate"] == 3.0
    assert {c["category"] for c in metric["categories"]} == {
        "writing",
        "math",
        "coding",
        "roleplay",
        "stem",
        "reasoning",
    }
    markdown = judgebench("compare", str(root), str(cand), "-f", "markdown", cwd=tmp_path)
    assert markdown.returncode == 3
    assert markdown.stdout.startswith("## judgebench: ❌ regression")
    assert "questions that got worse" in markdown.stdout
    # A margin that tolerates the drop lets it through.
    assert judgebench("compare", str(root), str(cand), "--fail-below", "-6", cwd=tmp_path).returncode == 0


def test_noisy_small_change_is_inconclusive(tmp_path: Path, base: tuple[Path, Path]) -> None:
    root, qfile = base
    cand = candidate_from(root, "noisy")
    run(cand, qfile, "You are our product, slightly noisy.")
    proc = judgebench("compare", str(root), str(cand), "-f", "json", cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr
    (metric,) = json.loads(proc.stdout)["metrics"]
    assert metric["lo"] < 0 <= metric["hi"]
    assert metric["verdict"] == "inconclusive"


def test_changed_judge_prompt_pays_only_for_what_it_touches(tmp_path: Path, base: tuple[Path, Path]) -> None:
    root, qfile = base
    cand = candidate_from(root, "prompt")
    bundled = REPO / "judge_prompts" / "jb-v1.jsonl"
    records = [json.loads(line) for line in bundled.read_text().splitlines()]
    for record in records:
        if record["name"] == "single-multi-v1":
            record["system_prompt"] += "\nWeigh clarity above all."
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps(r) + "\n" for r in records))
    answers_calls, judge_calls = run(cand, qfile, "You are our helpful product.", prompts=str(prompts))
    # Turn-2 judgments of questions without references use single-multi-v1: 30 questions, none with references.
    assert (answers_calls, judge_calls) == (0, QUESTIONS)
    proc = judgebench("compare", str(root), str(cand), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not comparable: judge prompt 'single-multi-v1' differs" in proc.stderr


def test_compare_bad_input(tmp_path: Path, base: tuple[Path, Path]) -> None:
    root, _ = base
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(judgebench("compare", str(root), str(empty), cwd=tmp_path), 2, "pass --questions")
    assert_one_line_error(
        judgebench("compare", str(root), str(root), "-j", "fake/other", cwd=tmp_path), 2, "--judge fake/other"
    )
    assert_one_line_error(
        judgebench("compare", str(root), str(root), "--confidence", "1.5", cwd=tmp_path), 2, "--confidence 1.5"
    )


def test_the_example_workflow_uses_real_commands_and_options(tmp_path: Path) -> None:
    """Every `judgebench` command line in examples/ names a real command and real options."""
    text = (REPO / "examples" / "github-actions" / "judgebench-gate.yml").read_text()
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    text = text.replace("\\\n", " ")
    invocations = re.findall(r"^\s*judgebench ([a-z-]+)([^\n>|]*)", text, flags=re.MULTILINE)
    assert {command for command, _ in invocations} >= {"gen-answers", "judge", "report", "compare"}
    for command, rest in invocations:
        shown = judgebench(command, "--help", cwd=tmp_path)
        assert shown.returncode == 0, (command, shown.stderr)
        for option in re.findall(r"(--[a-z-]+)", rest):
            assert option in shown.stdout, f"judgebench {command} has no {option}"
