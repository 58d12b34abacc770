"""Choosing what to ask and how: the questions selected, default temperatures, calls in flight."""

from __future__ import annotations

from collections.abc import Sequence

from judgebench.errors import UsageError
from judgebench.providers import Provider
from judgebench.records import Question

__all__ = [
    "CATEGORY_TEMPERATURES",
    "DEFAULT_PARALLEL",
    "DEFAULT_TEMPERATURE",
    "effective_parallel",
    "select_questions",
    "temperature_for",
]

CATEGORY_TEMPERATURES: dict[str, float] = {
    "writing": 0.7,
    "roleplay": 0.7,
    "extraction": 0.0,
    "math": 0.0,
    "coding": 0.0,
    "reasoning": 0.0,
    "stem": 0.1,
    "humanities": 0.1,
}
"""Default sampling temperature per category, as MT-Bench uses: creative
categories warm, categories with one right answer greedy."""

DEFAULT_TEMPERATURE = 0.7


def temperature_for(category: str) -> float:
    """Default temperature for a category (0.7 for categories we do not know).

    >>> temperature_for("math"), temperature_for("writing"), temperature_for("poetry")
    (0.0, 0.7, 0.7)
    """
    return CATEGORY_TEMPERATURES.get(category, DEFAULT_TEMPERATURE)


def select_questions(questions: Sequence[Question], question_ids: Sequence[str], limit: int | None) -> list[Question]:
    """Apply ``--question-ids`` then ``--limit``.

    >>> qs = [Question(i, "math", ("q",)) for i in (1, 2, 3)]
    >>> [q.question_id for q in select_questions(qs, ["3", "1"], None)]
    [1, 3]
    >>> [q.question_id for q in select_questions(qs, [], 2)]
    [1, 2]
    """
    chosen = list(questions)
    if question_ids:
        known = {str(q.question_id) for q in questions}
        unknown = [i for i in question_ids if i not in known]
        if unknown:
            raise UsageError(f"--question-ids: no question with id {', '.join(unknown)} in this set")
        wanted = set(question_ids)
        chosen = [q for q in chosen if str(q.question_id) in wanted]
    return chosen[:limit] if limit is not None else chosen


DEFAULT_PARALLEL = 8


def effective_parallel(requested: int | None, provider: Provider) -> int:
    """Calls in flight: as requested, else the larger of 8 and what the provider's batching wants
    (its :attr:`~judgebench.providers.ProviderCapabilities.preferred_parallel`).

    >>> from judgebench.providers import ProviderCapabilities
    >>> from judgebench.providers.fake import FakeProvider
    >>> class Batching(FakeProvider):
    ...     capabilities = ProviderCapabilities(preferred_parallel=32, batch_size=8)
    >>> plain, batching = FakeProvider("m"), Batching("m")
    >>> effective_parallel(None, plain), effective_parallel(None, batching), effective_parallel(2, batching)
    (8, 32, 2)
    """
    if requested is not None:
        return requested
    return max(DEFAULT_PARALLEL, provider.capabilities.preferred_parallel)
