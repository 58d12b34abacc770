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

A run's calls share one :class:`CircuitBreaker`: failures whose cause is not
passing — connection refused or timed out, a host or network that is
unreachable, a host name that does not resolve, a TLS failure, replies that
are not the API's at all — are counted across calls, and once
:data:`FIRST_CALLS_THRESHOLD` attempts in a row (before any call of the run
succeeded) or :data:`STREAK_THRESHOLD` in a row (later) fail with the
same such cause, the run stops with one
:class:`~judgebench.errors.ServerSetupError` naming the cause and the fix.
Passing causes (429, 5xx, timeouts, dropped connections) never count: they
keep their retries. Each retry is reported to ``on_retry`` as a
:class:`RetryEvent` (the CLI counts them on its progress bar).
"""

from __future__ import annotations

import asyncio
import errno
import json
import math
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from judgebench.errors import JudgebenchError, ProviderError, ServerSetupError
from judgebench.providers import Completion, Decoding, NotAnApiReplyError, Provider
from judgebench.records import Message

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
    "failure_cause",
    "retry_after_from_headers",
    "setup_error",
]

FIRST_CALLS_THRESHOLD = 3
"""Attempts in a row failing with the same non-passing cause, before any call of the run
succeeded, that stop the run (with ``--parallel 1``: about 3 s of backoff at most)."""

STREAK_THRESHOLD = 10
"""Attempts in a row failing with the same non-passing cause that stop a run after some call
succeeded (a server that went away mid-run); a success or any other outcome resets the count."""

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one call.

    Attributes:
        max_attempts: calls in all, the first included.
        initial: first backoff ceiling in seconds; doubles each retry.
        max_wait: ceiling of one backoff wait when the server gave no hint.
        max_retry_after: longest ``Retry-After`` we honour; longer is capped.
        budget: seconds after the first attempt past which no retry starts.
    """

    max_attempts: int = 6
    initial: float = 1.0
    max_wait: float = 60.0
    max_retry_after: float = 300.0
    budget: float = 900.0


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


_CAUSES: dict[str, str] = {
    "connection refused": "is the server running? Start it, or fix the host and port in --base-url",
    "connection timed out": "is the host up and the port open (no firewall dropping it)? Check --base-url",
    "host unreachable": "check the address in --base-url, and this machine's network or VPN",
    "host name not resolved": "check the host name in --base-url for a typo, and that this machine has network/DNS",
    "TLS failure": "if the server speaks plain HTTP, use http:// in --base-url; else check its certificate",
    "not an API reply": "check --base-url: it should point at the API itself (OpenAI-compatible servers end in /v1)",
}
"""The non-passing causes the breaker counts, with the fix each message gives."""


_UNTIL_SUCCESS = frozenset({"connection timed out"})
"""Causes that count only until a call of the run went through: once the server has
answered, a slow connection more likely means load (here or there) than a wrong address."""


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it (``__cause__``/``__context__``), outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen) and len(seen) < 16:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def failure_cause(exc: BaseException) -> str | None:
    """The non-passing cause of a failed call, or ``None`` when it may pass on a retry.

    Read from the exception and its causes, so it works for any SDK built on
    the standard library's sockets and ``ssl``: ``ConnectionRefusedError`` →
    ``"connection refused"``; a ``ConnectTimeout`` (httpx, httpcore: no
    connection within :data:`~judgebench.providers.CONNECT_TIMEOUT`) →
    ``"connection timed out"``; ``ENETUNREACH``/``EHOSTUNREACH`` → ``"host
    unreachable"``; ``socket.gaierror`` → ``"host name not
    resolved"``; ``ssl.SSLError``/``ssl.CertificateError`` → ``"TLS
    failure"``; a body that is not JSON or not the API's reply
    (``json.JSONDecodeError``, :class:`~judgebench.providers.NotAnApiReplyError`)
    → ``"not an API reply"``. Read timeouts, dropped connections and HTTP
    statuses give ``None``.

    >>> failure_cause(ConnectionRefusedError(111, "refused"))
    'connection refused'
    >>> try:
    ...     raise RuntimeError("Connection error.") from socket.gaierror(-2, "Name or service not known")
    ... except RuntimeError as exc:
    ...     failure_cause(exc)
    'host name not resolved'
    >>> failure_cause(OSError(errno.EHOSTUNREACH, "No route to host"))
    'host unreachable'
    >>> failure_cause(TimeoutError("read timed out")) is None
    True
    """
    found = _cause_link(exc)
    return found[0] if found else None


