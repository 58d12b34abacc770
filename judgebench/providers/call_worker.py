"""The child process of :mod:`judgebench.providers.call_process`: builds a provider and makes its calls.

Run as ``python -m judgebench.providers.call_worker`` by
:func:`~judgebench.providers.call_process.start_call_process`, with pipes on stdin and stdout (the
wire is described there). It reads its init frame, builds the provider with
:func:`~judgebench.providers.create_provider` and answers ``ready`` (or the construction error), then
makes each call it is sent as its own task, concurrently, on uvloop's event loop where installed, and
writes each reply as it comes. A failure is sent as the main process's retry loop and circuit
breaker read it (:func:`failure`): what they would have read of the original exception, the key
masked. It ignores Ctrl-C (the main process handles it) and ends at the end of its stdin: the calls in
flight are cancelled and the SDK's connections closed.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
from typing import Any

from judgebench.errors import JudgebenchError
from judgebench.providers import Provider, create_provider
from judgebench.providers.breaker import cause_link, describe, where
from judgebench.providers.call_frames import (
    FrameReader,
    FrameWriter,
    decode_decoding,
    decode_options,
    encode_error,
    encode_frame,
    read_frame,
)
from judgebench.records import Message

__all__ = ["failure", "main"]


def failure(exc: BaseException, provider: Provider) -> dict[str, Any]:
    """An error frame's payload for ``exc``, raised by ``provider.complete``.

    A :class:`~judgebench.errors.JudgebenchError` goes as itself (class, message); anything else as
    the fields of a :class:`~judgebench.providers.RemoteCallError`: what ``describe``,
    ``provider.is_retryable``, ``provider.retry_after``, ``failure_cause`` and the breaker's address
    reading make of it, every text passed through ``provider.redact``.
    """
    if isinstance(exc, JudgebenchError):
        return encode_error(exc)
    status = getattr(exc, "status_code", None)
    found = cause_link(exc)
    return {
        "remote": {
            "description": provider.redact(describe(exc)),
            "retryable": provider.is_retryable(exc),
            "retry_after": provider.retry_after(exc),
            "status_code": status if isinstance(status, int) else None,
            "cause": found[0] if found else None,
            "cause_description": provider.redact(found[1]) if found else None,
            "where": provider.redact(where(exc)),
        }
    }


class _Calls(asyncio.Protocol):
    """Reads call frames from stdin; each becomes a task whose reply is written to ``out``."""

    def __init__(self, provider: Provider, out: FrameWriter, done: asyncio.Future[None]) -> None:
        self._provider = provider
        self._out = out
        self._done = done
        self._frames = FrameReader()
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def data_received(self, data: bytes) -> None:
        for frame in self._frames.feed(data):
            if "x" in frame:
                task = self.tasks.get(frame["x"])
                if task is not None:
                    task.cancel()
                continue
            call = frame["i"]
            messages = [Message(m["role"], m["content"]) for m in frame["m"]]
            self.tasks[call] = asyncio.ensure_future(self._call(call, messages, frame["d"]))

    async def _call(self, call: int, messages: list[Message], decoding: dict[str, Any]) -> None:
        try:
            completion = await self._provider.complete(messages, decode_decoding(decoding))
            reply: dict[str, Any] = {"i": call, "c": completion}
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reply = {"i": call, "e": failure(exc, self._provider)}
        finally:
            self.tasks.pop(call, None)
        self._out.send(reply)

    def eof_received(self) -> bool:
        self._end()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def _end(self) -> None:
        if not self._done.done():
            self._done.set_result(None)


class _Out(asyncio.BaseProtocol):
    """stdout: its far end closing means the main process is gone."""

    def __init__(self, done: asyncio.Future[None]) -> None:
        self._done = done

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            self._done.set_result(None)


async def _serve(provider: Provider, frames_fd: int) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    out, _ = await loop.connect_write_pipe(lambda: _Out(done), os.fdopen(frames_fd, "wb", buffering=0))
    calls = _Calls(provider, FrameWriter(out), done)
    stdin, _ = await loop.connect_read_pipe(lambda: calls, os.fdopen(0, "rb", buffering=0))
    try:
        await done
    finally:
        tasks = list(calls.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await provider.aclose()
        stdin.close()
        out.close()


def main() -> None:
    """The child's whole life: init frame, provider, calls until stdin ends.

    Tuned for start-up and for many short-lived objects per call, as
    :func:`~judgebench.pipeline.call_runs.run_calls` tunes the main process: the cycle collector is off
    while the SDK is imported (its passes over the SDK's thousands of new classes were ~70 ms of the
    child's ~0.6 s start-up), the imported objects are then frozen out of its sight, and young objects
    are collected every 10,000 allocations. The interpreter's own teardown (~0.2 s with the SDK loaded,
    which the main process would wait for) is skipped: once the connections are closed and the pipes
    done, the process ends with :func:`os._exit`.
    """
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    frames_fd = os.dup(1)
    os.dup2(2, 1)  # a stray print() goes to stderr, never into the frames
    init = read_frame(0)
    if init is None:
        return
    try:
        provider = create_provider(init["model"], decode_options(init["options"]))
    except JudgebenchError as exc:
        os.write(frames_fd, encode_frame({"error": encode_error(exc)}))
        return
    gc.freeze()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    gc.enable()
    os.write(frames_fd, encode_frame({"ready": provider.capabilities}))
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is installed wherever it builds
        asyncio.run(_serve(provider, frames_fd))
    else:
        uvloop.run(_serve(provider, frames_fd))
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
