"""Answers per second through the real pipeline and OpenAI SDK against a local test server.

The server (tests/llm_server.py, in its own process so it does not share the client's GIL)
answers every request after a fixed latency, standing in for model time. The figures show how
well `--parallel` overlaps calls and what the pipeline itself costs per call (journal fsync,
record writes, SDK overhead). Run: `make bench` or
`python bench/answers_throughput.py [--questions N] [--latency S] [--parallel 1 8 64] [--faults]`.

With `--faults` the server fails on purpose (5 % 429 with Retry-After, 2 % 500, 1 % hangs past
the client timeout, 1 % malformed and 1 % truncated bodies) and the run must still end with every
question answered or recorded as failed, once.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from llm_server import FaultMix, LLMServer

from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.providers import ProviderOptions

FAULTS = FaultMix(
    rate_limit=0.05, retry_after="1", server_error=0.02, slow=0.01, slow_delay=30.0, malformed=0.01, truncate=0.01
)


def serve(latency: float, faults: bool, conn: Connection) -> None:
    """Run the test server until the parent says stop."""
    with LLMServer(latency=latency, faults=FAULTS if faults else None) as server:
        conn.send(server.base_url)
        conn.recv()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=320, help="two-turn questions to answer")
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per request")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--faults", action="store_true", help="inject the fault mix described above")
    parser.add_argument("--timeout", type=float, default=5.0, help="client timeout per request")
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(target=serve, args=(args.latency, args.faults, child), daemon=True)
    proc.start()
    base_url = parent.recv()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            qfile = Path(tmp) / "bench.jsonl"
            with qfile.open("w") as f:
                for i in range(args.questions):
                    turns = [f"Question {i}: explain topic {i}.", "Now shorten it."]
                    f.write(json.dumps({"question_id": i, "category": "writing", "turns": turns}) + "\n")
            print(f"{args.questions} two-turn questions, server latency {args.latency * 1000:.0f} ms per call")
            for parallel in args.parallel:
                job = AnswerJob(
                    model="openai/bench",
                    questions=str(qfile),
                    results_dir=Path(tmp) / f"results-{parallel}",
                    parallel=parallel,
                    provider_options=ProviderOptions(base_url=base_url, timeout=args.timeout),
                )
                start = time.perf_counter()
                run = gen_answers(job)
                elapsed = time.perf_counter() - start
                records = [json.loads(line) for line in run.path.read_text().splitlines()]
                if len(records) != args.questions or len({r["question_id"] for r in records}) != args.questions:
                    raise SystemExit(f"bench run lost or duplicated answers: {len(records)} records")
                ideal = 2 * args.latency * args.questions / parallel
                print(
                    f"--parallel {parallel:3d}: {elapsed:6.2f} s, {run.answered / elapsed:7.1f} answers/s, "
                    f"{run.usage.calls / elapsed:7.1f} calls/s, {run.failed} failed "
                    f"(latency-bound ideal {ideal:.2f} s; no target: how --parallel overlaps calls)"
                )
    finally:
        parent.send("stop")
        proc.join(timeout=10)


if __name__ == "__main__":
    main()
