"""Reading question sets, answers, judge prompts and judgments, with file:line errors."""

from __future__ import annotations

import csv
import gc
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from judgebench.errors import DataError, UnknownQuestionSetError, UsageError
from judgebench.records import (
    Answer,
    HumanVote,
    JudgePrompt,
    Judgment,
    PairGame,
    PairScore,
    Question,
    QuestionId,
    RecordError,
    counted,
)
from judgebench.records.columns import game_columns, game_frame, record_columns
from judgebench.storage.arrow_games import read_game_frame
from judgebench.storage.columns_cache import read_column_cache, write_column_cache
from judgebench.storage.jsonl import Warn, _ignore, parse_lines, read_bytes, read_jsonl
from judgebench.storage.layout import bundled_dir, data_dir

R = TypeVar("R")

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_REFERENCE_SET",
    "QuestionSet",
    "load_answers",
    "load_game_table",
    "load_judge_prompts",
    "load_judgments",
    "load_pair_games",
    "load_pair_scores",
    "load_questions",
    "load_votes",
    "reference_file",
    "resolve_question_set",
]


@dataclass(frozen=True)
class QuestionSet:
    """A loaded question set; ``name`` is the bench name results are filed under.

    ``references`` says where its reference answers come from, in words
    (``reference_answer/gpt-4.jsonl (30 questions)``, ``inline 'reference'
    fields (12 questions)`` or ``none``); ``notes`` what the user should know
    about them (e.g. several reference sets to choose from).
    """

    name: str
    path: Path
    questions: tuple[Question, ...]
    references: str = "none"
    notes: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """Hash of all questions, in order."""
        from judgebench.records import content_hash

        return content_hash([q.to_dict() for q in self.questions])


DEFAULT_REFERENCE_SET = "gpt-4"
"""The reference set used when a bench's ``reference_answer/`` holds several (FastChat's judge)."""


def reference_file(folder: Path, reference_set: str | None = None) -> tuple[Path | None, tuple[str, ...]]:
    """The reference file to use from a FastChat ``reference_answer/`` folder, and notes.

    ``reference_set`` names a file of the folder (``gpt-4``) or any JSONL
    path; by default ``gpt-4.jsonl`` if present, else the folder's only file.
    With several files and none of them ``gpt-4`` none is chosen, and a note
    says how to choose.

    Raises:
        UsageError: ``reference_set`` names no file.
    """
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    if reference_set is not None:
        given = Path(reference_set).expanduser()
        if given.is_file():
            return given, ()
        if (folder / f"{reference_set}.jsonl").is_file():
            return folder / f"{reference_set}.jsonl", ()
        have = ", ".join(p.stem for p in files) or "none"
        raise UsageError(f"--references {reference_set!r}: no such file or reference set in {folder} (have: {have})")
    if not files:
        return None, ()
    if (folder / f"{DEFAULT_REFERENCE_SET}.jsonl").is_file():
        return folder / f"{DEFAULT_REFERENCE_SET}.jsonl", ()
    if len(files) == 1:
        return files[0], ()
    names = ", ".join(p.stem for p in files)
    return None, (f"{folder}: several reference sets ({names}); none used — choose one with --references NAME",)


def load_questions(
    path: Path,
    name: str | None = None,
    *,
    references: Path | None = None,
    reference_set: str | None = None,
) -> QuestionSet:
    """Load and check a question file (FastChat layout), with its references from one place.

    References come from exactly one source, whichever way the bench arrived
    (pulled, imported, or a JSONL of one's own): a FastChat
    ``reference_answer/<name>.jsonl`` — ``references``, else the one chosen by
    :func:`reference_file` from the ``reference_answer/`` folder beside
    ``path`` — replaces every question's inline ``reference`` (as FastChat's
    ``gen_judgment`` uses only that file); without one, the inline
    ``reference`` fields are used.

    Args:
        path: the JSONL file.
        name: the bench name; defaults to the file's stem, or to its folder's
            name for FastChat's ``<bench>/question.jsonl`` layout.
        references: a FastChat reference-answer file whose first choice's
            turns become the questions' references.
        reference_set: the file of ``reference_answer/`` to use (see
            :func:`reference_file`); ignored when ``references`` is given.

    Raises:
        DataError: naming ``file:line`` for bad JSON, missing or mistyped
            fields, duplicate ids or an empty file.
        UsageError: ``reference_set`` names no file.
    """
    questions: list[Question] = []
    seen: dict[QuestionId, int] = {}
    for number, obj in read_jsonl(path):
        try:
            q = Question.from_dict(obj)
        except RecordError as exc:
            raise DataError(path, number, str(exc), "see questions/README.md for the fields") from None
        key = str(q.question_id)
        if key in seen:
            raise DataError(
                path,
                number,
                f"duplicate question_id {q.question_id!r} (first at line {seen[key]})",
                "ids must be unique",
            )
        seen[key] = number
        questions.append(q)
    if not questions:
        raise DataError(path, None, "no questions in file", "add one JSON object a line")
    notes: tuple[str, ...] = ()
    if references is None:
        references, notes = reference_file(path.parent / "reference_answer", reference_set)
    if references is not None:
        refs = {str(a.question_id): a for a in load_answers(references).values() if a.choices}
        questions = [
            Question(
                q.question_id,
                q.category,
                q.turns,
                tuple(refs[str(q.question_id)].choices[0].turns) if str(q.question_id) in refs else None,
            )
            for q in questions
        ]
        covered = sum(q.reference is not None for q in questions)
        where = references.relative_to(path.parent) if references.is_relative_to(path.parent) else references
        source = f"{where} ({counted(covered, 'question')})"
    else:
        inline = sum(q.reference is not None for q in questions)
        source = f"inline 'reference' fields of {path.name} ({counted(inline, 'question')})" if inline else "none"
    if name is None:
        name = path.parent.name if path.stem == "question" else path.stem
    return QuestionSet(name=name, path=path, questions=tuple(questions), references=source, notes=notes)


