"""Model providers: one small interface, looked up by ``provider/model`` name.

A provider turns chat messages into a :class:`Completion`. It does not retry:
:func:`judgebench.providers.retry.complete_with_retry` owns the one retry loop
and asks the provider two questions about each failure — is it worth retrying
(:meth:`Provider.is_retryable`) and did the server say how long to wait
(:meth:`Provider.retry_after`). Errors retrying cannot fix (a rejected key, an
unknown model) are raised by the provider as :class:`~judgebench.errors.ProviderError`.

Providers are found by the part of the model id before the first ``/``:
built-in ones are imported only when used, so ``judgebench --help`` never
imports an SDK; third-party packages add their own through the
``judgebench.providers`` entry-point group (``name = "module:Class"``), whose
class is called as ``Class(model, options)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit

from judgebench.errors import MissingExtraError, ProviderError, ServerSetupError, UnknownProviderError, UsageError
from judgebench.records import Decoding, Message, ResponseSchema, Usage

__all__ = [
    "CONNECT_TIMEOUT",
    "FINISH_LENGTH",
    "NO_API_STATUS",
    "BatchProvider",
    "BatchRequest",
    "BatchState",
    "Completion",
    "Decoding",
    "LocalOptions",
    "MalformedResponseError",
    "NotAnApiReplyError",
    "Provider",
    "ProviderFactory",
    "ProviderOptions",
    "ResponseSchema",
    "VerdictLogprobs",
    "VerdictScorer",
    "check_url",
    "create_provider",
    "known_providers",
    "run_stopping_errors",
    "split_model_id",
    "status_setup_error",
]


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


CONNECT_TIMEOUT = 5.0
"""Seconds API providers wait to open a connection by default (the ``openai`` SDK's own
default; :attr:`ProviderOptions.connect_timeout`), whatever ``--timeout`` (which bounds
reading the reply) says. A host that never answers
the connection is then known in seconds, and the run's circuit breaker counts it
(``"connection timed out"``) until a call of the run has gone through."""


def check_url(url: str, option: str = "--base-url") -> None:
    """Reject a server address that cannot work, before any call is made.

    It must be an ``http://`` or ``https://`` URL with a host, and a port, if
    given, in 1–65535.

    Args:
        url: the address as given.
        option: the option it came from, named in the message.

    Raises:
        UsageError: one line naming the option, the value and the fix.

    >>> check_url("http://localhost:8000/v1")
    >>> for bad in ("notaurl", "http://localhost:80000/v1", "http://localhost:0"):
    ...     try:
    ...         check_url(bad)
    ...     except UsageError as exc:
    ...         print(str(exc).split(" — ")[0])
    --base-url 'notaurl': not an http(s) URL
    --base-url 'http://localhost:80000/v1': port out of range (1–65535)
    --base-url 'http://localhost:0': port out of range (1–65535)
    """
    parts = urlsplit(url.strip())
    example = "e.g. http://localhost:8000/v1"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} {url!r}: not an http(s) URL — give the server's address, {example}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if (port is not None and not 1 <= port <= 65535) or parts.netloc.endswith(":"):
        raise UsageError(f"{option} {url!r}: port out of range (1–65535) — fix the port, {example}")


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


Engine = Literal["transformers", "vllm"]


@dataclass(frozen=True)
class LocalOptions:
    """Settings of models run in-process (``hf/…``, ``local/…``); API providers ignore them.

    Attributes:
        device: ``auto`` (CUDA if present, else CPU), ``cpu``, ``cuda``, ``cuda:1``, ``mps``.
        dtype: ``auto`` (on CPU: denormals flushed, bf16 where the CPU has it natively,
            else fp32; on GPU: bf16 where supported, else fp16), ``float32``, ``bfloat16``
            or ``float16``.
        batch_size: most requests per ``generate()`` call; ``None``: chosen by device
            (8 on CPU, from free memory on a GPU).
        chat_template: a Jinja chat-template file used instead of the model's own.
        engine: ``transformers`` (in-process) or ``vllm`` (GPU, optional extra).
        num_workers: ``0``: generate in this process; ``N``: N Ray workers, each with
            its own copy of the model (data-parallel across GPUs or nodes).
        num_gpus_per_worker: GPUs Ray reserves for each worker (``0`` on CPU).
    """

    device: str = "auto"
    dtype: str = "auto"
    batch_size: int | None = None
    chat_template: str | None = None
    engine: Engine = "transformers"
    num_workers: int = 0
    num_gpus_per_worker: float = 0.0


@dataclass(frozen=True)
class ProviderOptions:
    """Connection settings shared by all providers.

    Attributes:
        base_url: server address for OpenAI-compatible servers (vLLM, Ollama,
            llama.cpp…) or a proxy; ``None`` uses the vendor's API.
        timeout: seconds before one request is abandoned (and retried).
        api_key_env: name of the environment variable holding the key;
            ``None`` uses the provider's usual one (``OPENAI_API_KEY``…).
        local: settings of in-process models (``hf/…``, ``local/…``).
        connect_timeout: seconds to wait for a connection to open (:data:`CONNECT_TIMEOUT`).
    """

    base_url: str | None = None
    timeout: float = 300.0
    api_key_env: str | None = None
    local: LocalOptions = LocalOptions()
    connect_timeout: float = CONNECT_TIMEOUT

    def check(self) -> None:
        """Reject settings that cannot work (a ``base_url`` that is not an http(s) URL…).

        Raises:
            UsageError: one line naming the option and the fix.
        """
        if self.base_url is not None:
            check_url(self.base_url)
        if self.timeout <= 0:
            raise UsageError(f"--timeout {self.timeout:g}: must be more than 0 seconds")
        if self.connect_timeout <= 0:
            raise UsageError(f"connect timeout {self.connect_timeout:g}: must be more than 0 seconds")
        template = self.local.chat_template
        if template is not None and not Path(template).expanduser().is_file():
            raise UsageError(f"--chat-template {template}: no such file — pass a Jinja chat template file")


@runtime_checkable
class Provider(Protocol):
    """What every model backend implements."""

    @property
    def model_id(self) -> str:
        """The full ``provider/model`` id."""
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


# name -> ("module:Class", extra that installs its dependencies)
_BUILTIN: dict[str, tuple[str, str | None]] = {
    "openai": ("judgebench.providers.openai:OpenAIProvider", None),
    "anthropic": ("judgebench.providers.anthropic:AnthropicProvider", None),
    "fake": ("judgebench.providers.fake:FakeProvider", None),
    # In-process models; judgebench.providers.local picks the engine (transformers,
    # vLLM, a Ray pool) and imports torch only then.
    "hf": ("judgebench.providers.local:create_hf", "local"),
    "local": ("judgebench.providers.local:create_embedded", "embedded"),
}

_ENTRY_POINT_GROUP = "judgebench.providers"


def split_model_id(model_id: str) -> tuple[str, str]:
    """Split ``provider/model`` into its two parts.

    >>> split_model_id("openai/gpt-4o-mini")
    ('openai', 'gpt-4o-mini')
    >>> split_model_id("hf/meta-llama/Llama-3.1-8B-Instruct")
    ('hf', 'meta-llama/Llama-3.1-8B-Instruct')
    >>> split_model_id("gpt-4o")
    Traceback (most recent call last):
    ...
    judgebench.errors.UsageError: --model 'gpt-4o': expected provider/model, e.g. 'openai/gpt-4o' or \
