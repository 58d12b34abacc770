"""Nothing paid for is lost: a fault storm over thousands of calls, and kill -9 at random moments."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from builders import write_questions
from clirun import judgebench
from llm_server import FaultMix, LLMServer, last_user_text

from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers import ProviderOptions
from judgebench.providers.retry import RetryPolicy
from judgebench.records import content_hash


def deterministic_reply(body: dict[str, Any]) -> str:
    """Answers echo the question; judge prompts get a verdict derived from the request."""
    system = body.get("system") or next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    system = system if isinstance(system, str) else json.dumps(system)  # Anthropic may send text blocks
    digest = int(content_hash(body["messages"]), 16)
    if "[[C]]" in system:
        return "Compared.\n" + ("[[A]]", "[[B]]", "[[C]]")[digest % 3]
    if "[[" in system:
        return f"Graded.\n[[{1 + digest % 10}]]"
    return "echo: " + last_user_text(body)[:100]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_fault_storm_over_thousands_of_calls(tmp_path: Path) -> None:
    faults = FaultMix(
        rate_limit=0.05, retry_after="0", server_error=0.02, slow=0.01, slow_delay=60.0, malformed=0.01, truncate=0.01
    )
    qfile = write_questions(tmp_path / "storm.jsonl", n=300)
    retry = RetryPolicy(max_attempts=8, initial=0.01, max_wait=0.05)
    with LLMServer(reply=deterministic_reply, faults=faults, latency=0.005) as server:
        # a generous timeout: on a loaded machine a plain call must not turn into a timeout
        options = ProviderOptions(base_url=server.base_url, timeout=2.0)
        # Both steps run under the same storm with the same settings.
        shared: dict[str, Any] = {
            "questions": str(qfile),
            "results_dir": tmp_path / "results",
            "parallel": 64,
            "provider_options": options,
            "retry": retry,
        }
        start = time.perf_counter()
        answers = gen_answers(AnswerJob(model="openai/m", **shared))
        answers_s = time.perf_counter() - start
        start = time.perf_counter()
        judged = judge(JudgeJob(judge="openai/judge", **shared))
        judge_s = time.perf_counter() - start
        requests = server.requests
        outcomes = Counter(r.outcome for r in requests)

    # Every item ends finished, or recorded as failed with its reason; none twice.
    records = lines(answers.path)
    assert len(records) == 300
    assert len({r["question_id"] for r in records}) == 300
    assert all(r["status"] == "ok" or r["error"] for r in records)
    assert answers.answered + answers.failed == 300
    grades = lines(judged.path)
    assert len(grades) == 600
    assert len({r["key"] for r in grades}) == 600
    assert all(r["status"] == "ok" or (r["status"] == "failed" and r["error"]) for r in grades)
    # The storm really happened.
    for fault in ("rate_limit", "server_error", "slow", "malformed", "truncate"):
        assert outcomes[fault] > 0, outcomes
    # Hangs ended at the client's timeout (2 s) rather than the server's 60 s: every hung call was
    # asked again after it — an order of events, not a stopwatch reading.
    asked: dict[str, list[int]] = {}
    for i, request in enumerate(requests):
        asked.setdefault(json.dumps(request.json, sort_keys=True), []).append(i)
    hung = [i for i, r in enumerate(requests) if r.outcome == "slow"]
    assert all(asked[json.dumps(requests[i].json, sort_keys=True)][-1] > i for i in hung)
    calls = sum(outcomes.values())
    assert calls > 1200
    print(
        f"\nfault storm: {calls} requests ({dict(outcomes)}); 600 answer calls in {answers_s:.1f} s, "
        f"600 judge calls in {judge_s:.1f} s at --parallel 64"
    )


class Gate:
    """Holds every reply until the test lets it through: the test, not the clock, decides how far a run gets.

    Each run's process sends its own API key. A reply for any other key (a killed run's request that
    reached the server late, or was held when it died) goes out at once and uses no permit.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._permits = 0
        self._current = ""
        self._open = True
        self.released = 0  # replies of the current run let through

    def wait(self, key: str) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._open or key != self._current or self._permits > 0)
            if not self._open and key == self._current:
                self._permits -= 1
                self.released += 1

    def allow(self, n: int) -> None:
        with self._cond:
            self._permits += n
            self._cond.notify_all()

    def start(self, key: str, *, open_: bool) -> None:
        """A new run, sending ``key``: held (``open_=False``) or let through."""
        with self._cond:
            self._current, self._open = key, open_
            self._permits = self.released = 0
            self._cond.notify_all()


