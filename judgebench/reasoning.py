"""A reasoning model's reply, split into its reasoning and its final answer (pure).

Reasoning models served without a reasoning parser (DeepSeek-R1, Qwen3, QwQ and
their distillations behind vLLM, llama.cpp or Ollama) put their chain of thought in
the message content, before the answer, as ``<think>…</think>``. Some chat templates
open the block themselves, so the content holds only the closing tag. A reply cut
off by its token limit may hold an opening tag that never closes: then all of it is
reasoning and there is no final answer yet.

Only the final answer is what the model *said*: it is what a judge is shown, what
the model gets back as its own earlier turn, and where a judge's verdict is read.
The raw reply is kept beside it in the records.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["THINK_TAGS", "Split", "split_reasoning"]

THINK_TAGS: tuple[str, ...] = ("think", "thinking", "reasoning")
"""Tag names read as a reasoning block when one opens the reply (``<think>`` is by far the most common)."""

_OPEN = re.compile(r"\A\s*<(" + "|".join(THINK_TAGS) + r")>", re.IGNORECASE)
_BARE_CLOSE = re.compile(r"</think>", re.IGNORECASE)


class Split(NamedTuple):
    """A reply's reasoning (``""`` when none) and its final answer (``""`` when cut off inside the reasoning)."""

    reasoning: str
    answer: str


def split_reasoning(text: str) -> Split:
    """Split ``<think>…</think>`` (or ``<thinking>``, ``<reasoning>``) off the front of a reply.

    Args:
        text: a model's reply, as its API returned the message content.

    Returns:
        ``(reasoning, answer)``: the block's inner text, stripped, and what follows
        it with leading blank space removed; a reply without a block is all answer.

    >>> split_reasoning("<think>\\n17*23 = 391\\n</think>\\n\\n17 × 23 = 391.")
    Split(reasoning='17*23 = 391', answer='17 × 23 = 391.')
    >>> split_reasoning("Plain answer.")
    Split(reasoning='', answer='Plain answer.')

    A template that opened the block itself leaves only the closing tag:

    >>> split_reasoning("Let me see… 391.</think>\\n391")
    Split(reasoning='Let me see… 391.', answer='391')

    A reply cut off inside its reasoning has no answer yet (restated formats in it are not verdicts):

    >>> split_reasoning("<think>\\nI must end with [[A]], [[B]] or [[C]]. Comparing")
    Split(reasoning='I must end with [[A]], [[B]] or [[C]]. Comparing', answer='')

    Tags are only read at the start; an answer that discusses them is left alone:

    >>> split_reasoning("Use <think> tags like this: <think>x</think>").reasoning
    ''
    """
    opened = _OPEN.match(text)
    if opened:
        tag = opened.group(1)
        close = re.compile(rf"</{re.escape(tag)}>", re.IGNORECASE).search(text, opened.end())
        if close is None:
            return Split(text[opened.end() :].strip(), "")
        return Split(text[opened.end() : close.start()].strip(), text[close.end() :].lstrip())
    close = _BARE_CLOSE.search(text)
    if close is not None and "<think>" not in text[: close.start()].lower():
        return Split(text[: close.start()].strip(), text[close.end() :].lstrip())
    return Split("", text)
