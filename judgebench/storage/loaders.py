"""Reading question sets, answers, judge prompts and judgments, with file:line errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from judgebench.errors import DataError, UnknownQuestionSetError, UsageError
from judgebench.records import (
    Answer,
    JudgePrompt,
    Judgment,
    PairGame,
    PairScore,
    Question,
    QuestionId,
    RecordError,
    counted,
)
from judgebench.storage.jsonl import Warn, _ignore, read_jsonl
from judgebench.storage.layout import bundled_dir, data_dir

R = TypeVar("R")

if TYPE_CHECKING:
    pass

__all__ = [
    "DEFAULT_REFERENCE_SET",
    "QuestionSet",
    "load_answers",
    "load_judge_prompts",
    "load_judgments",
    "load_pair_games",
    "load_pair_scores",
    "load_questions",
    "parsed_lines",
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
    for number, q in parsed_lines(path, Question.from_dict, "see questions/README.md for the fields"):
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
    for number, answer in parsed_lines(path, Answer.from_dict, warn=warn, torn_tail_ok=True):
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
    for number, prompt in parsed_lines(path, JudgePrompt.from_dict, "see judge_prompts/README.md for the fields"):
        if prompt.name in prompts:
            raise DataError(path, number, f"duplicate prompt name {prompt.name!r}", "names must be unique")
        prompts[prompt.name] = prompt
    if not prompts:
        raise DataError(path, None, "no judge prompts in file", "add one JSON object a line")
    return prompts


def parsed_lines(
    path: Path,
    from_dict: Callable[[Mapping[str, Any]], R],
    fix: str = "fix or delete this line",
    *,
    warn: Warn = _ignore,
    torn_tail_ok: bool = False,
) -> Iterator[tuple[int, R]]:
    """``(line number, record)`` for each line of a JSONL file, read with ``from_dict``, in file order.

    Args:
        path: the JSONL file.
        from_dict: the record's reader (``Judgment.from_dict``…).
        fix: what the error message tells the user to do.
        warn: called with a line about a torn last line (with ``torn_tail_ok``).
        torn_tail_ok: cut a torn last line (a killed writer's) instead of failing.

    Raises:
        DataError: bad JSON, or a line ``from_dict`` rejects, citing ``file:line``.
    """
    for number, obj in read_jsonl(path, warn=warn, torn_tail_ok=torn_tail_ok):
        try:
            yield number, from_dict(obj)
        except RecordError as exc:
            raise DataError(path, number, str(exc), fix) from None


def _load_records(path: Path, from_dict: Callable[[Mapping[str, Any]], R], warn: Warn) -> list[R]:
    """Read one record a line with ``from_dict``, in file order (a torn last line is cut and reported).

    Raises:
        DataError: a line ``from_dict`` rejects, citing ``file:line``.
    """
    return [record for _, record in parsed_lines(path, from_dict, warn=warn, torn_tail_ok=True)]


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
