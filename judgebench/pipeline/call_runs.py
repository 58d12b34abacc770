"""What every run that buys model calls shares: the bound on calls in flight, spend, tally and its loop.

``gen-answers`` (:mod:`judgebench.pipeline.answer_runner`) and ``judge``
(:mod:`judgebench.pipeline.judge_runner`) make their calls the same way: at most
``parallel`` in flight (:func:`~judgebench.pipeline.selection.effective_parallel`),
each through the one retry loop with the run's circuit breaker, every dollar
counted against ``--max-cost`` and in the run's manifest tally, one task per
item, and a run stopped by the budget saying how much was saved. That shape
lives here once; each runner adds what it asks and what it writes.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from judgebench.errors import BudgetReached, JudgebenchError
from judgebench.pipeline.observer import Observer
from judgebench.pipeline.provenance import RunTally
from judgebench.pipeline.selection import effective_parallel
from judgebench.pricing import Budget
from judgebench.providers import Provider
from judgebench.providers.retry import CircuitBreaker
from judgebench.records import Usage, counted

__all__ = ["CallRunner", "run_calls", "run_each"]

T = TypeVar("T")


class CallRunner:
    """Shared state of one run's calls.

    Attributes:
        provider: the model called.
        observer: progress sink.
        budget: the ``--max-cost`` ceiling and what has been spent against it (dollars).
        tally: the run's manifest counts (closed by ``recorded_run``).
        width: calls in flight this run allows (``parallel``, or the provider's preference).
        slots: the bound on calls in flight (``width``, or a slot shared with other runs).
        breaker: stops the run once calls keep failing the same way.
        usage: tokens and requests this run bought.
        failures: one line per failed item, in the order they failed.
        stopped: the budget stopped an item from starting.
    """

    def __init__(
        self,
        provider: Provider,
        observer: Observer,
        budget: Budget,
        tally: RunTally,
        parallel: int | None,
        slots: AbstractAsyncContextManager[None] | None = None,
    ) -> None:
        self.provider = provider
        self.observer = observer
        self.budget = budget
        self.tally = tally
        self.width = effective_parallel(parallel, provider)
        self.slots: AbstractAsyncContextManager[None] = slots or asyncio.Semaphore(self.width)
        self.breaker = CircuitBreaker()
        self.usage = Usage()
        self.failures: list[str] = []
        self.stopped = False

    def spend(self, usage: Usage) -> None:
        """Count ``usage`` bought by a finished call against the budget and in the run's tally."""
        self.budget.add(usage)
        self.tally.usage += usage
        self.tally.cost_usd = self.budget.cost(self.tally.usage)

    def budget_reached(self, max_cost: float | None, saved: int, planned: int, noun: str) -> BudgetReached:
        """The error ending a run that ``--max-cost`` stopped: what was spent and saved of ``planned`` ``noun``\\ s."""
        return BudgetReached(
            f"--max-cost ${max_cost or 0:.2f} reached (spent ${self.budget.spent:.4f}): {saved} of "
            f"{counted(planned, noun)} saved — rerun with a higher --max-cost to resume"
        )


async def run_each(items: Iterable[T], work: Callable[[T], Coroutine[Any, Any, None]], width: int) -> None:
    """Run ``work(item)`` for every item, in order, ``width`` at a time; wait for all.

    ``width`` workers take the next item as each finishes one (the runner's slots still bound the
    calls in flight, which other runs may share). One task per item instead made every item's task
    and its wait on the slots up front — 4,869 for MT-Bench's judgments — before the first call went out.

    Raises:
        JudgebenchError: the first one an item raised (the other workers are cancelled), not as a group.
    """
    pending = iter(items)

    async def worker() -> None:
        for item in pending:  # shared: each item goes to exactly one worker
            await work(item)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(width, 1)):
                group.create_task(worker())
    except* JudgebenchError as eg:
        raise eg.exceptions[0] from None


def run_calls(main: Coroutine[Any, Any, T]) -> T:
    """Run a run's coroutine to its end, as :func:`asyncio.run` does, on uvloop's event loop when installed,
    with the garbage collector tuned for a run's many short-lived objects.

    - uvloop (libuv under asyncio's API) cuts the event loop's own share of each call's client CPU:
      ``bench/judge_latency.py``-shaped runs, alternated on a quiet machine, took 1.28–1.30 ms of client
      CPU per call with it and 1.35–1.37 with asyncio's loop (10.2–10.3 s against 10.5–10.6 s wall).
      Where it is not installed (Windows), asyncio's own loop runs it. Ctrl-C and SIGTERM take the
      same path either way (:class:`asyncio.Runner` handles SIGINT whatever the loop).
    - The objects that exist before the calls (questions, answers, the plan: ~100k for MT-Bench's
      4,960 judgments) are moved out of the collector's sight (:func:`gc.freeze`), and young objects are
      collected every 10,000 allocations rather than 700: each call allocates hundreds of short-lived
      objects (SDK, HTTP), and the collector's passes over the run's long-lived ones were about a tenth
      of the client's CPU (``bench/judge_latency.py``: 8.3–8.6 s → 7.3 s for 4,869 calls). Both are undone
      when the run ends, so objects frozen meanwhile are collected as usual afterwards.

    Args:
        main: the coroutine (a run's whole work).

    Returns:
        What ``main`` returned.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, *thresholds[1:])
    try:
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop is installed wherever it builds
            return asyncio.run(main)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
