"""How the pipeline reports progress without knowing who listens (the CLI draws it with rich)."""

from __future__ import annotations

from typing import Protocol

from judgebench.providers.retry import RetryEvent
from judgebench.records import Usage

__all__ = ["NullObserver", "Observer"]


class Observer(Protocol):
    """Receives progress; the CLI draws it, tests record it."""

    def start(self, total: int, skipped: int) -> None:
        """Work is planned: ``total`` items to do, ``skipped`` already done."""

    def advance(self, *, failed: bool, usage: Usage) -> None:
        """One item finished (``usage``: what it cost)."""

    def note(self, message: str) -> None:
        """A warning worth showing."""

    def retry(self, event: RetryEvent) -> None:
        """A failed attempt that will be retried after ``event.wait`` seconds (count it; show it if verbose)."""


class NullObserver:
    """An observer that ignores everything."""

    def start(self, total: int, skipped: int) -> None:
        """Ignore."""

    def advance(self, *, failed: bool, usage: Usage) -> None:
        """Ignore."""

    def note(self, message: str) -> None:
        """Ignore."""

    def retry(self, event: RetryEvent) -> None:
        """Ignore."""
