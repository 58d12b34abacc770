"""``judge``: grade answers (single), compare them in both orders (pairwise), or score both in one prompt.

Paired scoring (``mode="pair-score"``, the Vicuna evaluation's design) shows both
answers in one prompt and reads a 1–10 score for each (``[[8, 6]]``), in both
orders; each game is a :class:`~judgebench.records.PairScore` with the scores
mapped back to the pair (``score_1`` is ``model_1``'s whichever was shown first).

Planning renders every judge message the run needs; each record is keyed by
what it is about and each call by its content (the identity model is described
in :mod:`judgebench.pipeline.judge_plan`). A record already on disk for the
same call with a verdict — or with a reply no parser could read, which
re-asking would buy again — is skipped, so a finished run makes zero
calls and editing one prompt or one answer re-judges exactly what it touches;
``retry_unparsed`` (``--retry-unparsed``) asks the unreadable ones again, and
only those (the rule is in :mod:`judgebench.pipeline.judge_plan`).
A record whose call was already made (for another model whose answer has the
same text, or for the same pair game named the other way round) copies that
verdict and is marked ``reused``; within a run each distinct call is made once.
Each prompt's ``output_format`` names its :class:`~judgebench.judging.verdicts.VerdictFormat`,
whose reader takes the final verdict of the reply's final answer. A judge reply
without a readable verdict is re-asked up to ``reasks`` times in the same
conversation — a reply cut off at its token limit counts as none, and its re-ask
gets twice the budget; each re-asked reply is kept on the record with its reason.
After that the judgment is stored as ``unparsed`` (``truncated`` when the last
reply was cut off) with its raw text. A call that fails is stored as ``failed``
and retried by the next run.

With ``verdict="logprobs"`` (the default for in-process judges on the
transformers engine) the judge is asked for the verdict alone and the verdict
is read from its token probabilities right after ``[[``
(:class:`~judgebench.providers.VerdictScorer`): the expected grade over 1–10,
or the most probable of A, B and tie, with the distribution kept in the
judgment's text. Such a verdict never fails to parse. The first such call is
made alone: a server that sends no probabilities stops the run there.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from judgebench.aliases import resolve_model
from judgebench.errors import BudgetReached, JudgebenchError, ProviderError, UsageError
from judgebench.judging import (
    TRUNCATED_PREFIX,
    VERDICT_CLOSER,
    VERDICT_OPENER,
    Reading,
    judge_decoding,
    missing_references,
    prompt_format,
    score_from_logprobs,
    to_pair_winner,
    winner_from_logprobs,
)
from judgebench.pipeline.judge_batch import judge_in_batches
from judgebench.pipeline.judge_plan import (
    DEFAULT_PROMPTS,
    JudgeJob,
    JudgePlan,
    JudgeWork,
    RecordId,
    call_key,
    discover_answers,
    judged_models,
    judgment_key,
    load_prompts,
    plan_judgments,
    record_id,
    voted_items,
)
from judgebench.pipeline.observer import NullObserver, Observer
from judgebench.pipeline.presets import apply_preset
from judgebench.pipeline.provenance import RunTally, git_state, new_run_id, question_set_info, recorded_run
from judgebench.pipeline.selection import effective_parallel, select_questions
from judgebench.pricing import Budget, PriceTable, load_price_table
from judgebench.providers import BatchProvider, Decoding, Provider, VerdictLogprobs, VerdictScorer, create_provider
from judgebench.providers.local import local_token_counter, refuse_local_options
from judgebench.providers.retry import CallFailed, CircuitBreaker, RetryEvent, call_with_retry, complete_with_retry
from judgebench.records import (
    UNREADABLE,
    Judgment,
    JudgmentStatus,
    Message,
    PairGame,
    PairScore,
    Question,
    Reask,
    RunManifest,
    Usage,
    content_hash,
    counted,
)
from judgebench.storage import (
    JsonlAppender,
    JudgeMode,
    Warn,
    batches_path,
    judgments_path,
    load_answers,
    load_judgments,
    load_pair_games,
    load_pair_scores,
    load_votes,
    resolve_question_set,
)

__all__ = [
    "DEFAULT_PROMPTS",
    "JudgeJob",
    "JudgeRun",
    "PanelRun",
    "call_key",
    "discover_answers",
    "judge",
    "judge_panel",
    "judgment_key",
]


@dataclass(frozen=True)
class JudgeRun:
    """What a judge run did (or, with ``dry_run``, would do)."""

    path: Path
    bench: str
    planned: int
    skipped: int
    judged: int
    unparsed: int
    failed: int
    missing_answers: int
    usage: Usage
    estimated_input_tokens: int
    failures: tuple[str, ...] = ()
    cost_usd: float | None = None
    """Dollars spent, or for a dry run an upper bound; ``None`` if the judge's price is unknown."""
    reused: int = 0
    """Records of ``planned`` whose verdict was copied from a call with the same content, not bought."""
    calls: int = 0
    """Distinct judge calls bought (or, for a dry run, to buy); re-asks not counted."""
    unanswered: int = 0
    """Answer turns not judged because the model has no answer to the question at all."""
    truncated: int = 0
    """Judgments whose last reply stopped at its token limit even after re-asking (counted like ``unparsed``)."""
    retried: int = 0
    """Records of ``planned`` asked again because their verdict on disk was unreadable (``retry_unparsed``)."""
    unreadable: int = 0
    """Records of the job whose latest verdict is unreadable (``unparsed`` or ``truncated``), this run's and earlier."""
    verdicts: int = 0
    """Records of the job with a readable verdict on disk after the run, this run's and earlier."""
    requests: int = 0
    """Judge requests paid for: ``calls`` plus the follow-ups re-asking for an unreadable verdict."""


