"""A deterministic offline provider for fast pipeline tests and dry demos.

``fake/<name>`` answers every conversation with a text derived from a hash of
the messages and the decoding settings, so the same request always gets the
same answer and different turns get different ones. Asked to judge (a system
prompt that asks for a ``[[…]]`` verdict), it ends with a pseudo-random but
deterministic verdict: a grade 1–10, A, B or C (tie), or a pair of grades
(``[[8, 6]]``, when asked for ``[[score A, score B]]``) — meaningless numbers
that exercise the whole loop offline. Token counts are the
number of whitespace-separated words. Tests build it directly to script
failures (``fail_first``) or slow calls (``latency``); it keeps every request
it received in :attr:`FakeProvider.requests`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from judgebench.providers import API_CAPABILITIES, Completion, Decoding, ProviderOptions
from judgebench.records import Message, content_hash

__all__ = ["FakeProvider", "TransientFakeError"]


class TransientFakeError(Exception):
    """A scripted, retryable failure."""


class FakeProvider:
    """Deterministic answers, optional scripted failures and latency.

    Args:
        model: the part after ``fake/``.
        options: ignored, accepted for the provider interface.
        fail_first: the first N calls raise :class:`TransientFakeError`.
        latency: seconds each call sleeps before answering.
        reply: if given, builds the text from the messages instead.
    """

    capabilities = API_CAPABILITIES
    """Nothing beyond the calls: no batching, no reasoning effort."""

    def __init__(
        self,
        model: str,
        options: ProviderOptions | None = None,
        *,
        fail_first: int = 0,
        latency: float = 0.0,
        reply: Callable[[Sequence[Message]], str] | None = None,
    ) -> None:
        self._model = model
        self._fail_first = fail_first
        self._latency = latency
        self._reply = reply
        self.requests: list[tuple[tuple[Message, ...], Decoding]] = []
        self.failures = 0

    @property
    def model_id(self) -> str:
        """The full ``fake/<name>`` id."""
        return f"fake/{self._model}"

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Answer deterministically (or fail, as scripted)."""
        if self._latency:
            await asyncio.sleep(self._latency)
        if self.failures < self._fail_first:
            self.failures += 1
            raise TransientFakeError(f"scripted failure {self.failures} of {self._fail_first}")
        self.requests.append((tuple(messages), decoding))
        text = self._reply(messages) if self._reply is not None else self._default_reply(messages, decoding)
        return Completion(
            text=text,
            input_tokens=sum(len(m.content.split()) for m in messages),
            output_tokens=len(text.split()),
            finish_reason="stop",
        )

    def _default_reply(self, messages: Sequence[Message], decoding: Decoding) -> str:
        digest = content_hash([[m.role, m.content] for m in messages] + [decoding.temperature])
        last = messages[-1].content.split()
        text = f"{self._model} answers ({digest}): " + " ".join(last[:12])
        instructions = messages[0].content if messages[0].role == "system" else ""
        if "[[score A, score B]]" in instructions:  # asked for paired scoring: a score for each answer
            value = int(digest, 16)
            text += f"\n[[{1 + value % 10}, {1 + (value // 10) % 10}]]"
        elif "[[C]]" in instructions:  # asked for a pairwise verdict (C: tie)
            text += "\n" + ("[[A]]", "[[B]]", "[[C]]")[int(digest, 16) % 3]
        elif "[[" in instructions:  # asked for a grade
            text += f"\n[[{1 + int(digest, 16) % 10}]]"
        return text

    def is_retryable(self, exc: BaseException) -> bool:
        """Scripted failures are retryable; nothing else is."""
        return isinstance(exc, TransientFakeError)

    def retry_after(self, exc: BaseException) -> float | None:
        """The fake server never asks for a wait."""
        return None

    def redact(self, text: str) -> str:
        """There is no secret to hide."""
        return text

    async def aclose(self) -> None:
        """Nothing to release."""
