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

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from judgebench.aliases import resolve_model
from judgebench.errors import BudgetReached, JudgebenchError, UsageError
from judgebench.pipeline.observer import NullObserver, Observer
from judgebench.pipeline.provenance import RunTally, git_state, new_run_id, question_set_info, recorded_run
from judgebench.pipeline.selection import effective_parallel, select_questions, temperature_for
from judgebench.pricing import Budget, load_price_table
from judgebench.providers import Decoding, Provider, ProviderOptions, create_provider
from judgebench.providers.local import local_token_counter, refuse_local_options
from judgebench.providers.retry import CallFailed, CircuitBreaker, RetryPolicy, complete_with_retry
from judgebench.reasoning import split_reasoning
from judgebench.records import Answer, Choice, Message, Question, RunManifest, Usage, content_hash, counted
from judgebench.storage import (
    DEFAULT_QUESTION_SET,
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


def _generation(job: AnswerJob, question: Question) -> dict[str, object]:
    """The settings that decide an answer's text (its first choice's), as stored in the record."""
    temperature = job.temperature if job.temperature is not None else temperature_for(question.category)
    wanted: dict[str, object] = {"temperature": temperature, "max_tokens": job.max_tokens, "seed": job.seed}
    wanted["system"] = job.system
    if job.stop:  # only recorded when used, so answers made before stop strings existed stay valid
        wanted["stop"] = list(job.stop)
    if job.keep_reasoning:
        wanted["keep_reasoning"] = True
    return wanted


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
    wanted = _generation(job, question)
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
        return asyncio.run(_gen_answers(job, qset.name, selected, provider, observer, budget, tally))


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
                runner = _Runner(job, name, provider, journal, out, observer, budget, tally)
                try:
                    async with asyncio.TaskGroup() as group:
                        for q in todo:
                            group.create_task(runner.answer(q))
                except* JudgebenchError as eg:
                    raise eg.exceptions[0] from None
    finally:
        await provider.aclose()
    if runner.stopped:
        saved = runner.answered + len(runner.failures)
        raise BudgetReached(
            f"--max-cost ${job.max_cost:.2f} reached (spent ${budget.spent:.4f}): {saved} of "
            f"{counted(len(todo), 'answer')} saved — rerun with a higher --max-cost to resume"
        )
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


class _BudgetStop(Exception):
    """No new call may start: ``--max-cost`` is reached."""


class _Runner:
    """Answers questions; shared state of one run."""

    def __init__(
        self,
        job: AnswerJob,
        name: str,
        provider: Provider,
        journal: CallJournal,
        out: JsonlAppender,
        observer: Observer,
        budget: Budget,
        tally: RunTally,
    ) -> None:
        self.job = job
        self.name = name
        self.provider = provider
        self.journal = journal
        self.out = out
        self.observer = observer
        self.budget = budget
        self.tally = tally
        self.slots = asyncio.Semaphore(effective_parallel(job.parallel, provider))
        self.breaker = CircuitBreaker()
        self.usage = Usage()
        self.answered = 0
        self.journal_hits = 0
        self.failures: list[str] = []
        self.stopped = False

    def _decoding(self, question: Question, choice: int) -> Decoding:
        temperature = self.job.temperature if self.job.temperature is not None else temperature_for(question.category)
        seed = None if self.job.seed is None else self.job.seed + choice
        return Decoding(temperature=temperature, max_tokens=self.job.max_tokens, seed=seed, stop=self.job.stop)

    async def _call(self, messages: list[Message], decoding: Decoding, choice: int) -> tuple[str, str | None, Usage]:
        key = content_hash(
            {
                "model": self.provider.model_id,
                "messages": [m.to_dict() for m in messages],
                "decoding": [decoding.temperature, decoding.max_tokens, decoding.seed, list(decoding.stop)],
                "choice": choice,
            }
        )
        cached = self.journal.get(key)
        if cached is not None:
            self.journal_hits += 1
            return cached["text"], cached.get("reasoning"), Usage()
        if self.budget.exhausted:
            raise _BudgetStop
        completion = await complete_with_retry(
            self.provider, messages, decoding, self.job.retry, on_retry=self.observer.retry, breaker=self.breaker
        )
        self.journal.put(
            key,
            {
                "model": self.provider.model_id,
                "text": completion.text,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
                "finish_reason": completion.finish_reason,
                "reasoning": completion.reasoning,
                "tstamp": time.time(),
            },
        )
        cost = completion.usage
        self.budget.add(cost)
        self.tally.usage += cost
        self.tally.cost_usd = self.budget.cost(self.tally.usage)
        return completion.text, completion.reasoning, cost

    def _final(self, text: str, apart: str | None) -> tuple[str, str]:
        r"""The turn's answer (shown to judges and sent back next turn) and its reasoning.

        >>> r = _Runner.__new__(_Runner)
        >>> r.job = AnswerJob("fake/m")
        >>> r._final("<think>\n17*23 = 391\n</think>\n\n391.", None)
        ('391.', '17*23 = 391')
        >>> r._final("391.", "17*23 = 391")
        ('391.', '17*23 = 391')
        >>> r.job = AnswerJob("fake/m", keep_reasoning=True)
        >>> r._final("391.", "17*23 = 391")
        ('<think>\n17*23 = 391\n</think>\n\n391.', '17*23 = 391')
        """
        split = split_reasoning(text)
        reasoning = apart or split.reasoning
        if not self.job.keep_reasoning:
            return split.answer, reasoning
        if apart:
            return f"<think>\n{apart}\n</think>\n\n{text}", reasoning
        return text, reasoning

    async def answer(self, question: Question) -> None:
        try:
            await self._answer(question)
        except _BudgetStop:
            self.stopped = True  # finished turns are in the journal; the next run picks up from there

    async def _answer(self, question: Question) -> None:
        async with self.slots:
            choices: list[Choice] = []
            spent = Usage()
            error: str | None = None
            for index in range(self.job.num_choices):
                decoding = self._decoding(question, index)
                messages = [Message("system", self.job.system)] if self.job.system else []
                turns: list[str] = []
                raw: list[str] = []
                reasoning: list[str] = []
                for number, prompt in enumerate(question.turns, start=1):
                    messages.append(Message("user", prompt))
                    try:
                        text, apart, cost = await self._call(messages, decoding, index)
                    except CallFailed as exc:
                        error = f"turn {number}: {exc.reason}"
                        break
                    spent += cost
                    answer, thought = self._final(text, apart)
                    turns.append(answer)
                    raw.append(text)
                    reasoning.append(thought)
                    messages.append(Message("assistant", answer))
                choices.append(Choice(index, tuple(turns), tuple(raw), tuple(reasoning)))
                if error:
                    break
            record = Answer(
                question_id=question.question_id,
                model_id=self.name,
                model=self.provider.model_id,
                choices=tuple(choices),
                status="failed" if error else "ok",
                error=error,
                question_hash=question.content_hash,
                answer_id=uuid.uuid4().hex,
                tstamp=time.time(),
                generation={**_generation(self.job, question), "num_choices": self.job.num_choices},
                usage=spent,
            )
            self.out.append(record.to_dict())
            self.usage += spent
            self.tally.done += 1
            if error:
                self.failures.append(f"question {question.question_id}: {error}")
                self.tally.failed += 1
            else:
                self.answered += 1
            self.observer.advance(failed=error is not None, usage=spent)
