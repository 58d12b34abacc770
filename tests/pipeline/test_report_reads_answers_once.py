"""A report reads each answers file once: the stale-verdict check and the length figures share the read."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from judgebench.pipeline.report import ReportJob, report
from judgebench.records import Answer
from judgebench.storage import loaders

MODELS = ("baseline", "model-a", "model-b")


def build(root: Path, questions: int = 30) -> None:
    rng = random.Random(0)
    bench = root / "big"
    (bench / "judgments").mkdir(parents=True)
    (bench / "answers").mkdir()
    with (bench / "question.jsonl").open("w", encoding="utf-8") as f:
        for q in range(questions):
            f.write(json.dumps({"question_id": q, "category": "writing", "turns": ["a?", "b?"]}) + "\n")
    for name in MODELS:
        with (bench / "answers" / f"{name}.jsonl").open("w", encoding="utf-8") as f:
            for q in range(questions):
                turns = ["x" * rng.randint(50, 600), "y" * rng.randint(50, 600)]
                line = {"question_id": q, "model_id": name, "choices": [{"index": 0, "turns": turns}]}
                f.write(json.dumps(line) + "\n")
    with (bench / "judgments" / "gpt-4_pair.jsonl").open("w", encoding="utf-8") as f:
        for model in MODELS[1:]:
            for q in range(questions):
                for turn in (1, 2):
                    for game in (1, 2):
                        winner = rng.choice(["model_1", "model_2", "tie"])
                        line = {
                            "question_id": q, "model_1": model, "model_2": "baseline", "game": game,
                            "winner": winner, "judge": ["gpt-4", "pair-v2"], "turn": turn, "status": "ok",
                        }  # fmt: skip
                        f.write(json.dumps(line) + "\n")


@pytest.mark.parametrize("figures", [{}, {"bias": True, "length_control": True}])
def test_each_answers_file_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: dict[str, bool]
) -> None:
    build(tmp_path)
    reads: Counter[str] = Counter()
    real = loaders.parsed_lines

    def counted(path: Path, parse: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if parse == Answer.from_dict:  # an answers file parsed, by whichever module asked
            reads[path.name] += 1
        return real(path, parse, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loaders, "parsed_lines", counted)
    job = ReportJob(questions="big", results_dir=tmp_path, baseline="baseline", bootstrap=50, **figures)
    result = report(job)
    assert reads == {f"{name}.jsonl": 1 for name in MODELS}
    (judge,) = result.judges
    if figures:
        assert judge.length_control is not None
        assert sorted(m["model"] for m in judge.length_control["models"]) == ["model-a", "model-b"]
        assert all(m["n"] == 60 for m in judge.length_control["models"])  # 30 questions × 2 turns
