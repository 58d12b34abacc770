"""``report`` on 100,000 pairwise judgment records with 1,000 bootstrap replicates: time and peak memory.

Builds a bench of 1,000 two-turn questions, 25 models each judged against a
baseline in both orders (1,000 × 2 turns × 25 × 2 games = 100,000 game
records), plus every model's answers (for the length figures), then runs the
real ``report`` pipeline — reading the files, FastChat tables, question-bootstrap
intervals — in a fresh process per configuration and prints its wall time and
peak resident memory beside the target: ≤ 5 s (interpreter start included) and ≤ 2 GB on a 2-core
machine, for every configuration.

Run: ``python bench/stats_report.py``.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS, MODELS, BASELINE = 1000, 25, "baseline"
TARGET_S, TARGET_MB = 5.0, 2048
"""Every configuration, the whole command (interpreter start included)."""
RUNS = 3
"""Runs of each configuration; the fastest is the figure."""

CHILD = """
import resource, sys, time
from pathlib import Path
start = time.perf_counter()
from judgebench.pipeline.report import ReportJob, report
flags = set(sys.argv[2:])
job = ReportJob(questions="big", results_dir=Path(sys.argv[1]), baseline="baseline", bootstrap=1000,
                ratings="ratings" in flags, bias="bias" in flags, length_control="lc" in flags)
result = report(job)
elapsed = time.perf_counter() - start
rows = len(result.judges[0].pairwise)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed:.2f} {peak:.0f} {rows}")
"""


def build(root: Path) -> int:
    rng = random.Random(0)
    bench = root / "big"
    (bench / "judgments").mkdir(parents=True)
    (bench / "answers").mkdir()
    with (bench / "question.jsonl").open("w") as f:
        for q in range(QUESTIONS):
            f.write(json.dumps({"question_id": q, "category": f"c{q % 8}", "turns": ["a?", "b?"]}) + "\n")
    names = [BASELINE] + [f"model-{k:02d}" for k in range(MODELS)]
    for name in names:
        with (bench / "answers" / f"{name}.jsonl").open("w") as f:
            for q in range(QUESTIONS):
                turns = ["x" * rng.randint(50, 600), "y" * rng.randint(50, 600)]
                f.write(json.dumps({"question_id": q, "model_id": name, "choices": [{"index": 0, "turns": turns}]}))
                f.write("\n")
    records = 0
    with (bench / "judgments" / "gpt-4_pair.jsonl").open("w") as f:
        for k in range(MODELS):
            strength = (k - MODELS / 2) / 10
            p = 1 / (1 + math.exp(-strength))
            for q in range(QUESTIONS):
                for turn in (1, 2):
                    u = rng.random()
                    verdict = "tie" if u < 0.2 else "model_1" if u < 0.2 + 0.8 * p else "model_2"
                    for game in (1, 2):
                        winner = verdict if rng.random() > 0.1 else "tie"  # some position inconsistency
                        line = {
                            "question_id": q, "model_1": names[k + 1], "model_2": BASELINE, "game": game,
                            "winner": winner, "judge": ["gpt-4", "pair-v2"], "turn": turn, "status": "ok",
                        }  # fmt: skip
                        f.write(json.dumps(line) + "\n")
                        records += 1
    return records


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        records = build(root)
        print(f"built {records:,} pairwise game records ({QUESTIONS} questions × 2 turns × {MODELS} models × 2 games)"
              f" in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        for label, flags in (
            ("report (tables + intervals)", []),
            ("report --ratings", ["ratings"]),
            ("report --ratings --bias --length-control", ["ratings", "bias", "lc"]),
        ):
            tries: list[tuple[float, str]] = []
            for _ in range(RUNS):  # the best of RUNS, as bench/scale.py takes (a shared machine)
                wall = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-c", CHILD, str(root), *flags], capture_output=True, text=True, check=True
                )
                tries.append((time.perf_counter() - wall, proc.stdout))
            outer, printed = min(tries)
            inner, peak, rows = printed.split()
            verdict = "within" if outer <= TARGET_S and float(peak) <= TARGET_MB else "OVER"
            print(
                f"{label:<45} {float(inner):5.2f} s in report() ({outer:5.2f} s with interpreter start; "
                f"target ≤ {TARGET_S:.0f} s), peak RSS {float(peak):6.0f} MB (target ≤ {TARGET_MB} MB)  {verdict}"
                f" | {rows} model rows, 1000 replicates"
            )


if __name__ == "__main__":
    main()