MOMENTS = ["in flight", "paid", "recorded"]


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def wait_for(proc: subprocess.Popen[str], condition: Callable[[], bool]) -> None:
    """Poll until ``condition()`` holds; fails if the process exits first (pytest-timeout ends a hang)."""
    while not condition():
        assert proc.poll() is None, f"exited {proc.returncode} before the kill point"
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.timeout(600)  # only ends a hang: twelve fresh CLI processes can take minutes on a loaded machine
def test_kill_minus_9_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    """Four kill -9s per stage, each at a moment chosen by observed progress, never by a timer.

    The loopback server holds every reply until the test releases it, so a run can never finish before
    its kill: a stage has 80 calls and four runs release at most 16 replies. Kill moments: a request
    in flight and nothing paid yet; k replies delivered (paid) but maybe not yet written; k calls just
    recorded on disk (the answers' call journal, or judgment lines) with the next requests in flight.
    """
    qfile = write_questions(tmp_path / "crash.jsonl", n=40)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"OPENAI_API_KEY": "sk-crash-test", "COLUMNS": "200"})
    rng = random.Random(20261123)
    gate = Gate()

    def gated_reply(body: dict[str, Any]) -> str:
        # the server recorded this request (headers and all) just before asking for its reply
        request = next(r for r in reversed(server.requests) if r.json is body)
        gate.wait(request.headers.get("authorization", ""))
        return deterministic_reply(body)

    crash = tmp_path / "results" / "crash"
    with LLMServer(reply=gated_reply) as server:
        common = ["-q", str(qfile), "--base-url", server.base_url, "--parallel", "4"]
        stages = [
            (["gen-answers", "-m", "openai/m", *common], crash / "calls" / "openai__m.jsonl"),
            (["judge", "-j", "openai/judge", *common], crash / "judgments" / "openai__judge_single.jsonl"),
        ]
        kills = 0
        moments: Counter[str] = Counter()
        for number, (stage, progress) in enumerate(stages):
            plan = [*rng.sample(MOMENTS, len(MOMENTS)), rng.choice(MOMENTS)]  # every moment, in a random order
            for attempt in range(5):
                last = attempt == 4
                key = f"sk-crash-{number}-{attempt}"
                auth = f"Bearer {key}"
                gate.start(auth, open_=last)
                lines_before = count_lines(progress)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "judgebench", *stage],
                    cwd=tmp_path,
                    env={**env, "OPENAI_API_KEY": key},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                try:
                    if not last:
                        moment = plan[attempt]
                        k = rng.randint(1, 4)
                        if moment == "in flight":
                            wait_for(
                                proc, lambda a=auth: any(r.headers.get("authorization") == a for r in server.requests)
                            )
                        elif moment == "paid":
                            gate.allow(k)
                            wait_for(proc, lambda k=k: gate.released == k)
                        else:
                            gate.allow(k)
                            target = lines_before + k
                            wait_for(proc, lambda path=progress, target=target: count_lines(path) >= target)
                        proc.kill()  # SIGKILL: no cleanup, no flush, no lock release but the kernel's
                        moments[moment] += 1
                    _, stderr = proc.communicate()
                finally:
                    if proc.poll() is None:  # a failed wait: never leave the child running
                        proc.kill()
                        proc.communicate()
                if not last:
                    assert proc.returncode == -signal.SIGKILL, stderr
                    kills += 1
                    continue
                assert proc.returncode == 0, stderr
                assert "Traceback" not in stderr
        assert kills == 8
        assert sorted(moments) == sorted(MOMENTS) and moments.total() == 8, moments

        reference = tmp_path / "reference"
        reference.mkdir()
        for stage, _ in stages:
            assert judgebench(*stage, cwd=reference, env={"OPENAI_API_KEY": "sk-crash-test"}).returncode == 0

    def answers(root: Path) -> dict[int, list[str]]:
        records = lines(root / "results" / "crash" / "answers" / "openai__m.jsonl")
        assert len(records) == len({r["question_id"] for r in records}), "a duplicate answer line"
        return {r["question_id"]: r["choices"][0]["turns"] for r in records}

    def grades(root: Path) -> dict[str, float]:
        records = lines(root / "results" / "crash" / "judgments" / "openai__judge_single.jsonl")
        assert len(records) == len({r["key"] for r in records}), "a duplicate judgment line"
        return {r["key"]: r["score"] for r in records}

    assert answers(tmp_path) == answers(reference)
    assert len(answers(tmp_path)) == 40
    assert grades(tmp_path) == grades(reference)
    assert len(grades(tmp_path)) == 80
    # The call journal kept every paid call once.
    journal = lines(tmp_path / "results" / "crash" / "calls" / "openai__m.jsonl")
    assert len(journal) == len({r["key"] for r in journal}) == 80


def test_sigterm_saves_the_run_manifest_so_no_paid_call_drops_out_of_the_spend(tmp_path: Path) -> None:
    """``kill``/``timeout``/a CI cancel (SIGTERM) stops a judge run as Ctrl-C does: its manifest is written.

    Before, SIGTERM ended the process with no manifest, so `report`'s spend table and validate-judge's
    spend never counted the calls that run had paid for (40 of them in a hand test). The server answers
    6 calls, then holds every other reply until the run is gone; the kill point is observed progress.
    """
    qfile = write_questions(tmp_path / "q.jsonl", n=10)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"OPENAI_API_KEY": "sk-term-test", "COLUMNS": "200"})
    assert judgebench("gen-answers", "-m", "fake/alpha", "-q", str(qfile), cwd=tmp_path).returncode == 0
    held = threading.Event()
    answered = 0
    lock = threading.Lock()

    def reply(body: dict[str, Any]) -> str:
        nonlocal answered
        with lock:
            answered += 1
            mine = answered
        if mine > 6:
            held.wait(timeout=120)
        return "Fine.\n[[7]]"

    judgments = tmp_path / "results" / "q" / "judgments" / "openai__judge_single.jsonl"
    with LLMServer(reply=reply) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "judgebench", "judge", "-j", "openai/judge", "-q", str(qfile),
             "--base-url", server.base_url, "--parallel", "2"],
            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_for(proc, lambda: count_lines(judgments) == 6)
            proc.terminate()
            _, stderr = proc.communicate()
        finally:
            held.set()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted — finished judgments are saved" in stderr
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "results" / "q" / "runs").glob("*judge*.json")]
    assert [(m["status"], m["done"], m["usage"]["calls"]) for m in manifests] == [("interrupted", 6, 6)]
