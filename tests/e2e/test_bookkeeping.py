"""Pay once, count once: every model keeps its record, every distinct prompt is bought once.

The fixture is the published MT-Bench answers, where alpaca-13b and llama-13b gave the same text
for question 118 (both turns) and alpaca-13b and vicuna-13b-v1.3 for question 132's first turn.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from builders import MTBENCH, write_questions
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer

from tests.e2e.test_resilience import deterministic_reply

ENV = {"OPENAI_API_KEY": "sk-test"}
THREE = ("alpaca-13b", "llama-13b", "vicuna-13b-v1.3")
JUDGE = "openai/gpt-4o-mini"
SLUG = "openai__gpt-4o-mini"

needs_mtbench = pytest.mark.skipif(not (MTBENCH / "question.jsonl").is_file(), reason="no ../shared/mtbench")


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def judge_calls(server: LLMServer) -> list[str]:
    """The user messages of every chat request the server got."""
    return [json.dumps(r.json["messages"]) for r in server.requests if r.path.endswith("/chat/completions")]


def import_three(root: Path) -> Path:
    """Import the three MT-Bench models with FastChat's layout; returns the bench's question file."""
    src = root / "mtb"
    (src / "model_answer").mkdir(parents=True)
    shutil.copy(MTBENCH / "question.jsonl", src / "question.jsonl")
    for model in THREE:
        shutil.copy(MTBENCH / "model_answer" / f"{model}.jsonl", src / "model_answer" / f"{model}.jsonl")
    proc = judgebench("import", "fastchat", str(src), cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "results" / "mtb" / "question.jsonl"


@needs_mtbench
def test_identical_answers_keep_every_models_grade_and_are_bought_once(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = deterministic_reply
    qfile = import_three(tmp_path)
    args = ["judge", "-j", JUDGE, "--base-url", llm_server.base_url, "-q", str(qfile)]

    first = judgebench(*args, "--model", "alpaca-13b", cwd=tmp_path, env=ENV)
    assert first.returncode == 0, first.stderr
    assert len(judge_calls(llm_server)) == 160
    assert len(set(judge_calls(llm_server))) == 160
    llm_server.clear()

    second = judgebench(*args, cwd=tmp_path, env=ENV)
    assert second.returncode == 0, second.stderr
    # llama's q118 (2 turns) and vicuna's q132 turn 1 repeat alpaca's prompts: 320 records, 317 calls.
    assert len(judge_calls(llm_server)) == 317
    assert len(set(judge_calls(llm_server))) == 317
    assert "320 judged now: 320 with a verdict, 0 without a readable verdict, 0 failed; 160 already done" in (
        second.stdout
    )
    assert "317 judge calls bought; 3 reuse the verdict of a call with the same prompt" in second.stdout

    records = lines(tmp_path / "results" / "mtb" / "judgments" / f"{SLUG}_single.jsonl")
    # (FastChat's vicuna-13b-v1.3 file names its model vicuna-13b-hao-0515 inside; either name will do here.)
    vicuna = next(r["model"] for r in records if r["model"].startswith("vicuna"))
    assert Counter(r["model"] for r in records) == {"alpaca-13b": 160, "llama-13b": 160, vicuna: 160}
    reused = sorted((r["model"], r["question_id"], r["turn"]) for r in records if r.get("reused"))
    assert reused == [("llama-13b", 118, 1), ("llama-13b", 118, 2), (vicuna, 132, 1)]
    by = {(r["model"], r["question_id"], r["turn"]): r for r in records}
    for model, qid, turn in reused:
        copy, bought = by[(model, qid, turn)], by[("alpaca-13b", qid, turn)]
        assert (copy["score"], copy["key"], copy["attempts"]) == (bought["score"], bought["key"], 0)
        assert copy["usage"]["calls"] == 0

    report = judgebench("report", "-q", str(qfile), "--format", "json", "--bootstrap", "0", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)["judges"][0]["single"]
    assert {r["model"]: r["n"] for r in rows} == {"alpaca-13b": 160, "llama-13b": 160, vicuna: 160}

    # A finished run buys nothing.
    llm_server.clear()
    third = judgebench(*args, cwd=tmp_path, env=ENV)
    assert third.returncode == 0, third.stderr
    assert judge_calls(llm_server) == []
    assert "0 judged now" in third.stdout


@needs_mtbench
def test_identical_prompts_in_one_run_are_bought_once(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = deterministic_reply
    qfile = import_three(tmp_path)
    args = ["judge", "-j", JUDGE, "--base-url", llm_server.base_url, "-q", str(qfile), "--question-ids", "118,132"]
    proc = judgebench(*args, cwd=tmp_path, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert len(judge_calls(llm_server)) == 12 - 3
    records = lines(tmp_path / "results" / "mtb" / "judgments" / f"{SLUG}_single.jsonl")
    assert len(records) == 12
    assert sum(bool(r.get("reused")) for r in records) == 3
    assert sum(r["usage"]["calls"] for r in records) == 9


def answered(root: Path, models: tuple[str, ...] = ("a", "b", "c"), n: int = 10) -> Path:
    qfile = write_questions(root / "q.jsonl", n=n)
    for name in models:
        proc = judgebench("gen-answers", "-m", f"fake/{name}", "--name", name, "-q", str(qfile), cwd=root)
        assert proc.returncode == 0, proc.stderr
    return qfile


def pairwise_report(root: Path, qfile: Path, *extra: str) -> dict[str, Any]:
    proc = judgebench("report", "-q", str(qfile), "-f", "json", "--bootstrap", "0", *extra, cwd=root)
    assert proc.returncode == 0, proc.stderr
    (judge,) = json.loads(proc.stdout)["judges"]
    return dict(judge)


@pytest.mark.parametrize("order", ["baseline-first", "all-pairs-first"])
def test_a_comparison_is_bought_and_counted_once_whatever_the_modes_order(
    tmp_path: Path, llm_server: LLMServer, order: str
) -> None:
    llm_server.reply = deterministic_reply
    qfile = answered(tmp_path)
    args = ["judge", "-j", JUDGE, "--base-url", llm_server.base_url, "-q", str(qfile), "--mode", "pairwise"]
    modes = [["--baseline", "a"], ["--all-pairs"]]
    if order == "all-pairs-first":
        modes.reverse()
    calls = []
    for mode in modes:
        llm_server.clear()
        proc = judgebench(*args, *mode, cwd=tmp_path, env=ENV)
        assert proc.returncode == 0, proc.stderr
        calls.append(len(judge_calls(llm_server)))
    # 10 questions x 2 turns x 2 games = 40 calls a pair: (b, a) and (c, a), then only (b, c) — or all 3, then none.
    assert calls == ([80, 40] if order == "baseline-first" else [120, 0])
    games = lines(tmp_path / "results" / "q" / "judgments" / f"{SLUG}_pair.jsonl")
    assert len(games) == 120
    assert sum(g["usage"]["calls"] for g in games) == 120

    everything = pairwise_report(tmp_path, qfile, "--bias", "--ratings")
    assert everything["pairwise"]["comparisons"] == 60
    assert {m["model"]: m["n"] for m in everything["pairwise"]["models"]} == {"a": 40, "b": 40, "c": 40}
    assert everything["pairwise"]["consistency"][0]["n"] == 60
    assert everything["ratings"]["comparisons"] == 60
    assert everything["bias"]["failures"]["pair_games"]["n"] == 120
    against_a = pairwise_report(tmp_path, qfile, "--baseline", "a")
    assert against_a["pairwise"]["comparisons"] == 40
    assert {m["model"]: m["n"] for m in against_a["pairwise"]["models"]} == {"b": 20, "c": 20}

    # The README's example: one judge's pairwise verdicts against its own single grades, each comparison once.
    assert judgebench(*args[:-2], cwd=tmp_path, env=ENV).returncode == 0
    proc = judgebench("agreement", "-a", f"pair:{JUDGE}", "-b", f"single:{JUDGE}", "-q", str(qfile), "-f", "json",
                      "--bootstrap", "0", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {row["turn"]: row for row in json.loads(proc.stdout)["turns"]}
    assert (rows[1]["n"], rows[2]["n"], rows["all"]["n"]) == (30, 30, 60)


def test_a_later_baseline_reuses_the_comparisons_it_shares(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = deterministic_reply
    qfile = answered(tmp_path, n=3)
    args = ["judge", "-j", JUDGE, "--base-url", llm_server.base_url, "-q", str(qfile), "--mode", "pairwise"]
    assert judgebench(*args, "--baseline", "a", cwd=tmp_path, env=ENV).returncode == 0
    llm_server.clear()
    later = judgebench(*args, "--baseline", "b", cwd=tmp_path, env=ENV)
    assert later.returncode == 0, later.stderr
    assert len(judge_calls(llm_server)) == 12  # (c, b) only: (a, b) was judged as (b, a)
    assert "12 judged now" in later.stdout
    assert pairwise_report(tmp_path, qfile)["pairwise"]["comparisons"] == 18  # 3 pairs x 3 questions x 2 turns


def test_report_leaves_out_verdicts_of_regenerated_answers_and_says_how_to_refresh(tmp_path: Path) -> None:
    qfile = answered(tmp_path, models=("a", "b"), n=4)
    assert judgebench("judge", "-j", "fake/judge", "-q", str(qfile), cwd=tmp_path).returncode == 0
    pair = ["--mode", "pairwise", "--all-pairs"]
    assert judgebench("judge", "-j", "fake/judge", "-q", str(qfile), *pair, cwd=tmp_path).returncode == 0
    # Model a's answer to question 1 is regenerated (second turn only) after judging.
    path = tmp_path / "results" / "q" / "answers" / "a.jsonl"
    records = lines(path)
    regenerated = dict(records[0], choices=[{"index": 0, "turns": [records[0]["choices"][0]["turns"][0], "New."]}])
    path.write_text("".join(json.dumps(r) + "\n" for r in [*records, regenerated]))

    proc = judgebench("report", "-q", str(qfile), "-f", "json", "--bootstrap", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {r["model"]: r["n"] for r in data["judges"][0]["single"]} == {"a": 7, "b": 8}
    assert (data["judges"][0]["pairwise"]["comparisons"], data["judges"][0]["pairwise"]["excluded"]) == (7, 0)
    assert (
        "fake/judge: 1 single grades judge answers regenerated since and are left out — refresh them with "
        f"'judgebench judge -j fake/judge -q {qfile}'" in data["warnings"]
    )
    assert any(w.startswith("fake/judge: 2 pair games judge answers regenerated since") for w in data["warnings"])

    again = judgebench("judge", "-j", "fake/judge", "-q", str(qfile), cwd=tmp_path)
    assert "1 judged now" in again.stdout
    assert "2 judged now" in judgebench("judge", "-j", "fake/judge", "-q", str(qfile), *pair, cwd=tmp_path).stdout
    data = json.loads(judgebench("report", "-q", str(qfile), "-f", "json", "--bootstrap", "0", cwd=tmp_path).stdout)
    assert {r["model"]: r["n"] for r in data["judges"][0]["single"]} == {"a": 8, "b": 8}
    assert (data["judges"][0]["pairwise"]["comparisons"], data["judges"][0]["pairwise"]["excluded"]) == (8, 0)
    assert not [w for w in data["warnings"] if "regenerated" in w]


def test_answers_read_beside_the_pair_parse_warn_and_fail_where_they_did(tmp_path: Path) -> None:
    """A report reads the current answers while pyarrow parses the first pair file; their warnings and
    errors still come where the report read them before: after the pair files' and the pair scores'."""
    from judgebench.errors import DataError
    from judgebench.pipeline.report import ReportJob, report

    qfile = answered(tmp_path, models=("a", "b"), n=4)
    pair = ["--mode", "pairwise", "--all-pairs"]
    assert judgebench("judge", "-j", "fake/judge", "-q", str(qfile), *pair, cwd=tmp_path).returncode == 0
    bench = tmp_path / "results" / "q"
    (games,) = sorted((bench / "judgments").glob("*_pair.jsonl"))
    answers = bench / "answers" / "a.jsonl"
    games.write_text(games.read_text() + '{"question_id": 1, "mod')  # torn last lines, as a killed writer leaves
    answers.write_text(answers.read_text() + '{"question_id": 1, "mod')
    job = ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0)
    torn = [w for w in report(job).warnings if "torn" in w or "cut" in w or "incomplete" in w]
    assert [Path(w.split(":")[0]).name for w in torn] == [games.name, answers.name], torn

    answers.write_text(answers.read_text().rsplit("\n", 1)[0] + "\n" + '{"question_id": 1}\n')  # a bad line
    with pytest.raises(DataError, match=r"a\.jsonl:5"):
        report(job)
    scores = bench / "judgments" / "fake--judge_pairscore.jsonl"
    scores.write_text("not json\n")  # read before the answers: its error comes first, as before
    with pytest.raises(DataError, match=r"_pairscore\.jsonl:1"):
        report(job)


def test_run_spends_one_max_cost_across_all_its_steps(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: "ok"  # one output token a call
    prices = tmp_path / "prices.json"
    dollar_a_call = {"input": 0.0, "output": 1_000_000.0}
    prices.write_text(json.dumps(dict.fromkeys(("openai/a", "openai/b", "openai/judge"), dollar_a_call)))
    qfile = write_questions(tmp_path / "q.jsonl", n=2)
    proc = judgebench("run", "-m", "openai/a", "-m", "openai/b", "-j", "openai/judge", "-q", str(qfile),
                      "--base-url", llm_server.base_url, "--prices", str(prices), "--parallel", "1",
                      "--max-cost", "5", cwd=tmp_path, env=ENV)  # fmt: skip
    # a: 4 answer turns ($4); b: $1 left, so one call; the judge step never starts.
    assert proc.returncode == 5, proc.stderr
    assert len(llm_server.requests) == 5
    assert "--max-cost $1.00 reached" in proc.stderr
    assert not (tmp_path / "results" / "q" / "judgments").exists()


def test_options_that_do_nothing_or_are_cut_short_are_refused(tmp_path: Path) -> None:
    qfile = answered(tmp_path, models=("a",), n=2)
    assert_one_line_error(  # judge takes a panel (tests/test_panel.py); compare gates on one judge
        judgebench("compare", "results", "results", "-j", "fake/j1", "-j", "fake/j2", cwd=tmp_path),
        2,
        "--judge given 2 times (fake/j1, fake/j2)",
        "run it once per judge",
    )
    assert_one_line_error(
        judgebench("judge", "-j", "openai/gpt-4o", "--num-workers", "2", "-q", str(qfile), cwd=tmp_path, env=ENV),
        2,
        "--num-workers: only for local models",
        "openai/gpt-4o is served by an API",
    )
    assert_one_line_error(
        judgebench("gen-answers", "-m", "openai/gpt-4o", "--device", "cuda", "-q", str(qfile), cwd=tmp_path, env=ENV),
        2,
        "--device: only for local models",
    )
    assert_one_line_error(
        judgebench("run", "-m", "openai/a", "-j", "openai/j", "--dtype", "float16", "-q", str(qfile), cwd=tmp_path),
        2,
        "--dtype: only for local models",
    )
    assert_one_line_error(
        judgebench("judge", "-j", "fake/j", "--batch-wait", "5", "-q", str(qfile), cwd=tmp_path), 2, "add --batch"
    )
    assert not (tmp_path / "results" / "q" / "judgments").exists()


def test_questions_never_answered_are_counted_apart_from_failed_answers(tmp_path: Path) -> None:
    for name in ("a", "b"):
        proc = judgebench("gen-answers", "-m", f"fake/{name}", "--name", name, "--limit", "5", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    proc = judgebench("judge", "-j", "fake/judge", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "20 judged now" in proc.stdout
    assert "answer turns not judged" not in proc.stderr
    # 2 models x 75 unanswered questions x 2 turns: said once, as what they are.
    assert proc.stderr.count("300 turns not judged: their questions have no answer yet") == 1


def test_agreement_names_a_missing_bench(tmp_path: Path) -> None:
    proc = judgebench("agreement", "-a", "pair:fake/j", "-b", "single:fake/j", "-q", "no-such-bench", cwd=tmp_path)
    assert_one_line_error(proc, 2, "judge 'pair:fake/j'", "'no-such-bench' not found")


def test_pair_games_written_with_the_old_keys_are_neither_bought_again_nor_counted_twice(tmp_path: Path) -> None:
    """Before records had their own identity, a pair game's key also hashed its game number."""
    from judgebench.judging import judge_decoding
    from judgebench.pipeline.judge import JudgeJob, judge
    from judgebench.pipeline.judge_plan import load_prompts, plan_judgments
    from judgebench.providers.fake import FakeProvider
    from judgebench.storage import load_answers, resolve_question_set

    qfile = answered(tmp_path, n=3)
    results = tmp_path / "results"
    base = JudgeJob(judge="fake/judge", questions=str(qfile), results_dir=results, mode="pairwise", baseline="a")
    judge(base, provider=FakeProvider("judge"))
    path = results / "q" / "judgments" / "fake__judge_pair.jsonl"
    # Rewrite the games as an older judgebench wrote them: legacy keys, no answer_hashes.
    answers = {m: load_answers(results / "q" / "answers" / f"{m}.jsonl") for m in ("b", "c", "a")}
    plan = plan_judgments(base, load_prompts("jb-v1"), resolve_question_set(str(qfile)).questions, answers,
                          judge_decoding(0.0, 2048))  # fmt: skip
    legacy = {w.identity: w.legacy_keys[w.game - 1] for w in plan.work}
    old = []
    for game in lines(path):
        shown = (game["model_1"], game["model_2"]) if game["game"] == 1 else (game["model_2"], game["model_1"])
        identity = ("pair", str(game["question_id"]), game["turn"], *shown, *game["judge"])
        old.append({k: v for k, v in game.items() if k != "answer_hashes"} | {"key": legacy[identity]})
    path.write_text("".join(json.dumps(g) + "\n" for g in old))

    again = FakeProvider("judge")
    assert judge(base, provider=again).planned == 0
    assert again.requests == []
    everything = judge(replace(base, baseline=None, all_pairs=True), provider=again)
    assert (everything.planned, everything.calls, len(again.requests)) == (12, 12, 12)  # (b, c) only
    assert pairwise_report(tmp_path, qfile)["pairwise"]["comparisons"] == 18


