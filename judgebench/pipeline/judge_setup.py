"""A judge run made ready: job checked, inputs loaded, work planned against what is on disk, provider made.

:func:`prepare_run` does everything a run does before its first call (so a bad
input fails before anything is bought or written); the :class:`PreparedRun` it
returns starts the :class:`~judgebench.pipeline.judge_runner.JudgeRunner` that
makes the calls, and tallies the verdicts on disk afterwards. Used by
:func:`judgebench.pipeline.judge.judge` and :func:`judgebench.pipeline.judge_panel.judge_panel`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from judgebench.aliases import resolve_model
from judgebench.errors import UsageError
from judgebench.judging import (
    judge_decoding,
    missing_references,
)
from judgebench.pipeline.judge_identity import JudgePlan, JudgeWork, RecordId
from judgebench.pipeline.judge_job import JudgeJob
from judgebench.pipeline.judge_plan import (
    VotedItem,
    discover_answers,
    judged_models,
    load_prompts,
    plan_judgments,
    voted_items,
)
from judgebench.pipeline.judge_records import (
    FILE_MODES,
    JudgeRecord,
    distinct_calls,
    finished_records,
    latest_statuses,
    still_needed,
)
from judgebench.pipeline.judge_runner import JudgeRun, JudgeRunner
from judgebench.pipeline.observer import Observer
from judgebench.pipeline.presets import apply_preset
from judgebench.pipeline.provenance import RunTally, git_state, new_run_id, question_set_info
from judgebench.pipeline.selection import select_questions
from judgebench.pricing import Budget, load_price_table
from judgebench.providers import BatchProvider, Decoding, Provider, VerdictScorer, create_provider, split_model_id
from judgebench.providers.call_process import PendingProvider, start_call_process
from judgebench.providers.local import local_token_counter, refuse_local_options
from judgebench.records import (
    UNREADABLE,
    Question,
    RunManifest,
    Usage,
    content_hash,
)
from judgebench.storage import (
    JudgeMode,
    QuestionSet,
    judgments_path,
    load_answers,
    load_votes,
    resolve_question_set,
)

__all__ = ["OFFLOAD_CALLS", "PreparedRun", "offloads", "prepare_run"]

OFFLOAD_CALLS = 1000
"""Calls (as :func:`offloads` estimates them) from which an ``openai/`` judge's calls are made in a child
process (:mod:`judgebench.providers.call_process`): there the SDK's client CPU runs on a second core and
its imports overlap loading and planning (``bench/judge_latency.py``: 4,869 calls at 128 in flight). A
smaller run stays in-process: the child's start-up (~0.6 s of CPU) would not pay for itself."""


@dataclass
class PreparedRun:
    """A planned judge run, ready to make its calls."""

    job: JudgeJob
    provider: Provider
    decoding: Decoding
    budget: Budget
    manifest: RunManifest
    path: Path
    todo: list[JudgeWork]
    reuse: dict[str, JudgeRecord]
    skipped: int
    plan: JudgePlan
    bench: str
    estimate: int
    work: list[JudgeWork]
    """Every record the job needs (finished or not)."""
    before: dict[RecordId, str]
    """Status of each planned record's latest record on disk before the run (:func:`latest_statuses`)."""
    retried: int
    """Records of ``todo`` asked again because their verdict on disk was unreadable."""

    def tally_after(self, run: JudgeRun, written: Mapping[RecordId, str]) -> JudgeRun:
        """``run`` with the job's unreadable and readable verdicts on disk now, and the re-asked records.

        Args:
            run: what the runner did.
            written: the runner's :attr:`~judgebench.pipeline.judge_runner.JudgeRunner.written` (the
                latest status of each record it wrote with its current call), laid over the statuses
                on disk before the run: the same as reading the file again, which cost ~0.15 s after
                MT-Bench's 4,960 judgments (the file is locked for the run, so nothing else wrote it).
        """
        after = {**self.before, **written}
        return replace(
            run,
            retried=self.retried,
            unreadable=sum(s in UNREADABLE for s in after.values()),
            verdicts=sum(s == "ok" for s in after.values()),
        )

    def start(
        self, tally: RunTally, observer: Observer, slots: AbstractAsyncContextManager[None] | None = None
    ) -> JudgeRunner:
        """The runner of this run (``slots``: a bound on calls in flight shared with other runs)."""
        return JudgeRunner(self.job, self.provider, self.decoding, observer, self.budget, tally, slots)

    async def run(self, runner: JudgeRunner) -> JudgeRun:
        """Make this run's calls with ``runner`` (made by :meth:`start`); the run's counts and tally."""
        runner.tally.planned = len(self.todo)
        run = await runner.run(
            self.path, self.todo, self.reuse, self.skipped, self.plan, self.bench, self.estimate,
        )  # fmt: skip
        return self.tally_after(run, runner.written)


