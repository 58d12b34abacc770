"""A provider whose calls are made in a child process: the SDK's client CPU on a second core.

At 128 calls in flight the client, not the server, bounds a big ``judge`` run: about 0.85 ms of the
~1.05 ms of CPU each call costs is the SDK and its HTTP stack (``bench/judge_latency.py``). Here the
SDK runs in a child process (:mod:`judgebench.providers.call_worker`, started with this interpreter),
and this process only sends each call's messages down a pipe and reads the reply back: its imports
(``openai``, ``aiohttp``: ~0.6 s) overlap the main process's loading and planning, and its calls'
CPU runs beside the main process's records, journal and progress.

Nothing of the in-process provider's behaviour changes: the child builds the very provider
:func:`~judgebench.providers.create_provider` builds, and :func:`call_with_retry
<judgebench.providers.retry.call_with_retry>` and the run's circuit breaker stay in this process. A
:class:`~judgebench.errors.JudgebenchError` the child's provider raises (a rejected key, a 404, a
missing key at construction) comes back as the same class and message; any other failure as a
:class:`~judgebench.providers.RemoteCallError` carrying what the retry loop and the breaker read of
the original (its description, whether it is retryable, ``Retry-After``, status, non-passing cause and
address), so retries, waits and the breaker's one-line errors are those of an in-process run.

The wire — length-prefixed JSON frames over the child's stdin and stdout — is
:mod:`judgebench.providers.call_frames`.

Lifetime: the child ignores Ctrl-C and sits in its own process group (this process handles Ctrl-C
and SIGTERM and closes it); it ends when its stdin reaches end of file — :meth:`ProcessProvider.aclose`,
or this process dying, even by ``kill -9`` — cancelling what is in flight. A child that dies fails
every call in flight and the run with one :class:`~judgebench.errors.ProviderError` naming its exit
status, never a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from judgebench.errors import ProviderError
from judgebench.providers.call_frames import FrameReader, FrameWriter, decode_error, encode_frame, read_frame
from judgebench.providers.options import ProviderOptions
from judgebench.providers.protocol import Completion, ProviderCapabilities, RemoteCallError
from judgebench.records import Decoding, Message

__all__ = ["WORKER_MODULE", "PendingProvider", "ProcessProvider", "start_call_process"]

WORKER_MODULE = "judgebench.providers.call_worker"
"""The module the child runs (``python -m``)."""

_EXIT_WAIT = 10.0
"""Seconds a child is given to end after its stdin closed (it cancels its calls and closes its
connections) before it is killed."""


def _ended(proc: subprocess.Popen[bytes]) -> str:
    """How the child ended (waiting for it, killing it if it does not end), in words."""
    try:
        code = proc.wait(_EXIT_WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _died(model_id: str, proc: subprocess.Popen[bytes]) -> ProviderError:
    return ProviderError(
        f"the process making {model_id}'s calls (pid {proc.pid}) ended unexpectedly ({_ended(proc)}) — "
        "finished work is saved; rerun the same command to resume"
    )


def start_call_process(model_id: str, options: ProviderOptions) -> PendingProvider:
    """Start the child that will make ``model_id``'s calls, and send it its init frame; return at once.

    The child imports the SDK and builds the provider meanwhile; :meth:`PendingProvider.ready` waits
    for it. Its stderr is this process's; it runs in its own process group and ignores Ctrl-C.

    Args:
        model_id: ``provider/model``, as :func:`~judgebench.providers.create_provider` takes it.
        options: connection settings, passed on as plain data.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", WORKER_MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
        # Ctrl-C at a terminal goes to this process alone, which closes the child (POSIX; elsewhere the
        # child ignores SIGINT all the same)
        process_group=0 if os.name == "posix" else None,
    )
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):  # it died at once; ready() says how
        proc.stdin.write(encode_frame({"model": model_id, "options": options}))
    return PendingProvider(model_id, proc)


