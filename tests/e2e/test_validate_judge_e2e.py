"""validate-judge end to end: a small local mirror of the human-judgment release, a loopback judge, a resume."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from builders import MTBENCH
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer, last_user_text

from judgebench.errors import UsageError

ENV = {"OPENAI_API_KEY": "sk-test"}
JUDGE = "openai/gpt-judge"


def strong_wins(body: dict[str, Any]) -> str:
    """A judge that prefers the answer saying STRONG: A, B, or a tie when neither or both do."""
    text = last_user_text(body)
    cut = max(text.find("Assistant B replied:"), text.find("CONVERSATION B"))
    a, b = "STRONG" in text[:cut], "STRONG" in text[cut:]
    return "Compared.\n" + ("[[A]]" if a and not b else "[[B]]" if b and not a else "[[C]]")


def conversation(qid: int, model: str) -> list[dict[str, str]]:
    says = "STRONG" if model == "gpt-4" else "weak"
    return [
        {"role": "user", "content": f"Question {qid}?"},
        {"role": "assistant", "content": f"{model} {says} answer to {qid}"},
        {"role": "user", "content": f"Question {qid}, again?"},
        {"role": "assistant", "content": f"{model} {says} second answer to {qid}"},
    ]


def release_rows(judges: dict[str, tuple[str, str]]) -> list[dict[str, object]]:
    """Each judge's winners on (gpt-4, llama-13b) and (claude-v1, llama-13b), questions 81–83, both turns."""
    rows: list[dict[str, object]] = []
    for qid in (81, 82, 83):
        for turn in (1, 2):
            for judge, winners in judges.items():
                for (a, b), winner in zip((("gpt-4", "llama-13b"), ("claude-v1", "llama-13b")), winners, strict=True):
                    rows.append(
                        {"question_id": qid, "model_a": a, "model_b": b, "winner": winner, "judge": judge,
                         "conversation_a": conversation(qid, a), "conversation_b": conversation(qid, b), "turn": turn}
                    )  # fmt: skip
    return rows


