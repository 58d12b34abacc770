"""``JudgeJob``: every option of a judge run, with its defaults (declared once, here) and its checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from judgebench.errors import UsageError
from judgebench.judging import (
    REFERENCE_CATEGORIES,
)
from judgebench.providers import ProviderOptions
from judgebench.providers.local import is_local_model
from judgebench.providers.options import RetryPolicy
from judgebench.storage import DEFAULT_QUESTION_SET

__all__ = ["DEFAULT_PROMPTS", "JudgeJob"]

DEFAULT_PROMPTS = "jb-v1"
"""The bundled judge-prompt file used unless ``--prompts`` names another."""


@dataclass(frozen=True)
class JudgeJob:
    """Everything ``judge`` needs.

    Attributes:
        judge: the judge's ``provider/model`` id.
        mode: ``single`` (1–10 grades), ``pairwise`` (both orders) or ``pair-score``
            (both answers in one prompt, a 1–10 score for each; both orders).
        questions: question set name or path; its name is the bench.
        results_dir: root of the results tree.
        models: names of the judged models (default: every answers file).
        baseline: pairwise, pair-score: compare each model with this one (``model_1``).
        all_pairs: pairwise, pair-score: compare every pair of models.
        prompts: judge-prompt file (default: the bundled ``jb-v1``).
        parallel: judge calls in flight (``None``: 8, or what an in-process judge wants).
        temperature: judge temperature (0: deterministic).
        max_tokens: judge reply limit.
        reasks: follow-ups asking for the verdict after an unparsable reply.
        reference_categories: categories judged against reference answers.
        limit: judge only the first N questions.
        question_ids: judge only these questions.
        dry_run: plan and count, make no call.
        verdict: ``text`` (parse the reply), ``logprobs`` (read token probabilities),
            ``auto`` (logprobs for in-process judges, text otherwise).
        provider_options: base URL, timeout, key variable of the judge.
        retry: retry bounds per call.
        max_cost: stop starting judge calls once this many dollars are spent.
        prices: a price file overriding the built-in table.
        batch: use the vendor's batch API (half price; no re-asks).
        batch_poll: seconds between looks at a running batch.
        batch_wait: seconds to wait for a batch before leaving it to a later run.
        reasoning_effort: a reasoning judge's effort (OpenAI's ``reasoning_effort``), if set.
        references: the reference set to use: a file of the bench's
            ``reference_answer/`` (``gpt-4``) or a path; default: ``gpt-4`` or
            the only one, else the questions' inline ``reference`` fields.
        require_references: refuse to judge when a reference-guided question
            lacks a reference answer for a turn.
        preset: ``mt-bench``: FastChat's official setup (see
            :mod:`judgebench.pipeline.presets`).
        pairs_from: pairwise: judge exactly the (question, turn, model pair)
            items of this votes file (e.g. ``mt-bench-human``'s
            ``votes/human.jsonl``), instead of ``baseline``/``all_pairs``;
            single: grade exactly the (question, turn, model) answer turns
            those items show, no other turn.
        retry_unparsed: ask again the records whose latest reply on disk had
            no readable verdict (``unparsed``/``truncated``); see :mod:`judgebench.pipeline.judge_identity`.
    """

    judge: str
    mode: Literal["single", "pairwise", "pair-score"] = "single"
    questions: str = DEFAULT_QUESTION_SET
    results_dir: Path = Path("results")
    models: tuple[str, ...] = ()
    baseline: str | None = None
    all_pairs: bool = False
    prompts: str = DEFAULT_PROMPTS
    parallel: int | None = None
    temperature: float = 0.0
    max_tokens: int = 2048
    reasks: int = 2
    reference_categories: frozenset[str] = REFERENCE_CATEGORIES
    limit: int | None = None
    question_ids: tuple[str, ...] = ()
    dry_run: bool = False
    verdict: Literal["auto", "text", "logprobs"] = "auto"
    provider_options: ProviderOptions = field(default_factory=ProviderOptions)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_cost: float | None = None
    prices: Path | None = None
    batch: bool = False
    batch_poll: float = 30.0
    batch_wait: float = 24 * 3600.0
    reasoning_effort: str | None = None
    references: str | None = None
    require_references: bool = False
    preset: str | None = None
    pairs_from: Path | None = None
    retry_unparsed: bool = False

    @property
    def verdict_mode(self) -> Literal["text", "logprobs"]:
        """``verdict`` with ``auto`` decided by the judge: probabilities where the engine computes them.

        In-process judges on the transformers engine read verdicts from their logits;
        the vLLM engine has no probability-verdict path, so ``auto`` reads its text,
        and so does paired scoring (two scores have no single-token reading).
        """
        if self.verdict == "auto":
            scorable = is_local_model(self.judge) and not self._vllm and self.mode != "pair-score"
            return "logprobs" if scorable else "text"
        return self.verdict

    @property
    def _vllm(self) -> bool:
        return is_local_model(self.judge) and self.provider_options.local.engine == "vllm"

    def check(self) -> None:
        """Reject option combinations that cannot work."""
        if not self.judge:
            raise UsageError("--judge is required (e.g. --judge openai/gpt-4o), unless --preset names one")
        if self.max_cost is not None and self.max_cost <= 0:
            raise UsageError(f"--max-cost {self.max_cost}: must be more than 0 dollars")
        if self.parallel is not None and self.parallel < 1:
            raise UsageError(f"--parallel {self.parallel}: must be at least 1")
        if self.reasks < 0:
            raise UsageError(f"--reasks {self.reasks}: must be 0 or more")
        if self.verdict == "logprobs" and self._vllm:
            raise UsageError(
                "--verdict logprobs: the vLLM engine has no probability verdicts — use --verdict text "
                "(or auto), or --engine transformers"
            )
        if self.verdict == "logprobs" and self.batch:
            raise UsageError("--verdict logprobs cannot be used with --batch — use --verdict text")
        designs = (self.baseline is not None) + self.all_pairs + (self.pairs_from is not None)
        if self.mode == "pairwise" and designs != 1:
            raise UsageError(
                "--mode pairwise needs exactly one of --baseline MODEL or --all-pairs (or --pairs-from VOTES)"
            )
        if self.mode == "pair-score" and self.pairs_from is not None:
            raise UsageError("--pairs-from is for --mode pairwise; with pair-score use --baseline MODEL or --all-pairs")
        if self.mode == "pair-score" and designs != 1:
            raise UsageError("--mode pair-score needs exactly one of --baseline MODEL or --all-pairs")
        if self.mode == "single" and (self.baseline is not None or self.all_pairs):
            raise UsageError("--baseline and --all-pairs are for --mode pairwise (or pair-score)")
        if self.mode == "pair-score" and self.verdict == "logprobs":
            raise UsageError(
                "--verdict logprobs: paired scoring's two scores have no probability reading — use --verdict text"
            )
        if self.mode == "pair-score" and self.preset is not None:
            raise UsageError(f"--preset {self.preset}: FastChat's setup has no paired scoring — drop --preset")
        if not self.batch and (self.batch_poll != 30.0 or self.batch_wait != 24 * 3600.0):
            raise UsageError("--batch-poll and --batch-wait are for --batch runs; add --batch or drop them")
