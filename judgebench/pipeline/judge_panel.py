"""``judge`` with several judges (``--judge`` repeated): one event loop, one fair bound on calls, one ``--max-cost``."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from judgebench.aliases import resolve_model
from judgebench.errors import BudgetReached, UsageError
from judgebench.pipeline.call_runs import run_calls
from judgebench.pipeline.judge_job import JudgeJob
from judgebench.pipeline.judge_runner import JudgeRun
from judgebench.pipeline.judge_setup import PreparedRun, prepare_run
from judgebench.pipeline.observer import NullObserver, Observer
from judgebench.pipeline.provenance import RunTally, recorded_run
from judgebench.pipeline.selection import effective_parallel
from judgebench.pricing import Budget, PriceTable
from judgebench.providers import Provider
from judgebench.providers.retry import RetryEvent
from judgebench.records import (
    Usage,
    counted,
)

__all__ = ["PanelRun", "judge_panel"]


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
    prepared: list[PreparedRun | JudgeRun] = []
    try:
        for i, job in enumerate(jobs):
            prepared.append(prepare_run(job, providers[i] if providers is not None else None, muted, budget))
    except BaseException:  # one judge's bad input: nothing was called; release the providers made so far
        made = [p.provider for p in prepared if isinstance(p, PreparedRun)]
        if made and providers is None:
            asyncio.run(_close(made))
        raise
    done = [p for p in prepared if isinstance(p, JudgeRun)]
    if len(done) == len(prepared):  # dry run
        return PanelRun(tuple(done), tuple(r_job.judge for r_job in jobs))
    ready = [p for p in prepared if isinstance(p, PreparedRun)]
    observer.start(sum(len(p.todo) for p in ready), sum(p.skipped for p in ready))
    first = ready[0]

    async def run_all(tallies: Sequence[RunTally]) -> list[JudgeRun]:
        slots = _FairSlots(effective_parallel(first.job.parallel, first.provider), len(ready))
        runners = [p.start(t, muted, slots.lane(i)) for i, (p, t) in enumerate(zip(ready, tallies, strict=True))]
        results = await asyncio.gather(*(p.run(r) for r, p in zip(runners, ready, strict=True)), return_exceptions=True)
        for result in results:
            if isinstance(result, BudgetReached) and pool.limit is not None:
                saved, planned = sum(t.done for t in tallies), sum(len(p.todo) for p in ready)
                raise BudgetReached(
                    f"--max-cost ${pool.limit:.2f} reached (spent ${pool.spent:.4f}, every judge of the panel "
                    f"together): {saved} of {counted(planned, 'judgment')} saved — rerun with a higher --max-cost "
                    "to resume"
                ) from None
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, JudgeRun)]

    with ExitStack() as stack:
        tallies = [stack.enter_context(recorded_run(p.job.results_dir, p.manifest)) for p in ready]
        runs = run_calls(run_all(tallies))
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
