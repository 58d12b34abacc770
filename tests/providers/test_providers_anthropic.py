"""AnthropicProvider against a loopback server speaking the Messages API."""

from __future__ import annotations

import asyncio

import pytest
from llm_server import Behaviour, LLMServer, RecordedRequest

from judgebench.errors import MissingApiKeyError, ProviderAuthError, ProviderError
from judgebench.providers import Completion, Decoding, ProviderOptions, create_provider
from judgebench.providers.anthropic import AnthropicProvider
from judgebench.providers.retry import CallFailed, RetryPolicy, complete_with_retry
from judgebench.records import Message

KEY = "sk-ant-test-0123456789abcdef"
FAST = RetryPolicy(max_attempts=4, initial=0.001, max_wait=0.01)
MESSAGES = (
    Message("system", "You are terse."),
    Message("system", "Answer in English."),
    Message("user", "What is 2+2?"),
)
DECODING = Decoding(temperature=0.7, max_tokens=64, seed=7, stop=("###",))


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_CUSTOM_HEADERS"):
        monkeypatch.delenv(name, raising=False)
    return KEY


class RecordingSleep:
    """A ``sleep`` for ``complete_with_retry`` that only notes the waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def call(
    server: LLMServer,
    *,
    policy: RetryPolicy = FAST,
    sleep: RecordingSleep | None = None,
    options: ProviderOptions | None = None,
    decoding: Decoding = DECODING,
    messages: tuple[Message, ...] = MESSAGES,
) -> Completion:
    async def go() -> Completion:
        provider = AnthropicProvider("claude-test", options or ProviderOptions(base_url=server.url, timeout=5))
        try:
            return await complete_with_retry(provider, messages, decoding, policy, sleep=sleep or RecordingSleep())
        finally:
            await provider.aclose()

    return asyncio.run(go())


def sent_key(request: RecordedRequest) -> str:
    """The key a request carried: ``x-api-key``, or the bearer token the 2.x SDK sends."""
    if "x-api-key" in request.headers:
        return request.headers["x-api-key"]
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    assert scheme == "Bearer"
    return token


def test_success_returns_text_usage_and_finish_reason(llm_server: LLMServer) -> None:
    result = call(llm_server)
    assert result == Completion("echo: What is 2+2?", input_tokens=9, output_tokens=4, finish_reason="end_turn")
    [request] = llm_server.requests
    assert request.path == "/v1/messages"
    assert request.json == {
        "model": "claude-test",
        "system": "You are terse.\n\nAnswer in English.",
        "messages": [{"role": "user", "content": "What is 2+2?"}],
        "temperature": 0.7,  # sent through extra_body: the 2.x SDK has no parameter for it
        "max_tokens": 64,
        "stop_sequences": ["###"],
    }


def test_request_sends_the_env_key(llm_server: LLMServer) -> None:
    call(llm_server)
    assert sent_key(llm_server.requests[0]) == KEY
    assert llm_server.requests[0].headers["x-stainless-retry-count"] == "0"
    assert "anthropic-version" in llm_server.requests[0].headers


def test_conversation_without_system_and_stop(llm_server: LLMServer) -> None:
    history = (
        Message("user", "Hi"),
        Message("assistant", "Hello."),
        Message("user", "Tell me a joke"),
    )
    result = call(llm_server, messages=history, decoding=Decoding(temperature=0.0, max_tokens=8))
    assert result.text == "echo: Tell me a joke"
    body = llm_server.requests[0].json
    assert "system" not in body
    assert "stop_sequences" not in body
    assert "seed" not in body
    assert body["temperature"] == 0.0
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]


def test_text_blocks_are_concatenated(llm_server: LLMServer) -> None:
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "s"},
            {"type": "text", "text": "Four"},
            {"type": "text", "text": ", obviously."},
        ],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 3},
    }
    llm_server.script(Behaviour(body=body))
    assert call(llm_server) == Completion("Four, obviously.", 11, 3, "end_turn", reasoning="hmm")


def test_stop_reason_max_tokens(llm_server: LLMServer) -> None:
    result = call(llm_server, decoding=Decoding(temperature=0.0, max_tokens=2))
    assert (result.text, result.finish_reason) == ("echo: What", "max_tokens")


def test_retry_after_seconds_is_honoured(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=429, headers={"Retry-After": "1"}))
    sleep = RecordingSleep()
    assert call(llm_server, sleep=sleep).text == "echo: What is 2+2?"
    assert sleep.waits == [1.0]
    assert len(llm_server.requests) == 2


def test_retry_after_waits_in_real_time(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=429, headers={"Retry-After": "1"}))

    async def go() -> None:
        provider = AnthropicProvider("claude-test", ProviderOptions(base_url=llm_server.url, timeout=5))
        try:
            await complete_with_retry(provider, MESSAGES, DECODING, FAST)  # the real asyncio.sleep
        finally:
            await provider.aclose()

    asyncio.run(go())
    first, second = llm_server.requests
    # A lower bound only (a busy machine adds to it); the waits' exact values are pinned with RecordingSleep.
    assert second.received_at - first.received_at >= 0.95


def test_retry_after_ms_wins(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=529, headers={"retry-after-ms": "250", "retry-after": "30"}))
    sleep = RecordingSleep()
    call(llm_server, sleep=sleep)
    assert sleep.waits == [0.25]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Behaviour(status=529), id="529-overloaded"),
        pytest.param(Behaviour(status=500), id="500"),
        pytest.param(Behaviour(status=503), id="503"),
        pytest.param(Behaviour(status=429), id="429-no-header"),
        pytest.param(Behaviour(status=409), id="409"),
        pytest.param(Behaviour(body=b"{not json"), id="malformed-json"),
        pytest.param(Behaviour(body=b"<html>oops</html>", content_type="text/html"), id="not-json"),
        pytest.param(Behaviour(truncate=True), id="truncated"),
        pytest.param(Behaviour(drop=True), id="dropped"),
        pytest.param(Behaviour(body={"type": "message", "role": "assistant"}), id="no-content"),
    ],
)
def test_transient_failure_is_retried(llm_server: LLMServer, fault: Behaviour) -> None:
    llm_server.script(fault)
    sleep = RecordingSleep()
    assert call(llm_server, sleep=sleep).text == "echo: What is 2+2?"
    assert len(sleep.waits) == 1
    assert len(llm_server.requests) == 2


def test_slow_response_times_out_and_is_retried(llm_server: LLMServer) -> None:
    # The first reply would come after 60 s (cut short when the server stops): a success from the
    # second request shows the client gave up at its own timeout, however slow the machine.
    llm_server.script(Behaviour(delay=60.0))
    result = call(llm_server, options=ProviderOptions(base_url=llm_server.url, timeout=1.0))
    assert result.text == "echo: What is 2+2?"
    assert len(llm_server.requests) == 2


def test_retries_exhausted(llm_server: LLMServer) -> None:
    llm_server.script(*[Behaviour(status=529)] * 4)
    with pytest.raises(CallFailed) as info:
        call(llm_server)
    assert info.value.attempts == 4
    assert info.value.reason.startswith("gave up after 4 attempts: OverloadedError")
    assert "529" in info.value.reason
    assert len(llm_server.requests) == 4


def test_bad_request_is_not_retried(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=400))
    with pytest.raises(CallFailed) as info:
        call(llm_server)
    assert info.value.attempts == 1
    assert info.value.reason.startswith("not retryable, after 1 attempt: BadRequestError")
    assert len(llm_server.requests) == 1


def test_key_never_reaches_the_stored_reason(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=400, echo_key=True))
    with pytest.raises(CallFailed) as info:
        call(llm_server)
    assert KEY not in info.value.reason
    assert "***" in info.value.reason


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_stops_the_run(llm_server: LLMServer, status: int) -> None:
    llm_server.script(Behaviour(status=status, echo_key=True))
    with pytest.raises(ProviderAuthError) as info:
        call(llm_server)
    message = str(info.value)
    assert "ANTHROPIC_API_KEY" in message
    assert f"({status}:" in message
    assert KEY not in message
    assert "\n" not in message
    assert len(llm_server.requests) == 1


def test_unknown_model_stops_the_run(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=404))
    with pytest.raises(ProviderError) as info:
        call(llm_server)
    assert not isinstance(info.value, ProviderAuthError)
    assert "model 'claude-test' not found at http://127.0.0.1:" in str(info.value)
    assert "--model" in str(info.value)


def test_missing_key_without_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(MissingApiKeyError, match=r"ANTHROPIC_API_KEY is not set .*--base-url"):
        AnthropicProvider("claude-test", ProviderOptions())


def test_proxy_needs_no_key(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert call(llm_server).text == "echo: What is 2+2?"
    assert sent_key(llm_server.requests[0]) not in ("", KEY)


def test_registry_builds_this_provider(llm_server: LLMServer) -> None:
    async def go() -> None:
        provider = create_provider("anthropic/x", ProviderOptions(base_url=llm_server.url))
        try:
            assert isinstance(provider, AnthropicProvider)
            assert provider.model_id == "anthropic/x"
            assert provider.redact(f"key={KEY}") == "key=***"
        finally:
            await provider.aclose()

    asyncio.run(go())


def test_reply_hook_makes_a_judge(llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: f"Rating: [[{len(body['messages'])}]]"
    assert call(llm_server).text == "Rating: [[1]]"
