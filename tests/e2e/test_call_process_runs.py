"""Big ``judge`` runs make their calls in a child process; what they write and buy is what an in-process run does.

The threshold (``judge_setup.OFFLOAD_CALLS``) is lowered so that these small runs take the child's
path; ``start_call_process`` is wrapped to see that they did (and that each child ended). Kills are
driven by observed progress (lines on disk, requests at the server), never by a timer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from builders import answered_bench
from clirun import assert_one_line_error, judgebench
from llm_server import FaultMix, LLMServer, last_user_text

from judgebench.pipeline import judge_setup
from judgebench.pipeline.judge import JudgeJob, judge
from judgebench.providers import ProviderOptions
from judgebench.providers.call_process import PendingProvider, start_call_process
from judgebench.providers.retry import RetryPolicy
from judgebench.records import content_hash

MODELS = ("alpha", "beta")
QUESTIONS = 6  # × 2 turns × 2 models: 24 grades


def grade(body: dict[str, Any]) -> str:
    """A verdict derived from the request, so both runs' records can be compared value by value."""
    return f"Graded.\n[[{1 + int(content_hash(body['messages']), 16) % 10}]]"


def bench(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"question_id": i, "category": "writing", "turns": [f"Question {i}?", f"Question {i}, refined?"]}
        for i in range(1, QUESTIONS + 1)
    ]
    return answered_bench(folder / "questions.jsonl", rows, MODELS)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def outcome(path: Path) -> list[tuple[Any, ...]]:
    """What each record says, without the run's own stamps (ids, times), in file order."""
    return [(r["key"], r["status"], r.get("score"), r.get("error"), r.get("reused")) for r in records(path)]


class Children:
    """Records the call processes started (``judge_setup.start_call_process`` wrapped)."""

    def __init__(self) -> None:
        self.started: list[PendingProvider] = []

    def __call__(self, model_id: str, options: ProviderOptions) -> PendingProvider:
        pending = start_call_process(model_id, options)
        self.started.append(pending)
        return pending


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> Iterator[Children]:
    monkeypatch.setattr(judge_setup, "OFFLOAD_CALLS", 1)
    seen = Children()
    monkeypatch.setattr(judge_setup, "start_call_process", seen)
    yield seen
    for pending in seen.started:  # every child ended, and cleanly
        assert pending._proc.returncode == 0


def test_a_fault_storm_through_the_child_writes_and_buys_what_in_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faults = FaultMix(rate_limit=0.15, retry_after="0", server_error=0.1, malformed=0.05, truncate=0.05, seed=11)
    retry = RetryPolicy(max_attempts=3, initial=0.001, max_wait=0.005)
    runs: dict[str, tuple[list[tuple[Any, ...]], Counter[str], int]] = {}
    started: list[int] = []
    for where in ("in-process", "child"):
        qfile = bench(tmp_path / where)
        if where == "child":
            monkeypatch.setattr(judge_setup, "OFFLOAD_CALLS", 1)
            seen = Children()
            monkeypatch.setattr(judge_setup, "start_call_process", seen)
        with LLMServer(reply=grade, faults=faults) as server:
            job = JudgeJob(
                judge="openai/judge",
                questions=str(qfile),
                results_dir=qfile.parent / "results",
                parallel=1,  # one request at a time: the storm's draws fall on the same requests in both runs
                provider_options=ProviderOptions(base_url=server.base_url, timeout=10),
                retry=retry,
            )
            run = judge(job)
            runs[where] = (outcome(run.path), Counter(r.outcome for r in server.requests), run.judged)
        if where == "child":
            started.append(len(seen.started))
            assert seen.started[0]._proc.returncode == 0
    assert started == [1]
    (here, here_requests, here_judged), (there, there_requests, there_judged) = runs["in-process"], runs["child"]
    assert there == here
    assert there_requests == here_requests
    assert len(there) == 2 * QUESTIONS * len(MODELS)
    assert there_judged == here_judged
    statuses = Counter(status for _, status, *_ in there)
    assert statuses["failed"] > 0  # the storm did fail some for good (3 attempts)…
    assert statuses["ok"] > 0
    assert here_requests["rate_limit"] > 0 and here_requests["server_error"] > 0  # …and hit both kinds
    print(f"\nstorm through the child: {dict(there_requests)} requests; records {dict(statuses)}, as in-process")


