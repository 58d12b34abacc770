"""Progress of a running step, drawn with rich: the bar, its retry counts, and the verbose switch."""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from judgebench.cli.render import configure_logging, err

if TYPE_CHECKING:
    from judgebench.providers.retry import RetryEvent
    from judgebench.records import Usage

__all__ = ["RetryTally", "RichObserver", "share_verbose"]


def share_verbose(command_flag: bool) -> bool:
    """A command's ``-v`` and ``judgebench -v`` mean the same: every retry printed, library notes shown.

    Returns:
        Whether this command runs verbose.
    """
    if command_flag and not logging.getLogger("judgebench").isEnabledFor(logging.INFO):
        configure_logging(1)
    return command_flag or logging.getLogger("judgebench").isEnabledFor(logging.INFO)


class RetryTally:
    """Retries of a run, counted for the progress bar and the end-of-run summary.

    Attributes:
        by_kind: retries by kind: ``429``, ``5xx``, ``other`` (timeouts, dropped
            connections, malformed bodies, other statuses).
        retry_after: retries whose wait the server set with ``Retry-After``.
        waited: seconds of waiting in all (summed over calls, which wait side by side).
    """

    def __init__(self) -> None:
        self.by_kind: Counter[str] = Counter()
        self.retry_after = 0
        self.waited = 0.0
        self._until: list[float] = []  # monotonic ends of the Retry-After waits under way

    def add(self, event: RetryEvent, now: float | None = None) -> None:
        """Count one retry."""
        status = event.status
        kind = "429" if status == 429 else "5xx" if status is not None and status >= 500 else "other"
        self.by_kind[kind] += 1
        self.waited += event.wait
        if event.retry_after:
            self.retry_after += 1
            now = time.monotonic() if now is None else now
            self._until = [t for t in self._until if t > now] + [now + event.wait]

    @property
    def total(self) -> int:
        """Retries in all."""
        return sum(self.by_kind.values())

    def waiting(self, now: float | None = None) -> int:
        """Calls waiting out a ``Retry-After`` right now."""
        now = time.monotonic() if now is None else now
        return sum(t > now for t in self._until)

    def live(self) -> str:
        """The progress bar's retry column: ``retried 12 (429: 10, 5xx: 2) · 3 waiting for Retry-After``."""
        if not self.total:
            return ""
        kinds = ", ".join(f"{k}: {self.by_kind[k]}" for k in ("429", "5xx", "other") if self.by_kind[k])
        waiting = self.waiting()
        return f"retried {self.total} ({kinds})" + (f" · {waiting} waiting for Retry-After" if waiting else "")

    def summary(self, *, hint: bool = True) -> str:
        """The end-of-run line: ``retries: 25 (429: 20, 5xx: 3, other: 2); 20 waited as Retry-After asked; …``.

        Args:
            hint: end with how to see each retry (``-v``).
        """
        kinds = ", ".join(f"{k}: {self.by_kind[k]}" for k in ("429", "5xx", "other") if self.by_kind[k])
        return (
            f"retries: {self.total} ({kinds}); {self.retry_after} waited as the server asked (Retry-After); "
            f"{self.waited:.1f} s of waiting in all" + (" — pass -v to see each one" if hint else "")
        )


class _RetryColumn(ProgressColumn):
    """Live retry counts; recomputed at each refresh so Retry-After waits count down."""

    def __init__(self, tally: RetryTally) -> None:
        super().__init__()
        self.tally = tally

    def render(self, task: Task) -> Text:
        return Text(self.tally.live(), style="yellow")


class RichObserver:
    """Draws pipeline progress (done/total, ETA, tokens in/out, failures, retries) once work starts.

    Retries are counted on the bar and summed up when the run ends; with
    ``verbose`` each one is also printed as a line above the bar.
    """

    def __init__(self, label: str, *, verbose: bool = False) -> None:
        self.label = label
        self.verbose = verbose
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        from judgebench.records import Usage  # records load when a run starts, not for --help

        self.usage = Usage()
        self.failed = 0
        self.retries = RetryTally()

    def _tokens(self) -> str:
        failed = f" [red]{self.failed} not ok[/]" if self.failed else ""
        return f"tok in {self.usage.input_tokens:,} out {self.usage.output_tokens:,}{failed}"

    def start(self, total: int, skipped: int) -> None:
        """Work is planned; draw a bar if there is any."""
        if skipped:
            err.print(f"{self.label}: {skipped} already done, skipped")
        if total:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[tokens]}"),
                _RetryColumn(self.retries),
                console=err,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=total, tokens=self._tokens())

    def advance(self, *, failed: bool, usage: Usage) -> None:
        """One item finished."""
        self.usage += usage
        self.failed += failed
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, tokens=self._tokens())

    def note(self, message: str) -> None:
        """A warning, printed above the bar."""
        console = self.progress.console if self.progress is not None else err
        console.print(f"[yellow]{escape(message)}[/]")

    def retry(self, event: RetryEvent) -> None:
        """Count a retry on the bar; print it only when verbose."""
        self.retries.add(event)
        if self.verbose:
            self.note(event.line())

    def __enter__(self) -> RichObserver:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if self.progress is not None:
            if kind is not None:  # the run stopped: its one error line says why, the bar would only add noise
                self.progress.live.transient = True
            self.progress.stop()
        if self.retries.total and kind is None:
            summary = self.retries.summary(hint=not self.verbose)
            err.print(f"[yellow]{escape(summary)}[/]", soft_wrap=True, highlight=False)
