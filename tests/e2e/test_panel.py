"""Judge panels, the product: one concurrent, resumable run under one bound and one budget; report, compare, ratings."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench
from llm_server import LLMServer, last_user_text

from judgebench.errors import BudgetReached
from judgebench.pipeline.judge import JudgeJob, judge_panel
from judgebench.pipeline.report import ReportJob, report
from judgebench.presentation.report_format import render_markdown
from judgebench.providers import API_CAPABILITIES, Completion, Decoding
from judgebench.providers.fake import FakeProvider
from judgebench.records import Message

# -- the run: concurrent, shared bound, resumable ------------------------------------------------------------------


class GateJudge:
    """A judge whose calls wait until every judge of the panel has one in flight (so only a concurrent run ends).

    Grades are fixed per judge; it counts its calls and the panel's calls in flight.
    """

    capabilities = API_CAPABILITIES

    def __init__(self, name: str, grade: int, board: dict[str, Any]) -> None:
        self.name = name
        self.grade = grade
        self.board = board
        self.calls = 0

    @property
    def model_id(self) -> str:
        return f"fake/{self.name}"

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        board = self.board
        board["in_flight"] += 1
        board["max_in_flight"] = max(board["max_in_flight"], board["in_flight"])
        board["judges"].add(self.name)
        if len(board["judges"]) == board["panel"]:
            board["all_in"].set()
        await asyncio.wait_for(board["all_in"].wait(), timeout=60)  # never reached in a concurrent run
        board["in_flight"] -= 1
        self.calls += 1
        return Completion(text=f"fine\n[[{self.grade}]]", input_tokens=10, output_tokens=2, finish_reason="stop")

    def is_retryable(self, exc: BaseException) -> bool:
        return False

    def retry_after(self, exc: BaseException) -> float | None:
        return None

    def redact(self, text: str) -> str:
        return text

    async def aclose(self) -> None:
        """Nothing to release."""


def _answers(tmp_path: Path) -> Path:
    qfile = write_questions(tmp_path / "mini.jsonl", n=3)
    for name in ("alpha", "beta"):
        proc = judgebench("gen-answers", "-m", f"fake/{name}", "--name", name, "-q", str(qfile), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    return qfile


def test_panel_run_is_concurrent_under_one_bound_and_resumes_with_zero_calls(tmp_path: Path) -> None:
    qfile = _answers(tmp_path)
    results = tmp_path / "results"

    def run(grades: dict[str, int]) -> tuple[Any, list[GateJudge], dict[str, Any]]:
        board: dict[str, Any] = {"in_flight": 0, "max_in_flight": 0, "judges": set(), "panel": 3}
        board["all_in"] = _LazyEvent()
        judges = [GateJudge(name, grade, board) for name, grade in grades.items()]
        jobs = [JudgeJob(judge=j.model_id, questions=str(qfile), results_dir=results, parallel=3) for j in judges]
        return judge_panel(jobs, providers=judges), judges, board

    first, judges, board = run({"a": 3, "b": 5, "c": 7})
    # 3 questions x 2 turns x 2 models = 12 grades per judge, each its own call.
    assert [(r.planned, r.judged, r.calls, r.skipped) for r in first.runs] == [(12, 12, 12, 0)] * 3
    assert [j.calls for j in judges] == [12, 12, 12]
    assert board["max_in_flight"] == 3  # one bound shared by the panel: parallel 3, not 3 per judge
    assert [r.usage.input_tokens for r in first.runs] == [120] * 3  # usage per judge
    files = sorted(p.name for p in (results / "mini" / "judgments").glob("*_single.jsonl"))
    assert files == ["fake__a_single.jsonl", "fake__b_single.jsonl", "fake__c_single.jsonl"]

    again, judges, _ = run({"a": 3, "b": 5, "c": 7})
    assert [(r.planned, r.calls, r.skipped) for r in again.runs] == [(0, 0, 12)] * 3
    assert [j.calls for j in judges] == [0, 0, 0]

    result = report(ReportJob(questions=str(qfile), results_dir=results, panel=True, bootstrap=0))
    assert [j.judge for j in result.judges] == ["fake/a", "fake/b", "fake/c", "panel"]
    panel_rows = {r["model"]: r["overall"] for r in result.judges[-1].single}
    assert panel_rows == {"alpha": 5.0, "beta": 5.0}
    assert result.panel is not None
    assert result.panel["single"]["items"] == 12
    markdown = render_markdown(result)
    assert "single grades by panel" in markdown and "judge panel (fake/a, fake/b, fake/c): agreement" in markdown


class _LazyEvent:
    """An :class:`asyncio.Event` made on first use, inside the run's event loop."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def _get(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def set(self) -> None:
        self._get().set()

    async def wait(self) -> bool:
        return await self._get().wait()


