"""``hf/<folder or hub id>``: a causal LM run in this process with transformers and torch.

This is the only module that imports torch and transformers for generation
(``embedded.py`` imports them to convert the embedded model once).

**Batching.** Each :meth:`HFProvider.complete` call is queued on a
:class:`~judgebench.providers.batching.MicroBatcher`; calls that arrive
together (the pipeline keeps many in flight) are decoded by one left-padded,
length-sorted ``generate()`` in a worker thread. Requests share a batch when
they agree on ``max_tokens`` and stop strings; temperature and seed are per row.

**Sampling and seeds.** ``generate`` runs greedy, and a logits processor
(:class:`_RowSampler`) does the sampling itself: each sampled row draws from
its own ``torch.Generator`` seeded with that request's seed, so a seeded
answer does not depend on which other requests shared its batch or when they
arrived (up to the last-bit float differences padding can cause). Rows at
temperature 0 stay greedy. Unseeded rows draw fresh seeds.

**Stopping.** A row ends at the tokenizer's EOS, the generation config's EOS
ids, any end-of-turn token the vocabulary has (``<end_of_turn>``,
``<|eot_id|>``, ``<|im_end|>``…), or one of the request's stop strings (cut off
from the text), else at ``max_tokens``.

**Chat template.** The model's own (or ``--chat-template FILE``); a model
without one is refused with a one-line fix. A template that rejects the system
role gets the system prompt folded into the first user turn.

**Device and dtype.** ``auto`` picks CUDA when present, else CPU. On CPU,
denormals are flushed to zero (``torch.set_flush_denormal(True)``, ~3× faster
on CPUs whose denormal arithmetic is slow — a process-wide torch setting) and
the dtype is bf16 where the CPU has native bf16 (AVX512-BF16/AMX), else fp32:
without it bf16 matmuls are emulated and prompt processing (prefill, all of
judging) is ~7× slower than fp32. On GPUs: bf16 where supported, else fp16.
"""

from __future__ import annotations

import copy
import inspect
import logging
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, LogitsProcessor, LogitsProcessorList

from judgebench.errors import ConfigError, UsageError
from judgebench.providers import Completion, Decoding, ProviderOptions, VerdictLogprobs
from judgebench.providers.batching import MicroBatcher
from judgebench.providers.inprocess import BatchedProvider
from judgebench.providers.local import model_source
from judgebench.records import Message

__all__ = ["HFProvider", "auto_batch_size", "resolve_device", "resolve_dtype", "route_library_output"]

_END_OF_TURN = ("<end_of_turn>", "<start_of_turn>", "<|eot_id|>", "<|im_end|>", "<|end|>", "<|endoftext|>")
_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_CPU_BATCH = 8


def route_library_output() -> bool:
    """Send transformers' log lines through Python logging, and show its progress bars only when verbose.

    transformers prints warnings and notes (deprecations, GGUF dtype advice…) through its own
    stderr handler; here they propagate to the root logger instead, where the CLI shows them with
    ``-v`` and drops them otherwise. Verbose means the ``judgebench`` logger is enabled for INFO
    (the CLI's ``-v``). Safe to call repeatedly.

    Returns:
        Whether judgebench is verbose (callers also let other libraries' output through then).
    """
    verbose = logging.getLogger("judgebench").isEnabledFor(logging.INFO)
    transformers.utils.logging.disable_default_handler()
    transformers.utils.logging.enable_propagation()
    if verbose:
        transformers.utils.logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    else:
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return verbose


