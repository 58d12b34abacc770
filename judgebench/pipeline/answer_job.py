"""``AnswerJob``: every option of a ``gen-answers`` run, with its defaults (declared once, here) and its checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from judgebench.errors import UsageError
from judgebench.providers import ProviderOptions
from judgebench.providers.options import RetryPolicy
from judgebench.storage import (
    DEFAULT_QUESTION_SET,
)

__all__ = ["AnswerJob"]


@dataclass(frozen=True)
class AnswerJob:
    """Everything ``gen-answers`` needs.

    Attributes:
        model: ``provider/model`` id.
        questions: a question-set name or a JSONL path.
        results_dir: root of the results tree.
        name: the name answers are filed under (default: the resolved model id).
        parallel: questions in flight at once; ``None``: 8, or what an in-process
            model's batching wants (its ``preferred_parallel``).
        max_tokens: new-token limit per turn.
        temperature: fixed temperature; ``None`` uses :data:`CATEGORY_TEMPERATURES`.
        num_choices: conversations sampled per question.
        seed: base sampling seed (choice *i* uses ``seed + i``), if any.
        limit: answer only the first N selected questions.
        question_ids: answer only these ids.
        system: optional system prompt.
        stop: stop strings ending each reply.
        provider_options: base URL, timeout, key variable.
        retry: retry bounds for each call.
        max_cost: stop starting calls once this many dollars are spent.
        prices: a price file overriding the built-in table.
        dry_run: estimate calls, tokens and cost; call nothing, write nothing.
        keep_reasoning: keep a reasoning model's ``<think>…</think>`` block (or the
            reasoning its API sent apart, as such a block) in the answer, so that the
            judge sees it and the model gets it back in later turns; by default only
            the final answer is kept there and the reasoning is stored beside it.
    """

    model: str
    questions: str = DEFAULT_QUESTION_SET
    results_dir: Path = Path("results")
    name: str | None = None
    parallel: int | None = None
    max_tokens: int = 1024
    temperature: float | None = None
    num_choices: int = 1
    seed: int | None = None
    limit: int | None = None
    question_ids: tuple[str, ...] = ()
    system: str | None = None
    stop: tuple[str, ...] = ()
    provider_options: ProviderOptions = field(default_factory=ProviderOptions)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_cost: float | None = None
    prices: Path | None = None
    dry_run: bool = False
    keep_reasoning: bool = False

    def check(self) -> None:
        """Reject option values that cannot work."""
        if self.max_cost is not None and self.max_cost <= 0:
            raise UsageError(f"--max-cost {self.max_cost}: must be more than 0 dollars")
        for option, value, low in (
            ("--parallel", 1 if self.parallel is None else self.parallel, 1),
            ("--max-tokens", self.max_tokens, 1),
            ("--num-choices", self.num_choices, 1),
        ):
            if value < low:
                raise UsageError(f"{option} {value}: must be at least {low}")
        if self.limit is not None and self.limit < 1:
            raise UsageError(f"--limit {self.limit}: must be at least 1")
        if self.temperature is not None and not 0.0 <= self.temperature <= 2.0:
            raise UsageError(f"--temperature {self.temperature}: must be between 0 and 2")