def test_errors_name_the_missing_bench_or_judge(tmp_path: Path) -> None:
    assert_one_line_error(judgebench("report", "-q", "nosuch", cwd=tmp_path), 2, "'nosuch'")
    assert_one_line_error(judgebench("report", "--judge", "nobody", cwd=tmp_path), 2, "--judge nobody", "bench 'jb-80'")
    qfile = answered(tmp_path, models=("a",), n=2)
    assert judgebench("judge", "-j", "fake/judge", "-q", str(qfile), cwd=tmp_path).returncode == 0
    assert_one_line_error(
        judgebench("agreement", "-a", "pair:fake/judge", "-b", "single:fake/judge", "-q", str(qfile), cwd=tmp_path),
        2,
        "judge 'pair:fake/judge': fake/judge has only single judgments",
    )


@needs_mtbench
def test_every_published_mtbench_prompt_is_counted_once_in_a_dry_run(tmp_path: Path) -> None:
    # All 31 published models: 4,960 answer turns, of which 91 repeat the text of another model's turn.
    proc = judgebench("import", "fastchat", str(MTBENCH), "--bench", "mtb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    qfile = tmp_path / "results" / "mtb" / "question.jsonl"
    dry = judgebench("judge", "-j", JUDGE, "-q", str(qfile), "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    text = " ".join(dry.stdout.split())
    assert "would make 4869 judge calls" in text
    assert "for 4960 judgments; 91 reuse the verdict of a call with the same prompt; 0 already judged" in text
