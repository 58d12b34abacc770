"""What the SDK adapters' tests share: each adapter as an :class:`Adapter` case, one ``call`` helper,
and a ``sleep`` that records the retry loop's waits instead of waiting."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from llm_server import LLMServer, RecordedRequest

from judgebench.providers import Completion, Decoding, ProviderOptions
from judgebench.providers.anthropic import AnthropicProvider
from judgebench.providers.openai import OpenAIProvider
from judgebench.providers.retry import RetryPolicy, complete_with_retry
from judgebench.providers.sdk import SDKProvider
from judgebench.records import Message

FAST = RetryPolicy(max_attempts=4, initial=0.001, max_wait=0.01)
DECODING = Decoding(temperature=0.7, max_tokens=64, seed=7, stop=("###",))


class RecordingSleep:
    """A ``sleep`` for ``complete_with_retry`` that only notes the waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def sent_key(request: RecordedRequest) -> str:
    """The key a request carried: ``x-api-key``, or the bearer token (OpenAI, and the 2.x Anthropic SDK)."""
    if "x-api-key" in request.headers:
        return request.headers["x-api-key"]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    assert scheme == "Bearer"
    return token


@dataclass(frozen=True)
class Adapter:
    """One SDK adapter as the shared tests drive it.

    Attributes:
        provider: its class.
        model: the model asked for.
        key: the key put in ``key_env``.
        key_env: its default key variable.
        anthropic_url: the SDK's base URL is the server's root (Anthropic), not ``…/v1`` (OpenAI).
        busy: a retryable "too busy" status of the API (429; Anthropic's 529).
        exhausted: a retryable status and the SDK's error name for it, for the give-up test.
        redacted: what the masked key reads as in a stored reason.
        messages: the conversation sent.
        clear_env: the SDK's own variables that must not leak into a test.
    """

    provider: type[SDKProvider[Any]]
    model: str
    key: str
    key_env: str
    anthropic_url: bool
    busy: int
    exhausted: tuple[int, str]
    redacted: str
    messages: tuple[Message, ...]
    clear_env: tuple[str, ...] = field(default=())

    def use(self, monkeypatch: pytest.MonkeyPatch) -> str:
        """Set this adapter's key and clear its SDK's own variables; the key."""
        monkeypatch.setenv(self.key_env, self.key)
        for name in self.clear_env:
            monkeypatch.delenv(name, raising=False)
        return self.key

    def address(self, server: LLMServer) -> str:
        """The base URL to give for ``server``."""
        return server.url if self.anthropic_url else server.base_url

    def build(self, server: LLMServer, **options: Any) -> SDKProvider[Any]:
        """The provider pointed at ``server`` (timeout 5 s unless ``options`` say otherwise)."""
        settings: dict[str, Any] = {"base_url": self.address(server), "timeout": 5, **options}
        return self.provider(self.model, ProviderOptions(**settings))

    def call(
        self,
        server: LLMServer,
        *,
        policy: RetryPolicy = FAST,
        sleep: RecordingSleep | None = None,
        options: ProviderOptions | None = None,
        decoding: Decoding = DECODING,
        messages: tuple[Message, ...] | None = None,
    ) -> Completion:
        """One call through the retry loop (waits recorded, not slept), the provider closed after."""

        async def go() -> Completion:
            provider = self.provider(self.model, options) if options else self.build(server)
            try:
                return await complete_with_retry(
                    provider, messages or self.messages, decoding, policy, sleep=sleep or RecordingSleep()
                )
            finally:
                await provider.aclose()

        return asyncio.run(go())


OPENAI = Adapter(
    OpenAIProvider, "gpt-test", "sk-test-0123456789abcdef", "OPENAI_API_KEY", anthropic_url=False, busy=429,
    exhausted=(500, "InternalServerError"), redacted="Bearer ***",
    messages=(Message("system", "You are terse."), Message("user", "What is 2+2?")),
    clear_env=("OPENAI_BASE_URL",),
)  # fmt: skip
ANTHROPIC = Adapter(
    AnthropicProvider, "claude-test", "sk-ant-test-0123456789abcdef", "ANTHROPIC_API_KEY", anthropic_url=True,
    busy=529, exhausted=(529, "OverloadedError"), redacted="***",
    messages=(
        Message("system", "You are terse."), Message("system", "Answer in English."), Message("user", "What is 2+2?")
    ),
    clear_env=("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_CUSTOM_HEADERS"),
)  # fmt: skip
