"""``gen-answers``: answer every question not yet answered, appending records as they finish.

Model calls run concurrently under an
``asyncio.Semaphore`` of ``parallel`` slots (one slot per question in flight,
its turns asked in order), each through the single retry loop. In-process
models batch the calls that are in flight together, so their default
parallelism is the provider's ``preferred_parallel`` (several batches' worth)
rather than 8. Every
finished call is journaled before the next one starts, so a crash or Ctrl-C
loses at most the calls in flight and a rerun never pays twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from judgebench.aliases import resolve_model
from judgebench.errors import UsageError
from judgebench.pipeline.answer_job import AnswerJob
from judgebench.pipeline.answer_runner import AnswerRunner, generation
from judgebench.pipeline.call_runs import run_calls, run_each
from judgebench.pipeline.observer import NullObserver, Observer
from judgebench.pipeline.provenance import RunTally, git_state, new_run_id, question_set_info, recorded_run
from judgebench.pipeline.selection import select_questions
from judgebench.pricing import Budget, load_price_table
from judgebench.providers import Provider, create_provider
from judgebench.providers.local import local_token_counter, refuse_local_options
from judgebench.records import Answer, Question, RunManifest, Usage
from judgebench.storage import (
    CallJournal,
    JsonlAppender,
    Warn,
    answers_path,
    calls_path,
    load_answers,
    resolve_question_set,
)

__all__ = ["AnswerJob", "AnswerRun", "gen_answers"]


@dataclass(frozen=True)
class AnswerRun:
    """What a ``gen-answers`` run did."""

    path: Path
    bench: str
    model_id: str
    selected: int
    skipped: int
    answered: int
    failed: int
    usage: Usage
    journal_hits: int
    failures: tuple[str, ...] = ()
    cost_usd: float | None = None
    """Dollars spent (estimated, for a dry run); ``None`` if the model's price is unknown."""
    dry_run: bool = False
    """``usage`` is then an upper-bound estimate of what the run would spend."""


def _is_done(answer: Answer | None, question: Question, job: AnswerJob) -> bool:
    """Whether ``answer`` already answers ``question`` as ``job`` would.

    An answer made for an edited question, or by another model, or with another
    system prompt, temperature, token limit or seed, is stale and is answered again (calls
    whose messages and settings are unchanged still come free from the
    journal). Answers imported without these fields are taken as they are.
    """
    if answer is None or answer.status != "ok":
        return False
    if answer.question_hash and answer.question_hash != question.content_hash:
        return False  # the question was edited since
    wanted = generation(job, question)
    if answer.generation and (
        answer.model != job.model or any(answer.generation.get(k) != v for k, v in wanted.items())
    ):
        return False
    complete = [c for c in answer.choices if len(c.turns) >= len(question.turns)]
    return len(complete) >= job.num_choices


def _existing(path: Path, name: str, warn: Warn) -> dict[str, Answer]:
    """The answers already in ``path``, checked to be ``name``'s."""
    existing = load_answers(path, warn=warn) if path.exists() else {}
    mismatched = {a.model_id for a in existing.values()} - {name}
    if mismatched:
        raise UsageError(
            f"{path} holds answers of {mismatched.pop()!r}, not {name!r} — pass another --name or --results-dir"
        )
    return existing


