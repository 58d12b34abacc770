"""``report --question ID``: one question's answers, grades, games and rationales in the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench


@pytest.fixture
def judged(tmp_path: Path) -> Path:
    """Two fake models answer 3 questions; a fake judge grades them and compares them in both orders."""
    write_questions(tmp_path / "q.jsonl", n=3)
    for name in ("a", "b"):
        assert judgebench("gen-answers", "-m", f"fake/{name}", "-q", "q.jsonl", cwd=tmp_path).returncode == 0
    for mode in (("--mode", "single"), ("--mode", "pairwise", "--baseline", "fake/a")):
        proc = judgebench("judge", "-j", "fake/judge", "-q", "q.jsonl", *mode, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    return tmp_path


def test_one_questions_record_in_json(judged: Path) -> None:
    proc = judgebench("report", "-q", "q.jsonl", "--question", "2", "-f", "json", cwd=judged)
    assert proc.returncode == 0, proc.stderr
    view = json.loads(proc.stdout)
    assert (view["bench"], view["question_id"], view["category"]) == ("q", "2", "math")
    assert view["turns"] == ["Question 2, first turn?", "Question 2: now refine that."]
    assert [(a["model"], a["turn"]) for a in view["answers"]] == [
        ("fake/a", 1), ("fake/b", 1), ("fake/a", 2), ("fake/b", 2)
    ]  # fmt: skip
    assert [(g["model"], g["turn"]) for g in view["grades"]] == [
        ("fake/a", 1), ("fake/b", 1), ("fake/a", 2), ("fake/b", 2)
    ]  # fmt: skip
    assert all(g["judge"] == "fake/judge" and "[[" in g["rationale"] for g in view["grades"])
    # the baseline fake/a is shown first in game 1 (Arena-Hard's order)
    assert [(g["turn"], g["game"], g["model_a"], g["model_b"]) for g in view["games"]] == [
        (1, 1, "fake/a", "fake/b"), (1, 2, "fake/b", "fake/a"), (2, 1, "fake/a", "fake/b"), (2, 2, "fake/b", "fake/a")
    ]  # fmt: skip
    assert all(g["winner"] in ("fake/a", "fake/b", "tie") for g in view["games"])


def test_one_question_in_the_terminal(judged: Path) -> None:
    proc = judgebench("report", "-q", "q.jsonl", "--question", "2", "-m", "fake/b", cwd=judged)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("# q — question 2 (math)\n")
    assert text.count("## Turn ") == 2 and "> Question 2: now refine that." in text
    assert text.count("### Answer of fake/b") == 2 and "### Answer of fake/a" not in text  # -m keeps only b
    assert text.count("### Grade of fake/b by fake/judge: ") == 2
    assert text.count("### Game ") == 4  # the games fake/b played


def test_unknown_question_is_one_line(judged: Path) -> None:
    assert_one_line_error(
        judgebench("report", "-q", "q.jsonl", "--question", "99", cwd=judged), 2, "--question 99", "questions are 1…3"
    )
    assert_one_line_error(judgebench("report", "-q", "q.jsonl", "--question", "1", "-f", "csv", cwd=judged), 2, "-f")


def test_a_misspelt_model_or_judge_is_one_line(judged: Path) -> None:
    """A -m or -j the bench has no record of is refused, not shown as an empty question (a typo looked like no data)."""
    assert_one_line_error(
        judgebench("report", "-q", "q.jsonl", "--question", "2", "-m", "fake/nosuch", cwd=judged),
        2, "--model fake/nosuch: no answers or judgments of it in this bench; have: fake/a, fake/b",
    )  # fmt: skip
    assert_one_line_error(
        judgebench("report", "-q", "q.jsonl", "--question", "2", "-j", "fake/nosuch", cwd=judged),
        2, "--judge fake/nosuch: no judgments by it in this bench; have: fake/judge",
    )  # fmt: skip
    panel = judgebench("report", "-q", "q.jsonl", "--question", "2", "-j", "fake/judge", "-j", "panel", cwd=judged)
    assert panel.returncode == 0, panel.stderr  # the panel has no rationale of its own: its judges' are shown
    assert panel.stdout.count("### Grade of ") == 4 and panel.stdout.count("### Game ") == 4


def test_spend_is_summed_over_every_run(tmp_path: Path) -> None:
    """Two answer runs of one model (the second finishes the first's --limit) count once each in its row."""
    write_questions(tmp_path / "q.jsonl", n=3)
    for extra in (("--limit", "1"), ()):
        assert judgebench("gen-answers", "-m", "fake/a", "-q", "q.jsonl", *extra, cwd=tmp_path).returncode == 0
    assert judgebench("judge", "-j", "fake/judge", "-q", "q.jsonl", cwd=tmp_path).returncode == 0
    data = json.loads(judgebench("report", "-q", "q.jsonl", "-f", "json", cwd=tmp_path).stdout)
    answers, judge = data["spend"]
    assert (answers["who"], answers["runs"], answers["calls"]) == ("fake/a", 2, 6)  # 3 questions × 2 turns, once
    assert (answers["cost_usd"], answers["unpriced_runs"]) == (0.0, 0)  # fake models are free
    (latest,) = [r for r in data["runs"] if r["kind"] == "answers"]
    assert latest["usage"]["calls"] == 4  # the latest run alone: the 2 questions left
    assert (judge["who"], judge["runs"], judge["calls"]) == ("fake/judge (single)", 1, 6)
    table = judgebench("report", "-q", "q.jsonl", cwd=tmp_path).stdout
    assert "spend per model and judge, summed over every run" in table and "total over all 3 runs: $0.0000" in table
