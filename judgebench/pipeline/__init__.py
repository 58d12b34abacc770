"""What each command does: load inputs, plan the missing work, run it, append results.

The pipeline never imports rich or typer: it reports through an
:class:`~judgebench.pipeline.observer.Observer` the CLI implements.

- :mod:`judgebench.pipeline.answers`: ``gen-answers``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from judgebench.pipeline.answers import AnswerJob, AnswerRun, gen_answers
    from judgebench.pipeline.observer import NullObserver, Observer
    from judgebench.pipeline.selection import CATEGORY_TEMPERATURES, select_questions, temperature_for

# Imported on first use, so that a command (or --help) loads only the pipeline modules it runs.
_LAZY = {
    "CATEGORY_TEMPERATURES": "selection",
    "AnswerJob": "answers",
    "AnswerRun": "answers",
    "NullObserver": "observer",
    "Observer": "observer",
    "gen_answers": "answers",
    "select_questions": "selection",
    "temperature_for": "selection",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"judgebench.pipeline.{_LAZY[name]}"), name)


__all__ = [
    "CATEGORY_TEMPERATURES",
    "AnswerJob",
    "AnswerRun",
    "NullObserver",
    "Observer",
    "gen_answers",
    "select_questions",
    "temperature_for",
]
