"""validate-judge with a judge panel end to end: a hand-made mirror of the human-judgment release, loopback judges.

The mirror (tests/e2e/test_validate_judge_e2e.py: ``build_release``) holds 12 voted items: questions 81–83,
turns 1 and 2, the pairs (gpt-4, llama-13b) — both experts: gpt-4 — and (claude-v1, llama-13b) — expert_0: tie,
expert_1: claude-v1; GPT-4's release verdicts are gpt-4 and a tie. Every figure below is counted by hand from that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer, last_user_text

from tests.e2e.test_validate_judge_e2e import ENV, pull_release, strong_wins

A, B, C, D = "openai/judge-a", "openai/judge-b", "openai/judge-c", "openai/judge-d"


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return pull_release(tmp_path, monkeypatch)


def all_text(body: dict[str, Any]) -> str:
    """Every message of the request (a re-ask repeats the question it asks about)."""
    return "\n".join(m["content"] for m in body["messages"] if isinstance(m.get("content"), str))


def shown_first(text: str) -> str:
    """The part of a pairwise prompt before answer B."""
    return text[: max(text.find("Assistant B replied:"), text.find("CONVERSATION B"))]


def panel_reply(body: dict[str, Any]) -> str:
    """judge-a: the STRONG answer wins (gpt-4), else a tie; judge-b: always the answer shown first;
    judge-c: claude-v1 wins when shown, else as judge-a; judge-d: as judge-a, but no verdict on question 83's
    second turn when claude-v1 is shown first; graders: judge-a 9 to gpt-4, 4 to the others; judge-b 5 to gpt-4,
    9 to claude-v1, 6 to llama-13b."""
    model, text = body["model"], all_text(body)
    if "[[C]]" not in text:  # a single-grade prompt (a pairwise one offers [[A]], [[B]] or [[C]])
        grades = {"judge-a": {"gpt-4": 9, "claude-v1": 4, "llama-13b": 4},
                  "judge-b": {"gpt-4": 5, "claude-v1": 9, "llama-13b": 6}}[model]  # fmt: skip
        said = last_user_text(body)
        return f"Graded.\n[[{next(g for m, g in grades.items() if f'{m} ' in said)}]]"
    if model == "judge-b":
        return "First.\n[[A]]"
    if model == "judge-c" and "claude-v1" in text:
        return "Claude.\n" + ("[[A]]" if "claude-v1" in shown_first(text) else "[[B]]")
    if model == "judge-d" and "Question 83, again?" in text and "claude-v1" in shown_first(text):
        return "I cannot decide."
    return strong_wins(body)


def rows_of(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["judge"]: row for row in result["rows"]}


def overall(row: dict[str, Any]) -> dict[str, Any]:
    (judge,) = [r for r in row["agreement"] if r["who"] == "judge" and r["turn"] == "all"]
    return judge


def test_a_panel_of_three_judges_each_member_and_the_panel(release: Path, llm_server: LLMServer) -> None:
    llm_server.reply = panel_reply
    args = ("validate-judge", "-j", A, "-j", B, "--judges", C, "--base-url", llm_server.base_url, "--bootstrap", "200")
    dry = judgebench(*args, "--dry-run", cwd=release, env=ENV)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would make 24 judge calls") == 3  # each member: 12 voted items × 2 orders
    assert "dry run, the panel of 3 judges together: would make 72 judge calls" in dry.stdout.replace("\n", " ")
    assert len(llm_server.requests) == 0
    quick = judgebench(*args, "--limit", "1", "-f", "json", cwd=release, env=ENV)
    assert quick.returncode == 0, quick.stderr
    assert len(llm_server.requests) == 24  # question 81: 4 items × 2 orders × 3 members
    assert [r["items"] for r in json.loads(quick.stdout)["rows"]] == [4, 4, 4, 4]
    full = judgebench(*args, "-f", "json", cwd=release, env=ENV)
    assert full.returncode == 0, full.stderr
    assert len(llm_server.requests) == 72  # 3 members × 12 items × 2 orders, none bought twice
    assert {r.json["model"] for r in llm_server.requests} == {"judge-a", "judge-b", "judge-c"}
    data = json.loads(full.stdout)
    assert data["judges"] == [A, B, C] and (data["items"], data["questions"]) == (12, 3)
    rows = rows_of(data)
    assert list(rows) == [A, B, C, "panel"]
    # judge-a: gpt-4 (both experts agree), claude-v1 vs llama-13b a tie (expert_0 agrees): 3 of 4 per question-turn.
    # judge-b: every item a tie (its two games always disagree): 1 of 4.  judge-c: gpt-4, claude-v1: 3 of 4.
    # The panel, game by game: gpt-4 first: a, b, c say gpt-4; llama-13b first: a, c say gpt-4 (2 of 3) → gpt-4 wins.
    # claude-v1 first: b, c say claude-v1 → claude-v1; llama-13b first: tie, llama-13b, claude-v1 → no majority, a
    # tie; the two games disagree → a tie. So the panel's verdicts are judge-a's, but half of them inconsistent.
    assert {j: (overall(r)["agree"], overall(r)["n"]) for j, r in rows.items()} == {
        A: (18, 24),
        B: (6, 24),
        C: (18, 24),
        "panel": (18, 24),
    }
    assert {j: (overall(r)["agree_no_tie"], overall(r)["n_no_tie"]) for j, r in rows.items()} == {
        A: (12, 12),
        B: (0, 0),
        C: (18, 18),
        "panel": (12, 12),
    }
    assert {j: r["tie_rate"] for j, r in rows.items()} == {A: 0.5, B: 1.0, C: 0.0, "panel": 0.5}
    assert {j: r["consistency"]["consistent"] for j, r in rows.items()} == {A: 12, B: 0, C: 12, "panel": 6}
    assert overall(rows["panel"])["kappa"] == overall(rows[A])["kappa"]  # the same verdicts
    assert {j: (r["items"], r["unreadable"]) for j, r in rows.items()} == {
        A: (12, 0),
        B: (12, 0),
        C: (12, 0),
        "panel": (12, 0),
    }
    assert [(r["spend"]["runs"], r["spend"]["calls"]) for r in rows.values()] == [(2, 24), (2, 24), (2, 24), (6, 72)]
    refs = {(r["who"], r["turn"]): (r["agree"], r["n"]) for r in data["references"]}
    assert refs[("reference", "all")] == (18, 24) and refs[("humans", "all")] == (6, 12)
    assert [r["verdict"]["line"].split(" — ")[0] for r in rows.values()] == [
        "agrees with experts as often as GPT-4 did: can't tell, n=12 items (3 questions)"
    ] * 4

    again = judgebench(*args, "--html", "panel.html", cwd=release, env=ENV)
    assert again.returncode == 0, again.stderr
    assert len(llm_server.requests) == 72  # resumed: zero calls
    out = again.stdout.replace("\n", " ")
    for who in (A, B, C, "panel", "gpt4_pair (release)", "humans with each other"):
        assert who in out
    assert "panel: agrees with experts as often as GPT-4 did: can't tell, n=12 items (3 questions)" in out
    assert f"{B}: agrees with experts as often as GPT-4 did: can't tell, n=12 items (3 questions)" in out
    page = (release / "panel.html").read_text()
    assert page.count("data:image/svg+xml;base64,") == 2 and page.count("agrees with experts as often") == 4

    alone = judgebench("validate-judge", "-j", A, "--base-url", llm_server.base_url, "--bootstrap", "200",
                       "-f", "json", cwd=release, env=ENV)  # fmt: skip
    assert alone.returncode == 0, alone.stderr
    assert len(llm_server.requests) == 72  # the panel's records are judge-a's own: nothing to buy
    single = json.loads(alone.stdout)
    assert single["agreement"] == rows[A]["agreement"] and single["verdict"] == rows[A]["verdict"]


def test_a_member_without_a_readable_verdict_on_one_game(release: Path, llm_server: LLMServer) -> None:
    """judge-d cannot read one game (q83, turn 2, claude-v1 shown first): it and the panel cover 11 items, counted."""
    llm_server.reply = panel_reply
    args = ("validate-judge", "--judges", f"{A},{D}", "--base-url", llm_server.base_url, "--bootstrap", "0")
    first = judgebench(*args, "-f", "json", cwd=release, env=ENV)
    assert first.returncode == 0, first.stderr
    assert len(llm_server.requests) == 2 * 24 + 2  # the unreadable game re-asked twice (--reasks 2)
    rows = rows_of(json.loads(first.stdout))
    assert {j: (r["items"], r["unreadable"]) for j, r in rows.items()} == {A: (12, 0), D: (11, 1), "panel": (11, 1)}
    # judge-d and the panel agree as judge-a does, less q83 turn 2's claude-v1 item (1 of its 2 vote pairs agreed).
    assert {j: (overall(r)["agree"], overall(r)["n"]) for j, r in rows.items()} == {
        A: (18, 24),
        D: (17, 22),
        "panel": (17, 22),
    }
    shown = judgebench(*args, cwd=release, env=ENV)
    assert shown.returncode == 0 and len(llm_server.requests) == 50  # resumed: no new call
    out = " ".join(shown.stdout.split())
    assert f"{D}: 1 voted item left out: its verdict could not be read — rerun with --retry-unparsed" in out
    assert "panel: 1 voted item judged but left out: not every member has a readable verdict on it" in out
    assert "panel: agrees with experts as often as GPT-4 did: can't tell, n=11 items (3 questions)" in out


def test_a_panel_of_graders_pools_mean_grades(release: Path, llm_server: LLMServer) -> None:
    llm_server.reply = panel_reply
    args = ("validate-judge", "-j", A, "-j", B, "--mode", "single", "--tie-threshold", "1",
            "--base-url", llm_server.base_url, "--bootstrap", "0")  # fmt: skip
    proc = judgebench(*args, "-f", "json", cwd=release, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert len(llm_server.requests) == 36  # 2 members × 3 models × 3 questions × 2 turns
    rows = rows_of(json.loads(proc.stdout))
    # judge-a: gpt-4 9 vs llama-13b 4 → gpt-4; claude-v1 4 vs 4 → tie: 3 of 4 per question-turn.
    # judge-b: gpt-4 5 vs 6 → tie (≤ 1); claude-v1 9 vs 6 → claude-v1: 1 of 4.
    # panel (mean grades): gpt-4 7 vs llama-13b 5 → gpt-4; claude-v1 6.5 vs 5 → claude-v1: 3 of 4, no tie.
    assert {j: (overall(r)["agree"], overall(r)["n"]) for j, r in rows.items()} == {
        A: (18, 24),
        B: (6, 24),
        "panel": (18, 24),
    }
    assert {j: r["tie_rate"] for j, r in rows.items()} == {A: 0.5, B: 0.5, "panel": 0.0}
    assert {j: (overall(r)["agree_no_tie"], overall(r)["n_no_tie"]) for j, r in rows.items()} == {
        A: (12, 12),
        B: (6, 6),
        "panel": (18, 18),
    }
    assert all(r["consistency"] is None and r["tie_threshold"] == 1.0 for r in rows.values())
    md = judgebench(*args, "-f", "markdown", cwd=release, env=ENV)
    assert md.returncode == 0 and len(llm_server.requests) == 36
    assert f"# validate-judge: panel of {A}, {B}" in md.stdout
    assert "panel: each answer's grade is the mean of the members' grades, then a tie when the two means differ" in (
        md.stdout
    )


def test_one_max_cost_for_the_whole_panel(release: Path, llm_server: LLMServer) -> None:
    llm_server.reply = panel_reply
    prices = release / "prices.json"
    dollar_a_call = {"input": 0.0, "output": 1_000_000.0}  # one output token per reply word: ~$2 a call
    prices.write_text(json.dumps(dict.fromkeys((A, B), dollar_a_call)))
    args = ("validate-judge", "-j", A, "-j", B, "--base-url", llm_server.base_url, "--prices", str(prices),
            "--parallel", "1", "--bootstrap", "0")  # fmt: skip
    dry = judgebench(*args, "--dry-run", cwd=release, env=ENV)
    assert dry.returncode == 0, dry.stderr
    assert "dry run, the panel of 2 judges together: would make 48 judge calls" in dry.stdout.replace("\n", " ")
    stopped = judgebench(*args, "--max-cost", "5", cwd=release, env=ENV)
    assert_one_line_error(stopped, 5, "every judge of the panel together")
    assert "--max-cost $5.00 reached (spent $6.0000, every judge of the panel together): 3 of 48 judgments saved" in (
        stopped.stderr
    )
    assert len(llm_server.requests) == 3  # $2 a call, one call in flight: the third call passes $5, none starts after


def test_no_judge_is_one_line(release: Path) -> None:
    assert_one_line_error(judgebench("validate-judge", cwd=release, env=ENV), 2, "--judge: name the judge model")
