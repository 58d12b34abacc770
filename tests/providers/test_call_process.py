"""The provider whose calls run in a child process answers exactly as the in-process provider does.

Every test makes the same call twice against the same scripted server — once through
``create_provider`` (in this process), once through ``start_call_process(...).ready()`` (a real child
process over pipes) — and compares what the retry loop and the breaker saw: completions, retry events
(the backoff's random draws seeded alike), requests at the server, errors' classes and lines.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from llm_server import Behaviour, LLMServer
from sdk_adapters import RecordingSleep

from judgebench.errors import JudgebenchError, MissingApiKeyError, ProviderAuthError, ProviderError, UsageError
from judgebench.providers import Completion, Decoding, Provider, ProviderOptions, RemoteCallError, create_provider
from judgebench.providers.call_frames import encode_frame
from judgebench.providers.call_process import ProcessProvider, start_call_process
from judgebench.providers.retry import CallFailed, CircuitBreaker, RetryEvent, RetryPolicy, complete_with_retry
from judgebench.records import Message, ResponseSchema

KEY = "sk-test-secret-4242"
POLICY = RetryPolicy(max_attempts=4, initial=0.01, max_wait=0.05)
MESSAGES = (Message("system", "You grade."), Message("user", "Grade this answer, please."))
DECODING = Decoding(temperature=0.0, max_tokens=64, seed=3, stop=("###",))


@dataclass
class Outcome:
    """What one call through the retry loop came to."""

    result: Completion | None
    error: BaseException | None
    events: list[RetryEvent]
    waits: list[float]
    requests: int

    def line(self) -> str:
        """The error as the CLI prints it: class and message."""
        assert self.error is not None
        return f"{type(self.error).__name__}: {self.error}"


def child(options: ProviderOptions, model: str = "openai/judge") -> ProcessProvider:
    return start_call_process(model, options).ready()


def make(where: str, options: ProviderOptions) -> Provider:
    return create_provider("openai/judge", options) if where == "in-process" else child(options)


def call(
    server: LLMServer | None,
    where: str,
    options: ProviderOptions,
    *behaviours: Behaviour,
    messages: tuple[Message, ...] = MESSAGES,
    decoding: Decoding = DECODING,
    breaker: bool = False,
) -> Outcome:
    """One call through ``complete_with_retry`` by the provider made ``where`` (waits recorded, not slept;
    ``breaker``: under a circuit breaker of its own)."""
    if server is not None:
        server.clear()
        server.script(*behaviours)
    provider = make(where, options)
    run_breaker = CircuitBreaker() if breaker else None  # the run's: one per call here
    events: list[RetryEvent] = []
    sleep = RecordingSleep()

    async def go() -> Completion:
        try:
            return await complete_with_retry(
                provider, messages, decoding, POLICY, sleep=sleep, on_retry=events.append, breaker=run_breaker
            )
        finally:
            await provider.aclose()

    random.seed(7)  # the backoff's jitter, drawn alike on both sides
    result: Completion | None = None
    error: BaseException | None = None
    try:
        result = asyncio.run(go())
    except Exception as exc:
        error = exc
    return Outcome(result, error, events, sleep.waits, len(server.requests) if server is not None else 0)


def both(server: LLMServer | None, options: ProviderOptions, *behaviours: Behaviour, **kw: Any) -> Outcome:
    """The call made in-process and in the child; asserts they came to the same; the child's outcome."""
    here = call(server, "in-process", options, *behaviours, **kw)
    there = call(server, "child", options, *behaviours, **kw)
    assert there.result == here.result
    assert there.events == here.events
    assert there.waits == here.waits
    assert there.requests == here.requests
    assert (there.error is None) == (here.error is None)
    if here.error is not None:
        assert there.line() == here.line()
        assert getattr(there.error, "cause", None) == getattr(here.error, "cause", None)
        assert getattr(there.error, "exit_code", None) == getattr(here.error, "exit_code", None)
    return there


