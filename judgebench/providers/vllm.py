"""``--engine vllm``: high-throughput GPU generation with vLLM's offline engine.

UNTESTED here: vLLM needs a GPU and its own CUDA torch, so neither CI nor the
development machines can install it. It is imported only when asked for; a
missing install is a one-line ``pip install 'judgebench[vllm]'`` hint.

Calls are micro-batched as in :mod:`judgebench.providers.hf` and each batch is
one ``LLM.chat`` call with one ``SamplingParams`` per request (its own
temperature and seed, so seeded sampling is per request), which vLLM then
schedules with continuous batching and paged attention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import vllm

from judgebench.providers import Completion, Decoding, ProviderOptions
from judgebench.providers.batching import MicroBatcher
from judgebench.providers.inprocess import BatchedProvider
from judgebench.records import Message

__all__ = ["VLLMProvider"]

_DEFAULT_BATCH = 256


@dataclass(frozen=True)
class _Request:
    messages: tuple[Message, ...]
    decoding: Decoding


class VLLMProvider(BatchedProvider[_Request, Completion]):
    """A vLLM engine behind the provider protocol.

    Args:
        model: a model folder or hub id.
        options: ``options.local``: dtype, batch size (the most requests per engine call),
            chat template file.
        model_id: the id to report (default ``hf/<model>``).
    """

    batches_in_flight = 2
    """Keep the engine's scheduler full (it batches continuously)."""

    def __init__(self, model: str, options: ProviderOptions | None = None, *, model_id: str | None = None) -> None:
        local = (options or ProviderOptions()).local
        self._model_id = model_id or f"hf/{model}"
        dtype = "auto" if local.dtype == "auto" else local.dtype
        self._llm: Any = vllm.LLM(model=model, dtype=dtype)
        self._template = None
        if local.chat_template is not None:
            with open(local.chat_template, encoding="utf-8") as f:
                self._template = f.read()
        self._batcher: MicroBatcher[_Request, Completion] = MicroBatcher(
            self._run, max_batch=local.batch_size or _DEFAULT_BATCH
        )

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Generate one reply; batched with the calls that arrive alongside it."""
        return await self._batcher.submit(
            _Request(tuple(messages), decoding), size=sum(len(m.content) for m in messages)
        )

    def _run(self, batch: list[_Request]) -> list[Completion]:
        conversations = [[{"role": m.role, "content": m.content} for m in r.messages] for r in batch]
        params = [
            vllm.SamplingParams(
                temperature=r.decoding.temperature,
                max_tokens=r.decoding.max_tokens,
                seed=r.decoding.seed,
                stop=list(r.decoding.stop) or None,
            )
            for r in batch
        ]
        outputs = self._llm.chat(conversations, params, chat_template=self._template, use_tqdm=False)
        completions = []
        for output in outputs:
            first = output.outputs[0]
            completions.append(
                Completion(
                    text=first.text,
                    input_tokens=len(output.prompt_token_ids or ()),
                    output_tokens=len(first.token_ids),
                    finish_reason=first.finish_reason,
                )
            )
        return completions
