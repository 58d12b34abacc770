"""JSON Lines: line-exact reading, durable locked appends, and the call journal."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from filelock import FileLock, Timeout

from judgebench.errors import DataError, ResultsError

__all__ = [
    "CALL_SCHEMA",
    "CallJournal",
    "JsonlAppender",
    "Warn",
    "parse_lines",
    "read_bytes",
    "read_jsonl",
    "read_lines",
]

Warn = Callable[[str], None]


def _ignore(_: str) -> None:
    """Default warning sink."""


def read_jsonl(path: Path, *, warn: Warn = _ignore, torn_tail_ok: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSON Lines file.

    Args:
        path: the file.
        warn: receives warnings.
        torn_tail_ok: for files we append to: a last line cut short by a
            crash (no final newline, not valid JSON) is skipped with a warning
            rather than being an error.

    Raises:
        DataError: the file is missing or unreadable, a line is not UTF-8,
            not JSON or not an object.
    """
    lines = read_lines(path)
    yield from parse_lines(path, lines, 1, len(lines), warn=warn, torn_tail_ok=torn_tail_ok)


def read_lines(path: Path) -> list[bytes]:
    """A file's lines as bytes (split at ``\\n``; the last is empty when the file ends with one).

    Raises:
        DataError: the file is missing, not a regular file or unreadable.
    """
    return read_bytes(path).split(b"\n")