def resolve_question_set(
    spec: str, results_dir: Path | None = None, *, reference_set: str | None = None
) -> QuestionSet:
    """Find a question set by path, bundled name, pulled dataset name, or bench of the results tree.

    In that order: a JSONL file, or a folder path (with a ``/``) holding
    ``question.jsonl`` (FastChat's layout; the bench is the folder's name); a bundled set (``jb-80``); a dataset pulled
    with ``judgebench datasets pull`` (``mt-bench``); a bench folder of
    ``results_dir`` holding its own ``question.jsonl`` (one made by ``import
    fastchat``). References are found as :func:`load_questions` says.

    Raises:
        UnknownQuestionSetError: nothing by that name; the message lists names.
        UsageError: ``reference_set`` names no file.
    """
    path = Path(spec).expanduser()
    if path.is_file():
        return load_questions(path, reference_set=reference_set)
    if ("/" in spec or spec in (".", "..")) and (path / "question.jsonl").is_file():
        return load_questions(path / "question.jsonl", reference_set=reference_set)  # a FastChat bench folder
    bundled = bundled_dir("questions") / f"{spec}.jsonl"
    if bundled.is_file():
        return load_questions(bundled, spec, reference_set=reference_set)
    pulled = data_dir() / "datasets" / spec
    if (pulled / "question.jsonl").is_file():
        return load_questions(pulled / "question.jsonl", spec, reference_set=reference_set)
    if results_dir is not None and spec and (results_dir / spec / "question.jsonl").is_file():
        return load_questions(results_dir / spec / "question.jsonl", spec, reference_set=reference_set)
    names = sorted(p.stem for p in bundled_dir("questions").glob("*.jsonl"))
    benches = sorted(p.parent.name for p in results_dir.glob("*/question.jsonl")) if results_dir is not None else []
    have = f"; benches in {results_dir}: {', '.join(benches)}" if benches else ""
    hint = (
        f" or run 'judgebench datasets pull {spec}'" if spec in ("mt-bench", "vicuna-bench", "mt-bench-human") else ""
    )
    raise UnknownQuestionSetError(
        f"--questions {spec!r}: no such file or question set; bundled: {', '.join(names)}{have}{hint}"
    )


def load_answers(path: Path, *, warn: Warn = _ignore) -> dict[str, Answer]:
    """Read an answers file; the last record of a question wins (a retried failure).

    Returns:
        Answers keyed by ``str(question_id)``.

    Raises:
        DataError: a line that is not an answer record, or records of two models.
    """
    answers: dict[str, Answer] = {}
    first_model: tuple[str, int] | None = None
    for number, obj in read_jsonl(path, warn=warn, torn_tail_ok=True):
        try:
            answer = Answer.from_dict(obj)
        except RecordError as exc:
            raise DataError(path, number, str(exc), "fix or delete this line") from None
        if first_model is None:
            first_model = (answer.model_id, number)
        elif answer.model_id != first_model[0]:
            raise DataError(
                path,
                number,
                f"answers of model {answer.model_id!r} in a file of {first_model[0]!r} (line {first_model[1]})",
                "keep one model a file",
            )
        answers[str(answer.question_id)] = answer
    return answers


def load_judge_prompts(path: Path) -> dict[str, JudgePrompt]:
    """Read a judge-prompt file into prompts by name.

    Raises:
        DataError: a bad record or a name used twice, citing ``file:line``.
    """
    prompts: dict[str, JudgePrompt] = {}
    for number, obj in read_jsonl(path):
        try:
            prompt = JudgePrompt.from_dict(obj)
        except RecordError as exc:
            raise DataError(path, number, str(exc), "see judge_prompts/README.md for the fields") from None
        if prompt.name in prompts:
            raise DataError(path, number, f"duplicate prompt name {prompt.name!r}", "names must be unique")
        prompts[prompt.name] = prompt
    if not prompts:
        raise DataError(path, None, "no judge prompts in file", "add one JSON object a line")
    return prompts