@dataclass(frozen=True)
class _Asked:
    """What asking the judge for one verdict came to."""

    text: str
    reading: Reading
    attempts: int
    spent: Usage
    reasks: tuple[Reask, ...] = ()
    finish_reason: str | None = None
    truncated: bool = False


def judge(job: JudgeJob, *, provider: Provider | None = None, observer: Observer | None = None) -> JudgeRun:
    """Judge every planned item not yet judged; append records as they finish.

    Args:
        job: what to run.
        provider: a ready judge provider (tests inject one); default: built from ``job.judge``.
        observer: progress sink.

    Raises:
        JudgebenchError: bad input (before anything is written) or a failure
            that stops the run (a rejected key); finished work stays saved.
        BudgetReached: ``max_cost`` was reached; finished work stays saved.
    """
    observer = observer or NullObserver()
    prepared = _prepare(job, provider, observer, Budget)
    if isinstance(prepared, JudgeRun):
        return prepared
    with recorded_run(prepared.job.results_dir, prepared.manifest) as tally:
        return asyncio.run(prepared.start(tally, observer).run_all(prepared))


@dataclass(frozen=True)
class PanelRun:
    """What a panel run did: each judge's :class:`JudgeRun`, in the order the judges were given."""

    runs: tuple[JudgeRun, ...]
    judges: tuple[str, ...]

    @property
    def failed(self) -> int:
        """Failed judgments over every judge."""
        return sum(r.failed for r in self.runs)


