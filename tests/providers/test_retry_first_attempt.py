"""The retry loop's first attempt, made outside tenacity: the same attempts, waits, reports and budget."""

from __future__ import annotations

import asyncio

import pytest

from judgebench.errors import ProviderAuthError
from judgebench.providers.retry import CallFailed, CircuitBreaker, RetryEvent, RetryPolicy, call_with_retry


class Flaky(Exception):
    """A passing fault (retryable); ``Fatal`` is not."""


class Fatal(Exception):
    pass


class Rules:
    """What :func:`call_with_retry` asks of a provider: which failures pass, the server's wait, redaction."""

    def is_retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, Flaky)

    def retry_after(self, exc: BaseException) -> float | None:
        return 0.25 if "wait" in str(exc) else None

    def redact(self, text: str) -> str:
        return text.replace("sk-secret", "sk-***")


class Script:
    """A call that raises the scripted exceptions in order, then returns ``"ok"``; counts its calls."""

    def __init__(self, *failures: BaseException, hold: float = 0.0) -> None:
        self.failures = list(failures)
        self.hold = hold
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.hold:
            await asyncio.sleep(self.hold)
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def run(script: Script, policy: RetryPolicy | None = None, breaker: CircuitBreaker | None = None):  # type: ignore[no-untyped-def]
    events: list[RetryEvent] = []
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def go() -> str:
        return await call_with_retry(Rules(), script, policy, sleep=sleep, on_retry=events.append, breaker=breaker)  # type: ignore[arg-type]

    return asyncio.run(go()), events, waits


def test_a_call_that_succeeds_is_made_once_and_reports_nothing() -> None:
    script = Script()
    result, events, waits = run(script, breaker=CircuitBreaker())
    assert (result, script.calls, events, waits) == ("ok", 1, [], [])


def test_a_first_failure_is_retried_once_not_called_twice() -> None:
    """The first attempt's failure is what tenacity waits on and reports: attempt 1, the server's wait."""
    script = Script(Flaky("slow down, wait (sk-secret)"))
    result, events, waits = run(script, breaker=CircuitBreaker())
    assert result == "ok"
    assert script.calls == 2  # the failed first call and the retry: the failure is not re-sent
    assert waits == [0.25]
    assert events == [RetryEvent("Flaky: slow down, wait (sk-***)", 0.25, None, True, 1)]


def test_retries_keep_counting_after_the_first_attempt() -> None:
    script = Script(Flaky("a"), Flaky("b"), Flaky("c"))
    with pytest.raises(CallFailed) as failed:
        run(script, RetryPolicy(max_attempts=3, initial=0.01, max_wait=0.01))
    assert script.calls == 3
    assert failed.value.attempts == 3
    assert failed.value.reason == "gave up after 3 attempts: Flaky: c"


def test_a_failure_that_is_not_retryable_fails_after_one_attempt() -> None:
    script = Script(Fatal("no"))
    with pytest.raises(CallFailed) as failed:
        run(script)
    assert (script.calls, failed.value.attempts) == (1, 1)
    assert failed.value.reason == "not retryable, after 1 attempt: Fatal: no"


def test_an_error_that_stops_the_run_passes_through_and_trips_the_breaker() -> None:
    breaker = CircuitBreaker()
    script = Script(ProviderAuthError("key rejected"))
    with pytest.raises(ProviderAuthError):
        run(script, breaker=breaker)
    with pytest.raises(ProviderAuthError):  # no later call of the run may start
        breaker.check()
    assert script.calls == 1


def test_the_budget_counts_from_the_first_attempt() -> None:
    """A first attempt that outlasts ``budget`` is not retried, though tenacity's clock starts after it."""
    script = Script(Flaky("timed out"), hold=0.2)
    with pytest.raises(CallFailed) as failed:
        run(script, RetryPolicy(initial=0.01, max_wait=0.01, budget=0.1))
    assert script.calls == 1
    assert failed.value.reason == "gave up after 1 attempt: Flaky: timed out"