def resolve_device(spec: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``; anything else as given."""
    if spec == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return spec


def resolve_dtype(spec: str, device: str) -> torch.dtype:
    """The compute dtype for ``device`` (see the module docs); flushes denormals on CPU.

    Measured on the 2-core AVX2 development CPU (no native bf16): bf16 decodes one sequence
    faster, but prefill and batched decoding are faster in fp32, so ``auto`` picks fp32 there.

    Raises:
        UsageError: an unknown dtype name.
    """
    if device == "cpu":
        torch.set_flush_denormal(True)
    if spec != "auto":
        if spec not in _DTYPES:
            raise UsageError(f"--dtype {spec!r}: expected auto, {', '.join(_DTYPES)}")
        return _DTYPES[spec]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    # bf16 only where the CPU computes it natively: elsewhere its matmuls are emulated, and a
    # 745-token judge prompt took 14-16 s to prefill in bf16 against 2.2 s in fp32 (2-core AVX2).
    return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else torch.float32


def auto_batch_size(model: Any, device: str, dtype: torch.dtype, tokens_per_sequence: int = 3072) -> int:
    """Batch size for ``--batch-size auto``: 8 on CPU; on a GPU, what half its free memory holds.

    A sequence's key/value cache takes ``2 · layers · kv_heads · head_dim · bytes`` per token;
    we budget ``tokens_per_sequence`` tokens (prompt plus answer) per row, between 1 and 128 rows.
    """
    if not device.startswith("cuda"):
        return _CPU_BATCH
    config = model.config
    layers = int(getattr(config, "num_hidden_layers", 32))
    heads = int(getattr(config, "num_attention_heads", 32))
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // heads)
    per_row = 2 * layers * kv_heads * head_dim * torch.finfo(dtype).bits // 8 * tokens_per_sequence
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return max(1, min(128, int(free * 0.5 // per_row)))


@dataclass(frozen=True)
class _Generate:
    messages: tuple[Message, ...]
    decoding: Decoding


@dataclass(frozen=True)
class _Score:
    messages: tuple[Message, ...]
    opener: str
    values: tuple[str, ...]
    closer: str


class _RowSampler(LogitsProcessor):
    """Samples each row with its own temperature and generator; greedy ``generate`` keeps the pick."""

    def __init__(self, temperatures: Sequence[float], generators: Sequence[torch.Generator | None]) -> None:
        self.temperatures = temperatures
        self.generators = generators

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        out = scores.clone()
        for row, (temperature, generator) in enumerate(zip(self.temperatures, self.generators, strict=True)):
            if temperature <= 0 or generator is None:
                continue
            probs = torch.softmax(scores[row].float() / temperature, dim=-1)
            pick = torch.multinomial(probs, 1, generator=generator)
            out[row] = -math.inf
            out[row, pick] = 0.0
        return out  # type: ignore[return-value]


class HFProvider(BatchedProvider[_Generate | _Score, Completion | dict[str, float]]):
    """A transformers causal LM behind the :class:`~judgebench.providers.Provider` protocol.

    Args:
        model: a model folder (``save_pretrained`` layout) or a hub id.
        options: ``options.local`` holds device, dtype, batch size and chat template.
        model_id: the id to report (default ``hf/<model>``).

    Raises:
        UsageError: ``model`` is a path that is not a model folder; a bad option.
        ConfigError: the model cannot be loaded, or has no chat template.
    """

    def __init__(self, model: str, options: ProviderOptions | None = None, *, model_id: str | None = None) -> None:
        local = (options or ProviderOptions()).local
        self._model_id = model_id or f"hf/{model}"
        source = model_source(model, self._model_id)
        self.device = resolve_device(local.device)
        self.dtype = resolve_dtype(local.dtype, self.device)
        route_library_output()  # its log lines through logging, no progress bars unless -v: we draw progress
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            loaded: Any = AutoModelForCausalLM.from_pretrained(source, dtype=self.dtype)
            self.model: Any = loaded.to(self.device).eval()
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(
                f"--model {self._model_id}: could not load it ({first}) — pass a folder saved with "
                "save_pretrained, or a hub id reachable from here"
            ) from exc
        if local.chat_template is not None:
            path = Path(local.chat_template).expanduser()
            if not path.is_file():
                raise UsageError(f"--chat-template {path}: no such file")
            self.tokenizer.chat_template = path.read_text(encoding="utf-8")
        if not getattr(self.tokenizer, "chat_template", None):
            raise ConfigError(
                f"--model {self._model_id} has no chat template — pass --chat-template FILE (a Jinja chat template)"
            )
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.tokenizer.padding_side = "left"
        self.eos_ids = self._eos_ids()
        self._cache_kwarg = _cache_kwarg(self.model)
        size = local.batch_size or auto_batch_size(self.model, self.device, self.dtype)
        self._batcher: MicroBatcher[_Generate | _Score, Completion | dict[str, float]] = MicroBatcher(
            self._run_batch, max_batch=size
        )

    @property
    def batch_sizes(self) -> list[int]:
        """Size of every batch run so far."""
        return self._batcher.batch_sizes

    def _eos_ids(self) -> list[int]:
        ids: set[int] = set()
        configured = self.model.generation_config.eos_token_id
        if isinstance(configured, int):
            ids.add(configured)
        elif configured:
            ids.update(int(i) for i in configured)
        if self.tokenizer.eos_token_id is not None:
            ids.add(int(self.tokenizer.eos_token_id))
        vocab = self.tokenizer.get_vocab()
        ids.update(vocab[token] for token in _END_OF_TURN if token in vocab)
        return sorted(ids)

    async def complete(self, messages: Sequence[Message], decoding: Decoding) -> Completion:
        """Generate one reply; batched with the calls that arrive alongside it."""
        request = _Generate(tuple(messages), decoding)
        group = ("generate", decoding.max_tokens, decoding.stop)
        result = await self._batcher.submit(request, size=_chars(messages), group=group)
        assert isinstance(result, Completion)
        return result

    async def verdict_distribution(
        self, messages: Sequence[Message], opener: str, values: Sequence[str], closer: str
    ) -> dict[str, float]:
        """Exact log-probability of the reply starting ``opener + value + closer``, for each value.

        Returns a :class:`~judgebench.providers.VerdictLogprobs`: its ``input_tokens`` counts the
        prompt once plus each verdict's extra tokens (all the tokens run through the model);
        ``output_tokens`` is 0 (nothing is generated).
        """
        request = _Score(tuple(messages), opener, tuple(values), closer)
        result = await self._batcher.submit(request, size=_chars(messages), group=("score",))
        assert isinstance(result, dict)
        return result

    # --- in the worker thread -------------------------------------------------------------

    def prompt_text(self, messages: Sequence[Message]) -> str:
        """The conversation rendered by the chat template, ready for the reply."""
        conversation = [{"role": m.role, "content": m.content} for m in messages]
        try:
            text = self.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        except Exception as exc:  # jinja2's TemplateError, raised by the template itself
            if not conversation or conversation[0]["role"] != "system" or len(conversation) < 2:
                raise ConfigError(f"--model {self._model_id}: its chat template failed: {exc}") from exc
            folded = [{"role": "user", "content": conversation[0]["content"] + "\n\n" + conversation[1]["content"]}]
            text = self.tokenizer.apply_chat_template(
                folded + conversation[2:], tokenize=False, add_generation_prompt=True
            )
        assert isinstance(text, str)
        return text

    def _encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def _run_batch(self, batch: list[_Generate | _Score]) -> list[Completion | dict[str, float]]:
        with torch.inference_mode():
            if isinstance(batch[0], _Score):
                return [self._score(r) for r in batch if isinstance(r, _Score)]
            return list(self._generate([r for r in batch if isinstance(r, _Generate)]))

    def _generate(self, batch: list[_Generate]) -> list[Completion]:
        prompts = [self._encode(self.prompt_text(r.messages)) for r in batch]
        width = max(len(p) for p in prompts)
        pad = int(self.tokenizer.pad_token_id)
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts], device=self.device)
        attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.device)
        decoding = batch[0].decoding
        temperatures = [r.decoding.temperature for r in batch]
        generators = [self._generator(r.decoding) for r in batch]
        # Every generation setting goes in the config: passing one beside it (stop_strings=…) is
        # deprecated in transformers 5. The tokenizer is an argument of generate(), for stop strings.
        config = GenerationConfig(  # type: ignore[no-untyped-call]
            max_new_tokens=decoding.max_tokens,
            do_sample=False,
            eos_token_id=self.eos_ids,
            pad_token_id=pad,
            bos_token_id=self.tokenizer.bos_token_id,
            stop_strings=list(decoding.stop) or None,
        )
        extra: dict[str, Any] = {"tokenizer": self.tokenizer} if decoding.stop else {}
        output = self.model.generate(
            input_ids=input_ids,
            attention_mask=attention,
            generation_config=config,
            logits_processor=LogitsProcessorList([_RowSampler(temperatures, generators)]),
            **extra,
        )
        completions = []
        for row, prompt in enumerate(prompts):
            new = output[row, width:].tolist()
            ended = next((i for i, t in enumerate(new) if t in self.eos_ids), None)
            tokens = new if ended is None else new[:ended]
            text = str(self.tokenizer.decode(tokens, skip_special_tokens=True))
            cut = [text.find(s) for s in decoding.stop if s in text]
            if cut:
                text = text[: min(cut)]
            finish = "stop" if ended is not None or cut else "length"
            completions.append(Completion(text, len(prompt), len(tokens), finish))
        return completions

    def _generator(self, decoding: Decoding) -> torch.Generator | None:
        if decoding.temperature <= 0:
            return None
        generator = torch.Generator(device=self.device)
        generator.manual_seed(decoding.seed if decoding.seed is not None else secrets.randbits(63))
        return generator

    def _score(self, request: _Score) -> VerdictLogprobs:
        prefix_text = self.prompt_text(request.messages) + request.opener
        prefix = self._encode(prefix_text)
        output = self.model(input_ids=torch.tensor([prefix], device=self.device), use_cache=True, logits_to_keep=1)
        first = torch.log_softmax(output.logits[0, -1].float(), dim=-1)
        scores: dict[str, float] = {}
        read = len(prefix)
        for value in request.values:
            joint = self._encode(prefix_text + value + request.closer)
            tail = joint[len(prefix) :] if joint[: len(prefix)] == prefix else self._encode(value + request.closer)
            if not tail:
                continue
            logprob = float(first[tail[0]])
            if len(tail) > 1:
                cache = copy.deepcopy(_output_cache(output))  # the forward below extends it
                more = self.model(
                    input_ids=torch.tensor([tail[:-1]], device=self.device),
                    use_cache=True,
                    **{self._cache_kwarg: cache},
                )
                read += len(tail) - 1
                steps = torch.log_softmax(more.logits[0].float(), dim=-1)
                logprob += sum(float(steps[i, token]) for i, token in enumerate(tail[1:]))
            if math.isfinite(logprob):
                scores[value] = logprob
        return VerdictLogprobs(scores, input_tokens=read, output_tokens=0)

    # --- the rest of the Provider protocol ------------------------------------------------

    def is_retryable(self, exc: BaseException) -> bool:
        """Running out of GPU memory may pass once other batches finish; nothing else does."""
        return isinstance(exc, torch.OutOfMemoryError)


def _cache_kwarg(model: Any) -> str:
    """The name ``model.forward`` takes a key/value cache under.

    transformers 5.x renamed ``past_key_values`` to ``cache`` (the old name warns, and goes in 5.40);
    earlier releases only know ``past_key_values``. Ask the signature rather than the version:
    remote-code models keep their own names.
    """
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def _output_cache(output: Any) -> Any:
    """The key/value cache a forward pass returned: ``output.cache`` (transformers 5.x), else the old name."""
    if "cache" in output:
        return output["cache"]
    return output["past_key_values"]


def _chars(messages: Sequence[Message]) -> int:
    return sum(len(m.content) for m in messages)


def token_counter(source: str) -> Callable[[str], int]:
    """Count tokens with the model's own tokenizer (no weights are loaded), for dry-run estimates.

    Args:
        source: a model folder or hub id, as :class:`HFProvider` takes it.
    """
    tokenizer = AutoTokenizer.from_pretrained(source)

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return count