def prepare_run(
    job: JudgeJob, provider: Provider | None, observer: Observer, make_budget: Callable[..., Budget]
) -> PreparedRun | JudgeRun:
    """Check and plan one judge's run; a dry run's :class:`JudgeRun` for ``dry_run``."""
    job = apply_preset(job)
    job.check()
    if provider is None:
        job = replace(job, judge=resolve_model(job.judge))
        refuse_local_options(job.judge, job.provider_options.local)
    qset = resolve_question_set(job.questions, job.results_dir, reference_set=job.references)
    questions = select_questions(qset.questions, job.question_ids, job.limit)
    _check_references(job, qset.name, qset.references, qset.notes, questions, observer)
    prices = load_price_table(job.prices, builtin=job.provider_options.base_url is None)
    budget = make_budget(job.judge, prices, job.max_cost, batch=job.batch)
    available = discover_answers(job.results_dir, qset.name, observer.note)
    voted = voted_items(load_votes(job.pairs_from)) if job.pairs_from is not None else None
    models = judged_models(job, available, voted or ())
    pending = (
        start_call_process(job.judge, job.provider_options)
        if offloads(job, provider, questions, models, voted)
        else None
    )
    try:
        return _prepare(job, provider, pending, observer, qset, questions, budget, available, voted, models)
    except BaseException:
        if pending is not None:
            pending.close()
        raise


def offloads(
    job: JudgeJob,
    provider: Provider | None,
    questions: Sequence[Question],
    models: Sequence[str],
    voted: Collection[VotedItem] | None,
) -> bool:
    """Whether the run's calls go to a child process (:mod:`judgebench.providers.call_process`).

    Decided before answers are loaded, from a cheap estimate of the calls: models × turns for
    ``single``; pairs (with the baseline, or all) × turns × 2 orders for ``pairwise`` and
    ``pair-score``; voted items × 2 (both orders, or both models' grades) for ``pairs_from``. Only
    for ``openai/`` judges built here (no ``provider`` passed in), with text verdicts, not
    ``dry_run`` or ``batch``, on POSIX systems (asyncio reads pipes there) with a second core to run
    the child on, and an estimate of at least :data:`OFFLOAD_CALLS`. Answers already judged count
    too: a resumed run's child is started as the first run's was.
    """
    if provider is not None or job.dry_run or job.batch or job.verdict_mode != "text":
        return False
    if split_model_id(job.judge)[0] != "openai" or os.name != "posix" or _cores() < 2:
        return False
    turns = sum(len(q.turns) for q in questions)
    if voted is not None:
        estimate = len(voted) * 2  # both orders of a pair, or both models' grades
    elif job.mode == "single":
        estimate = len(models) * turns
    else:
        n = len(set(models))
        pairs = n * (n - 1) // 2 if job.all_pairs else n - 1
        estimate = pairs * turns * 2
    return estimate >= OFFLOAD_CALLS