def test_a_judge_named_twice_is_refused(tmp_path: Path) -> None:
    jobs = [JudgeJob(judge="fake/a", results_dir=tmp_path), JudgeJob(judge="fake/a", results_dir=tmp_path)]
    with pytest.raises(Exception, match="given twice"):
        judge_panel(jobs, providers=[FakeProvider("a"), FakeProvider("a")])


# -- the command: the "done means" --------------------------------------------------------------------------


def panel_judges(body: dict[str, Any]) -> str:
    """Three judges that disagree: grades and verdicts depend on the judge's name and the prompt."""
    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    text = last_user_text(body)
    seed = sum(map(ord, text)) + sum(map(ord, body["model"])) * 7
    if "[[C]]" in system:
        return "Verdict.\n" + ("[[A]]", "[[B]]", "[[C]]")[seed % 3]
    return f"Grade.\n[[{1 + seed % 10}]]"


def test_three_judge_panel_over_http_prints_tables_alpha_tau_and_resumes_with_zero_calls(
    tmp_path: Path, llm_server: LLMServer
) -> None:
    llm_server.reply = panel_judges
    qfile = _answers(tmp_path)
    env = {"OPENAI_API_KEY": "sk-test"}
    args = ["-j", "openai/judge-a", "--judges", "openai/judge-b,openai/judge-c", "--base-url", llm_server.base_url]
    single = judgebench("judge", *args, "-q", str(qfile), cwd=tmp_path, env=env)
    assert single.returncode == 0, single.stderr
    assert single.stdout.count("12 judged now: 12 with a verdict") == 3
    assert len(llm_server.requests) == 36
    pair = judgebench("judge", *args, "-q", str(qfile), "--mode", "pairwise", "--all-pairs", cwd=tmp_path, env=env)
    assert pair.returncode == 0, pair.stderr
    assert pair.stdout.count("12 judged now: 12 with a verdict") == 3  # 3 questions x 2 turns x 2 games
    assert len(llm_server.requests) == 72

    for mode in ([], ["--mode", "pairwise", "--all-pairs"]):
        again = judgebench("judge", *args, "-q", str(qfile), *mode, cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
        assert again.stdout.count("0 judged now") == 3
    assert len(llm_server.requests) == 72  # resumed: zero calls

    shown = judgebench("report", "-q", str(qfile), "--panel", "--bootstrap", "200", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for judge in ("openai/judge-a", "openai/judge-b", "openai/judge-c", "panel"):
        assert f"single grades by {judge}" in shown.stdout
        assert f"judged by {judge}" in shown.stdout
    assert "agreement" in shown.stdout and "rank stability" in shown.stdout

    data = json.loads(judgebench("report", "-q", str(qfile), "-j", "panel", "-f", "json", cwd=tmp_path).stdout)
    panel = data["panel"]
    assert panel["judges"] == ["openai/judge-a", "openai/judge-b", "openai/judge-c"]
    assert panel["single"]["items"] == 12 and panel["pairwise"]["games"] == 12
    assert -1.0 <= panel["single"]["alpha"] <= 1.0
    assert len(panel["rank_stability"]) == 6  # 3 pairs of judges x (single, pairwise)
    grades = {j["judge"]: j["single"] for j in data["judges"]}
    by_item: dict[str, list[float]] = {}
    for judge in ("openai/judge-a", "openai/judge-b", "openai/judge-c"):
        for row in grades[judge]:
            by_item.setdefault(row["model"], []).append(row["overall"])
    # Every item has all three grades, so the panel's mean per model is the mean of the judges' means.
    assert {r["model"]: r["overall"] for r in grades["panel"]} == pytest.approx(
        {m: sum(v) / 3 for m, v in by_item.items()}
    )

    html = tmp_path / "report.html"
    page = judgebench("report", "-q", str(qfile), "--panel", "--bootstrap", "0", "--html", str(html), cwd=tmp_path)
    assert page.returncode == 0, page.stderr
    text = html.read_text()
    assert "judge panel (openai/judge-a, openai/judge-b, openai/judge-c): agreement" in text
    assert 'class="table panel"' in text


def test_panel_needs_two_judges(tmp_path: Path) -> None:
    proc = judgebench("run", "-m", "fake/a", "-j", "fake/judge", "--limit", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_one_line_error(judgebench("report", "--panel", cwd=tmp_path), 2, "--panel: needs two judges or more")


def test_a_killed_panel_run_loses_nothing_paid_for_and_pays_nothing_twice(
    tmp_path: Path, llm_server: LLMServer
) -> None:
    """Replies are held until the test lets k through; once k grades are on disk the run is killed (-9)."""
    qfile = _answers(tmp_path)
    permits = threading.Semaphore(0)
    held = {"open": False}

    def gated(body: dict[str, Any]) -> str:
        if not held["open"]:
            permits.acquire()
        return panel_judges(body) if "messages" in body else ""  # {}: a request torn by the kill

    llm_server.reply = gated
    args = ["judge", "-j", "openai/judge-a", "-j", "openai/judge-b", "-j", "openai/judge-c", "-q", str(qfile)]
    args += ["--base-url", llm_server.base_url, "--parallel", "3"]
    folder = tmp_path / "results" / "mini" / "judgments"

    def recorded() -> int:
        return sum(p.read_bytes().count(b"\n") for p in folder.glob("*_single.jsonl"))

    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "judgebench", *args], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        k = 5
        for _ in range(k):
            permits.release()
        while recorded() < k:  # progress observed on disk, not a timer
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.005)
        proc.kill()
        proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert recorded() == k
    held["open"] = True
    for _ in range(16):
        permits.release()  # any request of the killed run still held
    again = judgebench(*args, cwd=tmp_path, env={"OPENAI_API_KEY": "sk-rerun"})
    assert again.returncode == 0, again.stderr
    rerun = [r for r in llm_server.requests if r.headers.get("authorization") == "Bearer sk-rerun"]
    assert len(rerun) == 36 - k  # only what was not on disk is bought again
    assert recorded() == 36
    assert again.stdout.count("already done") == 3


def test_run_with_a_panel_reports_it_and_compare_and_ratings_take_the_panel(tmp_path: Path) -> None:
    proc = judgebench(
        "run", "-m", "fake/a", "-m", "fake/b", "-j", "fake/j1", "--judges", "fake/j2", "--limit", "2",
        "--mode", "pairwise", "--all-pairs", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "judged by panel" in proc.stdout and "judge panel (fake/j1, fake/j2): agreement" in proc.stdout
    rated = json.loads(judgebench("report", "-j", "panel", "--ratings", "-f", "json", cwd=tmp_path).stdout)
    panel = next(j for j in rated["judges"] if j["judge"] == "panel")
    assert sorted(r["model"] for r in panel["ratings"]["models"]) == ["fake/a", "fake/b"]
    # 2 questions x 2 turns, one comparison each, a row per model of it
    assert sum(r["win"] + r["loss"] + r["tie"] for r in panel["pairwise"]["models"]) == 8

    shutil.copytree(tmp_path / "results", tmp_path / "candidate")
    gate = judgebench("compare", "results", "candidate", "-j", "panel", "-f", "json", cwd=tmp_path)
    assert gate.returncode == 0, gate.stderr
    compared = json.loads(gate.stdout)
    assert (compared["judge"], compared["verdict"]) == ("panel", "pass")
    assert [(m["model"], m["metric"], m["delta"]) for m in compared["metrics"]] == [
        ("fake/a", "win rate", 0.0), ("fake/b", "win rate", 0.0),
    ]  # fmt: skip
    (tmp_path / "candidate" / "jb-80" / "judgments" / "fake__j2_pair.jsonl").unlink()
    assert_one_line_error(
        judgebench("compare", "results", "candidate", "-j", "panel", cwd=tmp_path),
        2,
        "--judge panel: needs two judges or more in both runs; shared: fake/j1",
    )


def test_panel_figures_follow_model_selection(tmp_path: Path) -> None:
    proc = judgebench("run", "-m", "fake/a", "-m", "fake/b", "-j", "fake/j1", "-j", "fake/j2", "--limit", "2",
                      cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    everything = json.loads(judgebench("report", "--panel", "-f", "json", cwd=tmp_path).stdout)
    assert everything["panel"]["single"]["items"] == 8  # 2 questions x 2 turns x 2 models
    one = json.loads(judgebench("report", "--panel", "-m", "fake/a", "-f", "json", cwd=tmp_path).stdout)
    assert one["panel"]["single"]["items"] == 4
    assert [r["model"] for r in next(j for j in one["judges"] if j["judge"] == "panel")["single"]] == ["fake/a"]


def test_one_max_cost_for_the_whole_panel(tmp_path: Path) -> None:
    qfile = _answers(tmp_path)
    results = tmp_path / "results"
    prices = tmp_path / "prices.json"
    dollar_a_call = {"input": 0.0, "output": 500_000.0}  # each call: 2 output tokens
    prices.write_text(json.dumps(dict.fromkeys(("openai/a", "openai/b"), dollar_a_call)))  # fake/ is free

    def judges() -> list[GateJudge]:
        board: dict[str, Any] = {"in_flight": 0, "max_in_flight": 0, "judges": set(), "panel": 1}
        board["all_in"] = _LazyEvent()
        return [GateJudge("a", 4, board), GateJudge("b", 6, board)]

    def jobs(limit: float) -> list[JudgeJob]:
        return [
            JudgeJob(judge=f"openai/{name}", questions=str(qfile), results_dir=results, parallel=1, max_cost=limit,
                     prices=prices)
            for name in ("a", "b")
        ]  # fmt: skip

    first = judges()
    with pytest.raises(BudgetReached, match=r"--max-cost \$5.00 reached \(spent \$5.0000, every judge of the panel"):
        judge_panel(jobs(5.0), providers=first)
    assert [j.calls for j in first] == [3, 2]  # one call at a time, the judges in turn, $1 each
    second = judges()
    done = judge_panel(jobs(100.0), providers=second)
    assert [j.calls for j in second] == [9, 10]  # 12 grades per judge; nothing bought twice
    assert [r.skipped for r in done.runs] == [3, 2]


def test_report_takes_the_panel_as_judge_takes_it_with_judges(tmp_path: Path) -> None:
    proc = judgebench("run", "-m", "fake/a", "-m", "fake/b", "--judges", "fake/j1,fake/j2,fake/j3", "--limit", "1",
                      cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # before: "No such option: --judges" (exit 2), though judge and run take it
    two = judgebench("report", "--judges", "fake/j1,fake/j3", "--panel", "-f", "json", "--bootstrap", "0", cwd=tmp_path)
    assert two.returncode == 0, two.stderr
    data = json.loads(two.stdout)
    assert [j["judge"] for j in data["judges"]] == ["fake/j1", "fake/j3", "panel"]
    assert data["panel"]["judges"] == ["fake/j1", "fake/j3"]
    assert data["panel"]["single"]["items"] == 4  # 1 question x 2 turns x 2 models
    assert_one_line_error(judgebench("report", "--judges", " ,", cwd=tmp_path), 2, "--judges ' ,': name judges")


def test_run_with_a_pair_scoring_panel_reports_the_panel_and_names_its_judges(tmp_path: Path) -> None:
    proc = judgebench(
        "run", "-m", "fake/a", "-m", "fake/b", "--judges", "fake/j1,fake/j2", "--limit", "1",
        "--mode", "pair-score", "--baseline", "fake/a", cwd=tmp_path,
    )  # fmt: skip
    # before: judged, then "--panel: needs two judges or more with judgments of the same mode", exit 2
    assert proc.returncode == 0, proc.stderr
    assert "paired scoring (Vicuna table), judged by panel" in proc.stdout
    assert "judge panel (fake/j1, fake/j2): agreement" in proc.stdout  # before: "judge panel ()"
    assert "no alpha or tau for paired scores yet" in proc.stdout
    data = json.loads(judgebench("report", "--panel", "-f", "json", "--bootstrap", "0", cwd=tmp_path).stdout)
    rows = {j["judge"]: j["pair_score"]["models"] for j in data["judges"]}
    assert [(r["n"], r["excluded"]) for r in rows["panel"]] == [(2, 0)]  # 1 question x 2 turns
    mean = {k: (rows["fake/j1"][0][k] + rows["fake/j2"][0][k]) / 2 for k in ("model_total", "baseline_total")}
    assert {k: rows["panel"][0][k] for k in mean} == mean
    # --relative-to has no single grades to work on here: one line, not silence
    assert_one_line_error(
        judgebench("report", "--relative-to", "fake/a", cwd=tmp_path), 2, "--relative-to fake/a: no single grades"
    )


def test_a_panel_dry_run_sums_every_judge(tmp_path: Path) -> None:
    qfile = _answers(tmp_path)
    proc = judgebench("judge", "-j", "fake/a", "-j", "fake/b", "-q", str(qfile), "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("would make 12 judge calls") == 2  # 3 questions x 2 turns x 2 models, per judge
    said = " ".join(proc.stdout.split())
    assert "dry run, the panel of 2 judges together: would make 24 judge calls (~19,272 input tokens" in said
    assert "at most $0.0000) for 24 judgments; 0 already judged" in said
    assert not (tmp_path / "results" / "mini" / "judgments").exists()
