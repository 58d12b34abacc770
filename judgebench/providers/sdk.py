"""What the SDK adapters (``openai/``, ``anthropic/``) share: :class:`SDKProvider`, their one base.

An adapter over a vendor's official SDK is mostly the same code whatever the vendor: the key read
from one environment variable (required unless a base URL is given), the SDK's own retries switched
off (:func:`judgebench.providers.retry.complete_with_retry` is the one retry loop), HTTP statuses
sorted into retryable (408, 409, 429, 5xx), run-stopping (401/403: the key; 404/405/501: the model
or the URL, :func:`status_setup_error`) and final, ``Retry-After`` honoured, the key masked in every
message. :class:`SDKProvider` holds all of it; an adapter names its SDK's error classes
(:class:`SDKErrors`), builds its client (:meth:`SDKProvider._make_client`) and writes only the
request and the reading of the reply.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from judgebench.errors import MissingApiKeyError, ProviderAuthError, ProviderError, ServerSetupError
from judgebench.providers.options import ProviderOptions
from judgebench.providers.protocol import (
    API_CAPABILITIES,
    MalformedResponseError,
    NotAnApiReplyError,
    ProviderCapabilities,
)
from judgebench.providers.retry_after import retry_after_from_headers

__all__ = [
    "NO_API_STATUS",
    "PLACEHOLDER_KEY",
    "SDKErrors",
    "SDKProvider",
    "got",
    "one_line",
    "run_stopping_errors",
    "status_setup_error",
]

PLACEHOLDER_KEY = "judgebench-no-key"
"""The key sent to a server given by base URL when none is set: local servers and proxies accept any
key, and the SDKs insist on one."""


def got(reply: object) -> str:
    """What came back instead of the API's object, for a message: the start of a text, or its type.

    >>> got("<html>Not here</html>"), got(None)
    ("text '<html>Not here</html>'", 'NoneType')
    """
    return f"text {one_line(reply, 60)!r}" if isinstance(reply, str) else type(reply).__name__


def one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, at most ``limit`` characters (cut with ``…``).

    >>> one_line("a\\n  b"), one_line("x" * 10, limit=5)
    ('a b', 'xxxx…')
    """
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@contextmanager
def run_stopping_errors(
    status_error: type[Exception], translate: Callable[[Any], ProviderError | None]
) -> Iterator[None]:
    """Re-raise a vendor's HTTP status error as the run-stopping error ``translate`` names, if any.

    Each SDK adapter knows which statuses doom every call of a run (a rejected
    key, an unknown model) and builds the :class:`~judgebench.errors.ProviderError`
    for them; every other error passes through unchanged for the retry loop.

    >>> with run_stopping_errors(KeyError, lambda exc: ProviderError("stop")):
    ...     raise KeyError("x")
    Traceback (most recent call last):
    ...
    judgebench.errors.ProviderError: stop
    """
    try:
        yield
    except status_error as exc:
        fatal = translate(exc)
        if fatal is None:
            raise
        raise fatal from exc


NO_API_STATUS = frozenset({405, 501})
"""HTTP statuses a server gives when nothing at the URL takes the API's POSTs (a static file
server, a web page): every call of the run would get them, so they stop it at once."""


def status_setup_error(
    status: int, *, url: str, model: str, path: str, body: object, said: str, batch: bool = False
) -> ServerSetupError | None:
    """The run-stopping error an HTTP status shows about the server's setup, else ``None``.

    Shared by the SDK adapters, whatever their exception types:

    - under ``--batch`` (``batch``), a 404 or 405 means the server has no batch API;
    - a 405 or 501 (:data:`NO_API_STATUS`), or a 404 whose body is not the API's
      JSON error (a web server's page, or nothing): no API at ``url`` at all;
    - a 404 with the API's JSON error: the model is unknown there.

    Args:
        status: the HTTP status.
        url: the server's base URL, as named in the message.
        model: the model asked for.
        path: the request's path.
        body: the reply's parsed JSON body, if it had one.
        said: the server's own message, one line, key redacted.
        batch: the call was to the batch API.

    >>> kw = dict(url="http://h/v1", model="m", path="/v1/chat/completions", said="x")
    >>> status_setup_error(501, body=None, **kw).cause, status_setup_error(404, body={"error": {}}, **kw).cause
    ('endpoint not found', 'endpoint not found')
    >>> str(status_setup_error(404, body={"error": {}}, **kw)).startswith("model 'm' not found")
    True
    >>> status_setup_error(405, body=None, batch=True, **kw).cause, status_setup_error(429, body=None, **kw)
    ('feature missing', None)
    """
    if batch and status in (404, 405):
        return ServerSetupError(
            f"the server at {url} has no batch API ({status} on {path}: {said}) — drop --batch to judge with "
            "direct calls",
            "feature missing",
        )
    if status in NO_API_STATUS or (status == 404 and not isinstance(body, dict)):
        return ServerSetupError(
            f"no API at {url} ({status} on {path}: {said}) — check --base-url "
            "(an OpenAI-compatible server's usually ends in /v1)",
            "endpoint not found",
        )
    if status == 404:
        return ServerSetupError(
            f"model {model!r} not found at {url} (404: {said}) — check --model and --base-url",
            "endpoint not found",
        )
    return None


_RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class SDKErrors:
    """An SDK's exception classes, as :class:`SDKProvider` sorts them.

    Attributes:
        status: the SDK's error for an HTTP error status (``openai.APIStatusError``…); it carries
            ``status_code``, ``body``, ``message``, ``request`` and ``response``.
        auth: its subclasses for a rejected key (401, 403).
        retryable: errors always worth retrying (dropped connections and timeouts, a body the
            SDK could not validate).
    """

    status: type[Exception]
    auth: tuple[type[Exception], ...]
    retryable: tuple[type[Exception], ...]

    @classmethod
    def of(cls, sdk: ModuleType) -> SDKErrors:
        """The classes of an SDK generated the way ``openai`` and ``anthropic`` are (Stainless), which
        name them alike: ``APIStatusError``; ``AuthenticationError``, ``PermissionDeniedError``;
        ``APIConnectionError`` (timeouts included), ``APIResponseValidationError``.

        Args:
            sdk: the SDK's top-level module.

        >>> import openai
        >>> SDKErrors.of(openai).auth
        (<class 'openai.AuthenticationError'>, <class 'openai.PermissionDeniedError'>)
        """
        return cls(
            status=sdk.APIStatusError,
            auth=(sdk.AuthenticationError, sdk.PermissionDeniedError),
            retryable=(sdk.APIConnectionError, sdk.APIResponseValidationError),
        )


class SDKClient(Protocol):
    """What :class:`SDKProvider` needs of an SDK's async client (``openai.AsyncOpenAI``…)."""

    @property
    def base_url(self) -> Any:
        """The server's base URL (an ``httpx.URL``)."""
        ...

    async def close(self) -> None:
        """Close its HTTP connections."""
        ...


ClientT = TypeVar("ClientT", bound=SDKClient)
R = TypeVar("R")


