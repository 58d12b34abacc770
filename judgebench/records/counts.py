"""Counts as people write them: ``1 question``, ``2 questions`` (every layer's messages use it)."""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the noun in the number it needs (``nouns``: an irregular plural).

    >>> counted(1, "question"), counted(3, "verdict"), counted(0, "file"), counted(2, "reply", "replies")
    ('1 question', '3 verdicts', '0 files', '2 replies')
    """
    return f"{n} {noun if n == 1 else nouns or noun + 's'}"
