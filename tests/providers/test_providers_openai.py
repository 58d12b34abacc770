"""OpenAIProvider against a loopback server speaking the Chat Completions API."""

from __future__ import annotations

import asyncio
import json

import pytest
from llm_server import Behaviour, FaultMix, LLMServer

from judgebench.errors import MissingApiKeyError, ProviderAuthError, ProviderError
from judgebench.providers import Completion, Decoding, ProviderOptions, create_provider
from judgebench.providers.openai import OpenAIProvider
from judgebench.providers.retry import CallFailed, RetryPolicy, complete_with_retry
from judgebench.records import Message

KEY = "sk-test-0123456789abcdef"
FAST = RetryPolicy(max_attempts=4, initial=0.001, max_wait=0.01)
MESSAGES = (Message("system", "You are terse."), Message("user", "What is 2+2?"))
DECODING = Decoding(temperature=0.7, max_tokens=64, seed=7, stop=("###",))


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
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
        provider = OpenAIProvider("gpt-test", options or ProviderOptions(base_url=server.base_url, timeout=5))
        try:
            return await complete_with_retry(provider, messages, decoding, policy, sleep=sleep or RecordingSleep())
        finally:
            await provider.aclose()

    return asyncio.run(go())


def test_success_returns_text_usage_and_finish_reason(llm_server: LLMServer) -> None:
    result = call(llm_server)
    assert result == Completion("echo: What is 2+2?", input_tokens=6, output_tokens=4, finish_reason="stop")
    [request] = llm_server.requests
    assert request.path == "/v1/chat/completions"
    assert request.json == {
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "What is 2+2?"},
        ],
        "temperature": 0.7,
        "seed": 7,
        "stop": ["###"],
        "max_tokens": 64,  # a base URL means a compatible server: the older name
    }


def test_request_sends_the_env_key_as_bearer(llm_server: LLMServer) -> None:
    call(llm_server)
    assert llm_server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert llm_server.requests[0].headers["x-stainless-retry-count"] == "0"


def test_unset_seed_and_stop_are_not_sent(llm_server: LLMServer) -> None:
    call(llm_server, decoding=Decoding(temperature=0.0, max_tokens=8))
    body = llm_server.requests[0].json
    assert "seed" not in body
    assert "stop" not in body
    assert body["temperature"] == 0.0


def test_official_api_gets_max_completion_tokens(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # No --base-url: the provider speaks to "the OpenAI API", which the SDK's
    # own OPENAI_BASE_URL variable points at our loopback server.
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    call(llm_server, options=ProviderOptions(timeout=5))
    body = llm_server.requests[0].json
    assert body["max_completion_tokens"] == 64
    assert "max_tokens" not in body


def test_finish_reason_length_when_cut(llm_server: LLMServer) -> None:
    result = call(llm_server, decoding=Decoding(temperature=0.0, max_tokens=2))
    assert (result.text, result.finish_reason, result.output_tokens) == ("echo: What", "length", 2)


def test_retry_after_seconds_is_honoured(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=429, headers={"Retry-After": "1"}))
    sleep = RecordingSleep()
    assert call(llm_server, sleep=sleep).text == "echo: What is 2+2?"
    assert sleep.waits == [1.0]
    assert len(llm_server.requests) == 2


def test_retry_after_waits_in_real_time(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=429, headers={"Retry-After": "1"}))

    async def go() -> None:
        provider = OpenAIProvider("gpt-test", ProviderOptions(base_url=llm_server.base_url, timeout=5))
        try:
            await complete_with_retry(provider, MESSAGES, DECODING, FAST)  # the real asyncio.sleep
        finally:
            await provider.aclose()

    asyncio.run(go())
    first, second = llm_server.requests
    # A lower bound only (a busy machine adds to it); the waits' exact values are pinned with RecordingSleep.
    assert second.received_at - first.received_at >= 0.95


def test_retry_after_ms_wins(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=429, headers={"retry-after-ms": "250", "Retry-After": "30"}))
    sleep = RecordingSleep()
    call(llm_server, sleep=sleep)
    assert sleep.waits == [0.25]


