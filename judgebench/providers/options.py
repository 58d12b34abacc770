"""How providers connect and run: :class:`ProviderOptions`, and :class:`LocalOptions` for in-process models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from judgebench.errors import UsageError

__all__ = ["CONNECT_TIMEOUT", "Engine", "LocalOptions", "ProviderOptions", "RetryPolicy", "check_url"]


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
