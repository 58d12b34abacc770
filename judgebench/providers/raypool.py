"""Data-parallel generation with Ray: N workers, each holding its own copy of a local model.

``--num-workers N`` builds a :class:`RayPoolProvider`: N Ray actors (each
reserving ``--num-gpus-per-worker`` GPUs, or one CPU) that each load the model
with the engine the options name and batch the calls they receive. The pool is
itself a :class:`~judgebench.providers.Provider`, so the pipeline is unchanged:
it keeps many calls in flight, the pool sends each to the worker with the
fewest in flight, and that worker's micro-batcher batches them.

**Why the driver writes everything.** Workers only compute; every record and
journal line is still written by the one ``gen-answers`` process through the
same resumable store (``JsonlAppender`` holds a file lock, so workers writing
one file would collide, and per-worker files would need merging). Resume,
crash safety and "nothing paid for twice" therefore hold unchanged, and the
questions are spread over workers by load rather than in fixed shards, so a
slow worker never leaves the others idle. What travels back is only text.

Ray joins the cluster named by ``RAY_ADDRESS`` (nodes started with ``ray
start``); otherwise it starts a local one sized for the workers (CPU workers
on a machine without GPUs, as the tests do) and shuts it down on ``aclose``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import ray

from judgebench.errors import ConfigError
from judgebench.providers import Completion, Decoding, ProviderCapabilities, ProviderOptions
from judgebench.providers.inprocess import InProcessProvider
from judgebench.records import Message

__all__ = ["RayPoolProvider"]


class _Worker:
    """One model copy in a Ray actor (async: concurrent calls reach its batcher together)."""

    def __init__(self, model_id: str, source: str, options: ProviderOptions) -> None:
        from judgebench.providers.local import build_engine

        self.provider: Any = build_engine(model_id, source, options)

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        result: Completion = await self.provider.complete(messages, decoding)
        return result

    async def verdict_distribution(
        self, messages: Sequence[Message], opener: str, values: Sequence[str], closer: str
    ) -> dict[str, float]:
        result: dict[str, float] = await self.provider.verdict_distribution(messages, opener, values, closer)
        return result

    def batch_size(self) -> int:
        return int(self.provider.capabilities.batch_size)

    def pid(self) -> int:
        return os.getpid()


class RayPoolProvider(InProcessProvider):
    """N Ray workers behind one provider.

    Args:
        model_id: the id answers are recorded under (``hf/…``, ``local/…``).
        source: the folder or hub id each worker loads.
        options: ``options.local.num_workers`` workers, ``num_gpus_per_worker`` GPUs each;
            the rest of ``options.local`` configures each worker's engine.
    """

    def __init__(self, model_id: str, source: str, options: ProviderOptions) -> None:
        local = options.local
        self._model_id = model_id
        self._started_ray = False
        if not ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS")
            try:
                if address:
                    ray.init(address=address, include_dashboard=False, log_to_driver=False)
                else:
                    gpus = int(local.num_workers * local.num_gpus_per_worker + 0.999)
                    ray.init(
                        num_cpus=max(local.num_workers, 1),
                        num_gpus=gpus,
                        include_dashboard=False,
                        log_to_driver=False,
                        configure_logging=False,
                    )
            except Exception as exc:
                raise ConfigError(f"--num-workers: could not start or join a Ray cluster: {exc}") from exc
            self._started_ray = True
        worker_options = replace(options, local=replace(local, num_workers=0))
        actor: Any = ray.remote(_Worker)
        resources: dict[str, Any] = (
            {"num_gpus": local.num_gpus_per_worker} if local.num_gpus_per_worker > 0 else {"num_cpus": 1}
        )
        self._workers: list[Any] = [
            actor.options(max_concurrency=1024, **resources).remote(model_id, source, worker_options)
            for _ in range(local.num_workers)
        ]
        try:
            sizes = ray.get([w.batch_size.remote() for w in self._workers])
        except Exception as exc:
            self._shutdown()
            raise ConfigError(f"--model {model_id}: a Ray worker could not load it: {_cause(exc)}") from exc
        self._batch = max(int(s) for s in sizes)
        self._in_flight = [0] * len(self._workers)

    @property
    def model_id(self) -> str:
        """The id answers are recorded under."""
        return self._model_id

    @property
    def capabilities(self) -> ProviderCapabilities:
        """A worker's batch size, and enough calls in flight to keep every worker's batches full."""
        return ProviderCapabilities(preferred_parallel=4 * self._batch * len(self._workers), batch_size=self._batch)

    def worker_pids(self) -> list[int]:
        """Process ids of the workers (tests check they are distinct processes)."""
        return [int(p) for p in ray.get([w.pid.remote() for w in self._workers])]

    async def _call(self, method: str, *args: object) -> Any:
        index = min(range(len(self._workers)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            return await getattr(self._workers[index], method).remote(*args)
        finally:
            self._in_flight[index] -= 1

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Send the call to the least busy worker."""
        result: Completion = await self._call("complete", tuple(messages), decoding)
        return result

    async def verdict_distribution(
        self, messages: Sequence[Message], opener: str, values: Sequence[str], closer: str
    ) -> dict[str, float]:
        """Ask the least busy worker for verdict log-probabilities."""
        result: dict[str, float] = await self._call("verdict_distribution", tuple(messages), opener, values, closer)
        return result

    def is_retryable(self, exc: BaseException) -> bool:
        """A worker that died may be replaced by Ray; a task error is the engine's and is not retried."""
        return isinstance(exc, ray.exceptions.RayActorError | ray.exceptions.WorkerCrashedError)

    def _shutdown(self) -> None:
        for worker in self._workers:
            ray.kill(worker)
        self._workers = []
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False

    async def aclose(self) -> None:
        """Stop the workers, and the local cluster if this pool started it."""
        await asyncio.to_thread(self._shutdown)


def _cause(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip().splitlines()
    return text[-1] if text else type(cause).__name__