def _cause_link(exc: BaseException) -> tuple[str, BaseException] | None:
    """The non-passing cause of ``exc`` and the link of its chain that shows it."""
    for link in _chain(exc):
        if isinstance(link, ConnectionRefusedError):
            return "connection refused", link
        if type(link).__name__ == "ConnectTimeout":  # httpx/httpcore: no connection within CONNECT_TIMEOUT
            return "connection timed out", link
        if isinstance(link, OSError) and link.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "host unreachable", link
        if isinstance(link, socket.gaierror):
            return "host name not resolved", link
        if isinstance(link, ssl.SSLError | ssl.CertificateError):
            return "TLS failure", link
        if isinstance(link, json.JSONDecodeError | NotAnApiReplyError):
            return "not an API reply", link
    return None


def _where(exc: BaseException) -> str:
    """The address a failed request went to (``http://host:port/path``), read from the SDK's error."""
    for link in _chain(exc):
        url = link.url if isinstance(link, NotAnApiReplyError) else getattr(getattr(link, "request", None), "url", None)
        if url is not None:
            return str(url)
    return "the server"


def setup_error(exc: BaseException, count: int = 1, *, redact: Callable[[str], str] = str) -> ServerSetupError | None:
    """The one-line :class:`~judgebench.errors.ServerSetupError` for a failure with a non-passing cause, else ``None``.

    Args:
        exc: the failure (an SDK error, or anything whose causes hold the socket/TLS error).
        count: attempts in a row that failed this way (said in the message when more than one).
        redact: masks secrets in the message.

    >>> failed = setup_error(ConnectionRefusedError(111, "Connect call failed"))
    >>> failed.cause if failed else None
    'connection refused'
    >>> str(failed).split(" — ")[0]
    'connection refused at the server (ConnectionRefusedError: [Errno 111] Connect call failed)'
    >>> setup_error(TimeoutError("slow")) is None
    True
    """
    found = _cause_link(exc)
    if found is None:
        return None
    cause, link = found
    times = f"{count} attempts in a row: " if count > 1 else ""
    return ServerSetupError(
        redact(
            f"{cause} at {_where(exc)} ({times}{describe(link)}) — {_CAUSES[cause]}; "
            "finished work is saved, rerun the same command to resume"
        ),
        cause,
    )


_NETWORK_MODULES = ("httpx", "httpcore", "openai", "anthropic", "h11", "h2", "ssl", "socket")


def connection_error(exc: BaseException) -> JudgebenchError | None:
    """A connection or protocol failure that escaped the retry loop, as one line; ``None`` for anything else.

    The CLI's last resort, so that no command path prints a traceback for a
    server that is down, unreachable or not speaking the API: a non-passing
    cause gives its :func:`setup_error`; any other exception raised by an HTTP
    or SDK library (``httpx``, ``openai``, ``anthropic``…), or a socket error
    (refused, reset, timed out, unresolved, TLS), gives a :class:`~judgebench.errors.ProviderError` naming it.
    Other exceptions are bugs and give ``None`` (their traceback is kept).

    >>> str(connection_error(TimeoutError("timed out"))).split(" — ")[0]
    'TimeoutError: timed out (talking to the server)'
    >>> connection_error(KeyError("x")) is None
    True
    """
    known = setup_error(exc)
    if known is not None:
        return known
    for link in _chain(exc):
        module = type(link).__module__.split(".")[0].rstrip("0123456789")  # httpx2 → httpx
        socket_error = isinstance(link, ConnectionError | TimeoutError | socket.gaierror | ssl.SSLError)
        if socket_error or module in _NETWORK_MODULES:
            return ProviderError(
                f"{describe(link if socket_error else exc)} (talking to the server) — check that the "
                "server is up and --base-url is right, then rerun the same command (finished work is saved)"
            )
    return None


