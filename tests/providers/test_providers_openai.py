"""OpenAIProvider against a loopback server speaking the Chat Completions API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
import pytest
from llm_server import Behaviour, FaultMix, LLMServer
from sdk_adapters import DECODING, OPENAI, RecordingSleep

from judgebench.providers import Completion, Decoding, ProviderOptions
from judgebench.providers.openai import OpenAIProvider
from judgebench.providers.retry import CallFailed, RetryPolicy, complete_with_retry

pytestmark = pytest.mark.usefixtures("openai_key")
call = OPENAI.call


def test_request_sends_the_env_key_as_bearer(llm_server: LLMServer) -> None:
    call(llm_server)
    assert llm_server.requests[0].headers["authorization"] == f"Bearer {OPENAI.key}"
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


def test_retry_after_http_date_in_the_past_means_no_wait(llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    sleep = RecordingSleep()
    call(llm_server, sleep=sleep)
    assert sleep.waits == [0.0]


def test_reply_hook_and_fault_mix_under_concurrency(llm_server: LLMServer) -> None:
    llm_server.reply = lambda body: json.dumps({"n_messages": len(body["messages"])})
    llm_server.set_faults(FaultMix(rate_limit=0.1, server_error=0.1, malformed=0.05, truncate=0.05, drop=0.05, seed=3))
    policy = RetryPolicy(max_attempts=12, initial=0.001, max_wait=0.01)

    async def go() -> list[Completion]:
        provider = OPENAI.build(llm_server)
        try:
            return await asyncio.gather(
                *(complete_with_retry(provider, OPENAI.messages, DECODING, policy) for _ in range(24))
            )
        finally:
            await provider.aclose()

    results = asyncio.run(go())
    assert {r.text for r in results} == {'{"n_messages": 2}'}
    outcomes = [r.outcome for r in llm_server.requests]
    assert outcomes.count("ok") == 24
    assert len(outcomes) > 24  # some faults were drawn and retried


def test_calls_take_turns_over_the_shards(llm_server: LLMServer) -> None:
    # Each shard is an SDK client with its own connection pool (a smaller pool to scan per request).
    posts: list[int] = []

    class Counting(OpenAIProvider):
        def _make_client(self, key: str, options: ProviderOptions) -> openai.AsyncOpenAI:
            client = super()._make_client(key, options)
            shard, post = len(self.__dict__.get("_made", ())), client.post
            self.__dict__.setdefault("_made", []).append(client)

            async def counted(*args: Any, **kwargs: Any) -> Any:
                posts.append(shard)
                return await post(*args, **kwargs)

            client.post = counted  # type: ignore[method-assign]
            return client

    async def go() -> list[Completion]:
        provider = Counting("gpt-test", ProviderOptions(base_url=llm_server.base_url, timeout=5))
        try:
            return [await provider.complete(OPENAI.messages, DECODING) for _ in range(2 * OpenAIProvider.shards)]
        finally:
            await provider.aclose()

    results = asyncio.run(go())
    assert OpenAIProvider.shards == 8
    assert [r.text for r in results] == ["echo: What is 2+2?"] * 16
    assert posts == list(range(8)) * 2
    assert len(llm_server.requests) == 16


def test_a_reply_that_is_not_http_is_retried_as_over_httpx() -> None:
    """aiohttp's own error for a reply that is not HTTP (the SDK's aiohttp transport leaves it unmapped)
    is retried until the attempts run out, as httpx's RemoteProtocolError was; it names what came back."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)  # a test that went wrong ends, it does not hang
    port = listener.getsockname()[1]
    served: list[int] = []

    def serve() -> None:  # one connection per attempt: each reply is followed by a hang-up
        for _ in range(2):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"this is not HTTP\r\n\r\n")
                served.append(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    async def go() -> None:
        provider = OpenAIProvider("m", ProviderOptions(base_url=f"http://127.0.0.1:{port}/v1", timeout=5))
        try:
            policy = RetryPolicy(max_attempts=2, initial=0.0, max_wait=0.0)
            await complete_with_retry(provider, OPENAI.messages, DECODING, policy, sleep=RecordingSleep())
        finally:
            await provider.aclose()

    try:
        with pytest.raises(CallFailed) as failed:
            asyncio.run(go())
    finally:
        thread.join(timeout=30)
        listener.close()
    assert failed.value.attempts == 2
    assert str(failed.value).startswith("gave up after 2 attempts: ClientResponseError"), str(failed.value)
    assert len(served) == 2


def test_a_server_hanging_up_is_a_connection_error_not_a_timeout(llm_server: LLMServer) -> None:
    """The SDK's aiohttp transport reports a hang-up as a connect timeout; the adapter says what it was."""
    llm_server.script(Behaviour(drop=True), Behaviour(drop=True))

    async def go() -> None:
        provider = OpenAIProvider("m", ProviderOptions(base_url=llm_server.base_url, timeout=5))
        try:
            policy = RetryPolicy(max_attempts=2, initial=0.0, max_wait=0.0)
            await complete_with_retry(provider, OPENAI.messages, DECODING, policy, sleep=RecordingSleep())
        finally:
            await provider.aclose()

    with pytest.raises(CallFailed) as failed:
        asyncio.run(go())
    assert str(failed.value) == "gave up after 2 attempts: APIConnectionError: Connection error."
    assert [r.outcome for r in llm_server.requests] == ["scripted", "scripted"]
