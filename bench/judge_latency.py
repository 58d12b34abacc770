"""``judge`` on all 31 published MT-Bench models against a local test server with 200 ms latency.

4,960 single grades (80 questions × 2 turns × 31 models; 4,869 distinct calls: 91 answer turns repeat
another model's text and reuse its verdict), 128 requests in flight, through the real CLI, SDK and
journal. The server (tests/llm_server.py) runs in its own process and answers every request after
``--latency`` seconds with a parseable grade. The figure is the whole command's wall time and the
client's CPU time (user + system of the judgebench process and of the child that makes its calls: a
run this big on an ``openai/`` judge runs the SDK in a child process, judgebench/providers/call_process.py);
the target is 1.3 × N·L/C (N calls, L latency, C in flight), i.e. the client adds at most 30 % to the
latency-bound ideal. The server's own
CPU time is printed beside the client's (both share the machine's cores), with the load average.

Needs FastChat's MT-Bench files in ../shared/mtbench (skipped with a note when absent).
Run: ``python bench/judge_latency.py [--runs 3] [--latency 0.2] [--parallel 128]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MTBENCH = ROOT.parent / "shared" / "mtbench"
sys.path.insert(0, str(ROOT / "tests"))

from llm_server import LLMServer  # noqa: E402

JUDGEBENCH = [sys.executable, "-m", "judgebench"]


def grade(request: dict[str, Any]) -> str:
    """A judge's reply with a verdict the single-grade parser reads."""
    return "The answer is helpful and correct. Rating: [[8]]"


def serve(latency: float, conn: Connection) -> None:
    """Run the test server until the parent says stop.

    Each ``"cpu"`` asks for its CPU seconds so far; each ``"calls"`` for the ``time.monotonic()`` of the
    first and last request since the previous ``"calls"`` and their number (then forgotten).
    """
    with LLMServer(reply=grade, latency=latency) as server:
        conn.send(server.base_url)
        while (asked := conn.recv()) in ("cpu", "calls"):
            if asked == "cpu":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                conn.send(usage.ru_utime + usage.ru_stime)
                continue
            arrived = [r.received_at for r in server.requests]
            server.clear()
            conn.send((min(arrived, default=0.0), max(arrived, default=0.0), len(arrived)))


def server_cpu(conn: Connection) -> float:
    """The server process's CPU seconds so far (user + system, all its threads)."""
    conn.send("cpu")
    seconds: float = conn.recv()
    return seconds


def calls_seen(conn: Connection) -> tuple[float, float, int]:
    """``time.monotonic()`` of the first and last request the server got since last asked, and their number."""
    conn.send("calls")
    seen: tuple[float, float, int] = conn.recv()
    return seen


def run_once(base_url: str, parallel: int, work: Path, conn: Connection) -> tuple[float, float, int, float, float]:
    """Import the answers afresh, judge them all; return (wall s, client CPU s, judgment lines, start-up s, tail s).

    Start-up is from starting ``judge`` to the server's first request (imports, loading, planning);
    tail from its last request to ``judge``'s exit (that request's latency included).
    """
    results = work / "results"
    subprocess.run(
        [*JUDGEBENCH, "import", "fastchat", str(MTBENCH), "--bench", "mtb", "--results-dir", str(results)],
        check=True,
        capture_output=True,
    )
    for judgments in (results / "mtb" / "judgments").glob("*"):
        if judgments.is_file():
            judgments.unlink()
    qfile = results / "mtb" / "question.jsonl"
    env = {**os.environ, "OPENAI_API_KEY": "bench-key"}
    calls_seen(conn)  # forget the import's (none) and any earlier run's requests
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    start = time.perf_counter()
    judge = ["judge", "-j", "openai/bench-judge", "-q", str(qfile), "--results-dir", str(results)]
    proc = subprocess.run(
        [*JUDGEBENCH, *judge, "--base-url", base_url, "--parallel", str(parallel), "--timeout", "60"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - start
    ended = time.monotonic()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    first, last, _ = calls_seen(conn)
    if proc.returncode != 0:
        raise SystemExit(f"judge failed ({proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = sum(
        1 for path in (results / "mtb" / "judgments").glob("*_single.jsonl") for _ in path.open(encoding="utf-8")
    )
    return wall, cpu, lines, first - started, ended - last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs; the minimum is the figure (a shared machine)")
    parser.add_argument("--latency", type=float, default=0.2, help="server seconds per request")
    parser.add_argument("--parallel", type=int, default=128)
    args = parser.parse_args()
    if not (MTBENCH / "model_answer").is_dir():
        print(f"judge, 4,960 single calls: skipped ({MTBENCH} not found)")
        return
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(args.latency, child), daemon=True)
    server.start()
    base_url = parent.recv()
    try:
        runs = []
        served = []
        loads = [os.getloadavg()[0]]
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                before = server_cpu(parent)
                runs.append(run_once(base_url, args.parallel, Path(tmp), parent))
                served.append(server_cpu(parent) - before)
                loads.append(os.getloadavg()[0])
    finally:
        parent.send("stop")
        server.join(timeout=10)
    calls = 4869  # distinct prompts: the calls made
    target = 1.3 * 4960 * args.latency / args.parallel  # the N: 4,960 grades
    best = min(runs, key=lambda r: r[0])
    wall = best[0]
    cpu = min(r[1] for r in runs)
    lines = {r[2] for r in runs}
    verdict = "within" if wall <= target else "OVER"
    print(
        f"judge, {calls:,} calls for 4,960 grades, {args.parallel} in flight, latency {args.latency * 1000:.0f} ms: "
        f"{wall:5.2f} s wall (min of {args.runs}: {', '.join(f'{r[0]:.2f}' for r in runs)}), "
        f"client CPU {cpu:.2f} s ({cpu / calls * 1000:.2f} ms/call), server CPU {min(served):.2f} s "
        f"(its own process); fastest run: start-up {best[3]:.2f} s to the first call, "
        f"{wall - best[3] - best[4]:.2f} s of calls, {best[4]:.2f} s from the last call to exit; "
        f"target ≤ {target:.2f} s: {verdict}; {'/'.join(str(n) for n in sorted(lines))} "
        f"judgment lines; load {' → '.join(f'{x:.1f}' for x in loads)} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