class CircuitBreaker:
    """Stops a run whose calls all fail with the same non-passing cause.

    One breaker is shared by every call of a run (answers or judgments). Each
    failed attempt is classified by :func:`failure_cause`. Attempts in a row
    failing with the same cause are counted; a success, a passing failure
    (429, 5xx, timeout) or another cause starts the count again. The run
    stops — :meth:`failure` raises :class:`~judgebench.errors.ServerSetupError`,
    and every later attempt of any call raises it too — once the count reaches
    ``first_calls`` while no call of the run has succeeded yet, or ``streak``
    after one has.

    A connection timeout counts only until a call succeeded: after that it is
    taken for load, and retried like any passing failure.

    Args:
        first_calls: the threshold before any success (default :data:`FIRST_CALLS_THRESHOLD`).
        streak: the threshold after a success (default :data:`STREAK_THRESHOLD`).
    """

    def __init__(self, first_calls: int = FIRST_CALLS_THRESHOLD, streak: int = STREAK_THRESHOLD) -> None:
        self.first_calls = first_calls
        self.streak = streak
        self.succeeded = False
        self.cause: str | None = None
        self.count = 0
        self.tripped: JudgebenchError | None = None

    def success(self) -> None:
        """A call went through: the server works."""
        self.succeeded = True
        self.cause, self.count = None, 0

    def failure(self, exc: BaseException, redact: Callable[[str], str] = str) -> None:
        """Count a failed attempt; raise if the run should stop.

        Args:
            exc: what the attempt raised.
            redact: masks secrets in the message (the provider's ``redact``).

        Raises:
            ServerSetupError: the threshold was reached.
        """
        cause = failure_cause(exc)
        if cause is None or (cause in _UNTIL_SUCCESS and self.succeeded):
            self.cause, self.count = None, 0
            return
        self.count = self.count + 1 if cause == self.cause else 1
        self.cause = cause
        threshold = self.streak if self.succeeded else self.first_calls
        if self.count >= threshold:
            tripped = setup_error(exc, self.count, redact=redact)
            assert tripped is not None
            self.tripped = tripped
            raise tripped from exc

    def stop(self, error: JudgebenchError) -> None:
        """Trip on an error a provider raised to stop the run (a 404, a rejected key, a missing feature)."""
        if self.tripped is None:
            self.tripped = error

    def check(self) -> None:
        """Raise the breaker's error if it has tripped (no new attempt may start)."""
        if self.tripped is not None:
            raise self.tripped


class CallFailed(Exception):
    """A call that failed for good; ``reason`` is safe to store (secrets redacted)."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


def describe(exc: BaseException) -> str:
    """One line naming an exception: its type and first line of message.

    >>> describe(TimeoutError("read timed out\\nmore"))
    'TimeoutError: read timed out'
    >>> describe(ValueError())
    'ValueError'
    """
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def retry_after_from_headers(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds a server asked us to wait, read from its response headers.

    ``retry-after-ms`` (milliseconds, sent by OpenAI and Anthropic) wins over
    the standard ``Retry-After``, which is either seconds (integer or decimal)
    or an HTTP date. Header names match in any case. A date in the past means
    no wait; a value that is missing, negative or unreadable gives ``None``.

    Args:
        headers: the response headers (any mapping; ``httpx`` headers work).
        now: the current time, for HTTP dates (tests pin it).

    >>> retry_after_from_headers({"Retry-After": "2"})
    2.0
    >>> retry_after_from_headers({"retry-after": "0.5"})
    0.5
    >>> retry_after_from_headers({"Retry-After": "9", "Retry-After-Ms": "1500"})
    1.5
    >>> retry_after_from_headers({"retry-after-ms": "soon", "retry-after": "3"})
    3.0
    >>> t0 = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    >>> retry_after_from_headers({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, now=t0)
    30.0
    >>> retry_after_from_headers({"Retry-After": "Wed, 21 Oct 2015 07:27:00 GMT"}, now=t0)
    0.0
    >>> [retry_after_from_headers(h) for h in ({}, {"Retry-After": "later"}, {"Retry-After": "-1"})]
    [None, None, None]
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    millis = _seconds(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = lowered.get("retry-after")
    seconds = _seconds(value)
    if seconds is not None or value is None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an unzoned one is read as such
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _seconds(value: str | None) -> float | None:
    """A finite, non-negative number of seconds, or ``None``."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


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
    """Make ``call()`` (any request to ``provider``) under ``policy``; see :func:`complete_with_retry`."""
    policy = policy or RetryPolicy()
    backoff = wait_random_exponential(multiplier=policy.initial, max=policy.max_wait)

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

    def retryable(exc: BaseException) -> bool:
        return not isinstance(exc, JudgebenchError) and provider.is_retryable(exc)

    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.budget),
            wait=wait,
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep,
            sleep=sleep,
            reraise=True,
        ):
            with attempt:
                attempts = attempt.retry_state.attempt_number
                return await attempt_call()
    except JudgebenchError:
        raise
    except Exception as exc:
        what = "gave up after" if provider.is_retryable(exc) else "not retryable, after"
        noun = "attempt" if attempts == 1 else "attempts"
        raise CallFailed(f"{what} {attempts} {noun}: {provider.redact(describe(exc))}", attempts) from exc
    raise AssertionError("unreachable: tenacity ends with a result or an exception")  # pragma: no cover
