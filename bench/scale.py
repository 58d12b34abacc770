"""The scale figures of issue #16, each beside its target, on synthetic benches built here.

- ``report`` on 201,600 pairwise game lines (100,800 comparisons: 36 models, all 630 pairs,
  80 questions × 2 turns), 1,000 bootstrap replicates: default, ``--ratings``, and
  ``--ratings --length-control --bias --baseline model-00`` (length control needs a baseline);
  the same default report on 1,008,000 lines (400 questions);
- ``judgebench --help`` from a fresh interpreter;
- ``judge`` against the local test server (``bench/judge_latency.py``).

Every figure is a whole command in a fresh process (interpreter start and imports included):
wall time, its peak resident memory (``wait4``'s ``ru_maxrss``) and its CPU time (user + system, all
threads). The machine is shared, so each figure is the minimum of ``--runs`` runs (all runs are
printed) and the load average before and after is printed beside it. Report figures are first
reports: the column cache is removed before each run (a line of its own shows a cached report).

Run: ``make bench`` or ``python bench/scale.py [--runs 3] [--skip-1m] [--skip-judge]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_data import BENCH, build

JUDGEBENCH = [str(Path(sys.executable).with_name("judgebench"))]


def load() -> str:
    """The 1-minute load average of this machine (2 cores shared with other users) and the CPU count."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def timed(args: list[str]) -> tuple[float, float, float]:
    """Run a command; return (wall seconds, peak RSS in MB, CPU seconds: user + system, all threads)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
        )
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def drop_caches(root: Path) -> None:
    """Remove the column caches under ``root``, so that the next report reads its files afresh."""
    for cache in root.rglob("*.columns.npz"):
        cache.unlink()


def figure(
    label: str, args: list[str], runs: int, target_s: float, target_mb: float | None, fresh: Path | None = None
) -> None:
    """Print the figure: min wall of ``runs`` beside its target, peak memory, CPU time and the machine's load.

    On a shared machine the wall time moves with the others' load; the CPU time (user + system
    of the command's process, all its threads) is what the command itself spent.
    """
    before = load()
    results = []
    for _ in range(runs):
        if fresh is not None:
            drop_caches(fresh)
        results.append(timed(args))
    wall = min(r[0] for r in results)
    peak = max(r[1] for r in results)
    cpu = min(r[2] for r in results)
    ok = wall <= target_s and (target_mb is None or peak <= target_mb)
    memory = f", peak {peak:5.0f} MB (target ≤ {target_mb:.0f} MB)" if target_mb else ""
    print(
        f"{label:<44} {wall:6.2f} s (target ≤ {target_s:g} s){memory}  {'within' if ok else 'OVER'}"
        f"  | CPU {cpu:.2f} s | runs: {', '.join(f'{r[0]:.2f}' for r in results)} | {before} → {load()}",
        flush=True,
    )


def report_args(root: Path, *flags: str) -> list[str]:
    qfile = root / BENCH / "question.jsonl"
    return [*JUDGEBENCH, "report", "-q", str(qfile), "--results-dir", str(root), "-f", "json", *flags]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-1m", action="store_true", help="leave out the 1,008,000-line report")
    parser.add_argument("--skip-judge", action="store_true", help="leave out the judge run")
    args = parser.parse_args()
    print(f"min of {args.runs} runs each on a shared 2-core machine; wall time of the whole command")
    figure("judgebench --help (fresh interpreter)", [*JUDGEBENCH, "--help"], max(args.runs, 5), 0.3, None)
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "100k"
        t0 = time.perf_counter()
        lines = build(small, questions=80)
        took = time.perf_counter() - t0
        print(f"built {lines:,} game lines (36 models, all pairs, 80 questions × 2 turns) in {took:.0f} s")
        print("first report of each file (no column cache: every run parses the JSONL afresh)")
        figure("report, 100k comparisons, 1,000 replicates", report_args(small), args.runs, 1.5, 1024, small)
        figure("report --ratings", report_args(small, "--ratings"), args.runs, 3.0, None, small)
        figure(
            "report --ratings --length-control --bias",
            # length control fits each model against a baseline: without one it is skipped with a note
            report_args(small, "--ratings", "--length-control", "--bias", "--baseline", "model-00"),
            args.runs,
            5.0,
            None,
            small,
        )
        print("later reports of the same files (column cache beside each file)")
        timed(report_args(small))  # writes the cache
        figure("report, 100k, cached columns", report_args(small), args.runs, 1.5, 1024)
        if not args.skip_1m:
            big = Path(tmp) / "1m"
            t0 = time.perf_counter()
            lines = build(big, questions=400)
            print(f"built {lines:,} game lines (400 questions) in {time.perf_counter() - t0:.0f} s")
            figure("report, 1M game lines, 1,000 replicates", report_args(big), min(args.runs, 2), 15.0, 4096, big)
    if not args.skip_judge:
        subprocess.run(
            [sys.executable, str(Path(__file__).with_name("judge_latency.py")), "--runs", str(args.runs)], check=True
        )


if __name__ == "__main__":
    main()