def build_release(root: Path, *, questions: bool = True) -> dict[str, str]:
    """A small release in the upstream layout under ``root`` (real schema); the parquet files' sha256 by stem."""
    import pandas as pd

    (root / "mt_bench" / "reference_answer").mkdir(parents=True)
    (root / "data").mkdir()
    if questions:
        shutil.copy(MTBENCH / "question.jsonl", root / "mt_bench" / "question.jsonl")
    shutil.copy(MTBENCH / "reference_answer" / "gpt-4.jsonl", root / "mt_bench" / "reference_answer" / "gpt-4.jsonl")
    shutil.copy(MTBENCH / "judge_prompts.jsonl", root / "judge_prompts.jsonl")
    splits = {
        # the two experts agree that gpt-4 beats llama-13b; on claude-v1 vs llama-13b one sees a tie
        "human-00000-of-00001-25f4910818759289": release_rows(
            {"expert_0": ("model_a", "tie"), "expert_1": ("model_a", "model_a")}
        ),
        "gpt4_pair-00000-of-00001-c0b431264a82ddc0": release_rows({"gpt4_pair": ("model_a", "tie (inconsistent)")}),
    }
    made = {}
    for name, rows in splits.items():
        path = root / "data" / f"{name}.parquet"
        pd.DataFrame(rows).to_parquet(path)
        made[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return made


@pytest.fixture
def pulled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``datasets pull mt-bench-human`` from a local mirror of a small release with the real schema."""
    return pull_release(tmp_path, monkeypatch)


def pull_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What the ``pulled`` fixture does (other test modules call it from their own fixture)."""
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    from judgebench.pipeline.datasets import DATASETS

    root = tmp_path / "upstream"
    made = build_release(root)
    dataset = DATASETS["mt-bench-human"]
    files = tuple(replace(f, sha256=made.get(Path(f.source).stem, f.sha256)) for f in dataset.files)
    monkeypatch.setitem(DATASETS, "mt-bench-human", replace(dataset, files=files))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        proc = judgebench("datasets", "pull", "mt-bench-human", "--mirror", url, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    return tmp_path


def test_validate_judge_end_to_end(pulled: Path, llm_server: LLMServer) -> None:
    llm_server.reply = strong_wins
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "200")
    dry = judgebench(*args, "--dry-run", cwd=pulled, env=ENV)
    assert dry.returncode == 0, dry.stderr
    assert "would make 24 judge calls" in dry.stdout  # 12 voted items × 2 orders
    assert len(llm_server.requests) == 0
    quick = judgebench(*args, "--limit", "1", "-f", "json", cwd=pulled, env=ENV)
    assert quick.returncode == 0, quick.stderr
    assert len(llm_server.requests) == 8  # question 81 only: 4 items × 2 orders
    assert json.loads(quick.stdout)["items"] == 4
    full = judgebench(*args, "-f", "json", cwd=pulled, env=ENV)
    assert full.returncode == 0, full.stderr
    assert len(llm_server.requests) == 24  # the 16 not yet judged
    data = json.loads(full.stdout)
    assert (data["items"], data["questions"], data["tie_rate"]) == (12, 3, 0.5)
    assert data["consistency"] == {"consistent": 12, "n": 12, "rate": 1.0}
    rows = {(r["who"], r["turn"]): r for r in data["agreement"]}
    # judge: gpt-4 wins (both experts agree), claude vs llama a tie (expert_0 agrees): 3 of 4 per question and turn
    assert (rows[("judge", "all")]["agree"], rows[("judge", "all")]["n"]) == (18, 24)
    assert (rows[("judge", 1)]["agree"], rows[("judge", 2)]["agree"]) == (9, 9)
    assert (rows[("reference", "all")]["agree"], rows[("reference", "all")]["n"]) == (18, 24)  # "tie (inconsistent)"
    assert (rows[("humans", "all")]["agree"], rows[("humans", "all")]["n"]) == (6, 12)
    assert rows[("judge", "all")]["rate_no_tie"] == 1.0  # its decided verdicts all match the experts'
    assert data["spend"]["calls"] == 24 and data["spend"]["runs"] == 2
    # As good as GPT-4 on these items, but 3 questions are too few for a firm answer.
    assert data["verdict"]["verdict"] == "can't tell" and data["verdict"]["difference"] == 0.0
    assert data["verdict"]["line"].startswith(
        "agrees with experts as often as GPT-4 did: can't tell, n=12 items (3 questions)"
    )
    assert data["verdict"]["line"].endswith("(a yes or no needs votes on at least 10 questions)")
    again = judgebench(*args, cwd=pulled, env=ENV)
    assert again.returncode == 0, again.stderr
    assert len(llm_server.requests) == 24  # resumed: nothing left to pay for
    assert "agreement with the human votes" in again.stdout and "gpt4_pair (release)" in again.stdout
    assert "agrees with experts as often as GPT-4 did: can't tell, n=12 items (3 questions)" in again.stdout


def test_single_grade_judge(pulled: Path, llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: "Graded.\n[[9]]" if "STRONG" in last_user_text(body) else "Graded.\n[[4]]"
    args = ("validate-judge", "-j", JUDGE, "--mode", "single", "--base-url", llm_server.base_url, "--bootstrap", "0")
    proc = judgebench(*args, "-f", "json", cwd=pulled, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert len(llm_server.requests) == 18  # 3 models × 3 questions × 2 turns
    data = json.loads(proc.stdout)
    assert (data["tie_threshold"], data["tie_rate"], data["consistency"]) == (0.0, 0.5, None)
    assert data["verdict"]["verdict"] == "can't tell"  # no bootstrap, no verdict
    shown = judgebench(*args, "-f", "markdown", "--plots", "figures", "--html", "v.html", cwd=pulled, env=ENV)
    assert shown.returncode == 0 and len(llm_server.requests) == 18  # resumed: no new call
    assert shown.stdout.startswith(f"# validate-judge: {JUDGE}\n")
    assert "a tie when the grades differ by ≤ 0" in shown.stdout and "| gpt4_pair (release) | all |" in shown.stdout
    assert sorted(p.name for p in (pulled / "figures").iterdir()) == ["agreement-no-tie.png", "agreement.png"]
    page = (pulled / "v.html").read_text()
    assert page.count("data:image/svg+xml;base64,") == 2 and "agrees with experts as often as GPT-4 did:" in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch: figures are embedded


def test_without_the_release_it_says_what_to_pull(tmp_path: Path) -> None:
    proc = judgebench("validate-judge", "-j", JUDGE, cwd=tmp_path, env=ENV)
    assert_one_line_error(proc, 2, "datasets pull mt-bench-human")


def test_single_grade_judge_with_unreadable_verdicts_names_the_fix(pulled: Path, llm_server: LLMServer) -> None:
    readable = {"gpt-4", "llama-13b"}  # claude-v1's grades come back without a verdict at first

    def grader(body: dict[str, Any]) -> str:
        text = body["messages"][1]["content"] if len(body["messages"]) > 2 else last_user_text(body)
        if not any(f"{m} " in text for m in readable):
            return "No grade from me."
        return "Graded.\n[[9]]" if "STRONG" in text else "Graded.\n[[4]]"

    llm_server.reply = grader
    args = ("validate-judge", "-j", JUDGE, "--mode", "single", "--base-url", llm_server.base_url, "--bootstrap", "0")
    part = judgebench(*args, "-f", "json", cwd=pulled, env=ENV)
    assert part.returncode == 0, part.stderr
    assert len(llm_server.requests) == 12 + 6 * 3  # claude-v1's 6 grades asked, then re-asked twice each
    data = json.loads(part.stdout)
    assert (data["items"], data["unreadable"]) == (6, 6)  # claude-v1 vs llama-13b: left out, counted
    assert "6 verdicts unreadable — rerun with --retry-unparsed" in part.stderr
    shown = judgebench(*args, cwd=pulled, env=ENV)
    assert shown.returncode == 0 and len(llm_server.requests) == 30  # resumed: no new call
    assert "6 voted items left out: the judge's verdict could not be read — rerun with --retry-unparsed" in (
        shown.stdout.replace("\n", " ")
    )
    readable.add("claude-v1")
    fixed = judgebench(*args, "--retry-unparsed", "-f", "json", cwd=pulled, env=ENV)
    assert fixed.returncode == 0, fixed.stderr
    assert len(llm_server.requests) == 36  # exactly the 6 unreadable grades, asked again
    data = json.loads(fixed.stdout)
    assert (data["items"], data["unreadable"], data["tie_rate"]) == (12, 0, 0.5)


def test_a_judge_whose_every_verdict_is_unreadable_is_told_the_real_fix(pulled: Path, llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: "These answers are both fine."
    args = ("validate-judge", "-j", JUDGE, "--mode", "single", "--base-url", llm_server.base_url, "--bootstrap", "0")
    first = judgebench(*args, cwd=pulled, env=ENV)
    assert_one_line_error(first, 1, "all 18 judgments could not be read", "--retry-unparsed", "--prompts")
    assert len(llm_server.requests) == 18 * 3
    again = judgebench(*args, cwd=pulled, env=ENV)  # not stuck in silence: same fix, nothing bought again
    assert_one_line_error(again, 1, "all 18 judgments could not be read", "--retry-unparsed")
    assert len(llm_server.requests) == 54
    from judgebench.pipeline.validation import ValidateJob, validate_judge

    votes = pulled / "data" / "datasets" / "mt-bench-human" / "votes"
    job = ValidateJob(
        JUDGE, "single", pulled / "results", votes=votes / "human.jsonl", reference=votes / "gpt4_pair.jsonl"
    )
    with pytest.raises(UsageError, match=r"its verdicts on all 12 voted items it judged could not be read — rerun"):
        validate_judge(job)


def test_done_means_a_hand_made_local_copy_validates_end_to_end(tmp_path: Path, llm_server: LLMServer) -> None:
    """The issue's "Done means": a local mirror built here (pinned checksums untouched), a loopback judge, a resume."""
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    copy = tmp_path / "my-copy"
    build_release(copy)
    refused = judgebench("datasets", "pull", "mt-bench-human", "--from", str(copy), cwd=tmp_path)
    assert_one_line_error(refused, 2, "human-00000-of-00001-25f4910818759289.parquet", "--no-verify")
    assert not (tmp_path / "data" / "datasets" / "mt-bench-human" / "human.parquet").exists()
    pull = judgebench("datasets", "pull", "mt-bench-human", "--from", str(copy), "--no-verify", cwd=tmp_path)
    assert pull.returncode == 0, pull.stderr
    assert "UNVERIFIED: 2 of the files are not the published release (gpt4_pair.parquet, human.parquet" in (
        pull.stderr.replace("\n", " ")
    )
    source = json.loads((tmp_path / "data" / "datasets" / "mt-bench-human" / "SOURCE.json").read_text())
    assert source["verified"] is False and source["from"] == str(copy.resolve())
    assert sorted(source["unverified"]) == ["gpt4_pair.parquet", "human.parquet"]
    assert (
        source["unverified"]["human.parquet"]
        == hashlib.sha256((copy / "data" / "human-00000-of-00001-25f4910818759289.parquet").read_bytes()).hexdigest()
    )

    llm_server.reply = strong_wins
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "200")
    first = judgebench(*args, cwd=tmp_path, env=ENV)
    assert first.returncode == 0, first.stderr
    assert len(llm_server.requests) == 24  # 12 voted items x 2 orders
    resumed = judgebench(*args, "-f", "json", cwd=tmp_path, env=ENV)
    assert resumed.returncode == 0, resumed.stderr
    assert len(llm_server.requests) == 24  # resumed: zero calls
    data = json.loads(resumed.stdout)
    rows = {(r["who"], r["turn"]): (r["agree"], r["n"]) for r in data["agreement"]}
    assert rows[("judge", "all")] == (18, 24) and rows[("reference", "all")] == (18, 24)
    assert rows[("humans", "all")] == (6, 12)
    assert data["release"]["verified"] is False
    out = first.stdout
    table = out[out.index("agreement with the human votes") :]
    for who in (JUDGE, "gpt4_pair (release)", "humans with each other"):  # side by side in one table
        assert who in table
    assert "agrees with experts as often as GPT-4 did: can't tell, n=12 items (3 questions)" in out
    assert "UNVERIFIED release: gpt4_pair.parquet, human.parquet from" in out


def test_a_local_copy_without_the_questions_is_refused_or_finds_them(tmp_path: Path) -> None:
    """Categories come from MT-Bench's question.jsonl: a copy without it is refused in one line, never silently."""
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    copy = tmp_path / "my-copy"
    build_release(copy, questions=False)
    args = ("datasets", "pull", "mt-bench-human", "--from", str(copy), "--no-verify")
    refused = judgebench(*args, cwd=tmp_path)
    assert_one_line_error(refused, 2, "no mt_bench/question.jsonl", "copy it there")
    assert not (tmp_path / "data" / "datasets" / "mt-bench-human" / "votes").exists()
    # With MT-Bench pulled (the very same pinned question.jsonl), the copy's missing file is found there.
    mt_bench = tmp_path / "data" / "datasets" / "mt-bench"
    mt_bench.mkdir(parents=True)
    shutil.copy(MTBENCH / "question.jsonl", mt_bench / "question.jsonl")
    found = judgebench(*args, cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    from judgebench.storage import load_questions

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUDGEBENCH_DATA_DIR", str(tmp_path / "data"))
        qset = load_questions(tmp_path / "data" / "datasets" / "mt-bench-human" / "question.jsonl", "mt-bench-human")
    assert {q.question_id: q.category for q in qset.questions if q.question_id in (81, 82, 83)} == {
        81: "writing",
        82: "writing",
        83: "writing",
    }
    assert qset.questions[0].turns[0] == "Question 81?"  # the turns the voters saw


def test_bad_votes_files_are_refused_before_any_call_is_bought(pulled: Path, llm_server: LLMServer) -> None:
    """A malformed or missing --reference/--votes file costs nothing: it is read before the judge is asked."""
    llm_server.reply = strong_wins
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "0", "--limit", "1")
    votes = pulled / "data" / "datasets" / "mt-bench-human" / "votes"
    lines = (votes / "gpt4_pair.jsonl").read_text().splitlines()
    (pulled / "bad.jsonl").write_text("\n".join([*lines[:2], '{"question_id": 81, "model_a"', *lines[2:]]) + "\n")
    bad = judgebench(*args, "--reference", "bad.jsonl", cwd=pulled, env=ENV)
    assert_one_line_error(bad, 1, "bad.jsonl:3", "invalid JSON")
    missing = judgebench(*args, "--reference", "nope.jsonl", cwd=pulled, env=ENV)
    assert_one_line_error(missing, 2, "--reference: nope.jsonl not found — check the path")
    no_votes = judgebench(*args, "--votes", "none.jsonl", cwd=pulled, env=ENV)
    assert_one_line_error(no_votes, 2, "--votes: none.jsonl not found — check the path")
    nobody = judgebench(*args, "--voters", "author_*", cwd=pulled, env=ENV)
    assert_one_line_error(nobody, 2, "--voters 'author_*': no human vote by a matching voter")
    assert len(llm_server.requests) == 0
    assert not (pulled / "results" / "mt-bench-human" / "judgments").exists()


def test_single_grade_judge_grades_only_the_voted_turns(pulled: Path, llm_server: LLMServer) -> None:
    """A model voted on at turn 1 only is not graded (nor paid for) at turn 2."""
    llm_server.reply = lambda body: "Graded.\n[[9]]" if "STRONG" in last_user_text(body) else "Graded.\n[[4]]"
    votes = pulled / "data" / "datasets" / "mt-bench-human" / "votes" / "human.jsonl"
    kept = [
        line
        for line in votes.read_text().splitlines()
        if json.loads(line)["turn"] == 1 or json.loads(line)["model_a"] == "gpt-4"
    ]
    (pulled / "votes.jsonl").write_text("\n".join(kept) + "\n")
    args = ("validate-judge", "-j", JUDGE, "--mode", "single", "--base-url", llm_server.base_url, "--bootstrap", "0")
    dry = judgebench(*args, "--votes", "votes.jsonl", "--dry-run", cwd=pulled, env=ENV)
    assert dry.returncode == 0, dry.stderr
    assert "would make 15 judge calls" in dry.stdout and "not judged" not in dry.stdout + dry.stderr
    proc = judgebench(*args, "--votes", "votes.jsonl", "-f", "json", cwd=pulled, env=ENV)
    assert proc.returncode == 0, proc.stderr
    # turn 1: gpt-4, claude-v1, llama-13b on 3 questions; turn 2: gpt-4 and llama-13b only
    assert len(llm_server.requests) == 15
    graded = {(r["question_id"], r["turn"], r["model"]) for r in map(json.loads, _lines(pulled, "single"))}
    assert len(graded) == 15 and not {(q, 2, "claude-v1") for q in (81, 82, 83)} & graded
    assert json.loads(proc.stdout)["items"] == 9  # 6 voted items at turn 1, 3 at turn 2
    again = judgebench(*args, "--votes", "votes.jsonl", cwd=pulled, env=ENV)
    assert again.returncode == 0 and len(llm_server.requests) == 15


def _lines(root: Path, mode: str) -> list[str]:
    path = root / "results" / "mt-bench-human" / "judgments" / f"openai__gpt-judge_{mode}.jsonl"
    return path.read_text().splitlines()


def test_a_local_copy_missing_several_files_names_them_all_and_copies_nothing(tmp_path: Path) -> None:
    """Every missing file is named in one line, before a single file is copied (not one per attempt)."""
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    copy = tmp_path / "my-copy"
    build_release(copy)
    (copy / "judge_prompts.jsonl").unlink()
    (copy / "mt_bench" / "reference_answer" / "gpt-4.jsonl").unlink()
    refused = judgebench("datasets", "pull", "mt-bench-human", "--from", str(copy), "--no-verify", cwd=tmp_path)
    assert_one_line_error(
        refused,
        2,
        "no mt_bench/reference_answer/gpt-4.jsonl, judge_prompts.jsonl — copy them there",
        "judge_prompts.jsonl)",
    )
    assert not (tmp_path / "data" / "datasets" / "mt-bench-human").exists()


def test_html_page_in_a_new_folder_or_an_unwritable_place(pulled: Path, llm_server: LLMServer) -> None:
    """--html makes its folder like --plots does; a place it cannot write is one line, not a traceback."""
    llm_server.reply = strong_wins
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "0", "--limit", "1")
    made = judgebench(*args, "--html", "pages/new/v.html", cwd=pulled, env=ENV)
    assert made.returncode == 0, made.stderr
    assert "agrees with experts as often as GPT-4 did:" in (pulled / "pages" / "new" / "v.html").read_text()
    (pulled / "blocker").write_text("a file, not a folder\n")
    blocked = judgebench(*args, "--html", "blocker/v.html", cwd=pulled, env=ENV)
    assert_one_line_error(blocked, 1, "blocker: cannot write", "choose a writable folder")
    assert len(llm_server.requests) == 8  # question 81: 4 items × 2 orders, bought once


def test_limit_counts_voted_questions(pulled: Path, llm_server: LLMServer) -> None:
    """--limit 1 is the first *voted* question: with no votes on question 81, it is question 82."""
    llm_server.reply = strong_wins
    votes = pulled / "data" / "datasets" / "mt-bench-human" / "votes" / "human.jsonl"
    kept = [line for line in votes.read_text().splitlines() if json.loads(line)["question_id"] != 81]
    (pulled / "votes.jsonl").write_text("\n".join(kept) + "\n")
    args = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "0")
    dry = judgebench(*args, "--votes", "votes.jsonl", "--limit", "1", "--dry-run", cwd=pulled, env=ENV)
    assert "would make 8 judge calls" in dry.stdout, dry.stdout + dry.stderr
    quick = judgebench(*args, "--votes", "votes.jsonl", "--limit", "1", "-f", "json", cwd=pulled, env=ENV)
    assert quick.returncode == 0, quick.stderr
    assert len(llm_server.requests) == 8  # question 82: 4 items × 2 orders
    assert (json.loads(quick.stdout)["items"], json.loads(quick.stdout)["questions"]) == (4, 1)


def test_spend_counts_only_the_validated_modes_runs(pulled: Path, llm_server: LLMServer) -> None:
    """The same model validated as a grader and as a pairwise judge: each result shows its own spend."""
    llm_server.reply = lambda body: strong_wins(body) if "[[C]]" in last_user_text(body) else "Graded.\n[[9]]"
    base = ("validate-judge", "-j", JUDGE, "--base-url", llm_server.base_url, "--bootstrap", "0", "-f", "json")
    single = judgebench(*base, "--mode", "single", cwd=pulled, env=ENV)
    assert single.returncode == 0, single.stderr
    assert len(llm_server.requests) == 18
    pair = judgebench(*base, "--limit", "1", cwd=pulled, env=ENV)
    assert pair.returncode == 0, pair.stderr
    assert len(llm_server.requests) == 26  # + question 81: 4 items × 2 orders
    assert (json.loads(pair.stdout)["spend"]["runs"], json.loads(pair.stdout)["spend"]["calls"]) == (1, 8)
    again = judgebench(*base, "--mode", "single", cwd=pulled, env=ENV)
    assert (json.loads(again.stdout)["spend"]["runs"], json.loads(again.stdout)["spend"]["calls"]) == (1, 18)
