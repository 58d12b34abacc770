"""The run's circuit breaker: which failures are not passing, and when they stop the run.

A run's calls share one :class:`CircuitBreaker`: failures whose cause is not
passing — connection refused or timed out, a host or network that is
unreachable, a host name that does not resolve, a TLS failure, replies that
are not the API's at all — are counted across calls (:func:`failure_cause`),
and once :data:`FIRST_CALLS_THRESHOLD` attempts in a row (before any call of
the run succeeded) or :data:`STREAK_THRESHOLD` in a row (later) fail with the
same such cause, the run stops with one
:class:`~judgebench.errors.ServerSetupError` naming the cause and the fix
(:func:`setup_error`). Passing causes (429, 5xx, timeouts, dropped
connections) never count: they keep their retries.
:func:`connection_error` is the CLI's last resort for such failures that
escaped the retry loop.
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
from collections.abc import Callable

from judgebench.errors import JudgebenchError, ProviderError, ServerSetupError
from judgebench.providers.protocol import NotAnApiReplyError, RemoteCallError

__all__ = [
    "FIRST_CALLS_THRESHOLD",
    "STREAK_THRESHOLD",
    "CircuitBreaker",
    "cause_link",
    "connection_error",
    "describe",
    "failure_cause",
    "setup_error",
    "where",
]


FIRST_CALLS_THRESHOLD = 3
"""Attempts in a row failing with the same non-passing cause, before any call of the run
succeeded, that stop the run (with ``--parallel 1``: about 3 s of backoff at most)."""

STREAK_THRESHOLD = 10
"""Attempts in a row failing with the same non-passing cause that stop a run after some call
succeeded (a server that went away mid-run); a success or any other outcome resets the count."""

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


def cause_link(exc: BaseException) -> tuple[str, str] | None:
    """The non-passing cause of ``exc`` (:func:`failure_cause`) and :func:`describe` of the link of its
    chain that shows it, or ``None``; a :class:`~judgebench.providers.RemoteCallError` answers with what
    its child process read of the original.

    >>> cause_link(ConnectionRefusedError(111, "refused"))
    ('connection refused', 'ConnectionRefusedError: [Errno 111] refused')
    >>> cause_link(RemoteCallError("x", retryable=False, cause="TLS failure", cause_description="SSLError: y"))
    ('TLS failure', 'SSLError: y')
    """
    found = _cause_link(exc)
    if found is None:
        return None
    cause, link = found
    if isinstance(link, RemoteCallError):
        return cause, link.cause_description or link.description
    return cause, describe(link)


def _cause_link(exc: BaseException) -> tuple[str, BaseException] | None:
    """The non-passing cause of ``exc`` and the link of its chain that shows it."""
    for link in _chain(exc):
        if isinstance(link, RemoteCallError):  # read in the process that made the call
            return (link.cause, link) if link.cause in _CAUSES else None
        if isinstance(link, ConnectionRefusedError):
            return "connection refused", link
        if _connect_timeout(link):  # no connection within CONNECT_TIMEOUT
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


def _connect_timeout(link: BaseException) -> bool:
    """Whether ``link`` says no connection was made in time: an httpx/httpcore ``ConnectTimeout``, or
    aiohttp's ``ConnectionTimeoutError``.

    The aiohttp transport of the SDKs (``httpx_aiohttp``) raises ``ConnectTimeout`` for every aiohttp
    connection error — a refused connection, a server hanging up — with the real one as its cause, so a
    ``ConnectTimeout`` counts only when what caused it (if anything) was a timeout; otherwise the chain
    is read on, to that real cause (a refused connection, say, or a passing disconnect).

    >>> class ConnectTimeout(Exception): ...
    >>> def raised(exc: Exception, cause: BaseException | None) -> Exception:
    ...     exc.__cause__ = cause
    ...     return exc
    >>> [_connect_timeout(raised(ConnectTimeout("x"), cause)) for cause in (TimeoutError(), None)]
    [True, True]
    >>> _connect_timeout(raised(ConnectTimeout("Server disconnected"), ConnectionResetError()))
    False
    """
    name = type(link).__name__
    if name == "ConnectionTimeoutError":  # aiohttp: connecting took longer than sock_connect
        return True
    if name != "ConnectTimeout":
        return False
    cause = link.__cause__
    return cause is None or isinstance(cause, TimeoutError) or type(cause).__name__ == "ConnectTimeout"


def where(exc: BaseException) -> str:
    """The address a failed request went to (``http://host:port/path``), read from the SDK's error
    (or, for a :class:`~judgebench.providers.RemoteCallError`, as its child process read it);
    ``the server`` when no link of its chain names one."""
    return _where(exc)


def _where(exc: BaseException) -> str:
    """The address a failed request went to (``http://host:port/path``), read from the SDK's error."""
    for link in _chain(exc):
        if isinstance(link, RemoteCallError):
            return link.where
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
    found = cause_link(exc)
    if found is None:
        return None
    cause, link = found
    times = f"{count} attempts in a row: " if count > 1 else ""
    return ServerSetupError(
        redact(
            f"{cause} at {_where(exc)} ({times}{link}) — {_CAUSES[cause]}; "
            "finished work is saved, rerun the same command to resume"
        ),
        cause,
    )


_NETWORK_MODULES = ("httpx", "httpcore", "aiohttp", "openai", "anthropic", "h11", "h2", "ssl", "socket")


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
        if isinstance(link, RemoteCallError):  # a failure of the call process's SDK, described there
            return ProviderError(
                f"{link.description} (talking to the server) — check that the server is up and --base-url "
                "is right, then rerun the same command (finished work is saved)"
            )
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


def describe(exc: BaseException) -> str:
    """One line naming an exception: its type and first line of message.

    >>> describe(TimeoutError("read timed out\\nmore"))
    'TimeoutError: read timed out'
    >>> describe(ValueError())
    'ValueError'
    >>> describe(RemoteCallError("APIStatusError: Error code: 500", retryable=True))
    'APIStatusError: Error code: 500'
    """
    if isinstance(exc, RemoteCallError):  # the original's, as the call process described it
        return exc.description
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