def read_bytes(path: Path) -> bytes:
    """A file's bytes.

    Raises:
        DataError: the file is missing, not a regular file or unreadable.
    """
    if path.exists() and not path.is_file():
        raise DataError(path, None, "not a regular file", "point to a JSON Lines file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, None, "file not found", "check the path") from None
    except OSError as exc:
        raise DataError(path, None, f"cannot read ({exc.strerror})", "check permissions") from None
    return data


def parse_lines(
    path: Path, lines: Sequence[bytes], first: int, last: int, *, warn: Warn = _ignore, torn_tail_ok: bool = False
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`read_jsonl` on some of a file's lines: ``lines[0]`` is line ``first``, the file has ``last`` lines."""
    import orjson  # strict RFC 8259 and several times faster; what it refuses, json reads or words the error

    for number, raw in enumerate(lines, start=first):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:
            if not isinstance(obj, dict):
                raise DataError(path, number, f"expected a JSON object, got {type(obj).__name__}", "one object a line")
            yield number, obj
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                path, number, f"not UTF-8 (byte {exc.start + 1} of the line)", "save the file as UTF-8"
            ) from None
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            if torn_tail_ok and number == last:  # no newline after it: a write cut short by a crash
                warn(f"{path}:{number}: ignored a torn last line ({len(raw)} bytes) left by an interrupted write")
                continue
            raise DataError(
                path, number, f"invalid JSON ({exc.msg}, column {exc.colno})", "fix or delete this line"
            ) from None
        if not isinstance(obj, dict):
            raise DataError(path, number, f"expected a JSON object, got {type(obj).__name__}", "one object a line")
        yield number, obj


class JsonlAppender:
    """Append records to a JSONL file, one durable line at a time, under a lock.

    Use as a context manager. Opening takes an exclusive lock on
    ``<file>.lock`` (another judgebench process writing the same file gets a
    clear error), creates parent folders, and cuts off a torn last line. A file
    this appender created and wrote nothing to is removed on exit, so a run
    that stopped before its first record (a dead server, a rejected key)
    leaves no empty results file behind.
    """

    def __init__(self, path: Path, *, warn: Warn = _ignore) -> None:
        self.path = path
        self._warn = warn
        self._lock = FileLock(str(path) + ".lock", timeout=0)
        self._fd: int | None = None
        self._staged: list[bytes] = []
        self._staged_count = 0  # lines ever staged
        self._durable_count = 0  # of those, lines on disk
        self._writing = threading.Lock()
        self._commit: asyncio.Future[None] | None = None
        self._failed: ResultsError | None = None
        self._created = False

    def __enter__(self) -> Self:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except Timeout:
            raise ResultsError(
                f"{self.path} is being written by another judgebench process — wait for it to finish "
                "or use another --results-dir"
            ) from None
        except OSError as exc:
            raise ResultsError(
                f"{self.path.parent}: cannot write results ({exc.strerror}) — choose a writable --results-dir"
            ) from None
        try:
            self._created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._cut_torn_tail()
        except OSError as exc:
            self._lock.release()
            raise ResultsError(
                f"{self.path}: cannot write ({exc.strerror}) — check permissions and free space"
            ) from None
        return self

    def _cut_torn_tail(self) -> None:
        size = os.path.getsize(self.path)
        if size == 0:
            return
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return
            f.seek(max(0, size - 1_048_576))
            tail = f.read()
        keep = size - len(tail) + tail.rfind(b"\n") + 1 if b"\n" in tail else size - len(tail)
        os.truncate(self.path, keep)
        self._warn(f"{self.path}: cut off a torn last line ({size - keep} bytes) left by an interrupted write")

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record as one line, then flush it to disk (with any lines staged before it)."""
        self.stage(record)
        self.flush()

    def stage(self, record: Mapping[str, Any]) -> None:
        """Encode one record as one line, to be written by the next :meth:`commit` or :meth:`flush`."""
        if self._fd is None:
            raise RuntimeError("JsonlAppender used outside its 'with' block")
        self._staged.append((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
        self._staged_count += 1

    def flush(self) -> None:
        """Write every staged line and flush them to disk, now, on this thread."""
        batch, self._staged = self._staged, []
        self._write_lines(batch)

    async def commit(self) -> None:
        """Return once every line staged so far is on disk (group commit, off the event loop).

        Lines staged while a write is under way go out together in the next
        one: one ``write`` and one ``fsync`` for every call that finished
        meanwhile, so a hundred calls in flight cost a few disk flushes, not a
        hundred, and the event loop never waits on the disk.

        Raises:
            ResultsError: the write failed (this and every later commit say so).
        """
        target = self._staged_count
        while self._durable_count < target:
            if self._failed is not None:
                raise self._failed
            commit = self._commit
            if commit is None or commit.done():  # none under way: write what is staged (ours among it)
                batch, self._staged = self._staged, []
                commit = self._commit = asyncio.ensure_future(asyncio.to_thread(self._write_lines, batch))
                commit.add_done_callback(self._committed)
            await asyncio.shield(commit)
        if self._failed is not None:
            raise self._failed

    def _committed(self, done: asyncio.Future[None]) -> None:
        if not done.cancelled() and isinstance(done.exception(), ResultsError):
            self._failed = done.exception()  # type: ignore[assignment]

    def _write_lines(self, lines: list[bytes]) -> None:
        """Write whole lines with one ``write`` (as many as the OS needs) and one ``fsync``."""
        if not lines:
            return
        with self._writing:
            if self._fd is None:
                raise RuntimeError("JsonlAppender used outside its 'with' block")
            try:
                view = memoryview(b"".join(lines))
                while view:
                    view = view[os.write(self._fd, view) :]
                os.fsync(self._fd)
            except OSError as exc:
                raise ResultsError(
                    f"{self.path}: write failed ({exc.strerror}) — free some space, then rerun to resume"
                ) from None
            self._durable_count += len(lines)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._fd is not None and self._staged:
                self.flush()  # records of finished calls, even when the run stops on an error
        finally:
            with self._writing:
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None
                if self._created and self._durable_count == 0:
                    with contextlib.suppress(OSError):
                        if os.path.getsize(self.path) == 0:
                            os.unlink(self.path)  # made by this run, nothing in it
            self._lock.release()


CALL_SCHEMA = "judgebench.call/1"


class CallJournal:
    """Finished model calls by resume key, so no paid call is ever made twice.

    A two-turn answer is written only when both turns are done; the journal
    keeps the first turn's text if the second fails or the run is killed.
    """

    def __init__(self, path: Path, *, warn: Warn = _ignore) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            for number, obj in read_jsonl(path, warn=warn, torn_tail_ok=True):
                if not isinstance(obj.get("key"), str) or not isinstance(obj.get("text"), str):
                    raise DataError(path, number, "not a call record (needs 'key' and 'text')", "delete this line")
                self._entries[obj["key"]] = obj
        self._appender = JsonlAppender(path, warn=warn)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict[str, Any] | None:
        """The recorded call for ``key``, if any."""
        return self._entries.get(key)

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Record a finished call durably."""
        entry = {"schema": CALL_SCHEMA, "key": key, **record}
        self._appender.append(entry)
        self._entries[key] = entry

    def __enter__(self) -> Self:
        self._appender.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._appender.__exit__(exc_type, exc, tb)