def judge_panel(
    jobs: Sequence[JudgeJob],
    *,
    providers: Sequence[Provider] | None = None,
    observer: Observer | None = None,
) -> PanelRun:
    """Judge the same work with several judges in one run, concurrently.

    Each job is planned exactly as :func:`judge` plans it (each judge's records
    go to its own file with the same identities and call keys, so a panel run
    and separate runs resume each other). The calls of every judge then share
    one event loop and one bound on requests in flight — the first job's
    ``parallel`` (default: the first provider's) — and one ``--max-cost``,
    counted over every judge's spend. Progress goes to one observer: one
    ``start`` with every judge's items.

    Args:
        jobs: one job per judge, the same but for ``judge`` (two jobs with the
            same judge are refused).
        providers: ready providers, one per job (tests inject them); default: built from each job.
        observer: progress sink.

    Returns:
        Each judge's :class:`JudgeRun`.

    Raises:
        UsageError: a judge named twice, or a job's bad input (before any call).
        BudgetReached: the shared ``max_cost`` was reached; finished work stays saved.
        JudgebenchError: a failure that stops the run; finished work stays saved.
    """
    observer = observer or NullObserver()
    names = [resolve_model(j.judge) if providers is None else j.judge for j in jobs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"--judge {', '.join(twice)} given twice: name each judge of a panel once")
    pool = _SharedSpend(jobs[0].max_cost if jobs else None)

    def budget(model: str, table: PriceTable, limit: float | None, *, batch: bool = False) -> Budget:
        return _PanelBudget(model, table, limit, batch=batch, pool=pool)

    muted = _Muted(observer)
    prepared: list[_Prepared | JudgeRun] = []
    try:
        for i, job in enumerate(jobs):
            prepared.append(_prepare(job, providers[i] if providers is not None else None, muted, budget))
    except BaseException:  # one judge's bad input: nothing was called; release the providers made so far
        made = [p.provider for p in prepared if isinstance(p, _Prepared)]
        if made and providers is None:
            asyncio.run(_close(made))
        raise
    done = [p for p in prepared if isinstance(p, JudgeRun)]
    if len(done) == len(prepared):  # dry run
        return PanelRun(tuple(done), tuple(r_job.judge for r_job in jobs))
    ready = [p for p in prepared if isinstance(p, _Prepared)]
    observer.start(sum(len(p.todo) for p in ready), sum(p.skipped for p in ready))
    first = ready[0]

    async def run_all(tallies: Sequence[RunTally]) -> list[JudgeRun]:
        slots = _FairSlots(effective_parallel(first.job.parallel, first.provider), len(ready))
        runners = [p.start(t, muted, slots.lane(i)) for i, (p, t) in enumerate(zip(ready, tallies, strict=True))]
        results = await asyncio.gather(
            *(r.run_all(p) for r, p in zip(runners, ready, strict=True)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BudgetReached) and pool.limit is not None:
                saved = sum(t.done for t in tallies)
                raise BudgetReached(
                    f"--max-cost ${pool.limit:.2f} reached (spent ${pool.spent:.4f}, every judge of the panel "
                    f"together): {saved} judgments saved — rerun with a higher --max-cost to resume"
                ) from None
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, JudgeRun)]

    with ExitStack() as stack:
        tallies = [stack.enter_context(recorded_run(p.job.results_dir, p.manifest)) for p in ready]
        runs = asyncio.run(run_all(tallies))
    return PanelRun(tuple(runs), tuple(p.job.judge for p in ready))


async def _close(providers: Sequence[Provider]) -> None:
    for provider in providers:
        await provider.aclose()


class _FairSlots:
    """A bound on calls in flight shared by a panel's judges, granted to the judges in turn.

    Each judge waits in its own lane; a free slot goes to the next lane in
    rotation that has a waiter, so every judge makes progress from the first
    calls on (a plain semaphore would serve the first judge's whole queue first).
    Grants are made in a callback scheduled after the waiters queued, so the
    calls a run starts with are spread over the judges too.
    """

    def __init__(self, size: int, lanes: int) -> None:
        self.free = size
        self.lanes: list[deque[asyncio.Future[None]]] = [deque() for _ in range(lanes)]
        self.turn = 0
        self.pending = False

    def lane(self, index: int) -> _Lane:
        """The ``async with`` slot of judge ``index``."""
        return _Lane(self, index)

    async def acquire(self, index: int) -> None:
        """Wait for a slot in lane ``index``."""
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.lanes[index].append(granted)
        self._schedule()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release()  # granted, then cancelled before it ran: give the slot on
            raise

    def release(self) -> None:
        """Give a slot back."""
        self.free += 1
        self._schedule()

    def _schedule(self) -> None:
        if not self.pending:
            self.pending = True
            asyncio.get_running_loop().call_soon(self._dispatch)

    def _dispatch(self) -> None:
        self.pending = False
        n = len(self.lanes)
        while self.free > 0:
            for k in range(n):
                lane = self.lanes[(self.turn + k) % n]
                while lane and lane[0].done():  # cancelled waiters
                    lane.popleft()
                if lane:
                    lane.popleft().set_result(None)
                    self.free -= 1
                    self.turn = (self.turn + k + 1) % n
                    break
            else:
                return


class _Lane:
    """One judge's ``async with`` view of :class:`_FairSlots`."""

    def __init__(self, slots: _FairSlots, index: int) -> None:
        self.slots = slots
        self.index = index

    async def __aenter__(self) -> None:
        await self.slots.acquire(self.index)

    async def __aexit__(self, *exc: object) -> None:
        self.slots.release()


