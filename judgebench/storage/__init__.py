"""Files: JSON Lines reading and appending, result paths, question sets, resume data.

Layout of a results directory::

    results/<bench>/answers/<model-slug>.jsonl   one Answer per question (last line wins)
    results/<bench>/calls/<model-slug>.jsonl     one line per finished model call (the journal)

Every line is appended whole with one ``write`` and then flushed and fsynced,
so a killed run loses at most the calls in flight. A torn last line (from a
crash mid-write, by an older version or another tool) is reported and, before
we append, cut off so that it can never glue itself to the next record.
Readers cite ``file:line`` in every error. We parse with the standard ``json``
module rather than a JSON Lines library to keep byte-exact control of line
numbers, UTF-8 errors and torn tails; reports read pair games in bulk with
orjson (:func:`load_game_table`), falling back to that reader for exact errors.

Storage also owns which bench a spec names (:func:`resolve_bench`), the batch
journals' paths (:func:`batches_path`) and FastChat's file formats
(:mod:`judgebench.storage.fastchat`, import and export).
"""

from typing import TYPE_CHECKING

from judgebench.storage.benches import resolve_bench
from judgebench.storage.files import FilePlan, replace_file
from judgebench.storage.jsonl import CallJournal, HoldsAppender, JsonlAppender, Warn, read_jsonl
from judgebench.storage.layout import (
    DEFAULT_QUESTION_SET,
    JudgeMode,
    answers_path,
    batches_path,
    bundled_dir,
    calls_path,
    data_dir,
    judgments_path,
    model_slug,
)
from judgebench.storage.loaders import (
    DEFAULT_REFERENCE_SET,
    QuestionSet,
    load_answers,
    load_judge_prompts,
    load_judgments,
    load_pair_games,
    load_pair_scores,
    load_questions,
    parsed_lines,
    reference_file,
    resolve_question_set,
)
from judgebench.storage.manifests import load_manifests, runs_dir, write_manifest
from judgebench.storage.votes import load_votes

__all__ = [
    "DEFAULT_QUESTION_SET",
    "DEFAULT_REFERENCE_SET",
    "CallJournal",
    "FilePlan",
    "HoldsAppender",
    "JsonlAppender",
    "JudgeMode",
    "QuestionSet",
    "Warn",
    "answers_path",
    "batches_path",
    "bundled_dir",
    "calls_path",
    "data_dir",
    "judgments_path",
    "load_answers",
    "load_game_table",
    "load_judge_prompts",
    "load_judgments",
    "load_manifests",
    "load_pair_games",
    "load_pair_scores",
    "load_questions",
    "load_votes",
    "model_slug",
    "parsed_lines",
    "read_jsonl",
    "reference_file",
    "replace_file",
    "resolve_bench",
    "resolve_question_set",
    "runs_dir",
    "write_manifest",
]

if TYPE_CHECKING:
    from judgebench.storage.game_table import load_game_table


def __getattr__(name: str) -> object:
    """:func:`load_game_table` on first use: the game-table modules load with reports, not with ``--help``."""
    if name == "load_game_table":
        from judgebench.storage.game_table import load_game_table

        return load_game_table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
