"""Human votes (MT-Bench's human-judgment format) from JSON Lines, a JSON array or CSV, each error at ``file:line``."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from judgebench.errors import DataError
from judgebench.records import HumanVote, RecordError
from judgebench.storage.jsonl import read_jsonl

__all__ = ["load_votes"]


def _json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, item)`` for each element of a top-level JSON array (the line its element starts on)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(path, None, "not UTF-8", "save the file as UTF-8") from None
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if not text[pos:].startswith("["):
        raise DataError(path, 1, "expected a JSON array of votes", "use [ {...}, {...} ] or JSON Lines (.jsonl)")
    pos += 1
    line, counted = 1, 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            raise DataError(path, text.count("\n") + 1, "the JSON array is not closed", "end it with ]")
        if text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise DataError(
                path, exc.lineno, f"invalid JSON ({exc.msg}, column {exc.colno})", "fix this line"
            ) from None
        yield line, item


def _csv_rows(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            for row in reader:
                yield reader.line_num, {k: v for k, v in row.items() if k is not None}
    except UnicodeDecodeError:
        raise DataError(path, None, "not UTF-8", "save the file as UTF-8") from None


def load_votes(path: Path) -> list[HumanVote]:
    """Read pairwise votes in MT-Bench's human-judgment format, in file order.

    ``.jsonl``: one vote a line; ``.json``: an array of votes; ``.csv``: a
    header row with ``question_id,model_a,model_b,winner,judge,turn``. Extra
    fields (``conversation_a``…) are ignored.

    Raises:
        DataError: a missing file, or a row that is not a vote, citing ``file:line``.
    """
    if not path.is_file():
        raise DataError(path, None, "file not found", "check the path")
    suffix = path.suffix.lower()
    rows: Iterator[tuple[int, Any]]
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix == ".json":
        rows = _json_array(path)
    else:
        rows = read_jsonl(path)
    votes = []
    for number, obj in rows:
        if not isinstance(obj, dict):
            raise DataError(path, number, f"expected a JSON object, got {type(obj).__name__}", "one vote an object")
        try:
            votes.append(HumanVote.from_dict(obj))
        except RecordError as exc:
            raise DataError(path, number, str(exc), "fix or delete this vote") from None
    if not votes:
        raise DataError(path, None, "no votes in file", "see 'judgebench agreement --help' for the format")
    return votes