class _SharedSpend:
    """Dollars spent by every judge of a panel, against the one ``--max-cost``."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0


class _PanelBudget(Budget):
    """One judge's :class:`~judgebench.pricing.Budget` whose ceiling counts every judge's spend."""

    def __init__(
        self, model: str, table: PriceTable, limit: float | None, *, batch: bool = False, pool: _SharedSpend
    ) -> None:
        super().__init__(model, table, limit, batch=batch)
        self.pool = pool

    @property
    def exhausted(self) -> bool:
        """Whether no new call may start: the panel's spend reached the ceiling."""
        return self.pool.limit is not None and self.pool.spent >= self.pool.limit

    def add(self, usage: Usage) -> None:
        """Count a finished call's usage, for this judge and for the panel."""
        before = self.spent
        super().add(usage)
        self.pool.spent += self.spent - before


class _Muted:
    """Passes everything on but ``start``: a panel starts its one display itself."""

    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def start(self, total: int, skipped: int) -> None:
        """Ignore (the panel has called ``start`` with every judge's items)."""

    def advance(self, *, failed: bool, usage: Usage) -> None:
        """Pass on."""
        self.observer.advance(failed=failed, usage=usage)

    def note(self, message: str) -> None:
        """Pass on."""
        self.observer.note(message)

    def retry(self, event: RetryEvent) -> None:
        """Pass on."""
        self.observer.retry(event)


@dataclass
class _Prepared:
    """A planned judge run, ready to make its calls."""

    job: JudgeJob
    provider: Provider
    decoding: Decoding
    budget: Budget
    manifest: RunManifest
    path: Path
    todo: list[JudgeWork]
    reuse: dict[str, Record]
    skipped: int
    plan: JudgePlan
    bench: str
    estimate: int
    work: list[JudgeWork]
    """Every record the job needs (finished or not)."""
    before: dict[RecordId, str]
    """Status of each planned record's latest record on disk before the run (:func:`_latest_statuses`)."""
    retried: int
    """Records of ``todo`` asked again because their verdict on disk was unreadable."""

    def tally_after(self, run: JudgeRun, warn: Warn) -> JudgeRun:
        """``run`` with the job's unreadable and readable verdicts on disk now, and the re-asked records."""
        after = self.before
        if self.todo:
            after = _latest_statuses(self.work, _finished(self.path, _FILE_MODES[self.job.mode], warn))
        return replace(
            run,
            retried=self.retried,
            unreadable=sum(s in UNREADABLE for s in after.values()),
            verdicts=sum(s == "ok" for s in after.values()),
        )

    def start(self, tally: RunTally, observer: Observer, slots: _Lane | None = None) -> _JudgeRunner:
        """The runner of this run (``slots``: a bound on calls in flight shared with other runs)."""
        return _JudgeRunner(self.job, self.provider, self.decoding, observer, self.budget, tally, slots)