'anthropic/claude-sonnet-4-5'
    """
    provider, sep, model = model_id.partition("/")
    if not sep or not provider or not model:
        raise UsageError(
            f"--model {model_id!r}: expected provider/model, e.g. 'openai/gpt-4o' or 'anthropic/claude-sonnet-4-5'"
        )
    return provider, model


def _plugin_targets() -> dict[str, str]:
    from importlib.metadata import entry_points  # ~20 ms: only when a provider is looked up

    return {ep.name: ep.value for ep in entry_points(group=_ENTRY_POINT_GROUP)}


def known_providers() -> list[str]:
    """Names of the built-in and installed plug-in providers."""
    return sorted(set(_BUILTIN) | set(_plugin_targets()))


def _load(target: str, provider: str, extra: str | None) -> ProviderFactory:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f"pip install 'judgebench[{extra}]'" if extra else f"pip install {exc.name or module_name}"
        raise MissingExtraError(
            f"provider {provider!r} needs {exc.name or module_name}, which is not installed — run: {hint}"
        ) from exc
    factory: ProviderFactory = getattr(module, attr)
    return factory


def create_provider(model_id: str, options: ProviderOptions | None = None) -> Provider:
    """Build the provider for a ``provider/model`` id.

    Raises:
        UsageError: ``options`` cannot work (see :meth:`ProviderOptions.check`).
        UnknownProviderError: the provider part names nothing known.
        MissingExtraError: the provider's optional dependencies are missing.
        MissingApiKeyError: the provider needs a key that is not set.
    """
    provider, model = split_model_id(model_id)
    options = options or ProviderOptions()
    options.check()
    if provider in _BUILTIN:
        target, extra = _BUILTIN[provider]
    else:
        plugins = _plugin_targets()
        if provider not in plugins:
            raise UnknownProviderError(
                f"--model {model_id!r}: unknown provider {provider!r}; known: {', '.join(known_providers())} "
                "(any OpenAI-compatible server: --model openai/<name> --base-url http://host:port/v1)"
            )
        target, extra = plugins[provider], None
    return _load(target, provider, extra)(model, options)
