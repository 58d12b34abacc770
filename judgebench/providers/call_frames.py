"""The wire between :mod:`judgebench.providers.call_process` and its child, :mod:`judgebench.providers.call_worker`.

Each frame is a 4-byte little-endian length and a JSON object, written by orjson (dataclasses such as
:class:`~judgebench.records.Message` and :class:`~judgebench.records.Decoding` as objects); what
orjson refuses — a lone surrogate, an integer past 64 bits — goes as ``json`` with ``ensure_ascii``,
flagged in the length's top bit, and is read back by ``json``.

The messages, in order: the main process's init frame ``{"model", "options"}``; the child's
``{"ready": capabilities}`` or ``{"error": …}``; then per call ``{"i": id, "m": messages, "d":
decoding}`` (and ``{"x": id}`` to cancel it) one way, ``{"i": id, "c": completion}`` or ``{"i": id,
"e": error}`` the other. An error is a :class:`~judgebench.errors.JudgebenchError`'s class, message
and plain attributes, or a :class:`~judgebench.providers.RemoteCallError`'s fields (``{"remote": …}``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import struct
from typing import Any

import orjson

from judgebench import errors
from judgebench.errors import JudgebenchError, ProviderError
from judgebench.providers.options import LocalOptions, ProviderOptions
from judgebench.providers.protocol import RemoteCallError
from judgebench.records import Decoding, ResponseSchema

__all__ = [
    "FrameReader",
    "FrameWriter",
    "decode_decoding",
    "decode_error",
    "decode_options",
    "encode_error",
    "encode_frame",
    "read_frame",
]

_HEADER = struct.Struct("<I")


def _plain(value: object) -> object:
    """``json``'s fallback for what orjson writes natively (dataclasses)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_BY_JSON = 1 << 31
"""The header's top bit: the body was written by ``json`` (and must be read by it), not orjson."""


def encode_frame(message: object) -> bytes:
    """One frame: a 4-byte little-endian header (the body's length), then ``message`` as JSON.

    orjson writes it (dataclasses such as :class:`~judgebench.records.Message` as objects). What
    orjson refuses — a lone surrogate, an integer past 64 bits — is written by ``json`` with
    ``ensure_ascii``, which escapes it, and the header's top bit says so: such a body is read back by
    ``json`` too (orjson would refuse the escaped surrogate, and read a big integer as a float), so
    any text and number crosses as it is.

    >>> encode_frame({"i": 1})
    b'\\x07\\x00\\x00\\x00{"i":1}'
    >>> encode_frame({"t": "\\ud800"})
    b'\\x0f\\x00\\x00\\x80{"t": "\\\\ud800"}'
    """
    try:
        body = orjson.dumps(message)
        size = len(body)
    except TypeError:  # orjson.JSONEncodeError
        body = json.dumps(message, ensure_ascii=True, default=_plain).encode("ascii")
        size = len(body) | _BY_JSON
    return _HEADER.pack(size) + body


def _decode(header: int, body: bytes) -> Any:
    return json.loads(body) if header & _BY_JSON else orjson.loads(body)


class FrameReader:
    """Splits bytes read from a pipe into decoded frames (:func:`encode_frame`'s).

    >>> reader = FrameReader()
    >>> frame = encode_frame({"i": 1}) + encode_frame({"t": "\\ud800", "seed": 2**70})
    >>> reader.feed(frame[:6]), reader.feed(frame[6:])
    ([], [{'i': 1}, {'t': '\\ud800', 'seed': 1180591620717411303424}])
    """

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        """Take ``data``; return the frames it completes, in order (the rest is kept for later)."""
        buffer = self._buffer
        buffer += data
        frames = []
        start = 0
        while len(buffer) - start >= 4:
            (header,) = _HEADER.unpack_from(buffer, start)
            end = start + 4 + (header & ~_BY_JSON)
            if len(buffer) < end:
                break
            frames.append(_decode(header, bytes(buffer[start + 4 : end])))
            start = end
        del buffer[:start]
        return frames


class FrameWriter:
    """Frames sent down a pipe transport: those of one turn of the event loop go in one write.

    At 128 calls in flight requests and replies come in bursts; one system call per burst rather
    than per frame.

    Args:
        transport: the pipe's write transport.
    """

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.transport = transport
        self._frames: list[bytes] = []

    def send(self, message: object) -> None:
        """Queue ``message``'s frame (:func:`encode_frame`); written at the end of this loop turn."""
        if not self._frames:
            asyncio.get_running_loop().call_soon(self._flush)
        self._frames.append(encode_frame(message))

    def _flush(self) -> None:
        frames, self._frames = self._frames, []
        if frames and not self.transport.is_closing():
            self.transport.write(b"".join(frames))

    def close(self) -> None:
        """Write what is queued, then close the pipe (its reader sees end of file)."""
        self._flush()
        self.transport.close()


def read_frame(fd: int) -> Any | None:
    """Read one frame from ``fd`` blocking (nothing past it); ``None`` at end of file."""
    head = _read_exactly(fd, 4)
    if head is None:
        return None
    (header,) = _HEADER.unpack(head)
    body = _read_exactly(fd, header & ~_BY_JSON)
    return None if body is None else _decode(header, body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def decode_options(data: dict[str, Any]) -> ProviderOptions:
    """The :class:`~judgebench.providers.ProviderOptions` an init frame carries (as orjson wrote them)."""
    return ProviderOptions(**{**data, "local": LocalOptions(**data["local"])})


def decode_decoding(data: dict[str, Any]) -> Decoding:
    """The :class:`~judgebench.records.Decoding` a call frame carries (as orjson wrote it)."""
    schema = data.get("schema")
    return Decoding(
        **{
            **data,
            "stop": tuple(data.get("stop") or ()),
            "schema": ResponseSchema(**schema) if schema is not None else None,
        }
    )


_SCALARS = (str, int, float, bool, type(None))


def encode_error(exc: JudgebenchError) -> dict[str, Any]:
    """A :class:`~judgebench.errors.JudgebenchError` as an error frame's payload: class, message, plain attributes."""
    attrs = {name: value for name, value in vars(exc).items() if isinstance(value, _SCALARS)}
    return {"class": type(exc).__name__, "message": str(exc), "attrs": attrs}


def decode_error(data: dict[str, Any]) -> Exception:
    """The exception an error frame's payload stands for.

    ``{"class", "message", "attrs"}``: that :class:`~judgebench.errors.JudgebenchError` (a class
    :mod:`judgebench.errors` does not know — a plug-in's — comes back as a ``ProviderError`` with its
    message); ``{"remote": fields}``: a :class:`~judgebench.providers.RemoteCallError`.

    >>> exc = decode_error({"class": "ServerSetupError", "message": "no API", "attrs": {"cause": "endpoint not found"}})
    >>> type(exc).__name__, str(exc), exc.cause, exc.exit_code
    ('ServerSetupError', 'no API', 'endpoint not found', 7)
    >>> decode_error({"remote": {"description": "APIStatusError: 500", "retryable": True}}).retryable
    True
    """
    if "remote" in data:
        return RemoteCallError(**data["remote"])
    found = getattr(errors, str(data["class"]), None)
    cls = found if isinstance(found, type) and issubclass(found, JudgebenchError) else ProviderError
    exc = cls.__new__(cls)
    Exception.__init__(exc, data["message"])
    vars(exc).update(data["attrs"])
    return exc
