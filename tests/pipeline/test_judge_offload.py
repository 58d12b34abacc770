"""Which ``judge`` runs make their calls in a child process (``judge_setup.offloads``), and that a run
failing before its calls ends the child it started."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from builders import answered_bench

from judgebench.errors import UsageError
from judgebench.pipeline import judge_setup
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.pipeline.judge_setup import OFFLOAD_CALLS, offloads
from judgebench.providers import ProviderOptions
from judgebench.providers.call_process import PendingProvider, start_call_process
from judgebench.providers.fake import FakeProvider
from judgebench.records import Question

MTBENCH = [Question(i, "writing", ("first?", "second?")) for i in range(80)]  # 160 turns
JOB = JudgeJob(judge="openai/gpt-4o")


def models(n: int) -> list[str]:
    return [f"m{i}" for i in range(n)]


def test_the_threshold() -> None:
    assert OFFLOAD_CALLS == 1000


@pytest.mark.parametrize(
    ("job", "n", "voted", "expected"),
    [
        (JOB, 31, None, True),  # 31 × 160 = 4,960
        (JOB, 7, None, True),  # 1,120
        (JOB, 6, None, False),  # 960
        (replace(JOB, mode="pairwise", baseline="m0"), 4, None, False),  # 3 pairs × 160 × 2 = 960
        (replace(JOB, mode="pairwise", baseline="m0"), 5, None, True),  # 1,280
        (replace(JOB, mode="pairwise", all_pairs=True), 4, None, True),  # 6 pairs × 320 = 1,920
        (replace(JOB, mode="pair-score", all_pairs=True), 3, None, False),  # 3 pairs × 320 = 960
        (replace(JOB, mode="pair-score", baseline="m0"), 5, None, True),  # 4 pairs × 320 = 1,280
        (replace(JOB, mode="pairwise", pairs_from=Path("v.jsonl")), 2, 500, True),  # 500 items × 2
        (replace(JOB, mode="pairwise", pairs_from=Path("v.jsonl")), 2, 499, False),
        (replace(JOB, judge="anthropic/claude-sonnet-4-5"), 31, None, False),
        (replace(JOB, judge="fake/judge"), 31, None, False),
        (replace(JOB, dry_run=True), 31, None, False),
        (replace(JOB, batch=True), 31, None, False),
        (replace(JOB, verdict="logprobs"), 31, None, False),
    ],
)
def test_which_runs_offload(job: JudgeJob, n: int, voted: int | None, expected: bool) -> None:
    items = None if voted is None else {("1", 1, f"a{i}", "b") for i in range(voted)}
    assert offloads(job, None, MTBENCH, models(n), items) is expected


def test_one_core_keeps_the_calls_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    assert offloads(JOB, None, MTBENCH, models(31), None) is True
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert offloads(JOB, None, MTBENCH, models(31), None) is False


def test_a_provider_passed_in_is_used_as_it_is() -> None:
    assert offloads(JOB, FakeProvider("judge"), MTBENCH, models(31), None) is False


def test_a_run_failing_after_the_child_started_ends_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"question_id": i, "category": "writing", "turns": [f"Q{i}?", f"Q{i} again?"]} for i in range(1, 4)]
    qfile = answered_bench(tmp_path / "questions.jsonl", rows, ["alpha", "beta"])
    started: list[PendingProvider] = []

    def start(model_id: str, options: ProviderOptions) -> PendingProvider:
        started.append(start_call_process(model_id, options))
        return started[-1]

    monkeypatch.setattr(judge_setup, "OFFLOAD_CALLS", 1)
    monkeypatch.setattr(judge_setup, "start_call_process", start)
    job = JudgeJob(
        judge="openai/judge",
        questions=str(qfile),
        results_dir=tmp_path / "results",
        provider_options=ProviderOptions(base_url="http://127.0.0.1:9/v1"),
        prompts="no-such-prompts",  # refused while planning: after the child started
    )
    with pytest.raises(UsageError) as info:
        judge(job)
    assert str(info.value).startswith("--prompts 'no-such-prompts': no such file or bundled prompt set")
    assert len(started) == 1
    assert started[0]._proc.returncode == 0  # closed, and it ended cleanly
