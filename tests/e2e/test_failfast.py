"""A wrong setup fails fast with one line; passing failures keep their retries, quietly (issue #19).

The circuit breaker is driven against the loopback server for each cause it
knows: a refused port, a name that never resolves (``.invalid``), TLS spoken
to a plain-HTTP port, a 404 endpoint, and replies that are not the API's.
Counts of attempts and requests are asserted, never seconds.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from builders import write_questions
from clirun import assert_one_line_error, judgebench
from llm_server import Behaviour, FaultMix, LLMServer

from judgebench.errors import ProviderError, ServerSetupError
from judgebench.pipeline import AnswerJob, gen_answers
from judgebench.providers import ProviderOptions
from judgebench.providers.retry import (
    FIRST_CALLS_THRESHOLD,
    STREAK_THRESHOLD,
    CircuitBreaker,
    RetryEvent,
    RetryPolicy,
    connection_error,
)
from judgebench.records import Usage

FAST = RetryPolicy(max_attempts=6, initial=0.001, max_wait=0.002)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class Retries:
    """An observer that keeps the retry events."""

    def __init__(self) -> None:
        self.events: list[RetryEvent] = []
        self.notes: list[str] = []
        self.advanced = 0

    def start(self, total: int, skipped: int) -> None:
        pass

    def advance(self, *, failed: bool, usage: Usage) -> None:
        self.advanced += 1

    def note(self, message: str) -> None:
        self.notes.append(message)

    def retry(self, event: RetryEvent) -> None:
        self.events.append(event)


class CannedServer:
    """A loopback HTTP server answering every GET and POST with one canned reply (garbage, or a 404)."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                owner.requests.append(f"{self.command} {self.path}")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                """Clients hanging up when their run stops are expected."""

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> CannedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


HTML = (200, b"<html><body>Welcome to nginx!</body></html>", "text/html")
NOT_FOUND = (404, json.dumps({"error": {"message": "no such route", "type": "not_found"}}).encode(), "application/json")


@pytest.fixture
def garbage() -> Iterator[CannedServer]:
    with CannedServer(*HTML) as server:
        yield server


def answers_job(tmp_path: Path, base_url: str, *, parallel: int = 1, n: int = 6) -> AnswerJob:
    qfile = write_questions(tmp_path / "mini.jsonl", n=n)
    return AnswerJob(
        model="openai/m",
        questions=str(qfile),
        results_dir=tmp_path / "results",
        parallel=parallel,
        provider_options=ProviderOptions(base_url=base_url, timeout=10),
        retry=FAST,
    )


# --- options checked before any call -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--base-url", "notaurl"), "--base-url 'notaurl': not an http(s) URL"),
        (("--base-url", "localhost:8000/v1"), "not an http(s) URL"),
        (("--base-url", "http://localhost:70000/v1"), "port out of range (1–65535)"),
        (("--base-url", "http://localhost:0/v1"), "port out of range (1–65535)"),
    ],
)
def test_bad_base_url_is_one_line_exit_2_before_anything_runs(
    tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    commands = (("gen-answers", "-m", "openai/x"), ("judge", "-j", "openai/x"), ("run", "-m", "fake/a", "-j", "x/y"))
    for command in commands:
        proc = judgebench(*command, *args, cwd=tmp_path)
        assert_one_line_error(proc, 2, needle, "e.g. http://localhost:8000/v1")
    assert not (tmp_path / "results").exists()


def test_missing_chat_template_is_one_line_exit_2_before_the_model_loads(tmp_path: Path) -> None:
    proc = judgebench("gen-answers", "-m", "hf/./x", "--chat-template", "nope.jinja", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--chat-template nope.jinja: no such file")


def test_bad_mirror_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = judgebench("datasets", "pull", "mt-bench", "--mirror", "ftp://example.org/x", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--mirror 'ftp://example.org/x': not an http(s) URL")


def test_connection_errors_that_escape_become_one_line() -> None:
    try:
        raise RuntimeError("Connection error.") from ConnectionResetError(104, "Connection reset by peer")
    except RuntimeError as exc:
        error = connection_error(exc)
    assert isinstance(error, ProviderError)
    assert str(error).startswith("ConnectionResetError: [Errno 104] Connection reset by peer (talking to the server)")
    refused = connection_error(ConnectionRefusedError(111, "refused"))
    assert isinstance(refused, ServerSetupError) and refused.cause == "connection refused"
    assert connection_error(KeyError("a bug")) is None  # bugs keep their traceback


def test_missing_local_model_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    proc = judgebench("gen-answers", "-m", "hf/./no-such-model", "--limit", "1", cwd=tmp_path)
    assert_one_line_error(proc, 2, "no-such-model does not exist", "pass a folder saved with save_pretrained")
    assert not (tmp_path / "results" / "jb-80" / "answers").exists()


# --- the circuit breaker, cause by cause ---------------------------------------------------------


def test_refused_port_stops_the_run_after_the_first_calls(tmp_path: Path) -> None:
    observer = Retries()
    with pytest.raises(ServerSetupError) as info:
        gen_answers(answers_job(tmp_path, f"http://127.0.0.1:{free_port()}/v1"), observer=observer)
    assert info.value.cause == "connection refused"
    assert info.value.exit_code == 7
    assert "is the server running?" in str(info.value)
    assert f"{FIRST_CALLS_THRESHOLD} attempts in a row" in str(info.value)
    assert len(observer.events) == FIRST_CALLS_THRESHOLD - 1  # 3 attempts in all, not 6 per question
    assert observer.advanced == 0


def test_a_host_that_never_answers_the_connection_stops_the_run(tmp_path: Path) -> None:
    # A listener whose backlog is full drops further SYNs: the connection times out, as with a firewall.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        url = f"http://127.0.0.1:{port}/v1"
        job = replace(answers_job(tmp_path, url), provider_options=ProviderOptions(base_url=url, connect_timeout=0.3))
        observer = Retries()
        try:
            with pytest.raises(ServerSetupError) as info:
                gen_answers(job, observer=observer)
        finally:
            for filler in fillers:
                filler.close()
    assert info.value.cause == "connection timed out"
    assert "no firewall dropping it" in str(info.value)
    assert len(observer.events) == FIRST_CALLS_THRESHOLD - 1


def test_unresolvable_name_stops_the_run(tmp_path: Path) -> None:
    observer = Retries()
    with pytest.raises(ServerSetupError) as info:
        gen_answers(answers_job(tmp_path, "http://judgebench-no-such-host.invalid/v1"), observer=observer)
    assert info.value.cause == "host name not resolved"
    assert "judgebench-no-such-host.invalid" in str(info.value)
    assert "check the host name in --base-url" in str(info.value)
    assert len(observer.events) == FIRST_CALLS_THRESHOLD - 1


def test_tls_to_a_plain_http_port_stops_the_run(tmp_path: Path, llm_server: LLMServer) -> None:
    observer = Retries()
    https = llm_server.base_url.replace("http://", "https://")
    with pytest.raises(ServerSetupError) as info:
        gen_answers(answers_job(tmp_path, https), observer=observer)
    assert info.value.cause == "TLS failure"
    assert "use http:// in --base-url" in str(info.value)
    assert len(observer.events) == FIRST_CALLS_THRESHOLD - 1
    assert llm_server.requests == []  # no request ever got through


def test_404_endpoint_stops_at_the_first_call(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.script(Behaviour(status=404))
    observer = Retries()
    with pytest.raises(ServerSetupError) as info:
        gen_answers(answers_job(tmp_path, llm_server.base_url), observer=observer)
    assert info.value.cause == "endpoint not found"
    assert "check --model and --base-url" in str(info.value)
    assert len(llm_server.requests) == 1
    assert observer.events == []


def test_replies_that_are_not_the_api_stop_the_run(tmp_path: Path, garbage: CannedServer) -> None:
    observer = Retries()
    with pytest.raises(ServerSetupError) as info:
        gen_answers(answers_job(tmp_path, garbage.base_url), observer=observer)
    assert info.value.cause == "not an API reply"
    assert "Welcome to nginx" in str(info.value)
    assert f"not an API reply at {garbage.base_url} (3 attempts in a row" in str(info.value)
    assert "end in /v1" in str(info.value)
    assert len(garbage.requests) == FIRST_CALLS_THRESHOLD


def test_json_of_another_api_stops_the_run(tmp_path: Path) -> None:
    with CannedServer(200, b'{"detail": "Not Found"}', "application/json") as server:
        with pytest.raises(ServerSetupError, match="got JSON with fields: detail") as info:
            gen_answers(answers_job(tmp_path, server.base_url), observer=Retries())
        assert info.value.cause == "not an API reply"
        assert len(server.requests) == FIRST_CALLS_THRESHOLD


def test_finished_answers_are_kept_when_the_breaker_trips(tmp_path: Path, llm_server: LLMServer) -> None:
    # Two questions answered (4 calls), then the server answers only HTML: a streak of
    # STREAK_THRESHOLD stops the run, with the two answers and one failed record on disk.
    html = Behaviour(body=b"<html>maintenance</html>", content_type="text/html")
    llm_server.script(*([Behaviour()] * 4 + [html] * 40))
    observer = Retries()
    job = answers_job(tmp_path, llm_server.base_url)
    with pytest.raises(ServerSetupError, match=f"{STREAK_THRESHOLD} attempts in a row"):
        gen_answers(job, observer=observer)
    assert len(llm_server.requests) == 4 + STREAK_THRESHOLD
    records = [json.loads(x) for x in (tmp_path / "results/mini/answers/openai__m.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["ok", "ok", "failed"]  # question 3 used its 6 attempts
    assert "gave up after 6 attempts" in records[2]["error"]


def test_transient_causes_keep_their_retries(tmp_path: Path, llm_server: LLMServer) -> None:
    llm_server.script(
        *[Behaviour(status=429, headers={"Retry-After": "0"})] * 3,
        *[Behaviour(status=503)] * 2,
    )
    observer = Retries()
    run = gen_answers(answers_job(tmp_path, llm_server.base_url, n=1), observer=observer)
    assert (run.answered, run.failed) == (1, 0)
    assert len(llm_server.requests) == 5 + 2  # 5 failures retried, then both turns
    assert Counter(e.status for e in observer.events) == {429: 3, 503: 2}
    assert [e.retry_after for e in observer.events] == [True] * 3 + [False] * 2


def test_setup_error_keeps_its_cause_across_processes() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(ServerSetupError("no logprobs here — use --verdict text", "feature missing")))
    assert (str(error), error.cause, error.exit_code) == ("no logprobs here — use --verdict text", "feature missing", 7)
    refused = pickle.loads(pickle.dumps(ServerSetupError("x", "connection refused")))
    assert refused.cause == "connection refused"


def test_breaker_thresholds_and_resets() -> None:
    refused = ConnectionRefusedError(111, "refused")
    breaker = CircuitBreaker()
    breaker.failure(refused)
    breaker.failure(TimeoutError("slow"))  # a passing cause starts the count again
    breaker.failure(refused)
    breaker.failure(refused)
    with pytest.raises(ServerSetupError):
        breaker.failure(refused)
    with pytest.raises(ServerSetupError):
        breaker.check()  # every later attempt stops too

    slow = CircuitBreaker()
    slow.success()
    for _ in range(2 * STREAK_THRESHOLD):  # once the server answered, a slow connection is load, not setup
        slow.failure(type("ConnectTimeout", (Exception,), {})("timed out"))
    slow.check()

    later = CircuitBreaker()
    later.success()
    for _ in range(STREAK_THRESHOLD - 1):
        later.failure(refused)
    later.success()  # a success resets the streak
    for _ in range(STREAK_THRESHOLD - 1):
        later.failure(refused)
    later.check()
    with pytest.raises(ServerSetupError, match=f"{STREAK_THRESHOLD} attempts in a row"):
        later.failure(refused)


# --- the CLI: one line, exit 7, within a handful of attempts ------------------------------------


def answered(tmp_path: Path) -> Path:
    qfile = write_questions(tmp_path / "mini.jsonl", n=3)
    proc = judgebench("gen-answers", "-m", "fake/a", "-q", str(qfile), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return qfile


def test_unreachable_base_url_stops_gen_answers_and_judge_in_three_attempts(tmp_path: Path) -> None:
    qfile = answered(tmp_path)
    url = f"http://127.0.0.1:{free_port()}/v1"
    for command in (("gen-answers", "-m", "openai/x"), ("judge", "-j", "openai/x")):
        proc = judgebench(*command, "-q", str(qfile), "--base-url", url, "-v", cwd=tmp_path)
        assert_one_line_error(proc, 7, "connection refused at http://127.0.0.1", "is the server running?")
        assert proc.stderr.count("retrying in") == FIRST_CALLS_THRESHOLD - 1  # -v shows each retry
    judgments = list((tmp_path / "results" / "mini" / "judgments").rglob("*.jsonl"))
    assert [p.read_text() for p in judgments] == [""] * len(judgments)  # nothing recorded as failed


def _sweep(tmp_path: Path, url: str, qfile: Path) -> dict[str, Any]:
    return {
        "gen-answers": judgebench("gen-answers", "-m", "openai/x", "-q", str(qfile), "--base-url", url, cwd=tmp_path),
        "judge": judgebench("judge", "-j", "openai/x", "-q", str(qfile), "--base-url", url, cwd=tmp_path),
        "judge --batch": judgebench(
            "judge", "-j", "openai/x", "-q", str(qfile), "--base-url", url, "--batch", "--limit", "1", cwd=tmp_path
        ),
        "run": judgebench("run", "-m", "openai/x", "-j", "openai/y", "-q", str(qfile), "--base-url", url, cwd=tmp_path),
        "datasets pull": judgebench("datasets", "pull", "mt-bench", "--mirror", url, cwd=tmp_path),
    }


SWEEP_CODES = {"gen-answers": 7, "judge": 7, "judge --batch": 7, "run": 7, "datasets pull": 1}
"""The documented exit codes: 7 the server cannot do the work; 1 a download that failed."""


def test_sweep_every_command_against_an_unreachable_server(tmp_path: Path) -> None:
    qfile = answered(tmp_path)
    for command, proc in _sweep(tmp_path, f"http://127.0.0.1:{free_port()}/v1", qfile).items():
        assert proc.returncode == SWEEP_CODES[command], (command, proc.stderr)
        assert_one_line_error(proc, SWEEP_CODES[command])
        assert "Traceback" not in proc.stdout + proc.stderr


def test_sweep_every_command_against_a_server_answering_garbage(tmp_path: Path, garbage: CannedServer) -> None:
    qfile = answered(tmp_path)
    for command, proc in _sweep(tmp_path, garbage.base_url, qfile).items():
        assert proc.returncode == SWEEP_CODES[command], (command, proc.stderr)
        assert_one_line_error(proc, SWEEP_CODES[command])
        if SWEEP_CODES[command] == 7:
            assert "not an API reply" in proc.stderr, command


@pytest.mark.parametrize(("judge", "path"), [("openai/x", "/v1/files"), ("anthropic/x", "/v1/v1/messages/batches")])
def test_batch_against_a_server_without_batch_endpoints_is_one_line(tmp_path: Path, judge: str, path: str) -> None:
    qfile = answered(tmp_path)
    with CannedServer(*NOT_FOUND) as server:
        proc = judgebench(
            "judge", "-j", judge, "-q", str(qfile), "--base-url", server.base_url, "--batch", "--limit", "1",
            cwd=tmp_path,
        )  # fmt: skip
    assert_one_line_error(proc, 7, f"has no batch API (404 on {path}", "drop --batch")
    assert server.requests == [f"POST {path}"]  # tried once: a submit is never retried


def test_run_checks_the_judge_base_url_before_answering(tmp_path: Path) -> None:
    proc = judgebench("run", "-m", "fake/a", "-j", "openai/x", "--judge-base-url", "notaurl", cwd=tmp_path)
    assert_one_line_error(proc, 2, "--judge-base-url 'notaurl': not an http(s) URL")
    assert not (tmp_path / "results").exists()


# --- offline hub -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"HF_HUB_OFFLINE": "1"}, "HF_HUB_OFFLINE is set"),
        ({"HF_ENDPOINT": "http://judgebench-hub.invalid"}, "judgebench-hub.invalid: gaierror"),
    ],
)
def test_offline_hub_fails_at_once_with_how_to_pass_a_folder(tmp_path: Path, env: dict[str, str], why: str) -> None:
    pytest.importorskip("huggingface_hub")
    env = {**env, "HF_HOME": str(tmp_path / "hf-home")}  # an empty cache
    proc = judgebench("gen-answers", "-m", "hf/judgebench-org/no-model", "--limit", "1", cwd=tmp_path, env=env)
    assert_one_line_error(proc, 1, why, "not in the local cache", "pass a local folder instead (--model hf/./")
    assert "Retrying" not in proc.stderr


# --- quiet retries -------------------------------------------------------------------------------


def test_a_run_with_5_percent_429s_shows_a_bar_and_a_summary_not_retry_lines(tmp_path: Path) -> None:
    qfile = write_questions(tmp_path / "many.jsonl", n=200)
    faults = FaultMix(rate_limit=0.05, retry_after="0", seed=19)
    with LLMServer(faults=faults) as server:
        proc = judgebench(
            "gen-answers", "-m", "openai/x", "-q", str(qfile), "--base-url", server.base_url, cwd=tmp_path
        )
        outcomes = Counter(r.outcome for r in server.requests)
    assert proc.returncode == 0, proc.stderr
    assert outcomes["rate_limit"] >= 10  # about 5 % of 400 calls
    assert outcomes["ok"] == 400
    assert "retrying" not in proc.stderr
    assert "200/200" in proc.stderr  # the progress bar
    n = outcomes["rate_limit"]
    assert f"retries: {n} (429: {n}); {n} waited as the server asked (Retry-After)" in proc.stderr
    assert "pass -v to see each one" in proc.stderr
    assert len(proc.stderr.splitlines()) <= 3


def test_retry_tally_counts_kinds_and_live_retry_after_waits() -> None:
    from judgebench.cli.progress import RetryTally

    tally = RetryTally()
    tally.add(RetryEvent("RateLimitError: slow down", 2.0, status=429, retry_after=True), now=100.0)
    tally.add(RetryEvent("RateLimitError: slow down", 5.0, status=429, retry_after=True), now=100.5)
    tally.add(RetryEvent("InternalServerError: boom", 0.5, status=503), now=101.0)
    tally.add(RetryEvent("APITimeoutError: Request timed out.", 1.0), now=101.0)
    assert (tally.total, tally.retry_after, tally.waited) == (4, 2, 8.5)
    assert (tally.waiting(now=101.0), tally.waiting(now=103.0), tally.waiting(now=106.0)) == (2, 1, 0)
    assert tally.summary() == (
        "retries: 4 (429: 2, 5xx: 1, other: 1); 2 waited as the server asked (Retry-After); "
        "8.5 s of waiting in all — pass -v to see each one"
    )


@pytest.mark.parametrize("model", ["openai/m", "anthropic/m"])
def test_both_sdks_trip_the_breaker_on_a_refused_port(tmp_path: Path, model: str) -> None:
    job = replace(answers_job(tmp_path, f"http://127.0.0.1:{free_port()}/v1"), model=model)
    observer = Retries()
    with pytest.raises(ServerSetupError) as info:
        gen_answers(job, observer=observer)
    assert info.value.cause == "connection refused"
    assert len(observer.events) == FIRST_CALLS_THRESHOLD - 1


def test_a_failure_that_stops_a_record_is_printed_once_with_its_reason(tmp_path: Path, llm_server: LLMServer) -> None:
    qfile = write_questions(tmp_path / "mini.jsonl", n=2)
    llm_server.script(Behaviour(status=500), Behaviour(status=500))  # question 1, turn 1: both attempts
    proc = judgebench(
        "gen-answers", "-m", "openai/x", "-q", str(qfile), "--base-url", llm_server.base_url,
        "--parallel", "1", "--max-attempts", "2", cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_error(proc, 1, "1 answer failed")
    reasons = [line for line in proc.stderr.splitlines() if line.startswith("question ")]
    assert reasons == [
        "question 1: turn 1: gave up after 2 attempts: InternalServerError: Error code: 500 - scripted error 500"
    ]
    assert "retrying" not in proc.stderr
    assert "retries: 1 (5xx: 1)" in proc.stderr


def test_hub_reachability_check(monkeypatch: pytest.MonkeyPatch, llm_server: LLMServer) -> None:
    from judgebench.providers.local import hub_unreachable

    for key in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", llm_server.url)
    assert hub_unreachable() is None
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    assert "ConnectionRefusedError" in (hub_unreachable() or "")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")  # behind a proxy: no direct check
    assert hub_unreachable() is None
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_unreachable() == "HF_HUB_OFFLINE is set"


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (501, b"<html><body>Error 501: Unsupported method ('POST')</body></html>", "text/html"),  # http.server
        (405, b"Method Not Allowed", "text/plain"),
        (404, b"<html><body>404 Not Found</body></html>", "text/html"),  # a web server's page, not the API's error
        (404, b"", "text/plain"),
    ],
)
def test_a_url_that_serves_no_api_stops_at_the_first_call(
    tmp_path: Path, status: int, body: bytes, content_type: str
) -> None:
    with CannedServer(status, body, content_type) as server:
        observer = Retries()
        with pytest.raises(ServerSetupError) as info:
            gen_answers(answers_job(tmp_path, server.base_url), observer=observer)
        assert info.value.cause == "endpoint not found"
        assert str(info.value).startswith(f"no API at {server.base_url} ({status} on /v1/chat/completions")
        assert "check --base-url" in str(info.value)
        assert server.requests == ["POST /v1/chat/completions"]
        assert observer.events == []


def test_a_json_404_is_still_the_model_not_found(tmp_path: Path) -> None:
    with CannedServer(*NOT_FOUND) as server:
        with pytest.raises(ServerSetupError, match="model 'm' not found") as info:
            gen_answers(answers_job(tmp_path, server.base_url), observer=Retries())
        assert "check --model and --base-url" in str(info.value)
        assert len(server.requests) == 1
