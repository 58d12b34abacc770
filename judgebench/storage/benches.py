"""Which bench a question-set spec or a results folder names, and its questions."""

from __future__ import annotations

from pathlib import Path

from judgebench.errors import UnknownQuestionSetError
from judgebench.storage.loaders import QuestionSet, load_questions, resolve_question_set

__all__ = ["resolve_bench"]


def resolve_bench(spec: str, results_dir: Path) -> tuple[str, QuestionSet | None]:
    """A bench name and its questions from a question-set spec or a bench folder's name.

    A folder of the results dir (e.g. made by ``import fastchat``) counts as a
    bench even when no question set of that name is known; its questions are
    then its own ``question.jsonl``, if it has one.
    """
    try:
        qset = resolve_question_set(spec, results_dir)
    except UnknownQuestionSetError:
        folder = results_dir / spec
        if not folder.is_dir():
            raise
        imported = folder / "question.jsonl"
        return spec, load_questions(imported, spec) if imported.is_file() else None
    return qset.name, qset
