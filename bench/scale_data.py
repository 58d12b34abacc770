"""Synthetic benches for the scale benchmarks: every pair of ``models`` judged on ``questions`` × 2 turns.

Lines are what ``judgebench judge --all-pairs`` writes (``PairGame.to_dict``:
call key, answer hashes of the answers written beside them, usage, a short
judge reply), so loading, the stale-verdict check and the statistics all do
their real work. 36 models × 80 questions: 630 pairs × 80 × 2 turns × 2 games
= 201,600 game lines (100,800 comparisons); 400 questions: 1,008,000 lines.

``python bench/scale_data.py DIR [QUESTIONS]`` writes ``DIR/big/...``.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import sys
from pathlib import Path

import orjson

from judgebench.pipeline.judge_plan import answer_hash
from judgebench.records import PairGame, Usage

MODELS = 36
BENCH = "big"
JUDGE, PROMPT = "openai/gpt-4o", "pair-v2"


def build(root: Path, questions: int = 80, models: int = MODELS) -> int:
    """Write questions, answers and pairwise games under ``root/big``; return the number of game lines."""
    rng = random.Random(0)
    bench = root / BENCH
    (bench / "judgments").mkdir(parents=True, exist_ok=True)
    (bench / "answers").mkdir(exist_ok=True)
    with (bench / "question.jsonl").open("w") as f:
        for q in range(questions):
            f.write(json.dumps({"question_id": q, "category": f"c{q % 8}", "turns": ["a?", "b?"]}) + "\n")
    names = [f"model-{k:02d}" for k in range(models)]
    hashes: dict[tuple[str, int, int], str] = {}
    for name in names:
        with (bench / "answers" / f"{name}.jsonl").open("w") as f:
            for q in range(questions):
                turns = ["x" * rng.randint(50, 600), "y" * rng.randint(50, 600)]
                hashes[(name, q, 1)] = answer_hash(turns[:1])
                hashes[(name, q, 2)] = answer_hash(turns)
                line = {"question_id": q, "model_id": name, "choices": [{"index": 0, "turns": turns}]}
                f.write(json.dumps(line) + "\n")
    records = 0
    reply = "Assistant A answers the question directly and correctly; Assistant B is vaguer. "
    with (bench / "judgments" / "openai--gpt-4o_pair.jsonl").open("wb") as f:
        for a, b in itertools.combinations(range(models), 2):
            p = 1 / (1 + math.exp(-(a - b) / 8))
            for q in range(questions):
                for turn in (1, 2):
                    u = rng.random()
                    verdict = "tie" if u < 0.2 else "model_1" if u < 0.2 + 0.8 * p else "model_2"
                    for game in (1, 2):
                        winner = verdict if rng.random() > 0.1 else "tie"
                        record = PairGame(
                            question_id=q, model_1=names[a], model_2=names[b], turn=turn, judge=JUDGE,
                            prompt=PROMPT, game=game, winner=winner,  # type: ignore[arg-type]
                            judgment=reply + ("[[A]]" if winner == "model_1" else "[[C]]"),
                            key=f"{records:016x}", category=f"c{q % 8}", tstamp=1.7e9 + records,
                            answer_hashes={n: hashes[(n, q, turn)] for n in (names[a], names[b])},
                            usage=Usage(input_tokens=900, output_tokens=120),
                        )  # fmt: skip
                        f.write(orjson.dumps(record.to_dict()) + b"\n")
                        records += 1
    return records


if __name__ == "__main__":
    n = build(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 80)
    print(f"{n:,} game lines")
