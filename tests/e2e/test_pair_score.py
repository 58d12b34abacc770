"""judge --mode pair-score: both answers in one prompt, a 1–10 score for each, both orders, then the Vicuna table."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from builders import MTBENCH, answered_bench, edit_answer
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer

from judgebench.errors import UsageError
from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.pipeline.report import ReportJob, report
from judgebench.providers.fake import FakeProvider
from judgebench.providers.retry import RetryPolicy
from judgebench.records import Message, Usage
from judgebench.storage import answers_path, load_manifests, load_pair_scores

FAST_RETRY = RetryPolicy(max_attempts=2, initial=0.001, max_wait=0.002)
VICUNA = MTBENCH / "vicuna_bench"
FASTCHAT_PROMPTS = MTBENCH / "judge_prompts.jsonl"

# The hand-computed fixture. Each question's true scores (model, base); the scripted judge adds
# one point to whichever answer it is shown first, so each answer's two games are true+1 and
# true, averaged to true+0.5. On question 4 the judge never writes a verdict when `model` is
# shown first, so that comparison is excluded (and stored as unparsed).
#   q1: model 8.5, base 6.5  → win  (by 2)
#   q2: model 5.5, base 9.5  → loss (by 4)
#   q3: model 7.5, base 7.5  → tie
#   q4: excluded
# Totals: model 21.5, base 23.5 → 100 · 21.5 / 23.5 = 91.489… %; 1 win, 1 tie, 1 loss.
# Shown first minus shown second is +1 for every answer: first_position_bonus 1.0, order_shift 1.0.
TRUE = {1: (8.0, 6.0), 2: (5.0, 9.0), 3: (7.0, 7.0), 4: (4.0, 4.0)}


def shown_first(text: str) -> str:
    """Which model's answer the rendered message shows as assistant A."""
    return min(("model", "base"), key=lambda m: text.index(f"{m} answers ("))


def scripted_judge(messages: Sequence[Message]) -> str:
    text = messages[1].content
    qid = int(re.search(r"Question (\d+)", text).group(1))  # type: ignore[union-attr]
    first = shown_first(text)
    if qid == 4 and first == "model":
        return "Both replies have merit; I cannot decide on numbers."
    model, base = TRUE[qid]
    a, b = (model + 1, base) if first == "model" else (base + 1, model)
    return f"A is {'better' if a > b else 'no better'}.\n[[{a:g}, {b:g}]]"


def write_bench(tmp_path: Path, turns: int = 1) -> Path:
    qfile = tmp_path / "vq.jsonl"
    rows = [
        {"question_id": i, "category": "generic", "turns": [f"Question {i}: turn {t}?" for t in range(1, turns + 1)]}
        for i in range(1, 5)
    ]
    return answered_bench(qfile, rows, ("model", "base"))


def job(tmp_path: Path, qfile: Path, **kw: object) -> JudgeJob:
    settings: dict[str, object] = {"baseline": "base", **kw}
    return JudgeJob(
        judge="fake/judge",
        mode="pair-score",
        questions=str(qfile),
        results_dir=tmp_path / "results",
        retry=FAST_RETRY,
        **settings,  # type: ignore[arg-type]
    )


