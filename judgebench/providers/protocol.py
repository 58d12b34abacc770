"""What a model backend is: the :class:`Provider` protocol, its optional companions and what a call returns.

A provider turns chat messages into a :class:`Completion`. It does not retry:
:func:`judgebench.providers.retry.complete_with_retry` owns the one retry loop
and asks the provider two questions about each failure — is it worth retrying
(:meth:`Provider.is_retryable`) and did the server say how long to wait
(:meth:`Provider.retry_after`). What a provider can do beyond its calls is
declared in its :attr:`Provider.capabilities` (:class:`ProviderCapabilities`);
the batch API (:class:`BatchProvider`) and verdicts read from token
probabilities (:class:`VerdictScorer`) are protocols of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from judgebench.providers.options import ProviderOptions
from judgebench.records import Decoding, Message, Usage

__all__ = [
    "API_CAPABILITIES",
    "FINISH_LENGTH",
    "BatchProvider",
    "BatchRequest",
    "BatchState",
    "Completion",
    "MalformedResponseError",
    "NotAnApiReplyError",
    "Provider",
    "ProviderCapabilities",
    "ProviderFactory",
    "RemoteCallError",
    "VerdictLogprobs",
    "VerdictScorer",
]


class MalformedResponseError(Exception):
    """A success status whose body holds no usable answer (retryable)."""


class NotAnApiReplyError(MalformedResponseError):
    """A success status whose body is not this API's reply at all (an HTML page, plain text).

    Retryable like any malformed body, but counted by the run's circuit
    breaker: a server that answers only this is not the API (a wrong
    ``--base-url``), and the run stops after a few such attempts in a row.

    Args:
        message: what came back instead of the reply.
        url: the server's address, named in the breaker's message.
    """

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class RemoteCallError(Exception):
    """A call that failed in another process (:mod:`judgebench.providers.call_process`), as its retry loop reads it.

    The original exception cannot cross the pipe (an SDK's error holds its request and response), so
    the child sends what the retry loop and the circuit breaker read of it, and this error carries it:
    :func:`~judgebench.providers.breaker.describe`, :func:`~judgebench.providers.breaker.failure_cause`
    and the breaker's other readers answer for it as they would for the original. Never seen by users:
    the retry loop stores its :attr:`description` (like any failure's) or the breaker turns it into a
    :class:`~judgebench.errors.ServerSetupError`.

    Attributes:
        description: ``describe(original)``, the key redacted (``APIStatusError: Error code: 500 …``).
        retryable: the child's provider's ``is_retryable(original)``.
        retry_after: its ``retry_after(original)``: seconds the server asked to wait, or ``None``.
        status_code: the HTTP status, if the server answered.
        cause: ``failure_cause(original)``: the non-passing cause, or ``None``.
        cause_description: ``describe()`` of the link of the original's chain that shows ``cause``.
        where: the address the request went to (the breaker's ``_where``).
    """

    def __init__(
        self,
        description: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status_code: int | None = None,
        cause: str | None = None,
        cause_description: str | None = None,
        where: str = "the server",
    ) -> None:
        super().__init__(description)
        self.description = description
        self.retryable = retryable
        self.retry_after = retry_after
        self.status_code = status_code
        self.cause = cause
        self.cause_description = cause_description
        self.where = where


FINISH_LENGTH: frozenset[str] = frozenset({"length", "max_tokens"})
"""Finish reasons that mean the reply was cut off by a token limit (OpenAI and compatible servers, Anthropic)."""


@dataclass(frozen=True)
class Completion:
    """What a model returned for one call.

    Token counts are ``None`` when the server did not report them.

    Attributes:
        text: the message content (for a structured reply: the JSON text).
        input_tokens: prompt tokens.
        output_tokens: reply tokens, reasoning tokens included (as vendors bill them).
        finish_reason: the vendor's word for why it stopped (``stop``, ``length``, ``max_tokens``…).
        reasoning: reasoning the API returned apart from the content
            (``reasoning_content``, Anthropic thinking blocks), else ``None``.
        reasoning_tokens: the part of ``output_tokens`` spent reasoning, when reported.
    """

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    reasoning: str | None = None
    reasoning_tokens: int | None = None

    @property
    def truncated(self) -> bool:
        """The reply stopped at its token limit (``finish_reason`` ``length`` / ``max_tokens``).

        >>> Completion("…", finish_reason="length").truncated, Completion("ok", finish_reason="stop").truncated
        (True, False)
        """
        return self.finish_reason in FINISH_LENGTH

    @property
    def usage(self) -> Usage:
        """This call's :class:`~judgebench.records.Usage` (one call; unreported counts are zero)."""
        return Usage(1, self.input_tokens or 0, self.output_tokens or 0, self.reasoning_tokens or 0)


class VerdictLogprobs(dict[str, float]):
    """What :meth:`VerdictScorer.verdict_distribution` returns: log-probability by verdict value,
    with the tokens the call used.

    A plain ``dict`` subclass, so it compares and pickles (Ray workers) like the mapping it is.

    Attributes:
        input_tokens: tokens the model read (prompt, and for a local model each verdict's
            extra tokens fed to score it); ``None`` when the server did not report them.
        output_tokens: tokens generated (a local model reads probabilities and generates none).

    >>> v = VerdictLogprobs({"7": -0.1}, input_tokens=812, output_tokens=0)
    >>> v == {"7": -0.1}, v.input_tokens, v.output_tokens
    (True, 812, 0)
    """

    def __init__(
        self, logprobs: dict[str, float] | None = None, *, input_tokens: int | None, output_tokens: int | None
    ) -> None:
        super().__init__(logprobs or {})
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens


@dataclass(frozen=True)
class ProviderCapabilities:
    """What a provider can do beyond :class:`Provider`'s calls, with the defaults of a plain API provider.

    The pipeline reads these instead of probing providers for attributes. A provider
    declares them as its :attr:`Provider.capabilities`; :data:`API_CAPABILITIES` are the defaults.

    Attributes:
        preferred_parallel: calls worth keeping in flight when ``--parallel`` is not given
            (a batching local model wants several batches' worth); ``0``: no preference, the
            pipeline's default (8) applies.
        batch_size: most requests the provider runs together in one step (a local model's
            ``generate()`` batch); ``1`` for one request at a time.
        accepts_reasoning_effort: ``Decoding.reasoning_effort`` is passed to the model
            (OpenAI's API); ``False``: ``--reasoning-effort`` is refused before any call.

    >>> ProviderCapabilities()
    ProviderCapabilities(preferred_parallel=0, batch_size=1, accepts_reasoning_effort=False)
    """

    preferred_parallel: int = 0
    batch_size: int = 1
    accepts_reasoning_effort: bool = False


API_CAPABILITIES = ProviderCapabilities()
"""The capabilities of a provider that declares nothing special: no batching, no reasoning effort."""


@runtime_checkable
class Provider(Protocol):
    """What every model backend implements."""

    @property
    def model_id(self) -> str:
        """The full ``provider/model`` id."""
        ...

    @property
    def capabilities(self) -> ProviderCapabilities:
        """What the provider can do beyond these calls (:class:`ProviderCapabilities`)."""
        ...

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Make one call; raise on failure (the caller decides about retries)."""
        ...

    def is_retryable(self, exc: BaseException) -> bool:
        """Whether ``exc`` is passing (rate limit, 5xx, timeout, broken body)."""
        ...

    def retry_after(self, exc: BaseException) -> float | None:
        """Seconds the server asked us to wait before retrying, if it said."""
        ...

    def redact(self, text: str) -> str:
        """Return ``text`` with any secret this provider holds masked out."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True)
class BatchRequest:
    """One request of a batch; ``custom_id`` comes back with its result."""

    custom_id: str
    messages: tuple[Message, ...]
    decoding: Decoding


@dataclass(frozen=True)
class BatchState:
    """Where a submitted batch stands.

    Attributes:
        status: the vendor's own word (``in_progress``, ``completed``, ``ended``…).
        done: results can be fetched.
        failed: it ended without results (failed, expired, cancelled).
    """

    status: str
    done: bool
    failed: bool = False


@runtime_checkable
class BatchProvider(Protocol):
    """A provider that also offers its vendor's batch API (half price, results within a day)."""

    async def submit_batch(self, requests: Sequence[BatchRequest]) -> str:
        """Submit the requests as one batch; return its id."""
        ...

    async def batch_state(self, batch_id: str) -> BatchState:
        """Ask where the batch stands."""
        ...

    async def batch_results(self, batch_id: str) -> dict[str, Completion | str]:
        """Each request's completion, or the reason it failed, by ``custom_id``."""
        ...


@runtime_checkable
class VerdictScorer(Protocol):
    """Optional: providers that can read a verdict from token probabilities.

    Instead of parsing free text, the judge pipeline asks for the
    log-probability of each possible verdict ``value`` written right after
    ``opener`` at the start of the reply (then ``closer``): ``[[`` + ``7`` +
    ``]]``. Local models compute it exactly from their logits; API providers
    read their ``top_logprobs``. Values the model gives no probability to are
    left out of the returned mapping.
    """

    async def verdict_distribution(
        self, messages: Sequence[Message], opener: str, values: Sequence[str], closer: str
    ) -> dict[str, float]:
        """Log-probability of each verdict value (natural log), by value.

        Implementations return a :class:`VerdictLogprobs` so that the tokens read are counted.
        """
        ...


class ProviderFactory(Protocol):
    """A provider class, or any callable building one."""

    def __call__(self, model: str, options: ProviderOptions) -> Provider:
        """Build the provider for ``model`` (the part after ``provider/``)."""
        ...