def _estimate(job: AnswerJob, todo: Sequence[Question], budget: Budget) -> AnswerRun:
    """Upper bounds for a dry run: every turn may use ``max_tokens``, and later turns carry them.

    Prompt tokens are counted with the model's own tokenizer for in-process
    models whose files are here, else estimated at four characters a token.
    """
    count = local_token_counter(job.model) or (lambda text: len(text) // 4)
    calls = sum(len(q.turns) for q in todo) * job.num_choices
    system = count(job.system or "")
    input_tokens = output_tokens = 0
    for q in todo:
        for k in range(1, len(q.turns) + 1):
            prompt = system + sum(count(t) for t in q.turns[:k]) + (k - 1) * job.max_tokens
            input_tokens += prompt * job.num_choices
            output_tokens += job.max_tokens * job.num_choices
    usage = Usage(calls, input_tokens, output_tokens)
    return AnswerRun(
        path=answers_path(job.results_dir, "", job.name or job.model),
        bench="",
        model_id=job.name or job.model,
        selected=len(todo),
        skipped=0,
        answered=0,
        failed=0,
        usage=usage,
        journal_hits=0,
        cost_usd=budget.cost(usage),
        dry_run=True,
    )


def gen_answers(job: AnswerJob, *, provider: Provider | None = None, observer: Observer | None = None) -> AnswerRun:
    """Answer every selected question not yet answered; append records as they finish.

    Args:
        job: what to run.
        provider: a ready provider (tests inject one); default: built from ``job.model``.
        observer: progress sink.

    Raises:
        JudgebenchError: bad input (before anything is written) or a failure
            that stops the run (e.g. a rejected key); finished work stays saved.
        BudgetReached: ``max_cost`` was reached; finished work stays saved.
    """
    job.check()
    if provider is None:
        job = replace(job, model=resolve_model(job.model))
        refuse_local_options(job.model, job.provider_options.local)
    observer = observer or NullObserver()
    qset = resolve_question_set(job.questions, job.results_dir)
    selected = select_questions(qset.questions, job.question_ids, job.limit)
    budget = Budget(
        job.model, load_price_table(job.prices, builtin=job.provider_options.base_url is None), job.max_cost
    )
    name = job.name or job.model
    if job.dry_run:
        existing = _existing(answers_path(job.results_dir, qset.name, name), name, observer.note)
        todo = [q for q in selected if not _is_done(existing.get(str(q.question_id)), q, job)]
        estimate = _estimate(job, todo, budget)
        return replace(
            estimate,
            path=answers_path(job.results_dir, qset.name, name),
            bench=qset.name,
            selected=len(selected),
            skipped=len(selected) - len(todo),
        )
    provider = provider or create_provider(job.model, job.provider_options)
    manifest = RunManifest(
        run_id=new_run_id("answers"),
        kind="answers",
        bench=qset.name,
        question_set=question_set_info(qset),
        models=(name,),
        decoding={
            "temperature": job.temperature if job.temperature is not None else "per category",
            "max_tokens": job.max_tokens,
            "seed": job.seed,
            "num_choices": job.num_choices,
            "system": job.system,
        },
        options={"model": job.model, "parallel": job.parallel, "limit": job.limit, "max_cost": job.max_cost},
        git=git_state(),
    )
    with recorded_run(job.results_dir, manifest) as tally:
        return run_calls(_gen_answers(job, qset.name, selected, provider, observer, budget, tally))


async def _gen_answers(
    job: AnswerJob,
    bench: str,
    selected: list[Question],
    provider: Provider,
    observer: Observer,
    budget: Budget,
    tally: RunTally,
) -> AnswerRun:
    name = job.name or job.model
    path = answers_path(job.results_dir, bench, name)
    try:
        with JsonlAppender(path, warn=observer.note) as out:
            existing = _existing(path, name, observer.note)
            todo = [q for q in selected if not _is_done(existing.get(str(q.question_id)), q, job)]
            tally.planned = len(todo)
            observer.start(len(todo), len(selected) - len(todo))
            with CallJournal(calls_path(job.results_dir, bench, name), warn=observer.note) as journal:
                runner = AnswerRunner(job, name, provider, journal, out, observer, budget, tally)
                await run_each(todo, runner.answer, runner.width)
    finally:
        await provider.aclose()
    if runner.stopped:
        raise runner.budget_reached(job.max_cost, runner.answered + len(runner.failures), len(todo), "answer")
    return AnswerRun(
        path=path,
        bench=bench,
        model_id=name,
        selected=len(selected),
        skipped=len(selected) - len(todo),
        answered=runner.answered,
        failed=len(runner.failures),
        usage=runner.usage,
        journal_hits=runner.journal_hits,
        failures=tuple(runner.failures),
        cost_usd=budget.cost(runner.usage),
    )