class PendingProvider:
    """A child process building its provider (:func:`start_call_process`)."""

    def __init__(self, model_id: str, proc: subprocess.Popen[bytes]) -> None:
        self.model_id = model_id
        self._proc = proc

    def ready(self) -> ProcessProvider:
        """Wait for the child's provider; return the provider that sends it calls.

        Raises:
            JudgebenchError: the child's construction error, as the same class and message
                (``MissingApiKeyError``, ``UsageError``, ``MissingExtraError``…).
            ProviderError: the child ended before answering (named with its exit status).
        """
        assert self._proc.stdout is not None
        try:
            first = read_frame(self._proc.stdout.fileno())
        except BaseException:
            self.close()
            raise
        if first is None:
            self.close()
            raise _died(self.model_id, self._proc)
        if "error" in first:
            self.close()
            raise decode_error(first["error"])
        return ProcessProvider(self.model_id, self._proc, ProviderCapabilities(**first["ready"]))

    def close(self) -> None:
        """End the child without using it (a run that failed before its calls): close its stdin, wait."""
        _close_stdin(self._proc)
        _ended(self._proc)
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def _close_stdin(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None and not proc.stdin.closed:
        with contextlib.suppress(BrokenPipeError):  # unflushed bytes of a dead child (bufsize=0: none)
            proc.stdin.close()


class _Replies(asyncio.Protocol):
    """Reads the child's stdout: each frame settles its call's future."""

    def __init__(self, owner: ProcessProvider) -> None:
        self._owner = owner
        self._frames = FrameReader()

    def data_received(self, data: bytes) -> None:
        for frame in self._frames.feed(data):
            self._owner._settle(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost()


class _Requests(asyncio.BaseProtocol):
    """The child's stdin, written to; its closing from the far side means the child is gone."""

    def __init__(self, owner: ProcessProvider) -> None:
        self._owner = owner

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost()


class ProcessProvider:
    """The :class:`~judgebench.providers.Provider` whose ``complete()`` runs in a child process.

    Made by :meth:`PendingProvider.ready`. Text calls only (``judge``'s ``--verdict text``, not
    ``--batch``): no :class:`~judgebench.providers.BatchProvider` or
    :class:`~judgebench.providers.VerdictScorer`. Its pipes join the event loop of its first call.

    Args:
        model_id: the child's provider's ``provider/model``.
        proc: the child.
        capabilities: the child's provider's.
    """

    def __init__(self, model_id: str, proc: subprocess.Popen[bytes], capabilities: ProviderCapabilities) -> None:
        self._model_id = model_id
        self._proc = proc
        self._capabilities = capabilities
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Completion]] = {}
        self._writer: FrameWriter | None = None
        self._reader: asyncio.ReadTransport | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._failed: ProviderError | None = None
        self._closing = False

    @property
    def model_id(self) -> str:
        """The full ``provider/model`` id."""
        return self._model_id

    @property
    def capabilities(self) -> ProviderCapabilities:
        """The child's provider's :class:`~judgebench.providers.ProviderCapabilities`."""
        return self._capabilities

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._proc.pid

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._reader, _ = await loop.connect_read_pipe(lambda: _Replies(self), self._proc.stdout)
        transport, _ = await loop.connect_write_pipe(lambda: _Requests(self), self._proc.stdin)
        self._writer = FrameWriter(transport)

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Have the child make one call; its completion, or its failure raised here.

        Raises:
            JudgebenchError: what the child's provider raised to stop the run (same class and message).
            RemoteCallError: any other failure of the call (what the retry loop reads of it).
            ProviderError: the child died.
        """
        if self._failed is not None:
            raise self._failed
        if self._writer is None:
            if self._connecting is None:
                self._connecting = asyncio.ensure_future(self._connect())
            await asyncio.shield(self._connecting)
            if self._failed is not None:
                raise self._failed
        assert self._writer is not None
        call = next(self._ids)
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._pending[call] = future
        self._writer.send({"i": call, "m": messages, "d": decoding})
        try:
            return await future
        except asyncio.CancelledError:
            if self._pending.pop(call, None) is not None and self._failed is None:
                self._writer.send({"x": call})  # the child cancels the request
            raise

    def _settle(self, frame: dict[str, Any]) -> None:
        future = self._pending.pop(frame["i"], None)
        if future is None or future.done():  # cancelled here meanwhile
            return
        if "c" in frame:
            future.set_result(Completion(**frame["c"]))
        else:
            future.set_exception(decode_error(frame["e"]))

    def _lost(self) -> None:
        """A pipe closed: the child ended (expected only once :meth:`aclose` closed its stdin)."""
        if self._closing or self._failed is not None:
            return
        self._failed = _died(self._model_id, self._proc)
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(self._failed)
        if self._writer is not None:
            self._writer.transport.abort()

    def is_retryable(self, exc: BaseException) -> bool:
        """What the child's provider said of the original failure (:attr:`RemoteCallError.retryable`)."""
        return isinstance(exc, RemoteCallError) and exc.retryable

    def retry_after(self, exc: BaseException) -> float | None:
        """The wait the server asked for, as the child read it (:attr:`RemoteCallError.retry_after`)."""
        return exc.retry_after if isinstance(exc, RemoteCallError) else None

    def redact(self, text: str) -> str:
        """``text`` as it is: the child masked the key in every message it sent back."""
        return text

    async def aclose(self) -> None:
        """Close the child's stdin and wait for it to end (it cancels its calls in flight, closes its connections)."""
        self._closing = True
        if self._writer is not None:
            self._writer.close()
        else:
            _close_stdin(self._proc)
        await asyncio.to_thread(_ended, self._proc)
        if self._reader is not None:
            self._reader.close()
        elif self._proc.stdout is not None:
            self._proc.stdout.close()
