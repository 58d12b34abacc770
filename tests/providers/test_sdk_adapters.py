"""What every SDK adapter (``SDKProvider``: OpenAI, Anthropic) must do, each against a loopback server
speaking its API: retry passing faults, give up or stop the run as the status says, honour
``Retry-After``, keep the key out of every message."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llm_server import Behaviour, LLMServer
from sdk_adapters import ANTHROPIC, DECODING, FAST, OPENAI, Adapter, RecordingSleep, sent_key

from judgebench.errors import MissingApiKeyError, ProviderAuthError, ProviderError
from judgebench.providers import Completion, ProviderOptions, create_provider
from judgebench.providers.retry import CallFailed, complete_with_retry

ANSWER = "echo: What is 2+2?"
NO_CHOICES = {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
NULL_CONTENT = {
    **NO_CHOICES,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": None}, "finish_reason": "stop"}],
}
PASSING = [
    pytest.param(Behaviour(status=500), id="500"),
    pytest.param(Behaviour(status=503), id="503"),
    pytest.param(Behaviour(status=429), id="429-no-header"),
    pytest.param(Behaviour(status=408), id="408"),
    pytest.param(Behaviour(status=409), id="409"),
    pytest.param(Behaviour(body=b"{not json"), id="malformed-json"),
    pytest.param(Behaviour(body=b"<html>oops</html>", content_type="text/html"), id="not-json"),
    pytest.param(Behaviour(truncate=True), id="truncated"),
    pytest.param(Behaviour(drop=True), id="dropped"),
]


@pytest.fixture(params=[pytest.param(OPENAI, id="openai"), pytest.param(ANTHROPIC, id="anthropic")])
def adapter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Adapter:
    """Each adapter in turn, its key set and its SDK's own variables cleared."""
    case: Adapter = request.param
    case.use(monkeypatch)
    return case


