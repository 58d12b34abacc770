"""Model providers: one small interface, looked up by ``provider/model`` name.

The package is split by noun:

- :mod:`~judgebench.providers.protocol`: the :class:`Provider` protocol, its declared
  :class:`ProviderCapabilities`, the optional :class:`BatchProvider` and :class:`VerdictScorer`,
  and what a call returns (:class:`Completion`);
- :mod:`~judgebench.providers.options`: :class:`ProviderOptions` and :class:`LocalOptions`;
- :mod:`~judgebench.providers.sdk`: :class:`~judgebench.providers.sdk.SDKProvider`, the base of the
  adapters over a vendor's SDK (``openai.py``, ``anthropic.py``);
- :mod:`~judgebench.providers.retry` (the one retry loop), :mod:`~judgebench.providers.breaker`
  (the run's circuit breaker), :mod:`~judgebench.providers.retry_after` (``Retry-After``);
- this module: the registry.

Providers are found by the part of the model id before the first ``/``:
built-in ones are imported only when used, so ``judgebench --help`` never
imports an SDK; third-party packages add their own through the
``judgebench.providers`` entry-point group (``name = "module:Class"``), whose
class is called as ``Class(model, options)``.
"""

from __future__ import annotations

import importlib

from judgebench.errors import ConfigError, MissingExtraError, UnknownProviderError, UsageError
from judgebench.providers.options import CONNECT_TIMEOUT, LocalOptions, ProviderOptions, check_url
from judgebench.providers.protocol import (
    API_CAPABILITIES,
    FINISH_LENGTH,
    BatchProvider,
    BatchRequest,
    BatchState,
    Completion,
    MalformedResponseError,
    NotAnApiReplyError,
    Provider,
    ProviderCapabilities,
    ProviderFactory,
    RemoteCallError,
    VerdictLogprobs,
    VerdictScorer,
)
from judgebench.providers.sdk import NO_API_STATUS, run_stopping_errors, status_setup_error
from judgebench.records import Decoding, ResponseSchema

__all__ = [
    "API_CAPABILITIES",
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
    "ProviderCapabilities",
    "ProviderFactory",
    "ProviderOptions",
    "RemoteCallError",
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
        ConfigError: a plug-in's class does not follow the :class:`Provider` protocol.
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
    built = _load(target, provider, extra)(model, options)
    if not isinstance(built, Provider):  # a plug-in written for an older interface (built-ins are type-checked)
        missing = ", ".join(name for name in _PROTOCOL_MEMBERS if not hasattr(built, name))
        raise ConfigError(
            f"provider {provider!r} ({target}) lacks {missing} of the Provider protocol — update the plug-in "
            "(judgebench/providers/protocol.py; capabilities = judgebench.providers.API_CAPABILITIES declares none)"
        )
    return built


_PROTOCOL_MEMBERS = ("model_id", "capabilities", "complete", "is_retryable", "retry_after", "redact", "aclose")