def test_through_the_cli_a_rerun_makes_no_call(tmp_path: Path, children: Children) -> None:
    qfile = bench(tmp_path)
    with LLMServer(reply=grade) as server:
        args = ("judge", "-j", "openai/judge", "-q", str(qfile), "--results-dir", str(tmp_path / "results"))
        first = judgebench(*args, "--base-url", server.base_url, "--parallel", "4", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert len(server.requests) == 2 * QUESTIONS * len(MODELS)
        again = judgebench(*args, "--base-url", server.base_url, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert len(server.requests) == 2 * QUESTIONS * len(MODELS)  # 0 calls the second time
    assert len(children.started) == 2
    path = next((tmp_path / "results").glob("*/judgments/*single.jsonl"))
    assert Counter(r["status"] for r in records(path)) == {"ok": 24}


def test_through_the_cli_a_missing_key_is_the_same_one_line(tmp_path: Path, children: Children) -> None:
    qfile = bench(tmp_path)
    proc = judgebench(
        "judge", "-j", "openai/gpt-4o", "-q", str(qfile), "--results-dir", str(tmp_path / "results"), cwd=tmp_path
    )
    assert_one_line_error(proc, 1, "OPENAI_API_KEY is not set — export OPENAI_API_KEY=<your key>")
    assert len(children.started) == 1
    assert not list((tmp_path / "results").glob("*/judgments/*"))


# --- a real judgebench process, killed ----------------------------------------------------------------

LOWERED = (
    "import sys; import judgebench.pipeline.judge_setup as s; s.OFFLOAD_CALLS = 1; "
    "from judgebench.cli import console; sys.argv[0] = 'judgebench'; console()"
)
"""``judgebench`` with the threshold lowered, as a real process."""


class Held:
    """Answers the first ``free`` requests at once and holds the rest until :meth:`release`."""

    def __init__(self, free: int) -> None:
        self.free = free
        self._open = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> str:
        with self._lock:
            self.free -= 1
            hold = self.free < 0
        if hold:
            self._open.wait()
        return grade(body) if "[[" in json.dumps(body) else "echo: " + last_user_text(body)

    def release(self) -> None:
        self._open.set()


def children_of(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie left to an init that does not reap it counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def start(tmp_path: Path, qfile: Path, server: LLMServer, prelude: str = "") -> subprocess.Popen[str]:
    """``judgebench judge`` (threshold lowered) as a real process, ``prelude`` run first."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    command = ["judge", "-j", "openai/judge", "-q", str(qfile), "--results-dir", str(tmp_path / "results")]
    return subprocess.Popen(
        [sys.executable, "-c", prelude + LOWERED, *command, "--base-url", server.base_url, "--parallel", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "NO_COLOR": "1"},
        process_group=0,  # its own group, as a terminal's foreground job: Ctrl-C goes to the whole group
    )


def wait_until(proc: subprocess.Popen[str] | None, condition: Any) -> None:
    """Poll until ``condition()`` holds (pytest-timeout ends a hang); ``proc`` must not exit first."""
    while not condition():
        assert proc is None or proc.poll() is None, f"exited {proc.returncode} first"
        time.sleep(0.005)


def test_the_main_process_never_imports_the_sdk(tmp_path: Path) -> None:
    qfile = bench(tmp_path)
    shown = (
        "import atexit, sys; atexit.register(lambda: print('imported:', sorted({m.split('.')[0] for m in sys.modules} "
        "& {'openai', 'aiohttp', 'httpx', 'httpx2', 'httpcore', 'anthropic'}), file=sys.stderr)); "
    )
    with LLMServer(reply=grade) as server:
        proc = start(tmp_path, qfile, server, prelude=shown)
        _, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stderr
        assert len(server.requests) == 2 * QUESTIONS * len(MODELS)
    assert "imported: []" in stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("how", "group"),
    [(signal.SIGKILL, False), (signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["kill -9", "SIGINT", "Ctrl-C (SIGINT to the process group)", "SIGTERM"],
)
def test_a_killed_run_leaves_no_child_calling_and_a_rerun_completes(
    tmp_path: Path, how: signal.Signals, group: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    qfile = bench(tmp_path)
    path = tmp_path / "results" / "questions" / "judgments"
    held = Held(free=6)
    with LLMServer(reply=held) as server:
        proc = start(tmp_path, qfile, server)
        try:
            # 6 replies went out, and 4 more requests are held at the server: the run is mid-way
            wait_until(proc, lambda: sum(map(count_lines, path.glob("*.jsonl"))) >= 6)
            kids = children_of(proc.pid)
            assert len(kids) == 1
            if group:  # the child sits in a group of its own: only judgebench gets it, and closes the child
                os.killpg(proc.pid, how)
            else:
                proc.send_signal(how)
            _, stderr = proc.communicate(timeout=120)
            wait_until(None, lambda: not alive(kids[0]))  # the child ended too (it saw its stdin close)
        finally:
            held.release()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        if how == signal.SIGKILL:
            assert proc.returncode == -signal.SIGKILL
        else:
            assert proc.returncode == 130, stderr
            assert "Traceback" not in stderr
        saved = records(next(path.glob("*single.jsonl")))
        assert len(saved) >= 6
        assert {r["status"] for r in saved} == {"ok"}
        asked = len(server.requests)
        # The rerun (in-process CLI, through a child too) buys exactly what is missing.
        monkeypatch.setattr(judge_setup, "OFFLOAD_CALLS", 1)
        args = ("judge", "-j", "openai/judge", "-q", str(qfile), "--results-dir", str(tmp_path / "results"))
        rerun = judgebench(*args, "--base-url", server.base_url, cwd=tmp_path)
        assert rerun.returncode == 0, rerun.stderr
        assert len(server.requests) - asked == 2 * QUESTIONS * len(MODELS) - len(saved)
    final = records(next(path.glob("*single.jsonl")))
    assert len(final) == 2 * QUESTIONS * len(MODELS)
    assert len({r["key"] for r in final}) == len(final)
    assert {r["status"] for r in final} == {"ok"}


def test_a_child_killed_mid_run_stops_the_run_with_one_line(tmp_path: Path, children: Children) -> None:
    qfile = bench(tmp_path)
    held = Held(free=4)
    results = tmp_path / "results"
    outcome_box: dict[str, Any] = {}

    with LLMServer(reply=held) as server:

        def kill_when_mid_way() -> None:
            wait_until(None, lambda: len(server.requests) >= 6 and children.started)
            os.kill(children.started[0]._proc.pid, signal.SIGKILL)
            held.release()

        killer = threading.Thread(target=kill_when_mid_way)
        killer.start()
        args = ("judge", "-j", "openai/judge", "-q", str(qfile), "--results-dir", str(results))
        outcome_box["proc"] = judgebench(*args, "--base-url", server.base_url, "--parallel", "4", cwd=tmp_path)
        killer.join()
    proc = outcome_box["proc"]
    pid = children.started[0]._proc.pid
    assert_one_line_error(
        proc,
        1,
        f"the process making openai/judge's calls (pid {pid}) ended unexpectedly (killed by SIGKILL) — finished "
        "work is saved; rerun the same command to resume",
    )
    saved = records(next(results.glob("*/judgments/*single.jsonl")))
    assert len(saved) >= 4
    children.started.clear()  # it was killed: the fixture's clean-exit check is not for it