def test_both_orders_scores_mapped_back_and_the_vicuna_table_by_hand(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    provider = FakeProvider("judge", reply=scripted_judge)
    run = judge(job(tmp_path, qfile), provider=provider)
    # 4 questions x 2 games = 8 records; question 4's model-first game: 1 call + 2 re-asks.
    assert (run.planned, run.judged, run.unparsed, run.failed, run.calls) == (8, 7, 1, 0, 8)
    assert len(provider.requests) == 10
    assert run.path.name == "fake__judge_pairscore.jsonl"
    scores = load_pair_scores(run.path)
    assert len(scores) == 8
    assert Counter(s.game for s in scores) == {1: 4, 2: 4}
    assert {(s.model_1, s.model_2) for s in scores} == {("base", "model")}  # the baseline is model_1
    assert {s.prompt for s in scores} == {"pairscore-v1"}
    by = {(int(s.question_id), s.game): s for s in scores}
    # Game 1 shows model_1 (base) first: base gets the bonus point; game 2 shows model first.
    assert (by[1, 1].score_1, by[1, 1].score_2) == (7.0, 8.0)
    assert (by[1, 2].score_1, by[1, 2].score_2) == (6.0, 9.0)
    unread = by[4, 2]
    assert (unread.status, unread.score_1, unread.score_2, unread.attempts) == ("unparsed", None, None, 3)
    assert unread.judgment == "Both replies have merit; I cannot decide on numbers."
    assert [r.reason for r in unread.reasks] == ["no [[A, B]] scores found"] * 2
    # Bookkeeping: every request's tokens are on exactly one record, and in the run's usage.
    assert sum((s.usage for s in scores), Usage()) == run.usage
    assert run.usage.calls == 10
    assert all(s.answer_hashes.keys() == {"base", "model"} for s in scores)
    assert all(s.key and s.judgebench_version for s in scores)
    (manifest,) = [m for m in load_manifests(tmp_path / "results", "vq") if m.kind == "judge"]
    assert (manifest.mode, manifest.baseline, manifest.status, manifest.planned, manifest.done) == (
        "pair-score", "base", "complete", 8, 8
    )  # fmt: skip
    assert manifest.usage == run.usage

    result = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0))
    (row,) = result.judges[0].pair_score
    assert row == {
        "baseline": "base", "model": "model", "n": 3, "excluded": 1, "model_total": 21.5, "baseline_total": 23.5,
        "relative_pct": pytest.approx(100 * 21.5 / 23.5), "wins": 1, "ties": 1, "losses": 1,
        "win_rate": pytest.approx(1 / 3), "tie_rate": pytest.approx(1 / 3), "loss_rate": pytest.approx(1 / 3),
        "first_position_bonus": 1.0, "order_shift": 1.0,
    }  # fmt: skip
    wide = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0, tie_threshold=2.0))
    (tied,) = wide.judges[0].pair_score
    assert (tied["wins"], tied["ties"], tied["losses"]) == (0, 2, 1)

    again_provider = FakeProvider("judge", reply=scripted_judge)
    again = judge(job(tmp_path, qfile), provider=again_provider)
    assert (again.planned, again.skipped, again.calls, len(again_provider.requests)) == (0, 8, 0, 0)
    assert len(load_pair_scores(run.path)) == 8


def test_order_shift_interval_resamples_questions(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    judge(job(tmp_path, qfile), provider=FakeProvider("judge", reply=scripted_judge))
    result = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=200, seed=3))
    (row,) = result.judges[0].pair_score
    # Every answer gained exactly one point when shown first, so every replicate's mean is 1.
    assert (row["first_position_bonus"], row["first_position_bonus_lo"], row["first_position_bonus_hi"]) == (1, 1, 1)
    assert 100 * 5.5 / 9.5 <= row["relative_pct_lo"] < 100 * 21.5 / 23.5 < row["relative_pct_hi"] <= 100 * 8.5 / 6.5


def test_multi_turn_per_turn_with_references(tmp_path: Path) -> None:
    qfile = tmp_path / "mt.jsonl"
    rows = [
        {"question_id": 1, "category": "writing", "turns": ["Question 1: a haiku?", "Question 1: rhyme it?"]},
        {"question_id": 2, "category": "math", "turns": ["Question 2: 6*7?", "Question 2: 6*8?"],
         "reference": ["6*7 = 42", "6*8 = 48"]},
    ]  # fmt: skip
    answered_bench(qfile, rows, ("model", "base"))
    run = judge(job(tmp_path, qfile), provider=FakeProvider("judge", reply=lambda m: "Even.\n[[6, 6]]"))
    assert (run.planned, run.judged) == (8, 8)  # 2 questions x 2 turns x 2 games
    scores = load_pair_scores(run.path)
    prompts = {(int(s.question_id), s.turn): s.prompt for s in scores}
    assert prompts == {
        (1, 1): "pairscore-v1", (1, 2): "pairscore-multi-v1",
        (2, 1): "pairscore-ref-v1", (2, 2): "pairscore-ref-multi-v1",
    }  # fmt: skip
    math_turn_2 = next(s for s in scores if s.question_id == 2 and s.turn == 2)
    assert "6*8 = 48" in math_turn_2.user_prompt and "CONVERSATION B" in math_turn_2.user_prompt
    result = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0))
    (row,) = result.judges[0].pair_score
    assert (row["n"], row["model_total"], row["baseline_total"], row["relative_pct"], row["ties"]) == (
        4, 24.0, 24.0, 100.0, 4
    )  # fmt: skip