@pytest.fixture
def options(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> ProviderOptions:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return ProviderOptions(base_url=llm_server.base_url, timeout=10)


def test_a_normal_call_gives_the_same_completion(llm_server: LLMServer, options: ProviderOptions) -> None:
    reply = {
        "id": "c1",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Fine. [[8]]", "reasoning_content": "Let me think."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "completion_tokens_details": {"reasoning_tokens": 4}},
    }
    out = both(llm_server, options, Behaviour(body=reply))
    assert out.result == Completion("Fine. [[8]]", 12, 9, "stop", "Let me think.", 4)
    assert out.requests == 1
    plain = both(llm_server, options)
    assert plain.result == Completion("echo: Grade this answer, please.", 6, 5, "stop")
    # every Decoding field crosses the pipe: the request bodies are the same
    schema = ResponseSchema("verdict", '{"type": "object"}')
    sent = []
    for where in ("in-process", "child"):
        call(llm_server, where, options, decoding=Decoding(0.5, 9, 1, ("a", "b"), schema, "low"))
        sent.append(llm_server.requests[0].json)
    first, second = sent
    assert first == second
    assert first["response_format"]["json_schema"]["name"] == "verdict"
    assert first["stop"] == ["a", "b"]
    assert first["reasoning_effort"] == "low"


def test_passing_failures_are_retried_the_same(llm_server: LLMServer, options: ProviderOptions) -> None:
    out = both(
        llm_server,
        options,
        Behaviour(status=429, headers={"Retry-After": "2"}),
        Behaviour(status=500),
        Behaviour(body=b"{not json", content_type="application/json"),
    )
    assert out.result == Completion("echo: Grade this answer, please.", 6, 5, "stop")
    assert out.requests == 4
    assert [(e.status, e.retry_after, e.attempt) for e in out.events] == [
        (429, True, 1),
        (500, False, 2),
        (None, False, 3),
    ]
    assert out.waits[0] == 2.0
    assert out.events[0].reason == "RateLimitError: Error code: 429 - scripted error 429"


def test_retries_exhausted_give_the_same_reason(llm_server: LLMServer, options: ProviderOptions) -> None:
    out = both(llm_server, options, *[Behaviour(status=503)] * 4)
    assert isinstance(out.error, CallFailed)
    assert out.error.attempts == 4
    assert str(out.error).startswith("gave up after 4 attempts: InternalServerError: Error code: 503")


def test_run_stopping_statuses_come_back_as_the_same_error(llm_server: LLMServer, options: ProviderOptions) -> None:
    rejected = both(llm_server, options, Behaviour(status=401, echo_key=True))
    assert isinstance(rejected.error, ProviderAuthError)
    assert KEY not in str(rejected.error)
    assert "rejected the key in OPENAI_API_KEY (401" in str(rejected.error)
    assert rejected.requests == 1
    missing = both(llm_server, options, Behaviour(status=404))
    assert type(missing.error).__name__ == "ServerSetupError"
    assert str(missing.error).startswith("model 'judge' not found at")
    assert missing.requests == 1
    bad_request = both(llm_server, options, Behaviour(status=400))
    assert isinstance(bad_request.error, CallFailed)
    assert str(bad_request.error).startswith("not retryable, after 1 attempt: BadRequestError: Error code: 400")


def test_a_refused_connection_trips_the_breaker_with_the_same_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    refused = ProviderOptions(base_url=f"http://127.0.0.1:{port}/v1", timeout=10)
    here = call(None, "in-process", refused, breaker=True)
    there = call(None, "child", refused, breaker=True)
    assert there.line() == here.line()
    assert type(there.error).__name__ == "ServerSetupError"
    assert getattr(there.error, "cause", None) == "connection refused"
    assert f"connection refused at http://127.0.0.1:{port}/v1/chat/completions (3 attempts in a row: " in str(
        there.error
    )
    assert [e.reason for e in there.events] == [e.reason for e in here.events]
    assert len(there.events) == 2


@pytest.mark.parametrize(
    ("url", "cause"),
    [("https://{host}/v1", "TLS failure"), ("http://judgebench-no-such-host.invalid/v1", "host name not resolved")],
)
def test_other_setup_faults_trip_the_breaker_with_the_same_line(
    llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch, url: str, cause: str
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    wrong = ProviderOptions(base_url=url.format(host=llm_server.base_url.split("/")[2]), timeout=10)
    here = call(None, "in-process", wrong, breaker=True)
    there = call(None, "child", wrong, breaker=True)
    assert there.line() == here.line()
    assert getattr(there.error, "cause", None) == cause
    assert [e.reason for e in there.events] == [e.reason for e in here.events]
    assert llm_server.requests == []


def test_a_reply_that_is_not_the_api_trips_the_breaker_with_the_same_line(
    llm_server: LLMServer, options: ProviderOptions
) -> None:
    page = Behaviour(body=b"<html>hello</html>", content_type="text/html")
    out = both(llm_server, options, page, page, page, breaker=True)
    assert getattr(out.error, "cause", None) == "not an API reply"
    assert out.requests == 3


def test_a_lone_surrogate_fares_as_in_process(llm_server: LLMServer, options: ProviderOptions) -> None:
    out = both(llm_server, options, messages=(Message("user", "broken \ud83d text"),))
    assert isinstance(out.error, CallFailed)
    assert "surrogates not allowed" in str(out.error)
    assert encode_frame({"m": "\ud83d"})[4:] == b'{"m": "\\ud83d"}'


def test_a_seed_past_64_bits_is_sent_as_in_process(llm_server: LLMServer, options: ProviderOptions) -> None:
    big = Decoding(temperature=0.0, max_tokens=8, seed=2**70)  # orjson cannot write it: json does, flagged
    out = both(llm_server, options, decoding=big)
    assert out.result is not None
    assert llm_server.requests[0].json["seed"] == 2**70


@pytest.mark.parametrize(
    ("env", "options", "error", "message"),
    [
        ({}, ProviderOptions(), MissingApiKeyError, "OPENAI_API_KEY is not set — export OPENAI_API_KEY=<your key>"),
        ({"OPENAI_API_KEY": KEY}, ProviderOptions(base_url="notaurl"), UsageError, "--base-url 'notaurl': not an"),
        ({}, ProviderOptions(api_key_env="MY_KEY"), MissingApiKeyError, "MY_KEY is not set — export MY_KEY="),
    ],
)
def test_construction_errors_are_the_same_one_line(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    options: ProviderOptions,
    error: type[JudgebenchError],
    message: str,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(error) as here:
        create_provider("openai/judge", options)
    with pytest.raises(error) as there:
        child(options)
    assert type(there.value) is type(here.value)
    assert str(there.value) == str(here.value)
    assert str(there.value).startswith(message)
    assert "\n" not in str(there.value)


def test_a_child_that_dies_fails_its_calls_with_one_line(llm_server: LLMServer, options: ProviderOptions) -> None:
    provider = child(options)
    seen = asyncio.Event()
    llm_server.script(Behaviour(delay=30))  # the call is in flight at the server when the child dies

    async def go(wait: Callable[[], Awaitable[object]]) -> None:
        call = asyncio.ensure_future(provider.complete(MESSAGES, DECODING))
        await wait()
        os.kill(provider.pid, signal.SIGKILL)
        seen.set()
        try:
            with pytest.raises(ProviderError) as info:
                await call
            assert str(info.value) == (
                f"the process making openai/judge's calls (pid {provider.pid}) ended unexpectedly (killed by "
                "SIGKILL) — finished work is saved; rerun the same command to resume"
            )
            with pytest.raises(ProviderError):  # and so does every later call, at once
                await provider.complete(MESSAGES, DECODING)
        finally:
            await provider.aclose()

    async def arrived() -> None:
        while not llm_server.requests:
            await asyncio.sleep(0.005)

    asyncio.run(go(arrived))
    assert seen.is_set()


def test_a_cancelled_call_is_cancelled_in_the_child(llm_server: LLMServer, options: ProviderOptions) -> None:
    provider = child(options)
    llm_server.script(Behaviour(delay=30))

    async def go() -> Completion:
        try:
            slow = asyncio.ensure_future(provider.complete(MESSAGES, DECODING))
            while not llm_server.requests:
                await asyncio.sleep(0.005)
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            return await provider.complete(MESSAGES, DECODING)  # the child goes on serving
        finally:
            await provider.aclose()

    assert asyncio.run(go()).text == "echo: Grade this answer, please."
    assert len(llm_server.requests) == 2


def test_remote_errors_answer_the_retry_loop_questions() -> None:
    exc = RemoteCallError("RateLimitError: slow", retryable=True, retry_after=1.5, status_code=429)
    provider = ProcessProvider.__new__(ProcessProvider)
    assert provider.is_retryable(exc)
    assert provider.retry_after(exc) == 1.5
    assert not provider.is_retryable(ValueError("x"))
    assert provider.retry_after(ValueError("x")) is None
