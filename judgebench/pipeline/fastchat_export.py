"""``export fastchat``: write a bench in FastChat's ``llm_judge`` layout, byte for byte as FastChat writes it.

The mapping is :mod:`judgebench.storage.fastchat`'s (its docstring gives each choice; import is there).
Export is a pipeline step because it computes FastChat's tables: each record's latest verdict
(:func:`judgebench.stats.latest_judgments`) and the two games of a comparison joined into one row
(:func:`judgebench.stats.pair_rows_from_games`). Everything is read and checked first, then each file is
written whole (:class:`judgebench.storage.FilePlan`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebench.errors import UsageError
from judgebench.records import Judgment
from judgebench.storage import (
    FilePlan,
    load_answers,
    load_judgments,
    load_pair_games,
    load_questions,
    model_slug,
    read_jsonl,
)
from judgebench.storage.fastchat import fastchat_jsonl, read_style

__all__ = ["ExportSummary", "export_fastchat"]


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_fastchat` wrote.

    Attributes:
        questions: questions copied (0 when the bench has none).
        answers: ``ok`` answers written per model.
        answers_skipped: failed answers left out per model (FastChat has no
            form for them).
        single: single-grade rows written per judge.
        pair_rows: pairwise rows written per judge.
        unscored: rows written with ``score: -1`` or a winner ``"error"``.
        references: reference answers copied per file name.
        files: every file written (or already identical).
        notes: things worth telling the user.
    """

    questions: int
    answers: Mapping[str, int]
    answers_skipped: Mapping[str, int]
    single: Mapping[str, int]
    pair_rows: Mapping[str, int]
    unscored: int
    references: Mapping[str, int]
    files: tuple[Path, ...]
    notes: tuple[str, ...]


_SINGLE_FIELDS = ("question_id", "model", "judge", "user_prompt", "judgment", "score", "turn", "tstamp")
"""The fields of a FastChat single-judgment row, in its order (our record's wire form leads with them)."""


def _fastchat_grade(j: Judgment) -> dict[str, Any]:
    """FastChat's single row: ``score`` -1 without a verdict; a whole grade as an int (``[[8]]`` → 8)."""
    score = -1 if j.status != "ok" or j.score is None else int(j.score) if j.score.is_integer() else j.score
    ours = j.to_dict()
    return {key: score if key == "score" else ours[key] for key in _SINGLE_FIELDS}


def _export_answers(
    root: Path, dest: Path, plan: FilePlan, notes: list[str], raw: set[str]
) -> tuple[Counter[str], Counter[str]]:
    """Plan ``dest/model_answer/<name>.jsonl`` for each answers file; answers written and skipped per model."""
    answers: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for path in sorted((root / "answers").glob("*.jsonl")):
        loaded = list(load_answers(path).values())
        rows = [
            {
                "question_id": a.question_id,
                "answer_id": a.answer_id,
                "model_id": a.fastchat_model_id or a.model_id,
                "choices": [{"index": c.index, "turns": list(c.turns)} for c in a.choices],  # FastChat's fields only
                "tstamp": a.tstamp,
            }
            for a in loaded
            if a.status == "ok"
        ]
        for a in loaded:
            skipped[a.model_id] += a.status != "ok"
        if not rows:
            if loaded:
                notes.append(f"{path}: no finished answer to export")
            continue
        model_id = loaded[0].model_id
        answers[model_id] = len(rows)
        name = f"{model_slug(model_id)}.jsonl"
        plan.add(dest / "model_answer" / name, fastchat_jsonl(rows, raw_utf8=f"model_answer/{name}" in raw), str(path))
    for model_id, n in skipped.items():
        if n:
            notes.append(f"{model_id}: {n} failed answer(s) left out (FastChat has no form for them)")
    return answers, skipped


def export_fastchat(
    results_dir: Path, bench: str, dest: Path, *, questions: Path | None = None, overwrite: bool = False
) -> ExportSummary:
    """Write ``results_dir/bench`` as a FastChat ``llm_judge`` bench folder at ``dest``.

    Args:
        results_dir: the results root.
        bench: the bench to export.
        dest: the FastChat bench folder to write (e.g. ``data/mt_bench``).
        questions: a question file to write as ``dest/question.jsonl``;
            default: the bench's own ``question.jsonl``, if it has one.
        overwrite: replace files in ``dest`` that exist with other content.

    Raises:
        UsageError: no such bench, or a file in ``dest`` differs and
            ``overwrite`` is off.
        DataError: a bad line in the results, citing ``file:line``.
        ResultsError: a file cannot be written.
    """
    from judgebench.stats import FASTCHAT_ERROR, latest_judgments, pair_rows_from_games  # pandas: on use only

    root = results_dir / bench
    if not root.is_dir():
        raise UsageError(f"{root}: no such bench — check --results-dir and the bench name")
    plan, notes = FilePlan(), list[str]()
    raw = read_style(root)
    if questions is not None and not questions.is_file():
        raise UsageError(f"{questions}: no such question file — check the path")
    question_file = questions if questions is not None else root / "question.jsonl"
    n_questions = 0
    if question_file.is_file():
        n_questions = len(load_questions(question_file, bench).questions)
        plan.add(dest / "question.jsonl", question_file.read_bytes(), str(question_file))

    answers, skipped = _export_answers(root, dest, plan, notes, raw)

    judgments = latest_judgments(
        j for p in sorted((root / "judgments").glob("*_single.jsonl")) for j in load_judgments(p)
    )
    by_judge: dict[str, list[dict[str, Any]]] = {}
    unscored = 0
    for j in judgments:
        unscored += j.status != "ok"
        by_judge.setdefault(j.judge, []).append(_fastchat_grade(j))
    single = {judge: len(rows) for judge, rows in by_judge.items()}
    for judge, rows in by_judge.items():
        name = f"{model_slug(judge)}_single.jsonl"
        data = fastchat_jsonl(rows, raw_utf8=f"model_judgment/{name}" in raw)
        plan.add(dest / "model_judgment" / name, data, f"{judge} grades")

    games = [g for p in sorted((root / "judgments").glob("*_pair.jsonl")) for g in load_pair_games(p)]
    by_judge = {}
    for row in pair_rows_from_games(games):
        unscored += FASTCHAT_ERROR in (row["g1_winner"], row["g2_winner"])
        by_judge.setdefault(row["judge"][0], []).append(row)
    pair_rows = {judge: len(rows) for judge, rows in by_judge.items()}
    for judge, rows in by_judge.items():
        name = f"{model_slug(judge)}_pair.jsonl"
        data = fastchat_jsonl(rows, raw_utf8=f"model_judgment/{name}" in raw)
        plan.add(dest / "model_judgment" / name, data, f"{judge} pair games")

    references: Counter[str] = Counter()
    for path in sorted((root / "reference_answer").glob("*.jsonl")):
        references[path.stem] = sum(1 for _ in read_jsonl(path))
        plan.add(dest / "reference_answer" / path.name, path.read_bytes(), str(path))

    if not plan.files:
        notes.append(f"{root}: nothing to export")
    return ExportSummary(
        questions=n_questions,
        answers=dict(answers),
        answers_skipped={m: n for m, n in skipped.items() if n},
        single=single,
        pair_rows=pair_rows,
        unscored=unscored,
        references=dict(references),
        files=plan.write(overwrite=overwrite),
        notes=tuple(notes),
    )
