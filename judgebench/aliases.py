"""Model names as people say them: ``vicuna-13b`` → ``hf/lmsys/vicuna-13b-v1.5``.

A model id is ``provider/model``. A bare name (no ``/``) is looked up in the
user's aliases (a JSON file, :func:`aliases_path`; ``judgebench models alias
NAME TARGET`` writes it), then in :data:`BUILTIN_ALIASES`; an unknown one is an
error listing close matches. User aliases win over built-in ones.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from platformdirs import user_config_dir

from judgebench.errors import ConfigError, UsageError

__all__ = [
    "BUILTIN_ALIASES",
    "add_alias",
    "aliases_path",
    "all_aliases",
    "load_user_aliases",
    "resolve_model",
]

BUILTIN_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        # the embedded offline model
        "gemma-3-270m": "local/gemma-3-270m",
        # well-known open models -> their hub ids (run in-process with judgebench[local])
        "vicuna-7b": "hf/lmsys/vicuna-7b-v1.5",
        "vicuna-13b": "hf/lmsys/vicuna-13b-v1.5",
        "llama-2-7b-chat": "hf/meta-llama/Llama-2-7b-chat-hf",
        "llama-2-13b-chat": "hf/meta-llama/Llama-2-13b-chat-hf",
        "llama-3-8b-instruct": "hf/meta-llama/Meta-Llama-3-8B-Instruct",
        "llama-3.1-8b-instruct": "hf/meta-llama/Llama-3.1-8B-Instruct",
        "llama-3.2-1b-instruct": "hf/meta-llama/Llama-3.2-1B-Instruct",
        "llama-3.2-3b-instruct": "hf/meta-llama/Llama-3.2-3B-Instruct",
        "mistral-7b-instruct": "hf/mistralai/Mistral-7B-Instruct-v0.3",
        "zephyr-7b-beta": "hf/HuggingFaceH4/zephyr-7b-beta",
        "qwen2.5-0.5b-instruct": "hf/Qwen/Qwen2.5-0.5B-Instruct",
        "qwen2.5-1.5b-instruct": "hf/Qwen/Qwen2.5-1.5B-Instruct",
        "qwen2.5-7b-instruct": "hf/Qwen/Qwen2.5-7B-Instruct",
        "gemma-2-2b-it": "hf/google/gemma-2-2b-it",
        "gemma-2-9b-it": "hf/google/gemma-2-9b-it",
        "gemma-3-1b-it": "hf/google/gemma-3-1b-it",
        "phi-3-mini": "hf/microsoft/Phi-3-mini-4k-instruct",
        "tinyllama-1.1b-chat": "hf/TinyLlama/TinyLlama-1.1B-Chat-v1.0",
        # well-known API models -> their provider
        "gpt-4o": "openai/gpt-4o",
        "gpt-4o-mini": "openai/gpt-4o-mini",
        "gpt-4.1": "openai/gpt-4.1",
        "gpt-4.1-mini": "openai/gpt-4.1-mini",
        "gpt-4": "openai/gpt-4",
        "gpt-3.5-turbo": "openai/gpt-3.5-turbo",
        "claude-sonnet-4-5": "anthropic/claude-sonnet-4-5",
        "claude-opus-4-1": "anthropic/claude-opus-4-1",
        "claude-haiku-4-5": "anthropic/claude-haiku-4-5",
        "claude-3-5-haiku": "anthropic/claude-3-5-haiku-latest",
    }
)
"""Built-in aliases: bare name → ``provider/model``."""

_ENV = "JUDGEBENCH_CONFIG_DIR"


def aliases_path() -> Path:
    """The user's alias file: ``$JUDGEBENCH_CONFIG_DIR/models.json`` or the user config dir's."""
    base = os.environ.get(_ENV) or user_config_dir("judgebench")
    return Path(base).expanduser() / "models.json"


def load_user_aliases(path: Path | None = None) -> dict[str, str]:
    """The user's aliases (empty when the file does not exist).

    Raises:
        ConfigError: the file is not a JSON object of strings.
    """
    path = path or aliases_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the model aliases ({exc}) — fix or delete the file") from exc
    aliases = data.get("aliases") if isinstance(data, dict) else None
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise ConfigError(f'{path}: expected {{"aliases": {{"name": "provider/model", …}}}} — fix or delete the file')
    return {str(k): v for k, v in aliases.items()}


def all_aliases(user: Mapping[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Every alias → (target, ``"user"`` or ``"built-in"``), user aliases winning."""
    user = load_user_aliases() if user is None else user
    merged = {name: (target, "built-in") for name, target in BUILTIN_ALIASES.items()}
    merged.update({name: (target, "user") for name, target in user.items()})
    return dict(sorted(merged.items()))


def resolve_model(name: str, user: Mapping[str, str] | None = None) -> str:
    """The ``provider/model`` id a name stands for.

    >>> resolve_model("vicuna-13b", user={})
    'hf/lmsys/vicuna-13b-v1.5'
    >>> resolve_model("openai/gpt-4o", user={}), resolve_model("mine", user={"mine": "hf/./ckpt"})
    ('openai/gpt-4o', 'hf/./ckpt')
    >>> resolve_model("gpt4o", user={})
    Traceback (most recent call last):
    ...
    judgebench.errors.UsageError: unknown model 'gpt4o' — close matches: gpt-4o, gpt-4, gpt-4.1; or name it as \
provider/model (openai/…, anthropic/…, hf/<folder or hub id>, local/gemma-3-270m), or add an alias: \
judgebench models alias gpt4o PROVIDER/MODEL
    """
    if "/" in name:
        return name
    user = load_user_aliases() if user is None else user
    if name in user:
        return user[name]
    if name in BUILTIN_ALIASES:
        return BUILTIN_ALIASES[name]
    known = sorted(set(user) | set(BUILTIN_ALIASES))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    hint = f"close matches: {', '.join(close)}; or" if close else "not an alias (see: judgebench models list);"
    raise UsageError(
        f"unknown model {name!r} — {hint} name it as provider/model (openai/…, anthropic/…, "
        f"hf/<folder or hub id>, local/gemma-3-270m), or add an alias: judgebench models alias {name} PROVIDER/MODEL"
    )


def add_alias(name: str, target: str, path: Path | None = None) -> Path:
    """Save ``name`` → ``target`` in the user's alias file; returns the file.

    Raises:
        UsageError: ``name`` holds a ``/`` or ``target`` is not ``provider/model``.
    """
    if not name or "/" in name:
        raise UsageError(f"alias {name!r}: a bare name without '/' (e.g. my-model)")
    provider, sep, model = target.partition("/")
    if not sep or not provider or not model:
        raise UsageError(f"alias target {target!r}: expected provider/model, e.g. hf/./my-checkpoint or openai/gpt-4o")
    path = path or aliases_path()
    aliases = load_user_aliases(path)
    aliases[name] = target
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"aliases": dict(sorted(aliases.items()))}, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
