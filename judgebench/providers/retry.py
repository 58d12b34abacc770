"""The one retry loop every model call goes through (tenacity).

Policy: a failure the provider calls retryable (429, 5xx, timeouts, dropped
connections, malformed bodies) is retried; the wait is what the server asked
for in ``Retry-After``/``retry-after-ms`` when it said, else a jittered
exponential backoff (``initial * 2**n`` capped at ``max_wait``, drawn
uniformly from [0, that]). We give up after ``max_attempts`` calls or once
``budget`` seconds have passed since the first, whichever comes first, and
raise :class:`CallFailed` carrying the reason, which the pipeline stores as a
failed record — a rerun retries only those. Errors that retrying cannot fix
and that concern the whole run (a rejected key) pass through as
:class:`~judgebench.errors.JudgebenchError` and stop the run.

A run's calls share one :class:`~judgebench.providers.breaker.CircuitBreaker`
(its own module): failures that are not passing (a refused connection, a wrong
URL) stop the run after a few attempts in a row instead of retrying each call.
Each retry is reported to ``on_retry`` as a :class:`RetryEvent` (the CLI
counts them on its progress bar).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from judgebench.errors import JudgebenchError
from judgebench.providers.breaker import (
    FIRST_CALLS_THRESHOLD,
    STREAK_THRESHOLD,
    CircuitBreaker,
    connection_error,
    describe,
    failure_cause,
    setup_error,
)
from judgebench.providers.options import RetryPolicy  # its home: the CLI reads its defaults without this module
from judgebench.providers.protocol import Completion, Provider
from judgebench.providers.retry_after import retry_after_from_headers
from judgebench.records import Decoding, Message

__all__ = [
    "FIRST_CALLS_THRESHOLD",
    "STREAK_THRESHOLD",
    "CallFailed",
    "CircuitBreaker",
    "RetryEvent",
    "RetryPolicy",
    "call_with_retry",
    "complete_with_retry",
    "connection_error",
    "describe",
    "failure_cause",
    "retry_after_from_headers",
    "setup_error",
]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryEvent:
    """One failed attempt about to be retried.

    Attributes:
        reason: one line naming the failure (secrets redacted).
        wait: seconds until the next attempt.
        status: the HTTP status of the failure, if the server answered (429, 503…).
        retry_after: whether ``wait`` is what the server asked in ``Retry-After``.
        attempt: the number of the attempt that failed (1 for the first).
    """

    reason: str
    wait: float
    status: int | None = None
    retry_after: bool = False
    attempt: int = 1

    def line(self) -> str:
        """The ``-v`` line: ``retrying in 1.0s: RateLimitError: …``.

        >>> RetryEvent("RateLimitError: slow down", 1.0).line()
        'retrying in 1.0s: RateLimitError: slow down'
        """
        return f"retrying in {self.wait:.1f}s: {self.reason}"


class CallFailed(Exception):
    """A call that failed for good; ``reason`` is safe to store (secrets redacted)."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


async def complete_with_retry(
    provider: Provider,
    messages: Sequence[Message],
    decoding: Decoding,
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_retry: Callable[[RetryEvent], None] | None = None,
    breaker: CircuitBreaker | None = None,
) -> Completion:
    """Call ``provider.complete`` under ``policy``.

    Args:
        provider: the model backend.
        messages: the conversation to send.
        decoding: sampling settings.
        policy: retry bounds (defaults: :class:`RetryPolicy`).
        sleep: the awaitable used to wait (tests pass a recorder).
        on_retry: called with a :class:`RetryEvent` before each wait.
        breaker: the run's :class:`CircuitBreaker`; ``None``: this call alone decides.

    Raises:
        CallFailed: retries exhausted, or a failure that is not retryable.
        ServerSetupError: ``breaker`` tripped: the run's calls all fail the same way.
        JudgebenchError: a failure that stops the whole run (bad key…).
    """
    return await call_with_retry(
        provider,
        lambda: provider.complete(messages, decoding),
        policy,
        sleep=sleep,
        on_retry=on_retry,
        breaker=breaker,
    )


async def call_with_retry(
    provider: Provider,
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_retry: Callable[[RetryEvent], None] | None = None,
    breaker: CircuitBreaker | None = None,
) -> T:
    """Make ``call()`` (any request to ``provider``) under ``policy``; see :func:`complete_with_retry`.

    The first attempt is made directly; only a call that fails enters tenacity's loop, which sees that
    failure as its own first attempt (replayed, not called again) and goes on exactly as if it had made
    it: same waits, reports, attempt numbers, and ``policy.budget`` counted from the first attempt's start.
    Tenacity's bookkeeping cost ~18 µs of client CPU on every call, nearly all of which succeed the first
    time (``bench/judge_latency.py``: 4,869 calls at 128 in flight).
    """
    policy = policy or RetryPolicy()
    started = time.monotonic()

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = provider.retry_after(exc) if exc is not None else None
        return min(max(hinted, 0.0), policy.max_retry_after) if hinted is not None else backoff(state)

    def before_sleep(state: RetryCallState) -> None:
        """Report a retry that will happen (tenacity calls this only when it is about to wait)."""
        exc = state.outcome.exception() if state.outcome else None
        if on_retry is None or exc is None or state.next_action is None:
            return
        status = getattr(exc, "status_code", None)
        on_retry(
            RetryEvent(
                reason=provider.redact(describe(exc)),
                wait=state.next_action.sleep,
                status=status if isinstance(status, int) else None,
                retry_after=provider.retry_after(exc) is not None,
                attempt=state.attempt_number,
            )
        )

    async def attempt_call() -> T:
        if breaker is None:
            return await call()
        breaker.check()
        try:
            result = await call()
        except JudgebenchError as exc:  # stops the run (404, rejected key…): no call of it may start now
            breaker.stop(exc)
            raise
        except Exception as exc:
            breaker.failure(exc, provider.redact)
            raise
        breaker.success()
        return result

    try:
        return await attempt_call()
    except JudgebenchError:
        raise
    except Exception as exc:
        first: Exception | None = exc

    async def replayed_then_called() -> T:
        nonlocal first
        if first is not None:  # the attempt made above: its failure, without a second call
            failed, first = first, None
            raise failed
        return await attempt_call()

    def retryable(exc: BaseException) -> bool:
        return not isinstance(exc, JudgebenchError) and provider.is_retryable(exc)

    backoff = wait_random_exponential(multiplier=policy.initial, max=policy.max_wait)
    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts)
            | stop_after_delay(max(policy.budget - (time.monotonic() - started), 0.0)),
            wait=wait,
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep,
            sleep=sleep,
            reraise=True,
        ):
            with attempt:
                attempts = attempt.retry_state.attempt_number
                return await replayed_then_called()
    except JudgebenchError:
        raise
    except Exception as exc:
        what = "gave up after" if provider.is_retryable(exc) else "not retryable, after"
        noun = "attempt" if attempts == 1 else "attempts"
        raise CallFailed(f"{what} {attempts} {noun}: {provider.redact(describe(exc))}", attempts) from exc
    raise AssertionError("unreachable: tenacity ends with a result or an exception")  # pragma: no cover