def test_retry_after_http_date_in_the_past_means_no_wait(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    sleep = RecordingSleep()
    call(llm_server, sleep=sleep)
    assert sleep.waits == [0.0]


NO_CONTENT = {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
NULL_CONTENT = {
    **NO_CONTENT,
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": None}, "finish_reason": "stop"},
    ],
}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Behaviour(status=500), id="500"),
        pytest.param(Behaviour(status=503), id="503"),
        pytest.param(Behaviour(status=429), id="429-no-header"),
        pytest.param(Behaviour(status=408), id="408"),
        pytest.param(Behaviour(body=b"{not json"), id="malformed-json"),
        pytest.param(Behaviour(body=b"<html>oops</html>", content_type="text/html"), id="not-json"),
        pytest.param(Behaviour(truncate=True), id="truncated"),
        pytest.param(Behaviour(drop=True), id="dropped"),
        pytest.param(Behaviour(body=NO_CONTENT), id="no-choices"),
        pytest.param(Behaviour(body=NULL_CONTENT), id="null-content"),
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
    result = call(llm_server, options=ProviderOptions(base_url=llm_server.base_url, timeout=1.0))
    assert result.text == "echo: What is 2+2?"
    assert len(llm_server.requests) == 2


def test_retries_exhausted(llm_server: LLMServer) -> None:
    llm_server.script(*[Behaviour(status=500)] * 4)
    with pytest.raises(CallFailed) as info:
        call(llm_server)
    assert info.value.attempts == 4
    assert info.value.reason.startswith("gave up after 4 attempts: InternalServerError")
    assert "500" in info.value.reason
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
    assert "Bearer ***" in info.value.reason


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_stops_the_run(llm_server: LLMServer, status: int) -> None:
    llm_server.script(Behaviour(status=status, echo_key=True))
    with pytest.raises(ProviderAuthError) as info:
        call(llm_server)
    message = str(info.value)
    assert "OPENAI_API_KEY" in message
    assert f"({status}:" in message
    assert KEY not in message
    assert "\n" not in message
    assert len(llm_server.requests) == 1


def test_unknown_model_stops_the_run(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=404))
    with pytest.raises(ProviderError) as info:
        call(llm_server)
    assert not isinstance(info.value, ProviderAuthError)
    assert "model 'gpt-test' not found at http://127.0.0.1:" in str(info.value)
    assert "--model" in str(info.value)


def test_missing_key_without_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingApiKeyError, match=r"OPENAI_API_KEY is not set .*--base-url"):
        OpenAIProvider("gpt-test", ProviderOptions())
    monkeypatch.setenv("OPENAI_API_KEY", "")
    with pytest.raises(MissingApiKeyError):
        OpenAIProvider("gpt-test", ProviderOptions())


def test_key_variable_can_be_renamed(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingApiKeyError, match="MY_GATEWAY_KEY"):
        OpenAIProvider("gpt-test", ProviderOptions(api_key_env="MY_GATEWAY_KEY"))
    monkeypatch.setenv("MY_GATEWAY_KEY", "gw-key-42")
    call(llm_server, options=ProviderOptions(base_url=llm_server.base_url, api_key_env="MY_GATEWAY_KEY"))
    assert llm_server.requests[0].headers["authorization"] == "Bearer gw-key-42"


def test_local_server_needs_no_key(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    assert call(llm_server).text == "echo: What is 2+2?"
    assert KEY not in llm_server.requests[0].headers["authorization"]


def test_registry_builds_this_provider(llm_server: LLMServer) -> None:
    async def go() -> None:
        provider = create_provider("openai/x", ProviderOptions(base_url=llm_server.base_url))
        try:
            assert isinstance(provider, OpenAIProvider)
            assert provider.model_id == "openai/x"
            assert provider.redact(f"key={KEY}") == "key=***"
        finally:
            await provider.aclose()

    asyncio.run(go())


def test_reply_hook_and_fault_mix_under_concurrency(llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: json.dumps({"n_messages": len(body["messages"])})
    llm_server.set_faults(FaultMix(rate_limit=0.1, server_error=0.1, malformed=0.05, truncate=0.05, drop=0.05, seed=3))
    policy = RetryPolicy(max_attempts=12, initial=0.001, max_wait=0.01)

    async def go() -> list[Completion]:
        provider = OpenAIProvider("gpt-test", ProviderOptions(base_url=llm_server.base_url, timeout=5))
        try:
            return await asyncio.gather(*(complete_with_retry(provider, MESSAGES, DECODING, policy) for _ in range(24)))
        finally:
            await provider.aclose()

    results = asyncio.run(go())
    assert {r.text for r in results} == {'{"n_messages": 2}'}
    outcomes = [r.outcome for r in llm_server.requests]
    assert outcomes.count("ok") == 24
    assert len(outcomes) > 24  # some faults were drawn and retried
