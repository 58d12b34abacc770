"""The MT-Bench human-judgment release (``lmsys/mt_bench_human_judgments``) as judgebench's files.

The release is two parquet splits of votes on six models' answers, each vote
carrying the two conversations the voter saw. :func:`build_mt_bench_human`
turns a pulled copy (``judgebench datasets pull mt-bench-human``,
:mod:`judgebench.pipeline.datasets`) into vote files for ``agreement --votes``
and ``validate-judge``, FastChat-layout answer files and a question file, each
written whole, and only once every split has been read (:class:`~judgebench.storage.files.FilePlan`): a
split that cannot be read changes no file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgebench.errors import DataError
from judgebench.storage.files import FilePlan
from judgebench.storage.jsonl import read_jsonl

__all__ = ["HUMAN_SPLITS", "build_mt_bench_human"]

HUMAN_SPLITS: dict[str, str] = {"human": "votes/human.jsonl", "gpt4_pair": "votes/gpt4_pair.jsonl"}
"""The release's parquet splits and the vote files made from them."""


def build_mt_bench_human(folder: Path) -> tuple[list[str], list[str]]:
    """Turn the release's parquet splits into vote files, the six models' answers and the questions.

    Reads ``human.parquet`` (3,355 expert and author votes) and
    ``gpt4_pair.parquet`` (2,400 GPT-4 verdicts) with pandas (pyarrow) and writes

    - ``votes/human.jsonl`` and ``votes/gpt4_pair.jsonl``: one vote a line
      with the release's columns ``question_id, model_a, model_b, winner,
      judge, turn`` and its own labels (``tie (bothbad)``, ``tie
      (inconsistent)``…), for ``agreement --votes``;
    - ``model_answer/<model>.jsonl``: each model's answers in FastChat's
      layout, taken from the ``assistant`` messages of the conversations the
      voters saw (the longest one seen for each model and question), so a
      judge can be run on exactly the answers that were voted on;
    - ``question.jsonl``: MT-Bench's questions (``mt_bench/question.jsonl``,
      for categories) with the ``user`` messages the voters saw as turns.

    Where two rows show one model's answer (or one question) differently the
    first row's wins (the ``human`` split is read first) and a note says how
    often that happened.

    Returns:
        The files written (relative to ``folder``) and the notes.

    Raises:
        DataError: a split lacks a column, or a conversation is not a list of
            ``{role, content}`` messages (citing the file and row).
    """
    import pandas as pd

    files: dict[str, list[str]] = {}  # what to write, by path relative to ``folder``; written once all is read
    answers: dict[str, dict[int, tuple[str, ...]]] = {}
    asked: dict[int, tuple[str, ...]] = {}
    conflicts = {"answers": 0, "questions": 0}

    def keep(store: dict[int, tuple[str, ...]], qid: int, turns: tuple[str, ...], what: str) -> None:
        known = store.get(qid, ())
        shorter, longer = sorted((known, turns), key=len)
        if longer[: len(shorter)] != shorter:
            conflicts[what] += 1
            return
        store[qid] = longer

    for split, target in HUMAN_SPLITS.items():
        path = folder / f"{split}.parquet"
        frame = pd.read_parquet(path)
        missing = {"question_id", "model_a", "model_b", "winner", "judge", "turn"} - set(frame.columns)
        if missing:
            raise DataError(path, None, f"no column {', '.join(sorted(missing))}", "pull it again with --force")
        lines = []
        records: list[dict[str, Any]] = frame.to_dict(orient="records")  # type: ignore[assignment]
        for row_number, row in enumerate(records, start=1):
            qid, turn = int(row["question_id"]), int(row["turn"])
            vote = {
                "question_id": qid,
                "model_a": str(row["model_a"]),
                "model_b": str(row["model_b"]),
                "winner": str(row["winner"]),
                "judge": str(row["judge"]),
                "turn": turn,
            }
            lines.append(json.dumps(vote, ensure_ascii=False))
            for side in ("a", "b"):
                messages = _messages(row.get(f"conversation_{side}"), path, row_number)
                model = str(row[f"model_{side}"])
                keep(answers.setdefault(model, {}), qid, _said(messages, "assistant"), "answers")
                keep(asked, qid, _said(messages, "user"), "questions")
        files[target] = lines
    for model, by_question in sorted(answers.items()):
        rows = [
            json.dumps(
                {
                    "question_id": qid,
                    "answer_id": f"{model}:{qid}",
                    "model_id": model,
                    "choices": [{"index": 0, "turns": list(turns)}],
                    "tstamp": 0.0,
                },
                ensure_ascii=False,
            )
            for qid, turns in sorted(by_question.items())
            if turns
        ]
        files[f"model_answer/{model}.jsonl"] = rows
    questions = []
    for _, obj in read_jsonl(folder / "mt_bench" / "question.jsonl"):
        seen = asked.get(int(obj["question_id"]), ())
        questions.append({**obj, "turns": list(seen) + obj["turns"][len(seen) :]})
    files["question.jsonl"] = [json.dumps(q, ensure_ascii=False) for q in questions]
    plan = FilePlan()
    for target, lines in files.items():
        plan.add(folder / target, "".join(line + "\n" for line in lines).encode("utf-8"), target)
    plan.write(overwrite=True)
    notes = [
        f"{n} row(s) showed {what} differently from an earlier row; the first row's version was kept"
        for what, n in conflicts.items()
        if n
    ]
    return list(files), notes


def _messages(conversation: object, path: Path, row: int) -> list[dict[str, str]]:
    """A conversation of the release: a list (or array) of ``{role, content}`` messages."""
    if conversation is None:
        return []
    out = []
    for message in list(conversation):  # type: ignore[call-overload]
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            raise DataError(path, row, "a conversation message is not {role, content}", "pull it again with --force")
        out.append({"role": str(message.get("role")), "content": message["content"]})
    return out


def _said(messages: list[dict[str, str]], role: str) -> tuple[str, ...]:
    return tuple(m["content"] for m in messages if m["role"] == role)