@pytest.mark.parametrize(
    ("case", "completion", "path", "body"),
    [
        pytest.param(
            OPENAI,
            Completion(ANSWER, input_tokens=6, output_tokens=4, finish_reason="stop"),
            "/v1/chat/completions",
            {
                "model": "gpt-test",
                "messages": [
                    {"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "What is 2+2?"},
                ],
                "temperature": 0.7,
                "seed": 7,
                "stop": ["###"],
                "max_tokens": 64,  # a base URL means a compatible server: the older name
            },
            id="openai",
        ),
        pytest.param(
            ANTHROPIC,
            Completion(ANSWER, input_tokens=9, output_tokens=4, finish_reason="end_turn"),
            "/v1/messages",
            {
                "model": "claude-test",
                "system": "You are terse.\n\nAnswer in English.",
                "messages": [{"role": "user", "content": "What is 2+2?"}],
                "temperature": 0.7,  # sent through extra_body: the 2.x SDK has no parameter for it
                "max_tokens": 64,
                "stop_sequences": ["###"],
            },
            id="anthropic",
        ),
    ],
)
def test_success_returns_text_usage_and_finish_reason(
    llm_server: LLMServer,
    monkeypatch: pytest.MonkeyPatch,
    case: Adapter,
    completion: Completion,
    path: str,
    body: dict[str, Any],
) -> None:
    """One request in the API's own wire form; its text, token counts and finish reason read back."""
    case.use(monkeypatch)
    assert case.call(llm_server) == completion
    [request] = llm_server.requests
    assert request.path == path
    assert request.json == body


@pytest.mark.parametrize("fault", PASSING)
def test_passing_failure_is_retried(llm_server: LLMServer, adapter: Adapter, fault: Behaviour) -> None:
    llm_server.script(fault)
    sleep = RecordingSleep()
    assert adapter.call(llm_server, sleep=sleep).text == ANSWER
    assert len(sleep.waits) == 1
    assert len(llm_server.requests) == 2


@pytest.mark.parametrize(
    ("case", "fault"),
    [
        pytest.param(OPENAI, Behaviour(body=NO_CHOICES), id="openai-no-choices"),
        pytest.param(OPENAI, Behaviour(body=NULL_CONTENT), id="openai-null-content"),
        pytest.param(ANTHROPIC, Behaviour(status=529), id="anthropic-529-overloaded"),
        pytest.param(ANTHROPIC, Behaviour(body={"type": "message", "role": "assistant"}), id="anthropic-no-content"),
    ],
)
def test_api_specific_passing_failure_is_retried(
    llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch, case: Adapter, fault: Behaviour
) -> None:
    case.use(monkeypatch)
    llm_server.script(fault)
    sleep = RecordingSleep()
    assert case.call(llm_server, sleep=sleep).text == ANSWER
    assert len(sleep.waits) == 1
    assert len(llm_server.requests) == 2


def test_slow_response_times_out_and_is_retried(llm_server: LLMServer, adapter: Adapter) -> None:
    # The first reply would come after 60 s (cut short when the server stops): a success from the
    # second request shows the client gave up at its own timeout, however slow the machine.
    llm_server.script(Behaviour(delay=60.0))
    result = adapter.call(llm_server, options=ProviderOptions(base_url=adapter.address(llm_server), timeout=1.0))
    assert result.text == ANSWER
    assert len(llm_server.requests) == 2


def test_retries_exhausted(llm_server: LLMServer, adapter: Adapter) -> None:
    status, error = adapter.exhausted
    llm_server.script(*[Behaviour(status=status)] * 4)
    with pytest.raises(CallFailed) as info:
        adapter.call(llm_server)
    assert info.value.attempts == 4
    assert info.value.reason.startswith(f"gave up after 4 attempts: {error}")
    assert str(status) in info.value.reason
    assert len(llm_server.requests) == 4


def test_bad_request_is_not_retried(llm_server: LLMServer, adapter: Adapter) -> None:
    llm_server.script(Behaviour(status=400))
    with pytest.raises(CallFailed) as info:
        adapter.call(llm_server)
    assert info.value.attempts == 1
    assert info.value.reason.startswith("not retryable, after 1 attempt: BadRequestError")
    assert len(llm_server.requests) == 1


def test_key_never_reaches_the_stored_reason(llm_server: LLMServer, adapter: Adapter) -> None:
    llm_server.script(Behaviour(status=400, echo_key=True))
    with pytest.raises(CallFailed) as info:
        adapter.call(llm_server)
    assert adapter.key not in info.value.reason
    assert adapter.redacted in info.value.reason


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_stops_the_run(llm_server: LLMServer, adapter: Adapter, status: int) -> None:
    llm_server.script(Behaviour(status=status, echo_key=True))
    with pytest.raises(ProviderAuthError) as info:
        adapter.call(llm_server)
    message = str(info.value)
    assert adapter.key_env in message
    assert f"({status}:" in message
    assert adapter.key not in message
    assert "\n" not in message
    assert len(llm_server.requests) == 1


def test_unknown_model_stops_the_run(llm_server: LLMServer, adapter: Adapter) -> None:
    llm_server.script(Behaviour(status=404))
    with pytest.raises(ProviderError) as info:
        adapter.call(llm_server)
    assert not isinstance(info.value, ProviderAuthError)
    assert f"model {adapter.model!r} not found at http://127.0.0.1:" in str(info.value)
    assert "--model" in str(info.value)


def test_missing_key_without_base_url(monkeypatch: pytest.MonkeyPatch, adapter: Adapter) -> None:
    monkeypatch.delenv(adapter.key_env)
    with pytest.raises(MissingApiKeyError, match=rf"{adapter.key_env} is not set .*--base-url"):
        adapter.provider(adapter.model, ProviderOptions())
    monkeypatch.setenv(adapter.key_env, "")
    with pytest.raises(MissingApiKeyError):
        adapter.provider(adapter.model, ProviderOptions())


def test_key_variable_can_be_renamed(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch, adapter: Adapter) -> None:
    with pytest.raises(MissingApiKeyError, match="MY_GATEWAY_KEY"):
        adapter.provider(adapter.model, ProviderOptions(api_key_env="MY_GATEWAY_KEY"))
    monkeypatch.setenv("MY_GATEWAY_KEY", "gw-key-42")
    adapter.call(
        llm_server, options=ProviderOptions(base_url=adapter.address(llm_server), api_key_env="MY_GATEWAY_KEY")
    )
    assert sent_key(llm_server.requests[0]) == "gw-key-42"


def test_server_by_url_needs_no_key(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch, adapter: Adapter) -> None:
    monkeypatch.delenv(adapter.key_env)
    assert adapter.call(llm_server).text == ANSWER
    assert sent_key(llm_server.requests[0]) not in ("", adapter.key)


def test_registry_builds_this_provider(llm_server: LLMServer, adapter: Adapter) -> None:
    async def go() -> None:
        name = adapter.provider.name
        provider = create_provider(f"{name}/x", ProviderOptions(base_url=adapter.address(llm_server)))
        try:
            assert type(provider) is adapter.provider
            assert provider.model_id == f"{name}/x"
            assert provider.redact(f"key={adapter.key}") == "key=***"
        finally:
            await provider.aclose()

    asyncio.run(go())


def test_retry_after_seconds_is_honoured(llm_server: LLMServer, adapter: Adapter) -> None:
    llm_server.script(Behaviour(status=429, headers={"Retry-After": "1"}))
    sleep = RecordingSleep()
    assert adapter.call(llm_server, sleep=sleep).text == ANSWER
    assert sleep.waits == [1.0]
    assert len(llm_server.requests) == 2


def test_retry_after_waits_in_real_time(llm_server: LLMServer, adapter: Adapter) -> None:
    llm_server.script(Behaviour(status=429, headers={"Retry-After": "1"}))

    async def go() -> None:
        provider = adapter.build(llm_server)
        try:
            await complete_with_retry(provider, adapter.messages, DECODING, FAST)  # the real asyncio.sleep
        finally:
            await provider.aclose()

    asyncio.run(go())
    first, second = llm_server.requests
    # A lower bound only (a busy machine adds to it); the waits' exact values are pinned with RecordingSleep.
    assert second.received_at - first.received_at >= 0.95


def test_retry_after_ms_wins(llm_server: LLMServer, adapter: Adapter) -> None:
    llm_server.script(Behaviour(status=adapter.busy, headers={"retry-after-ms": "250", "Retry-After": "30"}))
    sleep = RecordingSleep()
    adapter.call(llm_server, sleep=sleep)
    assert sleep.waits == [0.25]
