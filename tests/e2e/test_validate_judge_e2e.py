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


@pytest.fixture
def pulled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``datasets pull mt-bench-human`` from a local mirror of a small release with the real schema."""
    if not MTBENCH.is_dir():
        pytest.skip("../shared/mtbench is not beside the repo")
    import pandas as pd

    from judgebench.pipeline.datasets import DATASETS

    root = tmp_path / "upstream"
    (root / "mt_bench" / "reference_answer").mkdir(parents=True)
    (root / "data").mkdir()
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