def _load_records(path: Path, from_dict: Callable[[Mapping[str, Any]], R], warn: Warn) -> list[R]:
    """Read one record a line with ``from_dict``, in file order (a torn last line is cut and reported).

    Raises:
        DataError: a line ``from_dict`` rejects, citing ``file:line``.
    """
    out: list[R] = []
    for number, obj in read_jsonl(path, warn=warn, torn_tail_ok=True):
        try:
            out.append(from_dict(obj))
        except RecordError as exc:
            raise DataError(path, number, str(exc), "fix or delete this line") from None
    return out


def load_judgments(path: Path, *, warn: Warn = _ignore) -> list[Judgment]:
    """Read single-grade judgments (ours or FastChat's ``*_single.jsonl``), in file order.

    Raises:
        DataError: a line that is not a judgment, citing ``file:line``.
    """
    return _load_records(path, Judgment.from_dict, warn)


def load_pair_games(path: Path, *, warn: Warn = _ignore) -> list[PairGame]:
    """Read our pairwise game records, in file order.

    Raises:
        DataError: a line that is not a pair game, citing ``file:line``.
    """
    return _load_records(path, PairGame.from_dict, warn)


def load_pair_scores(path: Path, *, warn: Warn = _ignore) -> list[PairScore]:
    """Read paired-scoring records (``*_pairscore.jsonl``), in file order.

    Raises:
        DataError: a line that is not a pair score, citing ``file:line``.
    """
    return _load_records(path, PairScore.from_dict, warn)


COLUMN_CACHE_MIN_ROWS = 20_000
"""Files with fewer game lines parse in well under a second and get no column cache."""

GAME_TABLE_CHUNK = 50_000
"""Lines parsed at a time by :func:`load_game_table` (bounds the memory of parsed dicts)."""


def load_game_table(path: Path, *, warn: Warn = _ignore) -> pd.DataFrame:
    """Read our pairwise game records straight into a game table (:mod:`judgebench.records.columns`).

    The same records, checks and ``file:line`` errors as :func:`load_pair_games`,
    an order of magnitude faster. A plainly valid file is parsed whole by pyarrow's
    C++ JSON reader and checked column by column
    (:func:`judgebench.storage.arrow_games.read_game_frame`); any other file is
    parsed with orjson a chunk at a time and validated column by column, and a
    chunk that is not plainly valid (a bad line, a torn last line, a valid but
    unusual record) is read line by line as :func:`load_pair_games` reads it.
    A file of :data:`COLUMN_CACHE_MIN_ROWS` lines or more leaves its columns in a
    cache beside it (:mod:`judgebench.storage.columns_cache`) for the next report.

    Returns:
        One row per game line, in file order.

    Raises:
        DataError: the file is unreadable, or a line is not a pair game, citing ``file:line``.
    """
    import orjson

    data = read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    cached = read_column_cache(path, len(data), digest)
    if cached is not None:
        return cached
    size = len(data)
    table = read_game_frame(data)
    if table is not None:
        if len(table) >= COLUMN_CACHE_MIN_ROWS:
            write_column_cache(path, size, digest, table)
        return table
    lines = data.split(b"\n")
    del data
    warned: list[str] = []

    def note(message: str) -> None:
        warned.append(message)
        warn(message)

    parts: list[Mapping[str, Sequence[Any]]] = []
    for start in range(0, len(lines), GAME_TABLE_CHUNK):
        chunk = lines[start : start + GAME_TABLE_CHUNK]
        cols = None
        with _gc_paused():
            try:
                dicts = list(map(orjson.loads, filter(None, chunk)))
            except orjson.JSONDecodeError:
                pass
            else:
                if set(map(type, dicts)) <= {dict}:
                    cols = game_columns(dicts)
                del dicts
        if cols is None:
            games = []
            for number, obj in parse_lines(path, chunk, start + 1, len(lines), warn=note, torn_tail_ok=True):
                try:
                    games.append(PairGame.from_dict(obj))
                except RecordError as exc:
                    raise DataError(path, number, str(exc), "fix or delete this line") from None
            cols = record_columns(games)
        parts.append(cols)
    del lines
    if len(parts) == 1:
        table = game_frame(parts[0])
    else:
        keys = parts[0].keys() if parts else record_columns([]).keys()
        table = game_frame({key: list(chain.from_iterable(part[key] for part in parts)) for key in keys})
    if not warned and len(table) >= COLUMN_CACHE_MIN_ROWS:  # a file that warns (a torn last line) warns every time
        write_column_cache(path, size, digest, table)
    return table


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing builds many objects that all stay alive.

    Each collection would walk every dict parsed so far: with it on, parsing
    200,000 lines takes four times as long. Nothing made here is cyclic.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