def _cores() -> int:
    """CPU cores this process may run on (its affinity where the system reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - no affinity on this system (macOS)
        return os.cpu_count() or 1


def _prepare(
    job: JudgeJob,
    provider: Provider | None,
    pending: PendingProvider | None,
    observer: Observer,
    qset: QuestionSet,
    questions: list[Question],
    budget: Budget,
    available: Mapping[str, Path],
    voted: set[VotedItem] | None,
    models: list[str],
) -> PreparedRun | JudgeRun:
    """:func:`prepare_run` from loading the answers on (``pending``: the child making the calls, if any)."""
    answers = {m: load_answers(available[m]) for m in models}
    decoding = replace(judge_decoding(job.temperature, job.max_tokens), reasoning_effort=job.reasoning_effort)
    prompts = load_prompts(job.prompts)
    plan = plan_judgments(job, prompts, questions, answers, decoding, voted)
    work, missing = plan.work, plan.missing
    mode: JudgeMode = FILE_MODES[job.mode]
    path = judgments_path(job.results_dir, qset.name, job.judge, mode)
    finished = finished_records(path, mode, observer.note)
    todo, reuse = still_needed(work, finished, retry_unparsed=job.retry_unparsed)
    before = latest_statuses(work, finished)
    retried = sum(before.get(w.identity) in UNREADABLE for w in todo)
    buy = distinct_calls(w for w in todo if w.key not in reuse)
    count = local_token_counter(job.judge) if job.dry_run else None  # the judge's tokenizer, if local
    estimate = sum(count(m.content) if count else len(m.content) // 4 for w in buy for m in w.messages)
    if job.dry_run:
        bound = Usage(len(buy), estimate, len(buy) * job.max_tokens)
        return JudgeRun(
            path, qset.name, len(todo), len(work) - len(todo), 0, 0, 0, missing, bound, estimate,
            cost_usd=budget.cost(bound), reused=len(todo) - len(buy), calls=len(buy), unanswered=plan.unanswered,
            retried=retried, unreadable=sum(s in UNREADABLE for s in before.values()),
            verdicts=sum(s == "ok" for s in before.values()), requests=len(buy),
        )  # fmt: skip
    if provider is None:
        provider = pending.ready() if pending is not None else create_provider(job.judge, job.provider_options)
    if job.batch and not isinstance(provider, BatchProvider):
        raise UsageError(f"--batch: {job.judge} has no batch API here (openai/ and anthropic/ models have one)")
    if job.reasoning_effort is not None and not provider.capabilities.accepts_reasoning_effort:
        raise UsageError(
            f"--reasoning-effort: judge {job.judge}'s API has no reasoning effort setting "
            "(openai/ models take it) — leave the option out"
        )
    if job.verdict_mode == "logprobs" and not isinstance(provider, VerdictScorer):
        raise UsageError(
            f"--verdict logprobs: judge {job.judge} cannot report token probabilities — use --verdict text"
        )
    manifest = RunManifest(
        run_id=new_run_id("judge"),
        kind="judge",
        bench=qset.name,
        question_set=question_set_info(qset),
        models=tuple(answers),
        judge=job.judge,
        mode=job.mode,
        baseline=job.baseline,
        prompts={name: content_hash(p.to_dict()) for name, p in sorted(prompts.items())},
        decoding={
            "temperature": decoding.temperature,
            "max_tokens": decoding.max_tokens,
            "reasks": job.reasks,
            **({"reasoning_effort": job.reasoning_effort} if job.reasoning_effort else {}),
        },
        options={
            "parallel": job.parallel,
            "limit": job.limit,
            "all_pairs": job.all_pairs,
            "max_cost": job.max_cost,
            "batch": job.batch,
            "pairs_from": str(job.pairs_from) if job.pairs_from is not None else None,
        },
        git=git_state(),
    )
    return PreparedRun(
        job, provider, decoding, budget, manifest, path, todo, reuse, len(work) - len(todo), plan, qset.name, estimate,
        work, before, retried,
    )  # fmt: skip


_LISTED = 20
"""Reference-less turns named in a note before the rest are only counted."""


def _check_references(
    job: JudgeJob,
    bench: str,
    source: str,
    notes: Sequence[str],
    questions: Sequence[Question],
    observer: Observer,
) -> None:
    """Say which reference set is used; name every reference-guided turn without a reference.

    Raises:
        UsageError: with ``require_references``, when any such turn lacks one.
    """
    observer.note(f"references of {bench}: {source}")
    for note in notes:
        observer.note(note)
    lacking = missing_references(questions, job.reference_categories)
    if not lacking:
        return
    named = [f"question {q.question_id} turn {turn} ({q.category})" for q, turn in lacking]
    listed = "; ".join(named)
    if job.require_references:
        raise UsageError(
            f"--require-references: no reference answer for {listed} — add them to the reference set "
            "(reference_answer/<name>.jsonl or the questions' 'reference' field) or leave out these questions"
        )
    shown = "; ".join(named[:_LISTED]) + (f"; … {len(named)} turns in all" if len(named) > _LISTED else "")
    observer.note(f"no reference answer for {shown}: judged without a reference (--require-references refuses instead)")
