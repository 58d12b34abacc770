"""The judge calls of one run: ask (re-asking an unreadable verdict), write each record, count what was spent.

The runner is made by :meth:`judgebench.pipeline.judge_setup.PreparedRun.start`;
the batch path (:mod:`judgebench.pipeline.judge_batch`) hands its results back
through :meth:`JudgeRunner.record`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from judgebench.errors import ProviderError
from judgebench.judging import (
    TRUNCATED_PREFIX,
    VERDICT_CLOSER,
    VERDICT_OPENER,
    Reading,
    prompt_format,
    score_from_logprobs,
    winner_from_logprobs,
)
from judgebench.pipeline.call_runs import CallRunner, run_each
from judgebench.pipeline.judge_batch import judge_in_batches
from judgebench.pipeline.judge_identity import JudgePlan, JudgeWork, RecordId
from judgebench.pipeline.judge_job import JudgeJob
from judgebench.pipeline.judge_records import (
    FILE_MODES,
    JudgeRecord,
    JudgeReply,
    build_record,
    distinct_calls,
    reused_verdict,
)
from judgebench.pipeline.observer import Observer
from judgebench.pipeline.provenance import RunTally
from judgebench.pricing import Budget
from judgebench.providers import BatchProvider, Decoding, Provider, VerdictLogprobs, VerdictScorer
from judgebench.providers.retry import CallFailed, call_with_retry, complete_with_retry
from judgebench.records import (
    Message,
    Reask,
    Usage,
    counted,
)
from judgebench.storage import (
    JsonlAppender,
    batches_path,
)

__all__ = ["JudgeRun", "JudgeRunner"]


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


class JudgeRunner(CallRunner):
    """Makes the judge calls of one run."""

    def __init__(
        self,
        job: JudgeJob,
        provider: Provider,
        decoding: Decoding,
        observer: Observer,
        budget: Budget,
        tally: RunTally,
        slots: AbstractAsyncContextManager[None] | None = None,
    ) -> None:
        super().__init__(provider, observer, budget, tally, job.parallel, slots)
        self.job = job
        self.decoding = decoding
        self.counts = {"ok": 0, "unparsed": 0, "truncated": 0, "failed": 0}
        self.sharing: dict[str, list[JudgeWork]] = {}
        """Call key → the records it gives, in plan order (the first one buys it)."""
        self.reused = 0
        self.calls = 0
        self.followups = 0
        """Requests re-asking for a verdict the judge's previous reply did not give (paid, like calls)."""
        self.written: dict[RecordId, str] = {}
        """Identity → status of the latest record written by this run for it, failed ones left out (as
        :func:`~judgebench.pipeline.judge_records.finished_records` leaves them out of what is on disk)."""

    async def run(
        self,
        path: Path,
        todo: list[JudgeWork],
        reuse: dict[str, JudgeRecord],
        skipped: int,
        plan: JudgePlan,
        bench: str,
        est: int,
    ) -> JudgeRun:
        """Write the ``todo`` records: copy the verdicts in ``reuse``, buy each other distinct call once.

        Args:
            path: the judgments file appended to.
            todo: the records still needed, in plan order.
            reuse: call key → a finished record of that call on disk, whose verdict is copied.
            skipped: records already on disk (for the progress display).
            plan: the plan (for its missing and unanswered answer turns).
            bench: the bench's name.
            est: estimated input tokens of the calls to buy.

        Raises:
            BudgetReached: ``--max-cost`` stopped the run; finished records are on disk.
            ProviderError: ``--verdict logprobs`` and the first call got no probabilities.
            JudgebenchError: a failure that stops the run; finished records are on disk.
        """
        self.observer.start(len(todo), skipped)
        if plan.missing:
            self.observer.note(
                f"{counted(plan.missing, 'answer turn')} failed or stale (question edited since) and are not judged "
                "— run gen-answers for them first"
            )
        for item in todo:
            self.sharing.setdefault(item.key, []).append(item)
        buy = distinct_calls(w for w in todo if w.key not in reuse)
        try:
            with JsonlAppender(path, warn=self.observer.note) as out:
                for key, source in reuse.items():
                    for item in self.sharing[key]:
                        self._copy(item, source, out)
                if self.job.batch and isinstance(self.provider, BatchProvider):
                    journal = batches_path(path, self.job.judge, FILE_MODES[self.job.mode])
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
                    await run_each(rest, lambda item: self._one(item, out), self.width)
        finally:
            await self.provider.aclose()
        if self.stopped:
            raise self.budget_reached(self.job.max_cost, sum(self.counts.values()), len(todo), "judgment")
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

    def _copy(self, item: JudgeWork, source: JudgeRecord, out: JsonlAppender) -> None:
        """Write ``item``'s record with the verdict of an earlier call of the same content."""
        copied = JudgeReply(
            source.judgment, reused_verdict(source), 0, Usage(),
            finish_reason=source.finish_reason, truncated=source.status == "truncated",
        )  # fmt: skip
        self._write(item, out, copied, reused=True)

    async def _ask_probabilities(self, item: JudgeWork) -> JudgeReply:
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
            return JudgeReply(summary, reading, 1, Usage(1, logprobs.input_tokens or 0, logprobs.output_tokens or 0))
        return JudgeReply(summary, reading, 1, Usage(1))

    async def _ask(self, item: JudgeWork) -> JudgeReply:
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
            asked = JudgeReply(
                text, reading, attempt, spent, tuple(reasks), completion.finish_reason, completion.truncated
            )
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
                reply = await self._ask(item)
            except CallFailed as exc:
                reply = JudgeReply.failed(exc.reason, exc.attempts)
            self.record(item, out, reply)
            await out.commit()  # on disk before this slot starts (and pays for) another call

    def record(self, item: JudgeWork, out: JsonlAppender, reply: JudgeReply) -> None:
        """Stage the records of ``item``'s call — its own, bought, and any sharing the call, reused.

        The caller makes them durable (``await out.commit()``, or ``out.flush()``).

        Also used by the batch path. ``reply.reading`` is the reading of the call's
        last reply (a grade, or the display slot that won; ``None`` or no value: no
        verdict), so every record maps it to its own pair.
        """
        self.spend(reply.spent)
        self.usage += reply.spent
        self.calls += 1
        self.followups += len(reply.reasks)
        for n, each in enumerate(self.sharing.get(item.key) or [item]):
            self._write(each, out, reply.shared() if n else reply, reused=n > 0)

    def _write(self, item: JudgeWork, out: JsonlAppender, reply: JudgeReply, *, reused: bool) -> None:
        """Stage ``item``'s record of ``reply`` and count it (usage, status, progress)."""
        record = build_record(item, self.job.judge, reply, reused=reused)
        out.stage(record.to_dict())
        self.counts[record.status] += 1
        if record.status != "failed":
            self.written[item.identity] = record.status
        self.reused += reused
        self.tally.done += 1
        self.tally.failed += record.status == "failed"
        if reply.error:
            who = item.model or " vs ".join(item.pair)
            self.failures.append(f"question {item.question.question_id} turn {item.turn} ({who}): {reply.error}")
        self.observer.advance(failed=record.status != "ok", usage=reply.spent)
