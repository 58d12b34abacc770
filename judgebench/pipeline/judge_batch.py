"""``judge --batch``: the same judgments through the vendor's batch API, at half price.

The calls a run still needs go out as one batch; its id and the resume keys it
carries are journaled in ``results/<bench>/batches/<judge-slug>_<mode>.jsonl``
the moment the vendor accepts it, so a crash, a Ctrl-C or ``--batch-wait``
running out never submits (and pays for) the same work twice: the next run
collects the pending batch first and submits only what no batch covers. When a
batch is done each result is parsed and stored as in a direct run, except that
an unreadable verdict is not re-asked (a batch has no conversation to
continue): it is stored as ``unparsed`` with its text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol, TypeVar

from judgebench.errors import BatchPending, ProviderError
from judgebench.judging import Reading, prompt_format
from judgebench.pipeline.judge_identity import JudgeWork
from judgebench.pipeline.judge_job import JudgeJob
from judgebench.pipeline.judge_records import JudgeReply
from judgebench.pipeline.observer import Observer
from judgebench.pricing import Budget
from judgebench.providers import BatchProvider, BatchRequest, Completion, Decoding, Provider
from judgebench.providers.retry import CallFailed, CircuitBreaker, call_with_retry, setup_error
from judgebench.records import Usage
from judgebench.storage import JsonlAppender, read_jsonl

__all__ = ["BATCH_SCHEMA", "BatchRunner", "judge_in_batches"]

BATCH_SCHEMA = "judgebench.batch/1"


class BatchRunner(Protocol):
    """What the batch path needs of the direct run that hands it work (``judge_runner.py``'s runner).

    Declared here so that :mod:`judgebench.pipeline.judge_runner` imports this module and not the
    other way round: the runner passes itself in, the batch path sees only this surface.
    """

    job: JudgeJob
    provider: Provider
    observer: Observer
    breaker: CircuitBreaker
    budget: Budget
    stopped: bool

    def record(self, item: JudgeWork, out: JsonlAppender, reply: JudgeReply) -> None:
        """Stage the records of ``item``'s call (see :meth:`judgebench.pipeline.judge_runner.JudgeRunner.record`)."""


T = TypeVar("T")


async def _call(runner: BatchRunner, what: str, call: Callable[[], Awaitable[T]], *, once: bool = False) -> T:
    """One batch API request through the retry loop and the run's breaker; a failure stops the run in one line.

    Looking at a batch and fetching its results are retried like any call;
    submitting is tried ``once``: a retry after a lost reply could start (and
    bill) the same batch twice.

    Raises:
        ServerSetupError: the server is unreachable, not the API, or has no batch API.
        ProviderError: the request failed for another reason (the message says it).
    """
    policy = replace(runner.job.retry, max_attempts=1) if once else runner.job.retry
    try:
        return await call_with_retry(
            runner.provider, call, policy, on_retry=runner.observer.retry, breaker=runner.breaker
        )
    except CallFailed as exc:
        cause = exc.__cause__ or exc
        raise setup_error(cause, exc.attempts, redact=runner.provider.redact) or ProviderError(
            f"{what} failed ({exc.reason}) — nothing is lost: rerun the same command"
        ) from None


def _pending(path: Path) -> list[tuple[str, list[str]]]:
    """Batches submitted and not yet collected, oldest first."""
    if not path.exists():
        return []
    submitted: dict[str, list[str]] = {}
    for _, entry in read_jsonl(path, torn_tail_ok=True):
        if entry.get("event") == "submitted":
            submitted[str(entry["batch_id"])] = [str(k) for k in entry.get("keys", [])]
        elif entry.get("event") == "collected":
            submitted.pop(str(entry["batch_id"]), None)
    return list(submitted.items())


def _verdict(item: JudgeWork, completion: Completion) -> Reading:
    if completion.truncated:
        return Reading.none(f"cut off at its token limit (finish_reason {completion.finish_reason!r})")
    return prompt_format(item.prompt).read(completion.text)


async def _collect(
    runner: BatchRunner,
    provider: BatchProvider,
    batch_id: str,
    items: Sequence[JudgeWork],
    out: JsonlAppender,
    journal: JsonlAppender,
) -> None:
    """Wait for a batch, store its results for ``items``, mark it collected."""
    job = runner.job
    deadline = time.monotonic() + job.batch_wait
    while True:
        state = await _call(runner, f"looking up batch {batch_id}", lambda: provider.batch_state(batch_id))
        if state.done or state.failed:
            break
        if time.monotonic() >= deadline:
            raise BatchPending(
                f"batch {batch_id} is still {state.status} after {job.batch_wait:g}s — nothing is lost: rerun the "
                "same command later to collect it (or raise --batch-wait)"
            )
        runner.observer.note(f"batch {batch_id}: {state.status}; next look in {job.batch_poll:g}s")
        await asyncio.sleep(job.batch_poll)
    results = (
        {}
        if state.failed
        else await _call(runner, f"fetching the results of batch {batch_id}", lambda: provider.batch_results(batch_id))
    )
    for item in items:
        result = next((results[k] for k in (item.key, *item.legacy_keys) if k in results), None)
        if result is None:
            reason = f"batch {batch_id} ended as {state.status}" if state.failed else "missing from the batch's results"
            runner.record(item, out, JudgeReply.failed(reason, 1))
        elif isinstance(result, str):
            runner.record(item, out, JudgeReply.failed(result, 1))
        else:
            reply = JudgeReply(
                result.text, _verdict(item, result), 1, result.usage,
                finish_reason=result.finish_reason, truncated=result.truncated,
            )  # fmt: skip
            runner.record(item, out, reply)
    out.flush()  # the batch's records are on disk before it is marked collected
    journal.append({"schema": BATCH_SCHEMA, "event": "collected", "batch_id": batch_id, "tstamp": time.time()})


def _within_budget(runner: BatchRunner, items: Sequence[JudgeWork], decoding: Decoding) -> list[JudgeWork]:
    """The items whose worst-case cost (every reply at ``max_tokens``) fits what is left of ``--max-cost``.

    A batch is billed whole once submitted, so the budget is checked up front.
    """
    budget = runner.budget
    if budget.limit is None:
        return list(items)
    room, chosen = budget.limit - budget.spent, []
    for item in items:
        bound = Usage(1, sum(len(m.content) for m in item.messages) // 4 + 1, decoding.max_tokens)
        room -= budget.cost(bound) or 0.0
        if room < 0:
            runner.stopped = True
            break
        chosen.append(item)
    return chosen


async def judge_in_batches(
    runner: BatchRunner,
    provider: BatchProvider,
    decoding: Decoding,
    todo: Sequence[JudgeWork],
    out: JsonlAppender,
    path: Path,
) -> None:
    """Collect pending batches, submit one batch for what is left, collect it."""
    by_key = {k: w for w in todo for k in (*w.legacy_keys, w.key)}  # batches of older versions used legacy keys
    with JsonlAppender(path, warn=runner.observer.note) as journal:
        covered: set[str] = set()
        for batch_id, keys in _pending(path):
            covered.update(keys)
            runner.observer.note(f"collecting batch {batch_id} submitted by an earlier run ({len(keys)} requests)")
            items = list({id(by_key[k]): by_key[k] for k in keys if k in by_key}.values())
            await _collect(runner, provider, batch_id, items, out, journal)
        remaining = [w for w in todo if not covered.intersection((w.key, *w.legacy_keys))]
        if not remaining:
            return
        remaining = _within_budget(runner, remaining, decoding)
        if not remaining:
            runner.stopped = True
            return
        requests = [
            BatchRequest(w.key, w.messages, replace(decoding, schema=prompt_format(w.prompt).schema)) for w in remaining
        ]
        batch_id = await _call(runner, "submitting the batch", lambda: provider.submit_batch(requests), once=True)
        journal.append(
            {
                "schema": BATCH_SCHEMA,
                "event": "submitted",
                "batch_id": batch_id,
                "keys": [w.key for w in remaining],
                "tstamp": time.time(),
            }
        )
        runner.observer.note(f"submitted batch {batch_id} ({len(requests)} requests, billed at half price)")
        await _collect(runner, provider, batch_id, remaining, out, journal)