def _prepare(
    job: JudgeJob, provider: Provider | None, observer: Observer, make_budget: Callable[..., Budget]
) -> _Prepared | JudgeRun:
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
    answers = {m: load_answers(available[m]) for m in judged_models(job, available, voted or ())}
    decoding = replace(judge_decoding(job.temperature, job.max_tokens), reasoning_effort=job.reasoning_effort)
    prompts = load_prompts(job.prompts)
    plan = plan_judgments(job, prompts, questions, answers, decoding, voted)
    work, missing = plan.work, plan.missing
    mode: JudgeMode = _FILE_MODES[job.mode]
    path = judgments_path(job.results_dir, qset.name, job.judge, mode)
    finished = _finished(path, mode, observer.note)
    todo, reuse = _still_needed(work, finished, retry_unparsed=job.retry_unparsed)
    before = _latest_statuses(work, finished)
    retried = sum(before.get(w.identity) in UNREADABLE for w in todo)
    buy = _distinct_calls(w for w in todo if w.key not in reuse)
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
    provider = provider or create_provider(job.judge, job.provider_options)
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
    return _Prepared(
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


Record = Judgment | PairGame | PairScore
"""A judge-call record of any mode."""

_FILE_MODES: dict[str, JudgeMode] = {"single": "single", "pairwise": "pair", "pair-score": "pairscore"}
"""Judge mode → the judgments file it writes (``<judge>_<file mode>.jsonl``)."""


def _finished(path: Path, mode: JudgeMode, warn: Warn) -> list[Record]:
    """The records on disk whose call was answered: with a verdict or an unreadable reply (not ``failed``)."""
    if not path.exists():
        return []
    records: Sequence[Record]
    if mode == "single":
        records = load_judgments(path, warn=warn)
    elif mode == "pair":
        records = load_pair_games(path, warn=warn)
    else:
        records = load_pair_scores(path, warn=warn)
    return [r for r in records if r.key and r.status != "failed"]


def _latest_statuses(work: Sequence[JudgeWork], finished: Sequence[Record]) -> dict[RecordId, str]:
    """Status of the latest record on disk of each planned record, for its current call (absent: none yet)."""
    latest: dict[tuple[RecordId, str], str] = {}
    for r in finished:
        latest[(record_id(r), r.key)] = r.status
    out: dict[RecordId, str] = {}
    for item in work:
        for k in (item.key, *item.legacy_keys):
            if (item.identity, k) in latest:
                out[item.identity] = latest[(item.identity, k)]
                break
    return out


def _still_needed(
    work: Sequence[JudgeWork], finished: Sequence[Record], *, retry_unparsed: bool = False
) -> tuple[list[JudgeWork], dict[str, Record]]:
    """The records not yet on disk for their current call, and the finished calls they can copy.

    With ``retry_unparsed``, a record whose latest reply on disk has no readable
    verdict is not finished: it is asked again (a new call, whose record supersedes
    the old one), and an unreadable reply is never copied to another record.

    Returns:
        ``(todo, reuse)``: ``todo`` in plan order, each record once; ``reuse``
        maps the call key of a ``todo`` item to a finished record of the same call.
    """
    latest: dict[tuple[RecordId, str], Record] = {}
    for r in finished:
        latest[(record_id(r), r.key)] = r
    done = {k for k, r in latest.items() if not (retry_unparsed and r.status in UNREADABLE)}
    by_call: dict[str, Record] = {}
    for r in finished:  # the latest record of a call, a verdict before an unreadable reply
        if retry_unparsed and r.status != "ok":
            continue
        if r.status == "ok" or by_call.get(r.key, r).status != "ok":
            by_call[r.key] = r
    todo: list[JudgeWork] = []
    reuse: dict[str, Record] = {}
    seen: set[RecordId] = set()
    for item in work:
        keys = (item.key, *item.legacy_keys)
        if item.identity in seen or any((item.identity, k) in done for k in keys):
            continue  # already on disk for this call (or planned twice)
        seen.add(item.identity)
        todo.append(item)
        source = next((by_call[k] for k in keys if k in by_call), None)
        if source is not None:
            reuse[item.key] = source
    return todo, reuse


def _distinct_calls(items: Iterable[JudgeWork]) -> list[JudgeWork]:
    """One item per call key, the first of each, in order."""
    first: dict[str, JudgeWork] = {}
    for item in items:
        first.setdefault(item.key, item)
    return list(first.values())


def _reused_verdict(source: Record) -> Reading | None:
    """The verdict of ``source`` as its call gave it: a grade, the display slot (A/B) that won, or scores (A's, B's).

    >>> g = dict(question_id=1, turn=1, judge="j", prompt="p")
    >>> _reused_verdict(PairGame(model_1="a", model_2="b", game=2, winner="model_1", **g)).value  # a was shown as B
    'B'
    >>> _reused_verdict(PairScore(model_1="a", model_2="b", game=2, score_1=8, score_2=5, **g)).value  # b shown as A
    (5, 8)
    """
    if isinstance(source, Judgment):
        return None if source.score is None else Reading(source.score)
    if isinstance(source, PairScore):
        if source.score_1 is None or source.score_2 is None:
            return None
        shown = (source.score_1, source.score_2) if source.game == 1 else (source.score_2, source.score_1)
        return Reading(shown, f"{shown[0]:g}, {shown[1]:g}")
    if source.winner is None:
        return None
    if source.winner == "tie":
        return Reading("tie", source.verdict or "C")
    won = source.model_1 if source.winner == "model_1" else source.model_2
    shown_a = source.model_1 if source.game == 1 else source.model_2
    slot: Literal["A", "B"] = "A" if won == shown_a else "B"
    return Reading(slot, source.verdict or slot, source.strong)


class _JudgeRunner:
    """Makes the judge calls of one run."""

    def __init__(
        self,
        job: JudgeJob,
        provider: Provider,
        decoding: Decoding,
        observer: Observer,
        budget: Budget,
        tally: RunTally,
        slots: _Lane | None = None,
    ) -> None:
        self.job = job
        self.provider = provider
        self.decoding = decoding
        self.observer = observer
        self.budget = budget
        self.tally = tally
        self.stopped = False
        self.slots: _Lane | asyncio.Semaphore = slots or asyncio.Semaphore(effective_parallel(job.parallel, provider))
        self.breaker = CircuitBreaker()
        self.usage = Usage()
        self.counts = {"ok": 0, "unparsed": 0, "truncated": 0, "failed": 0}
        self.failures: list[str] = []
        self.sharing: dict[str, list[JudgeWork]] = {}
        """Call key → the records it gives, in plan order (the first one buys it)."""
        self.reused = 0
        self.calls = 0
        self.followups = 0
        """Requests re-asking for a verdict the judge's previous reply did not give (paid, like calls)."""

    async def run_all(self, prepared: _Prepared) -> JudgeRun:
        """Run ``prepared``'s calls (it is the plan this runner was made for)."""
        self.tally.planned = len(prepared.todo)
        run = await self.run(
            prepared.path, prepared.todo, prepared.reuse, prepared.skipped, prepared.plan, prepared.bench,
            prepared.estimate,
        )  # fmt: skip
        return prepared.tally_after(run, self.observer.note)

    async def run(
        self,
        path: Path,
        todo: list[JudgeWork],
        reuse: dict[str, Record],
        skipped: int,
        plan: JudgePlan,
        bench: str,
        est: int,
    ) -> JudgeRun:
        self.observer.start(len(todo), skipped)
        if plan.missing:
            self.observer.note(
                f"{counted(plan.missing, 'answer turn')} failed or stale (question edited since) and are not judged "
                "— run gen-answers for them first"
            )
        for item in todo:
            self.sharing.setdefault(item.key, []).append(item)
        buy = _distinct_calls(w for w in todo if w.key not in reuse)
        try:
            with JsonlAppender(path, warn=self.observer.note) as out:
                for key, source in reuse.items():
                    for item in self.sharing[key]:
                        self._copy(item, source, out)
                if self.job.batch and isinstance(self.provider, BatchProvider):
                    journal = batches_path(path, self.job.judge, _FILE_MODES[self.job.mode])
                    await judge_in_batches(self, self.provider, self.decoding, buy, out, journal)
                else:
                    rest = buy
                    if self.job.verdict_mode == "logprobs" and buy:
                        # The first call alone shows whether the judge reports probabilities at all;
                        # a server that sends none stops the run there, before any other request.
                        await self._one(buy[0], out)
                        rest = buy[1:]
                        if self.counts["failed"]:
                            raise ProviderError(
                                f"--verdict logprobs: the first call failed ({self.failures[-1]}) — check that "
                                f"{self.job.judge} returns token probabilities, or use --verdict text"
                            )
                    try:
                        async with asyncio.TaskGroup() as group:
                            for item in rest:
                                group.create_task(self._one(item, out))
                    except* JudgebenchError as eg:
                        raise eg.exceptions[0] from None
        finally:
            await self.provider.aclose()
        if self.stopped:
            saved = sum(self.counts.values())
            raise BudgetReached(
                f"--max-cost ${self.job.max_cost:.2f} reached (spent ${self.budget.spent:.4f}): {saved} of "
                f"{counted(len(todo), 'judgment')} saved — rerun with a higher --max-cost to resume"
            )
        return JudgeRun(
            path=path,
            bench=bench,
            planned=len(todo),
            skipped=skipped,
            judged=self.counts["ok"],
            unparsed=self.counts["unparsed"],
            truncated=self.counts["truncated"],
            failed=self.counts["failed"],
            missing_answers=plan.missing,
            usage=self.usage,
            estimated_input_tokens=est,
            failures=tuple(self.failures),
            cost_usd=self.budget.cost(self.usage),
            reused=self.reused,
            calls=self.calls,
            unanswered=plan.unanswered,
            requests=self.calls + self.followups,
        )

    def _copy(self, item: JudgeWork, source: Record, out: JsonlAppender) -> None:
        """Write ``item``'s record with the verdict of an earlier call of the same content."""
        verdict = _reused_verdict(source)
        self._write(
            item, out, text=source.judgment, verdict=verdict, attempts=0, spent=Usage(), error=None, reused=True,
            finish_reason=source.finish_reason, truncated=source.status == "truncated",
        )  # fmt: skip

    async def _ask_probabilities(self, item: JudgeWork) -> _Asked:
        """Read the verdict from the judge's token probabilities after ``[[``."""
        scorer = self.provider
        assert isinstance(scorer, VerdictScorer)
        values = prompt_format(item.prompt).probability_values
        logprobs = await call_with_retry(
            self.provider,
            lambda: scorer.verdict_distribution(item.messages, VERDICT_OPENER, values, VERDICT_CLOSER),
            self.job.retry,
            on_retry=self.observer.retry,
            breaker=self.breaker,
        )
        reading = Reading.none("no probability on any verdict")
        summary = reading.problem
        if item.game == 0:
            graded = score_from_logprobs(logprobs)
            if graded is not None:
                reading, p = Reading(round(graded[0], 4)), graded[1]
                summary = f"expected grade {reading.value:.2f}"
        else:
            won = winner_from_logprobs(logprobs)
            if won is not None:
                reading, p = Reading(won[0], "C" if won[0] == "tie" else won[0]), won[1]
                summary = f"most probable verdict [[{reading.token}]]"
        if reading.value is not None:
            shown = " ".join(f"P({v})={q:.3f}" for v, q in p.items())
            summary = f"{summary} — read from token probabilities after {VERDICT_OPENER!r}: {shown}"
        if isinstance(logprobs, VerdictLogprobs):  # a scorer that counts what it read
            return _Asked(summary, reading, 1, Usage(1, logprobs.input_tokens or 0, logprobs.output_tokens or 0))
        return _Asked(summary, reading, 1, Usage(1))

    async def _ask(self, item: JudgeWork) -> _Asked:
        """Call the judge, re-asking while the reply holds no readable final verdict.

        A reply cut off by its token limit is no verdict whatever it holds; it is
        re-asked with twice the limit. Each re-asked reply is kept with its reason.
        """
        if self.job.verdict_mode == "logprobs":
            return await self._ask_probabilities(item)
        fmt = prompt_format(item.prompt)
        decoding = replace(self.decoding, schema=fmt.schema)
        messages = list(item.messages)
        spent = Usage()
        reasks: list[Reask] = []
        for attempt in range(1, self.job.reasks + 2):
            completion = await complete_with_retry(
                self.provider,
                messages,
                decoding,
                self.job.retry,
                on_retry=self.observer.retry,
                breaker=self.breaker,
            )
            spent += completion.usage
            text = completion.text
            if completion.truncated:
                reading = Reading.none(
                    f"cut off at {decoding.max_tokens} tokens (finish_reason {completion.finish_reason!r})"
                )
            else:
                reading = fmt.read(text)
            asked = _Asked(text, reading, attempt, spent, tuple(reasks), completion.finish_reason, completion.truncated)
            if reading.value is not None or attempt > self.job.reasks:
                return asked
            reasks.append(Reask(text, reading.problem, completion.finish_reason))
            reask = fmt.reask
            if completion.truncated:
                reask = TRUNCATED_PREFIX + reask
                decoding = replace(decoding, max_tokens=decoding.max_tokens * 2)
            if text.strip():
                messages += [Message("assistant", text), Message("user", reask)]
            else:  # nothing to show back (APIs refuse an empty assistant turn): ask again in the same turn
                messages[-1] = Message("user", f"{messages[-1].content}\n\n{reask}")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _one(self, item: JudgeWork, out: JsonlAppender) -> None:
        async with self.slots:
            if self.budget.exhausted:  # checked before an item's first call; its re-asks may follow
                self.stopped = True
                return
            try:
                asked = await self._ask(item)
            except CallFailed as exc:
                self.record(item, out, text="", verdict=None, attempts=exc.attempts, spent=Usage(), error=exc.reason)
                await out.commit()  # on disk before this slot starts (and pays for) another call
                return
            self.record(
                item,
                out,
                text=asked.text,
                verdict=asked.reading,
                attempts=asked.attempts,
                spent=asked.spent,
                error=None,
                reasks=asked.reasks,
                finish_reason=asked.finish_reason,
                truncated=asked.truncated,
            )
            await out.commit()  # on disk before this slot starts (and pays for) another call

    def record(
        self,
        item: JudgeWork,
        out: JsonlAppender,
        *,
        text: str,
        verdict: Reading | None,
        attempts: int,
        spent: Usage,
        error: str | None,
        reasks: tuple[Reask, ...] = (),
        finish_reason: str | None = None,
        truncated: bool = False,
    ) -> None:
        """Stage the records of ``item``'s call — its own, bought, and any sharing the call, reused.

        The caller makes them durable (``await out.commit()``, or ``out.flush()``).

        Also used by the batch path. ``verdict`` is the reading of the call's last
        reply (a grade, or the display slot that won; ``None`` or no value: no
        verdict), so every record maps it to its own pair; ``truncated`` says that
        reply stopped at its token limit.
        """
        self.budget.add(spent)
        self.calls += 1
        self.followups += len(reasks)
        for n, each in enumerate(self.sharing.get(item.key) or [item]):
            reused = n > 0
            self._write(
                each, out, text=text, verdict=verdict, attempts=0 if reused else attempts,
                spent=Usage() if reused else spent, error=error, reused=reused,
                reasks=() if reused else reasks, finish_reason=finish_reason, truncated=truncated,
            )  # fmt: skip

    def _write(
        self,
        item: JudgeWork,
        out: JsonlAppender,
        *,
        text: str,
        verdict: Reading | None,
        attempts: int,
        spent: Usage,
        error: str | None,
        reused: bool,
        reasks: tuple[Reask, ...] = (),
        finish_reason: str | None = None,
        truncated: bool = False,
    ) -> None:
        value = None if verdict is None else verdict.value
        status: JudgmentStatus = (
            "failed" if error else "ok" if value is not None else "truncated" if truncated else "unparsed"
        )
        q = item.question
        record: Record
        provenance: dict[str, Any] = {
            "key": item.key,
            "error": error,
            "attempts": attempts,
            "category": q.category,
            "usage": spent,
            "tstamp": time.time(),
            "reused": reused,
            "answer_hashes": dict(item.answer_hashes),
            "reasks": reasks,
            "finish_reason": finish_reason,
        }
        if item.game == 0:
            record = Judgment(
                question_id=q.question_id,
                model=item.model,
                turn=item.turn,
                judge=self.job.judge,
                prompt=item.prompt.name,
                score=value if isinstance(value, float) else None,
                status=status,
                judgment=text,
                user_prompt=item.messages[-1].content,
                **provenance,
            )
        elif item.scored:
            shown = value if isinstance(value, tuple) else None  # (A's score, B's score) as displayed
            scores = (None, None) if shown is None else shown if item.game == 1 else (shown[1], shown[0])
            record = PairScore(
                question_id=q.question_id,
                model_1=item.pair[0],
                model_2=item.pair[1],
                turn=item.turn,
                judge=self.job.judge,
                prompt=item.prompt.name,
                game=item.game,
                score_1=scores[0],
                score_2=scores[1],
                status=status,
                judgment=text,
                user_prompt=item.messages[-1].content,
                **provenance,
            )
        else:
            record = PairGame(
                question_id=q.question_id,
                model_1=item.pair[0],
                model_2=item.pair[1],
                turn=item.turn,
                judge=self.job.judge,
                prompt=item.prompt.name,
                game=item.game,
                winner=to_pair_winner(value, item.game) if isinstance(value, str) else None,
                status=status,
                judgment=text,
                user_prompt=item.messages[-1].content,
                verdict=verdict.token if verdict is not None and isinstance(value, str) else None,
                strong=verdict is not None and verdict.strong and isinstance(value, str),
                **provenance,
            )
        out.stage(record.to_dict())
        self.usage += spent
        self.counts[status] += 1
        self.reused += reused
        self.tally.done += 1
        self.tally.failed += status == "failed"
        self.tally.usage += spent
        self.tally.cost_usd = self.budget.cost(self.tally.usage)
        if error:
            who = item.model or " vs ".join(item.pair)
            self.failures.append(f"question {q.question_id} turn {item.turn} ({who}): {error}")
        self.observer.advance(failed=status != "ok", usage=spent)
