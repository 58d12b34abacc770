"""What the in-process providers (``hf/…``, ``--engine vllm``, a Ray pool) share: no server, no key.

:class:`InProcessProvider` answers the retry loop's questions for a model run here (nothing is
passing unless the engine says so, no ``Retry-After``, no secret to mask);
:class:`BatchedProvider` adds what a provider whose calls go through a
:class:`~judgebench.providers.batching.MicroBatcher` declares: its id, its capabilities (the batch
size, and enough calls in flight to keep batches full) and closing the batcher.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from judgebench.providers.batching import MicroBatcher
from judgebench.providers.protocol import ProviderCapabilities

__all__ = ["BatchedProvider", "InProcessProvider"]

R = TypeVar("R")
T = TypeVar("T")


class InProcessProvider:
    """The retry loop's answers for a model run in this process (or in workers it started)."""

    def is_retryable(self, exc: BaseException) -> bool:
        """Engine errors are not passing (subclasses name the ones that are).

        Args:
            exc: what a call raised.
        """
        return False

    def retry_after(self, exc: BaseException) -> float | None:
        """No server, no hint.

        Args:
            exc: what a call raised.
        """
        return None

    def redact(self, text: str) -> str:
        """No secret to hide: ``text`` unchanged.

        Args:
            text: an error message or anything else about to be stored.
        """
        return text


class BatchedProvider(InProcessProvider, Generic[R, T]):
    """An in-process provider whose calls a :class:`~judgebench.providers.batching.MicroBatcher` batches.

    Subclasses set ``_model_id`` and ``_batcher`` in their constructor, and
    :attr:`batches_in_flight`.
    """

    batches_in_flight: ClassVar[int] = 4
    """Batches' worth of calls worth keeping in flight (so that turn 2s queue up while batches run)."""

    _model_id: str
    _batcher: MicroBatcher[R, T]

    @property
    def model_id(self) -> str:
        """The id answers are recorded under (``hf/…`` or ``local/…``)."""
        return self._model_id

    @property
    def batch_size(self) -> int:
        """Most requests run in one batch."""
        return self._batcher.max_batch

    @property
    def capabilities(self) -> ProviderCapabilities:
        """The batch size, and :attr:`batches_in_flight` batches' worth of calls preferred in flight."""
        size = self.batch_size
        return ProviderCapabilities(preferred_parallel=self.batches_in_flight * size, batch_size=size)

    async def aclose(self) -> None:
        """Stop the batcher; the model is freed with the provider."""
        await self._batcher.aclose()