def test_bad_options_are_refused_before_any_call(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    provider = FakeProvider("judge", reply=scripted_judge)
    with pytest.raises(UsageError, match="--mode pair-score needs exactly one of --baseline MODEL or --all-pairs"):
        judge(job(tmp_path, qfile, baseline=None), provider=provider)
    with pytest.raises(UsageError, match="--pairs-from is for --mode pairwise"):
        judge(job(tmp_path, qfile, baseline=None, pairs_from=tmp_path / "votes.jsonl"), provider=provider)
    with pytest.raises(UsageError, match="no probability reading"):
        judge(job(tmp_path, qfile, verdict="logprobs"), provider=provider)
    assert provider.requests == []


def test_all_pairs_and_the_default_fake_judge(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    run = judge(job(tmp_path, qfile, baseline=None, all_pairs=True), provider=FakeProvider("judge"))
    assert (run.planned, run.judged, run.unparsed) == (8, 8, 0)  # the fake judge writes [[x, y]] when asked
    assert {(s.model_1, s.model_2) for s in load_pair_scores(run.path)} == {("base", "model")}


def pair_scoring_server_judge(body: dict[str, Any]) -> str:
    """Over HTTP: the scripted judge, reading the request's first user message (re-asks come after it)."""
    text = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return scripted_judge([Message("system", ""), Message("user", text)])


def test_over_http_then_report_and_html(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.reply = pair_scoring_server_judge
    qfile = write_bench(tmp_path)
    env = {"OPENAI_API_KEY": "sk-test"}
    args = ["judge", "-j", "openai/judge", "--base-url", llm_server.base_url, "-q", str(qfile)]
    proc = judgebench(*args, "--mode", "pair-score", "--baseline", "base", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "8 judged now: 7 with a verdict" in proc.stdout
    assert len(llm_server.requests) == 10
    again = judgebench(*args, "--mode", "pair-score", "--baseline", "base", cwd=tmp_path, env=env)
    assert "0 judged now" in again.stdout and "calls: 0" in again.stdout
    assert len(llm_server.requests) == 10

    shown = judgebench("report", "-q", str(qfile), "--html", "out/r.html", "--plots", "out/png", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "paired scoring (Vicuna table), judged by openai/judge" in shown.stdout
    assert re.search(r"│ base +│ model +│ 3 +│ +1 │ +21\.50 │ +23\.50 │ +91\.49 \[", shown.stdout)  # 100·21.5/23.5
    html = (tmp_path / "out" / "r.html").read_text()
    assert "paired scoring: total as % of the baseline&#x27;s" in html
    assert "paired scoring: win / tie / loss against the baseline" in html
    for chart in ("pair-relative", "pair-wtl"):
        (png,) = (tmp_path / "out" / "png").glob(f"*-{chart}.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(judgebench("report", "-q", str(qfile), "-f", "json", cwd=tmp_path).stdout)
    (row,) = data["judges"][0]["pair_score"]["models"]
    assert (row["model_total"], row["baseline_total"], row["wins"], row["ties"], row["losses"]) == (
        21.5, 23.5, 1, 1, 1
    )  # fmt: skip


def test_cli_refuses_pair_score_without_a_design(tmp_path: Path) -> None:
    proc = judgebench("judge", "-j", "fake/j", "--mode", "pair-score", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--mode pair-score needs exactly one of --baseline MODEL or --all-pairs")


def test_one_model_to_compare_is_refused_in_one_line_with_no_call(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    base = ("judge", "-j", "fake/j", "-q", str(qfile))
    # The baseline alone (-m picks it): nothing to compare it with; before, 0 calls and exit 0, silently.
    proc = judgebench(*base, "--mode", "pair-score", "--baseline", "base", "-m", "base", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--mode pair-score compares two models or more; only base", "-m (model)")
    proc = judgebench(*base, "--mode", "pairwise", "--all-pairs", "-m", "model", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--mode pairwise compares two models or more; only model", "-m (base)")
    (tmp_path / "results" / "vq" / "answers" / "base.jsonl").unlink()  # a bench with one model's answers
    proc = judgebench(*base, "--mode", "pair-score", "--all-pairs", cwd=tmp_path)
    assert_one_line_error(proc, 2, "only model would be judged", "answer with a second model first")
    assert not (tmp_path / "results" / "vq" / "judgments").exists()


def test_report_refuses_a_baseline_nothing_was_compared_with(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    judge(job(tmp_path, qfile), provider=FakeProvider("judge", reply=scripted_judge))
    # A typo: before, exit 0 with the pair-score baseline chosen silently (and a pairwise table dropped).
    proc = judgebench("report", "-q", str(qfile), "--baseline", "bsae", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--baseline bsae: no pairwise or paired-scoring judgment compares it", "base, model")
    ok = judgebench("report", "-q", str(qfile), "--baseline", "model", "--bootstrap", "0", "-f", "json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    (row,) = json.loads(ok.stdout)["judges"][0]["pair_score"]["models"]
    assert (row["baseline"], row["model"], row["model_total"], row["baseline_total"]) == ("model", "base", 23.5, 21.5)


def test_pair_score_figures_keep_titles_and_legend_clear_of_the_page_edge_and_the_bars(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    from judgebench.presentation import plots

    qfile = write_bench(tmp_path)
    judge(job(tmp_path, qfile), provider=FakeProvider("judge", reply=scripted_judge))
    result = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0))
    (judged,) = result.judges
    with plt.rc_context(plots._STYLE):  # type: ignore[arg-type]
        charts = plots._pair_score_charts(replace(judged, judge="openai/a-judge-with-a-rather-long-name"), "j")
        assert [name for name, _, _ in charts] == ["j-pair-relative", "j-pair-wtl"]
        for _, _, fig in charts:
            fig.canvas.draw()
            (ax,) = fig.axes
            title = ax._left_title.get_window_extent()  # before: cut off at the figure's right edge
            assert fig.bbox.x0 <= title.x0 and title.x1 <= fig.bbox.x1
            bars = [p.get_window_extent() for p in ax.patches if p.get_width() > 0]
            for legend in fig.legends:  # before: drawn over the bars of the last row
                assert not any(legend.get_window_extent().overlaps(b) for b in bars)
            plt.close(fig)
    assert len(charts[1][2].legends) == 1
    assert len([p for p in charts[1][2].axes[0].patches if p.get_width() > 0]) == 3  # 1 win, 1 tie, 1 loss


def test_a_panel_of_pair_scoring_judges_gets_its_own_vicuna_table_by_hand(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)

    def lower(by: int) -> Any:
        def reply(messages: Sequence[Message]) -> str:
            text = scripted_judge(messages)
            found = re.search(r"\[\[(\S+), (\S+)\]\]", text)
            return text if found is None else f"[[{float(found[1]) - by:g}, {float(found[2]) - by:g}]]"

        return reply

    for k in (0, 1, 2):  # judge j<k> scores every answer k points below the scripted judge
        settings = {"judge": f"fake/j{k}", "mode": "pair-score", "baseline": "base", "retry": FAST_RETRY}
        run_k = judge(
            JudgeJob(questions=str(qfile), results_dir=tmp_path / "results", **settings),  # type: ignore[arg-type]
            provider=FakeProvider(f"j{k}", reply=lower(k)),
        )
        assert (run_k.planned, run_k.judged, run_k.unparsed) == (8, 7, 1)
    # before: "--panel: needs two judges or more with judgments of the same mode" (no panel of pair scores)
    proc = judgebench("report", "-q", str(qfile), "--panel", "--bootstrap", "0", "-f", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [j["judge"] for j in data["judges"]] == ["fake/j0", "fake/j1", "fake/j2", "panel"]
    (row,) = next(j for j in data["judges"] if j["judge"] == "panel")["pair_score"]["models"]
    # The panel's score of each answer is the mean of 0, 1 and 2 points below the scripted judge: 1 below.
    # Three comparisons (q4 excluded as for each judge): model 21.5 - 3, base 23.5 - 3.
    assert (row["n"], row["excluded"], row["model_total"], row["baseline_total"]) == (3, 1, 18.5, 20.5)
    assert row["relative_pct"] == pytest.approx(100 * 18.5 / 20.5)
    assert (row["wins"], row["ties"], row["losses"], row["first_position_bonus"]) == (1, 1, 1, 1.0)
    assert "panel: 1 paired-scoring games without both scores of every judge are left out" in data["notes"]


@pytest.mark.skipif(not FASTCHAT_PROMPTS.is_file(), reason="../shared/mtbench is not beside the repo")
def test_fastchat_prompts_have_no_pair_score_prompt(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    args = ("judge", "-j", "fake/j", "-q", str(qfile), "--mode", "pair-score", "--baseline", "base")
    proc = judgebench(*args, "--prompts", str(FASTCHAT_PROMPTS), cwd=tmp_path)
    assert_one_line_error(proc, 2, "FastChat's judge prompts have no pair-score prompt", "--prompts jb-v1")
    assert not (tmp_path / "results" / "vq" / "judgments" / "fake__j_pairscore.jsonl").exists()


@pytest.mark.skipif(not (VICUNA / "question.jsonl").is_file(), reason="../shared/mtbench is not beside the repo")
def test_vicuna_bench_end_to_end(tmp_path: Path) -> None:
    """The issue's 'done means': judge --mode pair-score on vicuna-bench, then report prints the Vicuna table."""
    for name in ("vicuna", "chatgpt"):
        proc = judgebench("gen-answers", "-m", f"fake/{name}", "--name", name, "-q", str(VICUNA), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    args = ("judge", "-j", "fake/judge", "-q", str(VICUNA), "--mode", "pair-score", "--baseline", "chatgpt")
    proc = judgebench(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "160 judged now: 160 with a verdict" in proc.stdout  # 80 questions x 2 orders
    path = tmp_path / "results" / "vicuna_bench" / "judgments" / "fake__judge_pairscore.jsonl"
    scores = load_pair_scores(path)
    assert len(scores) == 160
    references = {s.prompt for s in scores if s.category in ("math", "coding")}
    assert references == {"pairscore-ref-v1"}  # vicuna-bench's reference answers are used
    again = judgebench(*args, cwd=tmp_path)
    assert "0 judged now" in again.stdout and "calls: 0" in again.stdout

    shown = judgebench("report", "-q", str(VICUNA), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "vicuna_bench — paired scoring (Vicuna table), judged by fake/judge" in shown.stdout
    for column in ("model_total", "baseline_total", "relative_pct", "wins", "ties", "losses", "first_position_bonus"):
        assert column in shown.stdout
    data = json.loads(judgebench("report", "-q", str(VICUNA), "-f", "json", cwd=tmp_path).stdout)
    (row,) = data["judges"][0]["pair_score"]["models"]
    assert (row["baseline"], row["model"], row["n"], row["excluded"]) == ("chatgpt", "vicuna", 80, 0)
    by_question: dict[tuple[str, str], dict[int, tuple[float, float]]] = {}
    for s in scores:
        assert s.score_1 is not None and s.score_2 is not None
        by_question.setdefault((str(s.question_id), s.prompt), {})[s.game] = (s.score_1, s.score_2)
    base = sum((g[1][0] + g[2][0]) / 2 for g in by_question.values())
    model = sum((g[1][1] + g[2][1]) / 2 for g in by_question.values())
    assert (row["baseline_total"], row["model_total"]) == (pytest.approx(base), pytest.approx(model))
    assert row["relative_pct"] == pytest.approx(100 * model / base)
    assert row["wins"] + row["ties"] + row["losses"] == 80
    for key in ("relative_pct", "win_rate", "tie_rate", "loss_rate", "first_position_bonus"):
        assert row[f"{key}_lo"] <= row[key] <= row[f"{key}_hi"]


def test_a_twin_answer_reuses_the_bought_call_with_its_scores_mapped_to_its_pair(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    judge(job(tmp_path, qfile), provider=FakeProvider("judge", reply=scripted_judge))
    # "twin" answers exactly as "model" does, so its pair games are the same calls: bought once.
    gen_answers(
        AnswerJob(model="fake/model", questions=str(qfile), results_dir=tmp_path / "results", name="twin"),
        provider=FakeProvider("model"),
    )
    provider = FakeProvider("judge", reply=scripted_judge)
    run = judge(job(tmp_path, qfile), provider=provider)
    assert (run.planned, run.reused, run.calls, len(provider.requests)) == (8, 8, 0, 0)
    scores = load_pair_scores(run.path)
    mine = {(int(s.question_id), s.game): s for s in scores if s.model_2 == "model"}
    twin = {(int(s.question_id), s.game): s for s in scores if s.model_2 == "twin"}
    assert all(s.reused and s.attempts == 0 and s.usage == Usage() for s in twin.values())
    assert {k: (s.score_1, s.score_2, s.status) for k, s in twin.items()} == {
        k: (s.score_1, s.score_2, s.status) for k, s in mine.items()
    }
    result = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0))
    rows = {r["model"]: r for r in result.judges[0].pair_score}
    assert rows["twin"]["model_total"] == rows["model"]["model_total"] == 21.5


def test_dry_run_counts_calls_and_a_local_judge_reads_text(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path, turns=2)
    dry = judge(job(tmp_path, qfile, dry_run=True), provider=FakeProvider("judge"))
    assert (dry.planned, dry.calls, dry.path.exists()) == (16, 16, False)  # 4 questions x 2 turns x 2 orders
    assert JudgeJob(judge="local/gemma-3-270m", mode="pair-score", baseline="b").verdict_mode == "text"
    assert JudgeJob(judge="local/gemma-3-270m", mode="pairwise", baseline="b").verdict_mode == "logprobs"


@pytest.mark.skipif(not (MTBENCH / "question.jsonl").is_file(), reason="../shared/mtbench is not beside the repo")
def test_mt_bench_multi_turn_with_its_reference_answers(tmp_path: Path) -> None:
    """Real MT-Bench questions, per turn; the math question is scored against FastChat's gpt-4 references."""
    ids = ("--question-ids", "81,111")
    for name in ("model", "base"):
        proc = judgebench("gen-answers", "-m", f"fake/{name}", "--name", name, "-q", str(MTBENCH), *ids, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    args = ("judge", "-j", "fake/judge", "-q", str(MTBENCH), *ids, "--mode", "pair-score", "--baseline", "base")
    proc = judgebench(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "8 judged now: 8 with a verdict" in proc.stdout  # 2 questions x 2 turns x 2 orders
    scores = load_pair_scores(tmp_path / "results" / "mtbench" / "judgments" / "fake__judge_pairscore.jsonl")
    assert Counter((int(s.question_id), s.turn, s.prompt) for s in scores) == {
        (81, 1, "pairscore-v1"): 2, (81, 2, "pairscore-multi-v1"): 2,
        (111, 1, "pairscore-ref-v1"): 2, (111, 2, "pairscore-ref-multi-v1"): 2,
    }  # fmt: skip
    reference = next(
        json.loads(line)["choices"][0]["turns"][1]
        for line in (MTBENCH / "reference_answer" / "gpt-4.jsonl").read_text().splitlines()
        if json.loads(line)["question_id"] == 111
    )
    turn_2 = next(s for s in scores if s.question_id == 111 and s.turn == 2)
    assert reference.strip()[:40] in turn_2.user_prompt
    data = json.loads(judgebench("report", "-q", str(MTBENCH), "-f", "json", cwd=tmp_path).stdout)
    (row,) = data["judges"][0]["pair_score"]["models"]
    assert (row["baseline"], row["model"], row["n"], row["excluded"]) == ("base", "model", 4, 0)


def test_report_question_shows_both_games_scores_as_shown(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    judge(job(tmp_path, qfile), provider=FakeProvider("judge", reply=scripted_judge))
    shown = judgebench("report", "-q", str(qfile), "--question", "4", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "### Paired scoring, game 1 by fake/judge: A = base: 5, B = model: 4" in shown.stdout
    assert "### Paired scoring, game 2 by fake/judge: unparsed (A = model, B = base)" in shown.stdout
    assert "> Both replies have merit; I cannot decide on numbers." in shown.stdout
    data = json.loads(judgebench("report", "-q", str(qfile), "--question", "1", "-f", "json", cwd=tmp_path).stdout)
    assert [(s["game"], s["model_a"], s["score_a"], s["model_b"], s["score_b"]) for s in data["scored"]] == [
        (1, "base", 7.0, "model", 8.0),
        (2, "model", 9.0, "base", 6.0),
    ]


def test_an_edited_answer_is_left_out_of_the_report_and_rejudged_alone(tmp_path: Path) -> None:
    qfile = write_bench(tmp_path)
    judge(job(tmp_path, qfile), provider=FakeProvider("judge", reply=scripted_judge))
    edit_answer(answers_path(tmp_path / "results", "vq", "model"), 1, 1, "model answers (edited): a better reply.")
    result = report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0))
    (row,) = result.judges[0].pair_score
    assert (row["n"], row["excluded"], row["model_total"], row["baseline_total"]) == (2, 1, 13.0, 17.0)
    assert any(
        "2 pair scores judge answers regenerated since" in w and "--mode pair-score" in w for w in result.warnings
    )
    provider = FakeProvider("judge", reply=scripted_judge)
    run = judge(job(tmp_path, qfile), provider=provider)
    assert (run.planned, run.skipped, run.calls) == (2, 6, 2)
    assert all("a better reply" in messages[-1].content for messages, _ in provider.requests)
    (again,) = (
        report(ReportJob(questions=str(qfile), results_dir=tmp_path / "results", bootstrap=0)).judges[0].pair_score
    )
    assert (again["n"], again["model_total"], again["baseline_total"]) == (3, 21.5, 23.5)


def test_batch_pair_scoring_journals_apart_and_stores_what_a_direct_run_would(
    tmp_path: Path, llm_server: LLMServer
) -> None:
    llm_server.reply = pair_scoring_server_judge
    qfile = write_bench(tmp_path)
    env = {"OPENAI_API_KEY": "sk-test"}
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"openai/gpt-4o": {"input": 3.0, "output": 15.0}}))
    args = [
        "judge",
        "-j",
        "openai/gpt-4o",
        "--base-url",
        llm_server.base_url,
        "-q",
        str(qfile),
        "--prices",
        str(prices),
    ]
    design = ["--mode", "pair-score", "--baseline", "base", "--reasks", "0"]
    proc = judgebench(*args, *design, "--batch", "--batch-poll", "0.01", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "8 judged now: 7 with a verdict, 1 without a readable verdict" in proc.stdout
    assert len(llm_server._batches.items) == 8  # every call in the batch, none direct (no re-asks in a batch)
    journal = tmp_path / "results" / "vq" / "batches" / "openai__gpt-4o_pairscore.jsonl"
    assert [json.loads(line)["event"] for line in journal.read_text().splitlines()] == ["submitted", "collected"]
    batched = {(int(s.question_id), s.game): (s.score_1, s.score_2, s.status) for s in load_pair_scores(
        tmp_path / "results" / "vq" / "judgments" / "openai__gpt-4o_pairscore.jsonl")}  # fmt: skip
    assert batched[1, 1] == (7.0, 8.0, "ok") and batched[4, 2] == (None, None, "unparsed")
    direct_root = tmp_path / "direct"
    direct_root.mkdir()
    write_bench(direct_root)
    direct_args = [*args[:5], "-q", "vq.jsonl", "--prices", str(prices)]
    assert judgebench(*direct_args, *design, cwd=direct_root, env=env).returncode == 0
    direct = {(int(s.question_id), s.game): (s.score_1, s.score_2, s.status) for s in load_pair_scores(
        direct_root / "results" / "vq" / "judgments" / "openai__gpt-4o_pairscore.jsonl")}  # fmt: skip
    assert batched == direct
    runs = [json.loads(p.read_text()) for p in (tmp_path / "results" / "vq" / "runs").glob("*judge*.json")]
    direct_runs = [json.loads(p.read_text()) for p in (direct_root / "results" / "vq" / "runs").glob("*judge*.json")]
    assert runs[0]["cost_usd"] == pytest.approx(direct_runs[0]["cost_usd"] / 2)