class SDKProvider(Generic[ClientT]):
    """The shared part of a provider over a vendor's official SDK; subclasses set the class attributes.

    Args:
        model: the part after ``<name>/`` (e.g. ``gpt-4o-mini``).
        options: base URL, timeouts and key variable.

    Raises:
        MissingApiKeyError: no key is set and no base URL is given.
    """

    name: ClassVar[str]
    """The provider part of model ids (``openai``)."""
    default_key_env: ClassVar[str]
    """Where the key is read from unless ``ProviderOptions.api_key_env`` says otherwise."""
    vendor: ClassVar[str]
    """The vendor's API in messages (``the OpenAI API``)."""
    compatible_server: ClassVar[str]
    """What else ``--base-url`` may point at, in the missing-key message."""
    errors: ClassVar[SDKErrors]
    """The SDK's exception classes."""
    shards: ClassVar[int] = 1
    """SDK clients (each with its own connection pool) that calls are spread over, round-robin."""
    capabilities: ProviderCapabilities = API_CAPABILITIES
    """What the provider can do beyond its calls (:class:`~judgebench.providers.ProviderCapabilities`)."""

    def __init__(self, model: str, options: ProviderOptions | None = None) -> None:
        options = options or ProviderOptions()
        self._key_env = options.api_key_env or self.default_key_env
        key = os.environ.get(self._key_env, "")
        if not key and options.base_url is None:
            raise MissingApiKeyError(
                f"{self._key_env} is not set — export {self._key_env}=<your key>, "
                f"or pass --base-url for {self.compatible_server}"
            )
        self._model = model
        self._key = key
        self._compatible = options.base_url is not None
        self._clients = [self._make_client(key or PLACEHOLDER_KEY, options) for _ in range(max(self.shards, 1))]
        self._client = self._clients[0]
        self._turns = itertools.cycle(self._clients)
        self._url = str(self._client.base_url).rstrip("/")

    def _make_client(self, key: str, options: ProviderOptions) -> ClientT:
        """One SDK client with the SDK's retries off (``max_retries=0``) and ``options``' timeouts.

        Args:
            key: the API key (a placeholder for a keyless server).
            options: base URL and timeouts.
        """
        raise NotImplementedError

    def _next_client(self) -> ClientT:
        """The client for the next call: the :attr:`shards` clients take turns."""
        return next(self._turns)

    @property
    def model_id(self) -> str:
        """The full ``<name>/<model>`` id."""
        return f"{self.name}/{self._model}"

    def _where(self) -> str:
        return f"the server at {self._url}" if self._compatible else self.vendor

    def _fatal(self, exc: Any, *, batch: bool = False) -> ProviderError | None:
        """The run-stopping error a 401/403/404/405/501 (``exc``, the SDK's status error) stands for, else ``None``."""
        if isinstance(exc, self.errors.auth):
            return ProviderAuthError(self._auth_message(exc))
        return status_setup_error(
            exc.status_code, url=self._url, model=self._model, path=exc.request.url.path, body=exc.body,
            said=self._server_says(exc), batch=batch,
        )  # fmt: skip

    def _fatal_batch(self, exc: Any) -> ProviderError | None:
        """As :meth:`_fatal`, but a 404 or 405 means the server has no batch API."""
        return self._fatal(exc, batch=True)

    def _stopping(self, *, batch: bool = False) -> AbstractContextManager[None]:
        """Around an SDK call: its status errors that doom the run raised as :meth:`_fatal` says."""
        return run_stopping_errors(self.errors.status, self._fatal_batch if batch else self._fatal)

    async def _expect(self, request: Awaitable[object], kind: type[R], what: str, *, batch: bool = False) -> R:
        """Await an SDK ``request`` whose reply must be a ``kind``; its run-stopping statuses raised as :meth:`_fatal`.

        Without strict validation the SDKs hand back whatever the server sent (plain text for a
        non-JSON content type), so the reply's type is checked here.

        Args:
            request: the SDK call, not yet awaited.
            kind: the SDK's type of the reply.
            what: the reply in the message (``a batch``).
            batch: the call is to the batch API (a 404 or 405 means there is none).

        Raises:
            NotAnApiReplyError: the reply is not a ``kind``.
            ProviderError: a status that stops the run.
        """
        with self._stopping(batch=batch):
            reply = await request
        if not isinstance(reply, kind):
            raise NotAnApiReplyError(f"expected {what}, got {got(reply)}", self._url)
        return reply

    def _auth_message(self, exc: Any) -> str:
        said = f"({exc.status_code}: {self._server_says(exc)})"
        if not self._key:
            return f"{self._where()} wants a key {said} — export {self._key_env}=<its key>"
        return f"{self._where()} rejected the key in {self._key_env} {said} — check {self._key_env}"

    def _said(self, exc: Any) -> str:
        """The server's own message in a status error."""
        return str(exc.message)

    def _server_says(self, exc: Any) -> str:
        return self.redact(one_line(self._said(exc)))

    def is_retryable(self, exc: BaseException) -> bool:
        """Whether a failure of a call may pass on a later try: 408, 409, 429 and 5xx statuses, dropped
        connections and timeouts, bodies that are not the reply (malformed, not JSON, not UTF-8).

        Args:
            exc: what the call raised.
        """
        if isinstance(exc, self.errors.status):
            status: int = cast(Any, exc).status_code
            return status in _RETRYABLE_STATUS or status >= 500
        passing = (*self.errors.retryable, MalformedResponseError, json.JSONDecodeError, UnicodeDecodeError)
        return isinstance(exc, passing)

    def retry_after(self, exc: BaseException) -> float | None:
        """Seconds the server asked to wait (``retry-after-ms``/``Retry-After``), if it said.

        Args:
            exc: what the call raised.
        """
        if isinstance(exc, self.errors.status):
            return retry_after_from_headers(cast(Any, exc).response.headers)
        return None

    def redact(self, text: str) -> str:
        """Mask the API key wherever it appears in ``text``.

        Args:
            text: an error message or anything else about to be stored.
        """
        return text.replace(self._key, "***") if self._key else text

    async def aclose(self) -> None:
        """Close the HTTP connections (of every client)."""
        for client in self._clients:
            await client.close()
